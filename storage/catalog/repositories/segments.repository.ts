/** Segment registrations: one row per (hearing, track, seq). I/O only. */
import type { CatalogDb } from '../catalog.ts';
import type { NewSegment, Segment, SegmentVerifyState } from '../schema.ts';

export class SegmentsRepository {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Inserts a registration. Returns false (and changes nothing) when that
   * (hearing, track, seq) is already registered, so a retried upload is idempotent.
   */
  async insert(segment: NewSegment): Promise<boolean> {
    const r = await this.db
      .insertInto('segments')
      .values(segment)
      .onConflict((oc) => oc.columns(['hearing_id', 'track', 'seq']).doNothing())
      .executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async find(hearingId: string, track: string, seq: number): Promise<Segment | undefined> {
    return this.db
      .selectFrom('segments')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .where('track', '=', track)
      .where('seq', '=', seq)
      .executeTakeFirst();
  }

  /** The highest-seq registration of a track: the tip of its hash chain. */
  async last(hearingId: string, track: string): Promise<Segment | undefined> {
    return this.db
      .selectFrom('segments')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .where('track', '=', track)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async listByTrack(hearingId: string, track: string): Promise<Segment[]> {
    return this.db
      .selectFrom('segments')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .where('track', '=', track)
      .orderBy('seq')
      .execute();
  }

  async listByHearing(hearingId: string): Promise<Segment[]> {
    return this.db
      .selectFrom('segments')
      .selectAll()
      .where('hearing_id', '=', hearingId)
      .orderBy('track')
      .orderBy('seq')
      .execute();
  }

  async setVerifyState(key: string, state: SegmentVerifyState, at: number): Promise<void> {
    await this.db
      .updateTable('segments')
      .set({ verify_state: state, verified_at: at })
      .where('object_key', '=', key)
      .execute();
  }

  async countByTrack(hearingId: string): Promise<{ track: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('segments')
      .select(['track', (eb) => eb.fn.countAll<number>().as('count')])
      .where('hearing_id', '=', hearingId)
      .groupBy('track')
      .orderBy('track')
      .execute();
    return rows.map((r) => ({ track: r.track, count: Number(r.count) }));
  }
}
