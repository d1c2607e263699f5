/** Hearings and their tracks. I/O only: state transitions are decided by the hub's service. */
import type { CatalogDb } from '../catalog.ts';
import type { Hearing, HearingState, HearingUpdate, NewHearing, Track } from '../schema.ts';

/** A list's filters and its place (keyset, newest first: `created_at` desc, then `id` desc). */
export interface HearingPageQuery {
  caseNumber?: string;
  courtId?: string;
  /** Hearings whose time (started, else scheduled, else created; UTC ms) is ≥ fromMs. */
  fromMs?: number;
  /** … and < toMs. */
  toMs?: number;
  state?: HearingState;
  /**
   * Narrows the rows to those a viewer could possibly see (the court's access service
   * derives it from the viewer); the policy still decides every row. Absent: no narrowing.
   */
  scope?: {
    caseIds?: readonly string[];
    courtIds?: readonly string[];
    staffUserId?: string;
  };
  /** The last row of the previous page: rows strictly after it. */
  after?: { createdAt: number; id: string };
  limit: number;
}

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
   * One page of hearings, newest first, filtered in SQL so a court with thousands of
   * hearings is not read whole. Keyset paging on (created_at, id): rows inserted meanwhile
   * neither repeat nor shift a later page.
   */
  async page(q: HearingPageQuery): Promise<Hearing[]> {
    let s = this.db.selectFrom('hearings').selectAll();
    if (q.caseNumber !== undefined) s = s.where('case_number', '=', q.caseNumber);
    if (q.state !== undefined) s = s.where('state', '=', q.state);
    if (q.courtId !== undefined) {
      const courtId = q.courtId;
      s = s.where('courtroom_id', 'in', (db) =>
        db.selectFrom('courtrooms').select('id').where('court_id', '=', courtId),
      );
    }
    if (q.fromMs !== undefined || q.toMs !== undefined) {
      const { fromMs, toMs } = q;
      s = s.where((eb) => {
        const at = eb.fn.coalesce('started_at', 'scheduled_at', 'created_at');
        return eb.and([
          ...(fromMs !== undefined ? [eb(at, '>=', fromMs)] : []),
          ...(toMs !== undefined ? [eb(at, '<', toMs)] : []),
        ]);
      });
    }
    if (q.scope) {
      const { caseIds = [], courtIds = [], staffUserId } = q.scope;
      s = s.where((eb) =>
        eb.or([
          ...(caseIds.length > 0 ? [eb('case_id', 'in', caseIds)] : []),
          ...(courtIds.length > 0
            ? [
                eb(
                  'courtroom_id',
                  'in',
                  eb.selectFrom('courtrooms').select('id').where('court_id', 'in', courtIds),
                ),
              ]
            : []),
          ...(staffUserId !== undefined
            ? [eb('judge_user_id', '=', staffUserId), eb('secretary_user_id', '=', staffUserId)]
            : []),
        ]),
      );
    }
    if (q.after) {
      const { createdAt, id } = q.after;
      s = s.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      );
    }
    return s.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
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
