/** Markers on a hearing's timeline. I/O only. */
import type { CatalogDb } from '../catalog.ts';
import type { Marker } from '../schema.ts';

export class MarkersRepository {
  constructor(private readonly db: CatalogDb) {}

  /** Idempotent by id: a command replayed by a reconnecting recorder adds nothing. */
  async insert(marker: Marker): Promise<boolean> {
    const r = await this.db
      .insertInto('markers')
      .values(marker)
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async listByHearing(hearingId: string): Promise<Marker[]> {
    return this.db
      .selectFrom('markers')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .orderBy('at_ms')
      .orderBy('id')
      .execute();
  }
}
