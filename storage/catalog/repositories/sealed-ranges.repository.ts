/** Sealed (closed) time ranges of open hearings. I/O only: the policy applies them. */
import type { CatalogDb } from '../catalog.ts';
import type { SealedRange } from '../schema.ts';

export class SealedRangesRepository {
  constructor(private readonly db: CatalogDb) {}

  /** Fails when end_ms ≤ start_ms (CHECK) or the hearing or author does not exist. */
  async insert(range: SealedRange): Promise<void> {
    await this.db.insertInto('sealed_ranges').values(range).execute();
  }

  async find(id: string): Promise<SealedRange | undefined> {
    return this.db.selectFrom('sealed_ranges').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A hearing's ranges in time order. */
  async listByHearing(hearingId: string): Promise<SealedRange[]> {
    return this.db
      .selectFrom('sealed_ranges')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .orderBy('start_ms')
      .orderBy('id')
      .execute();
  }

  /** The ranges of many hearings in one query (a list's page), each hearing's in time order. */
  async listByHearings(hearingIds: readonly string[]): Promise<SealedRange[]> {
    if (hearingIds.length === 0) return [];
    return this.db
      .selectFrom('sealed_ranges')
      .selectAll()
      .where('hearing_id', 'in', hearingIds)
      .orderBy('hearing_id')
      .orderBy('start_ms')
      .orderBy('id')
      .execute();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sealed_ranges').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
