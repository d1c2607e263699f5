/** Copies handed out to viewers and their job state. I/O only. */
import type { CatalogDb } from '../catalog.ts';
import type { Copy } from '../schema.ts';

/** The columns 0005 added are nullable: a new copy need not give them. */
type NewCopy = Omit<Copy, CheckColumns> & Partial<Pick<Copy, CheckColumns>>;
type CheckColumns = 'excluded_ranges' | 'void_reason' | 'void_message' | 'voided_at' | 'requested_from';

export class CopiesRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(copy: NewCopy): Promise<void> {
    await this.db.insertInto('copies').values(copy).execute();
  }

  async find(id: string): Promise<Copy | undefined> {
    return this.db.selectFrom('copies').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async update(id: string, changes: Partial<Omit<Copy, 'id'>>): Promise<boolean> {
    const r = await this.db.updateTable('copies').set(changes).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async listByHearing(hearingId: string): Promise<Copy[]> {
    return this.db
      .selectFrom('copies')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .orderBy('requested_at')
      .execute();
  }
}
