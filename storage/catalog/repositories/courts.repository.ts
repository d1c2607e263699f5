/** Courts and their courtrooms. I/O only: no business rules live here. */
import type { CatalogDb } from '../catalog.ts';
import type { Court, Courtroom } from '../schema.ts';

export class CourtsRepository {
  constructor(private readonly db: CatalogDb) {}

  async insertCourt(court: Court): Promise<void> {
    await this.db.insertInto('courts').values(court).execute();
  }

  async findCourt(id: string): Promise<Court | undefined> {
    return this.db.selectFrom('courts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listCourts(): Promise<Court[]> {
    return this.db.selectFrom('courts').selectAll().orderBy('name').execute();
  }

  async insertCourtroom(room: Courtroom): Promise<void> {
    await this.db.insertInto('courtrooms').values(room).execute();
  }

  async findCourtroom(id: string): Promise<Courtroom | undefined> {
    return this.db.selectFrom('courtrooms').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listCourtrooms(courtId?: string): Promise<Courtroom[]> {
    let q = this.db.selectFrom('courtrooms').selectAll();
    if (courtId !== undefined) q = q.where('court_id', '=', courtId);
    return q.orderBy('name').execute();
  }
}
