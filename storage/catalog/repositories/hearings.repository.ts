/** Hearings and their tracks. I/O only: state transitions are decided by the hub's service. */
import type { CatalogDb } from '../catalog.ts';
import type { Hearing, HearingState, HearingUpdate, NewHearing, Track } from '../schema.ts';

export class HearingsRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(hearing: NewHearing): Promise<void> {
    await this.db.insertInto('hearings').values(hearing).execute();
  }

  async find(id: string): Promise<Hearing | undefined> {
    return this.db.selectFrom('hearings').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(filter: { courtroomId?: string; state?: HearingState } = {}): Promise<Hearing[]> {
    let q = this.db.selectFrom('hearings').selectAll();
    if (filter.courtroomId !== undefined) q = q.where('courtroom_id', '=', filter.courtroomId);
    if (filter.state !== undefined) q = q.where('state', '=', filter.state);
    return q.orderBy('created_at', 'desc').orderBy('id').execute();
  }

  /**
   * Updates a hearing only if it is still in one of `fromStates`, so two concurrent
   * commands cannot both win. Returns whether the row changed.
   */
  async update(id: string, changes: HearingUpdate, fromStates?: readonly HearingState[]): Promise<boolean> {
    let q = this.db.updateTable('hearings').set(changes).where('id', '=', id);
    if (fromStates !== undefined) q = q.where('state', 'in', fromStates);
    const r = await q.executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async upsertTrack(track: Track): Promise<void> {
    await this.db
      .insertInto('tracks')
      .values(track)
      .onConflict((oc) => oc.columns(['hearing_id', 'name']).doNothing())
      .execute();
  }

  async listTracks(hearingId: string): Promise<Track[]> {
    return this.db
      .selectFrom('tracks')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .orderBy('name')
      .execute();
  }
}
