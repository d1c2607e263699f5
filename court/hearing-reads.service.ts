/**
 * Reading hearings: the list (a page of what a viewer may see), one hearing's detail with
 * its markers as far as this viewer may read them, its microphone mapping, and its
 * manifest. Every read goes through the access policy with a person and an origin; the
 * adapters (web routes) only validate and respond.
 *
 * A list leaving hearings out is not a refusal: `visible` decides a whole page in a few
 * queries and writes no audit entry per row. Opening one hearing is decided and audited
 * as before (`AccessService`).
 */
import { NotFoundError, ValidationError, isoTime, type Clock, type TimeRange } from '../core/index.ts';
import type { Readable } from 'node:stream';
import {
  parseManifest,
  redactManifest,
  serializeManifest,
  type Hearing,
  type HearingState,
  type Marker,
  type ObjectStore,
  type Repositories,
} from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import {
  decide,
  sealedPartsOf,
  seesSealedRanges,
  type Decision,
  type HearingFacts,
  type Viewer,
} from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

export interface HearingListQuery {
  caseNumber?: string | undefined;
  courtId?: string | undefined;
  /** UTC ms, inclusive: hearings whose time (started, else scheduled, else created) is at or after. */
  fromMs?: number | undefined;
  /** UTC ms, exclusive. */
  toMs?: number | undefined;
  state?: HearingState | undefined;
  limit: number;
  /** The opaque `next` of the previous page. */
  cursor?: string | undefined;
}

/** One hearing of a list, with whether this viewer may play it. */
export interface VisibleHearing {
  hearing: Hearing;
  play: Decision;
}

/** A marker as this viewer may read it: `text` is null where the recording may not be played. */
export interface MarkerRead {
  id: string;
  kind: string;
  at: string;
  end: string | null;
  text: string | null;
  author: string;
}

/** The largest page; more rows per request would let one caller tie up the catalog. */
export const MAX_PAGE = 200;

export class HearingReadsService {
  constructor(
    private readonly d: {
      repos: Repositories;
      access: AccessService;
      objects: ObjectStore;
      clock: Clock;
    },
  ) {}

  /**
   * Decides `hearing.view` and `recording.play` for a page of hearings: the viewer and the
   * place once, the courtrooms once, the sealed ranges of all of them in ONE query. Returns
   * the hearings the viewer may see, in the given order. Writes no audit entry.
   */
  async visible(user: Person, origin: Origin, hearings: readonly Hearing[]): Promise<VisibleHearing[]> {
    if (hearings.length === 0) return [];
    const [viewer, place, rooms, sealed] = await Promise.all([
      this.d.access.viewerFor(user),
      this.d.access.placeOf(origin),
      this.d.repos.courts.listCourtrooms(),
      this.d.repos.sealedRanges.listByHearings(hearings.map((h) => h.id)),
    ]);
    return this.decidePage(viewer, place, new Map(rooms.map((r) => [r.id, r.court_id])), sealed, hearings);
  }

  private decidePage(
    viewer: Viewer,
    place: Awaited<ReturnType<AccessService['placeOf']>>,
    courtOf: ReadonlyMap<string, string>,
    sealed: readonly { hearing_id: string; start_ms: number; end_ms: number }[],
    hearings: readonly Hearing[],
  ): VisibleHearing[] {
    const rangesOf = new Map<string, TimeRange[]>();
    for (const r of sealed) {
      const list = rangesOf.get(r.hearing_id) ?? [];
      list.push({ startMs: r.start_ms, endMs: r.end_ms });
      rangesOf.set(r.hearing_id, list);
    }
    const nowMs = this.d.clock.now();
    const out: VisibleHearing[] = [];
    for (const hearing of hearings) {
      const facts = factsOf(hearing, courtOf.get(hearing.courtroom_id) ?? '', rangesOf.get(hearing.id) ?? []);
      if (!decide({ viewer, hearing: facts, action: 'hearing.view', place, nowMs }).allow) continue;
      out.push({ hearing, play: decide({ viewer, hearing: facts, action: 'recording.play', place, nowMs }) });
    }
    return out;
  }

  /**
   * A page of the hearings this viewer may see, newest first. The filters and the viewer's
   * reach (their cases, courts, or hearings they staff) narrow the rows in SQL; the policy
   * then decides each row. A page is filled up to `limit` by reading on when the policy
   * leaves rows out, so a short page means the end: `next` is null only then.
   */
  async list(
    user: Person,
    origin: Origin,
    query: HearingListQuery,
  ): Promise<{ hearings: VisibleHearing[]; next: string | null }> {
    const limit = Math.min(Math.max(1, query.limit), MAX_PAGE);
    const [viewer, place, rooms] = await Promise.all([
      this.d.access.viewerFor(user),
      this.d.access.placeOf(origin),
      this.d.repos.courts.listCourtrooms(),
    ]);
    const scope = scopeOf(viewer);
    if (scope === 'none') return { hearings: [], next: null };
    const courtOf = new Map(rooms.map((r) => [r.id, r.court_id]));
    let after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const out: VisibleHearing[] = [];
    // Read one more than needed to know whether a next page exists; read in batches until
    // the page is full or the rows run out (twice what is missing, as the policy may leave some out).
    for (;;) {
      const want = limit + 1 - out.length;
      const batch = Math.min(MAX_PAGE + 1, want * 2);
      const rows = await this.d.repos.hearings.page({
        caseNumber: query.caseNumber,
        courtId: query.courtId,
        fromMs: query.fromMs,
        toMs: query.toMs,
        state: query.state,
        scope: scope === 'all' ? undefined : scope,
        after,
        limit: batch,
      });
      const sealed = await this.d.repos.sealedRanges.listByHearings(rows.map((h) => h.id));
      for (const v of this.decidePage(viewer, place, courtOf, sealed, rows)) {
        out.push(v);
        if (out.length > limit) break;
      }
      if (out.length > limit) {
        const page = out.slice(0, limit);
        return { hearings: page, next: cursorOf(page[page.length - 1]!.hearing) };
      }
      if (rows.length < batch) return { hearings: out, next: null };
      const last = rows[rows.length - 1]!;
      after = { createdAt: last.created_at, id: last.id };
    }
  }

  /**
   * One hearing as this viewer may see it. `hearing.view` is required (refusals audited);
   * the `recording.play` decision (audited, as the player's) says which parts this viewer
   * may not see: a marker there is left out; where the recording may not be played at all,
   * markers keep their times and kinds but lose their text.
   */
  async detail(user: Person, origin: Origin, id: string) {
    const hearing = await this.find(id);
    await this.d.access.require({ user, origin, hearing, action: 'hearing.view' });
    const play = await this.d.access.decide({ user, origin, hearing, action: 'recording.play' });
    const staff = seesSealedRanges(
      { userId: user.id },
      { judgeUserId: hearing.judge_user_id, secretaryUserId: hearing.secretary_user_id },
    );
    const [segments, speakers, trackRows, markerRows, sealedRows] = await Promise.all([
      this.d.repos.segments.listByHearing(id),
      this.d.repos.speakers.speakersOfHearing(id),
      this.d.repos.hearings.listTracks(id),
      this.d.repos.markers.listByHearing(id),
      this.d.repos.sealedRanges.listByHearing(id),
    ]);
    // The parts this viewer may not see: what the play decision excludes; when playing is
    // refused, every sealed part unless this viewer is among the seal's readers.
    const hidden: readonly TimeRange[] = play.allow
      ? play.excludeRanges
      : staff
        ? []
        : sealedPartsOf({ sealedRanges: sealedRows.map((r) => ({ startMs: r.start_ms, endMs: r.end_ms })) });
    const speakerOf = new Map(speakers.map((s) => [s.track, s.name]));
    const tracks = trackRows.map((t) => {
      const own = segments.filter((s) => s.track === t.name);
      return {
        name: t.name,
        kind: t.kind,
        codec: t.codec,
        sampleRate: t.sample_rate,
        channels: t.channels,
        // The secretary's mapping, else what the recorder said (nothing, today).
        speaker: speakerOf.get(t.name) ?? t.speaker,
        segments: own.length,
        durationMs: own.reduce((sum, s) => sum + s.duration_ms, 0),
        verified: own.filter((s) => s.verify_state === 'ok').length,
        failedVerification: own.filter((s) => s.verify_state === 'failed').map((s) => s.seq),
      };
    });
    const markers: MarkerRead[] = markerRows
      .filter((m) => !markerTouches(m, hidden))
      .map((m) => ({
        id: m.id,
        kind: m.kind,
        at: isoTime(m.at_ms),
        end: m.end_ms === null ? null : isoTime(m.end_ms),
        text: play.allow ? m.text : null,
        author: m.author,
      }));
    const sealedRanges = staff
      ? sealedRows.map((r) => ({
          id: r.id,
          start: isoTime(r.start_ms),
          end: isoTime(r.end_ms),
          reason: r.reason,
        }))
      : undefined;
    return { hearing, play, tracks, speakers, markers, sealedRanges };
  }

  /** The microphone mapping; `hearing.view` is required. */
  async speakers(user: Person, origin: Origin, id: string) {
    const hearing = await this.find(id);
    await this.d.access.require({ user, origin, hearing, action: 'hearing.view' });
    return this.d.repos.speakers.speakersOfHearing(id);
  }

  /**
   * The recording's manifest for a viewer who may play the hearing (`recording.play`,
   * audited). The hearing's staff and assigned higher-court judges (nothing excluded) get
   * the stored bytes as they are; a viewer kept from sealed parts gets the same bytes from
   * a v2 manifest (markers commit to their text, so there is nothing to remove), and from a
   * v1 manifest a copy whose markers there lose their text (`redactManifest`).
   */
  async manifest(
    user: Person,
    origin: Origin,
    id: string,
  ): Promise<{ body: Readable | Buffer; sha256: string; redacted: boolean }> {
    const hearing = await this.find(id);
    const allowed = await this.d.access.require({
      user,
      origin,
      hearing,
      action: 'recording.play',
      target: 'manifest.json',
    });
    if (!hearing.manifest_key || !hearing.manifest_sha256)
      throw new NotFoundError('the manifest is written when the stopped hearing is fully delivered');
    const stored = await this.d.objects.get(hearing.manifest_key);
    if (allowed.excludeRanges.length === 0)
      return { body: stored, sha256: hearing.manifest_sha256, redacted: false };
    const bytes = await readAll(stored);
    const { manifest, changed } = redactManifest(parseManifest(bytes), (m) =>
      markerTouches(
        { at_ms: Date.parse(m.at), end_ms: m.end === null ? null : Date.parse(m.end) },
        allowed.excludeRanges,
      ),
    );
    return changed
      ? { body: serializeManifest(manifest).bytes, sha256: hearing.manifest_sha256, redacted: true }
      : { body: bytes, sha256: hearing.manifest_sha256, redacted: false };
  }

  private async find(id: string): Promise<Hearing> {
    const h = await this.d.repos.hearings.find(id);
    if (!h) throw new NotFoundError(`hearing ${id} does not exist`);
    return h;
  }
}

/** Whether a marker (a point, or a span up to `end_ms`) touches any of `ranges` ([start, end)). */
export function markerTouches(m: Pick<Marker, 'at_ms' | 'end_ms'>, ranges: readonly TimeRange[]): boolean {
  const end = m.end_ms ?? m.at_ms;
  return ranges.some((r) =>
    end === m.at_ms ? m.at_ms >= r.startMs && m.at_ms < r.endMs : m.at_ms < r.endMs && end > r.startMs,
  );
}

function factsOf(hearing: Hearing, courtId: string, sealedRanges: readonly TimeRange[]): HearingFacts {
  return {
    id: hearing.id,
    // A hearing not yet tied to a case has no participants: nobody reaches it as one.
    caseId: hearing.case_id ?? `no-case:${hearing.id}`,
    courtId,
    visibility: hearing.visibility,
    judgeUserId: hearing.judge_user_id,
    secretaryUserId: hearing.secretary_user_id,
    state: hearing.state,
    sealedRanges,
  };
}

/**
 * The rows a viewer could possibly see, as SQL can narrow them: a superset of what the
 * policy allows (the policy still decides each row), so a party's list of 20 hearings is
 * not found by reading a court's 10,000. Disabled accounts and administrators see none.
 */
function scopeOf(
  viewer: Viewer,
): 'none' | 'all' | { caseIds?: string[]; courtIds?: string[]; staffUserId?: string } {
  if (viewer.disabled) return 'none';
  switch (viewer.role) {
    case 'administrator':
      return 'none';
    case 'party':
    case 'representative':
      return { caseIds: viewer.caseLinks.map((l) => l.caseId) };
    case 'higher-court-judge':
    case 'auditor':
      return { caseIds: viewer.assignments.map((a) => a.caseId) };
    case 'judge':
      return { staffUserId: viewer.userId };
    case 'secretary':
      return { staffUserId: viewer.userId };
    case 'operator':
      return { courtIds: [...viewer.courtIds] };
    default:
      // A role string from an old row: nothing, never everything.
      viewer.role satisfies never;
      return 'none';
  }
}

/** `next`: the last row's (created_at, id), base64url; opaque to clients. */
function cursorOf(h: Hearing): string {
  return Buffer.from(JSON.stringify([h.created_at, h.id]), 'utf8').toString('base64url');
}

function parseCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string')
      return { createdAt: v[0] as number, id: v[1] };
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this server gave out', { field: 'cursor' });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
