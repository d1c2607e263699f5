/**
 * Playback of a hearing's recording: the one door to its playlists and segments
 * (docs/decisions/0016).
 *
 * - A playlist is given after the policy's `recording.play` decision; a segment is
 *   served only if that decision still holds for the same viewer (their session), from
 *   the place the segment is fetched from, and the segment lies outside the viewer's
 *   excluded (sealed) ranges. The player fetches a segment every few seconds, so an
 *   allowing decision is kept per session, hearing and place for a few seconds, and
 *   dropped at once when the catalog's change token moves (a log-out, a disabled
 *   account, a new seal, a changed assignment). Without a change token (PostgreSQL)
 *   nothing is kept: every fetch is decided afresh.
 * - Playback is audited per viewing, not per request (docs/architecture.md: every read is in the
 *   audit log — "who, what, when, from where"): one `recording.play` entry when a viewing
 *   starts (the first playlist of a hearing in a session) and one `recording.viewed`
 *   entry with the span fetched per track (first and last wall-clock time) when the
 *   viewing has been idle for `idleMs`, or when the hub closes. Every refusal is audited
 *   on its own.
 */
import { NotFoundError, isoTime, type Clock, type Logger } from '../core/index.ts';
import type { AuditLog, CatalogChanges, Hearing, Repositories, Segment, Track } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import { AccessRefusedError, decide, type Allowed, type Decision, type TimeRange } from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

export type PlaybackSegment = Pick<
  Segment,
  'track' | 'seq' | 'start_ms' | 'duration_ms' | 'object_key' | 'size'
>;
export type PlaybackTrack = Pick<Track, 'name' | 'kind' | 'codec' | 'channels'> & { speaker?: string | null };

/** A hearing's tracks and segments, as the player's playlists need them. */
export interface PlaybackRows {
  tracks: readonly PlaybackTrack[];
  segments: readonly PlaybackSegment[];
}

/** Keeps the rows of finished hearings (the web adapter's HearingMediaCache fits). */
export interface PlaybackRowsCache {
  get(hearing: Hearing, load: () => Promise<PlaybackRows>): Promise<PlaybackRows>;
}

/** One viewer's request: who, from where, and the viewing it belongs to (their session's id). */
export interface PlaybackRequest {
  person: Person;
  origin: Origin;
  /** The session's id (SHA-256 of its token): URLs are bound to it and viewings keyed by it. */
  sessionId: string;
}

export interface PlaybackServiceDeps {
  access: AccessService;
  repos: Pick<Repositories, 'hearings' | 'segments'>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  changes?: CatalogChanges;
  rowsCache?: PlaybackRowsCache;
  /** A viewing with no fetch for this long is closed and its span audited; default 60 s. */
  idleMs?: number;
  /** How long an allowing decision is reused while the catalog is unchanged; default 5 s. */
  decisionTtlMs?: number;
}

/** Segment keys: hearings/<hearingId>/<track>/<seq:6>.<ext> (storage/objects/keys.ts). */
const SEGMENT_KEY = /^hearings\/([^/]+)\/([^/]+)\/(\d{6})\.[a-z0-9]+$/;
/** Room for the span of a few tracks; the audit log's target is free text. */
const MAX_TARGET = 1000;

interface Viewing {
  person: Person;
  hearingId: string;
  address: string | null;
  how: string;
  lastFetchMs: number;
  /** Per track: first wall-clock start and last wall-clock end fetched, and how many fetches. */
  spans: Map<string, { firstMs: number; lastMs: number; fetches: number }>;
}

interface CachedDecision {
  token: string;
  atMs: number;
  decision: Allowed;
  how: string;
}

export class PlaybackService {
  private readonly idleMs: number;
  private readonly ttlMs: number;
  private readonly viewings = new Map<string, Viewing>();
  private readonly decisions = new Map<string, CachedDecision>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly d: PlaybackServiceDeps) {
    this.idleMs = d.idleMs ?? 60_000;
    this.ttlMs = d.decisionTtlMs ?? 5_000;
  }

  /**
   * The rows behind a playlist (or a deep-link position) and what this viewer may not
   * see. Starts a viewing, audited once, when the session has none open of this hearing.
   * Throws AccessRefusedError (audited) on a refusal.
   */
  async playlist(
    r: PlaybackRequest & { hearing: Hearing; target: string },
  ): Promise<PlaybackRows & { excludeRanges: readonly TimeRange[] }> {
    const { decision, how } = await this.decideFor(r, r.hearing, r.target);
    const key = viewingKey(r.sessionId, r.hearing.id);
    const now = this.d.clock.now();
    const open = this.viewings.get(key);
    if (open) open.lastFetchMs = now;
    else {
      this.viewings.set(key, {
        person: r.person,
        hearingId: r.hearing.id,
        address: r.origin.address,
        how,
        lastFetchMs: now,
        spans: new Map(),
      });
      await this.d.audit.append({
        actor: r.person.login,
        role: r.person.role,
        action: 'recording.play',
        hearingId: r.hearing.id,
        target: `viewing started (${r.target})`.slice(0, MAX_TARGET),
        address: r.origin.address,
        verdict: 'allow',
        reason: how,
      });
      this.arm();
    }
    const load = async (): Promise<PlaybackRows> => ({
      tracks: await this.d.repos.hearings.listTracks(r.hearing.id),
      segments: await this.d.repos.segments.listByHearing(r.hearing.id),
    });
    const rows = this.d.rowsCache ? await this.d.rowsCache.get(r.hearing, load) : await load();
    return { ...rows, excludeRanges: decision.excludeRanges };
  }

  /**
   * Re-checks one segment fetch of a URL whose signature (bound to `sessionId`) the caller
   * has verified, so `key` names a segment the hub listed for this session. Refuses with
   * AccessRefusedError when the policy no longer allows the viewer from here, and with
   * NotFoundError when the segment is not theirs to see (sealed since, or not a segment);
   * both are audited. On success the fetch counts towards the viewing's span.
   */
  async segment(r: PlaybackRequest & { key: string }): Promise<void> {
    const m = SEGMENT_KEY.exec(r.key);
    const hearing = m ? await this.d.repos.hearings.find(m[1]!) : undefined;
    const segment =
      m && hearing ? await this.d.repos.segments.find(hearing.id, m[2]!, Number(m[3])) : undefined;
    if (!hearing || !segment || segment.object_key !== r.key) {
      await this.refusal(r, hearing?.id ?? null, r.key, 'not-a-segment');
      throw new NotFoundError(`object ${r.key} is not a segment of a hearing`);
    }
    const { decision, how } = await this.decideFor(r, hearing, r.key);
    const endMs = segment.start_ms + segment.duration_ms;
    if (decision.excludeRanges.some((x) => segment.start_ms < x.endMs && x.startMs < endMs)) {
      await this.refusal(r, hearing.id, r.key, 'sealed-range');
      throw new NotFoundError(`segment ${r.key} is not available to this viewer`, { hearingId: hearing.id });
    }
    const key = viewingKey(r.sessionId, hearing.id);
    const now = this.d.clock.now();
    let viewing = this.viewings.get(key);
    if (!viewing) {
      // A viewing whose playlist was fetched before it went idle: it goes on as a new one.
      viewing = {
        person: r.person,
        hearingId: hearing.id,
        address: r.origin.address,
        how,
        lastFetchMs: now,
        spans: new Map(),
      };
      this.viewings.set(key, viewing);
      this.arm();
    }
    viewing.lastFetchMs = now;
    const span = viewing.spans.get(segment.track);
    if (!span) viewing.spans.set(segment.track, { firstMs: segment.start_ms, lastMs: endMs, fetches: 1 });
    else {
      span.firstMs = Math.min(span.firstMs, segment.start_ms);
      span.lastMs = Math.max(span.lastMs, endMs);
      span.fetches++;
    }
  }

  /** Closes the viewings idle for `idleMs` (all of them with `all`), auditing each one's span. */
  async flushIdle(all = false): Promise<void> {
    const now = this.d.clock.now();
    for (const [key, v] of [...this.viewings]) {
      if (!all && now - v.lastFetchMs < this.idleMs) continue;
      this.viewings.delete(key);
      await this.d.audit.append({
        actor: v.person.login,
        role: v.person.role,
        action: 'recording.viewed',
        hearingId: v.hearingId,
        target: spanText(v).slice(0, MAX_TARGET),
        address: v.address,
        verdict: 'allow',
        reason: v.how,
      });
    }
  }

  /** Audits every open viewing and stops the timer; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushIdle(true);
  }

  /** How many viewings are open (for tests and health pages). */
  get openViewings(): number {
    return this.viewings.size;
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    const tick = Math.max(250, Math.floor(this.idleMs / 2));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushIdle()
        .catch((error: unknown) => this.d.logger.error({ err: error }, 'could not audit an idle viewing'))
        .finally(() => {
          if (this.viewings.size > 0) this.arm();
        });
    }, tick);
    this.timer.unref();
  }

  /** The policy's recording.play, reused for a few seconds while the catalog is unchanged. */
  private async decideFor(
    r: PlaybackRequest,
    hearing: Hearing,
    target: string,
  ): Promise<{ decision: Allowed; how: string }> {
    const cacheKey = `${r.sessionId}\n${hearing.id}\n${r.origin.address ?? ''}\n${r.origin.terminalToken ?? ''}`;
    const token = this.d.changes?.token() ?? null;
    const now = this.d.clock.now();
    const cached = this.decisions.get(cacheKey);
    if (
      token !== null &&
      cached &&
      cached.token === token &&
      now - cached.atMs < this.ttlMs &&
      now >= cached.atMs
    )
      return cached;
    const [viewer, facts, place] = await Promise.all([
      this.d.access.viewerFor(r.person),
      this.d.access.hearingFacts(hearing),
      this.d.access.placeOf(r.origin),
    ]);
    const decision: Decision = decide({
      viewer,
      hearing: facts,
      action: 'recording.play',
      place,
      nowMs: now,
    });
    if (!decision.allow) {
      this.decisions.delete(cacheKey);
      await this.refusal(r, hearing.id, target, decision.reason);
      throw new AccessRefusedError(decision.reason, decision.message);
    }
    const entry = { token: token ?? '', atMs: now, decision, how: place.how };
    if (token !== null) {
      this.decisions.set(cacheKey, entry);
      // Bounded: one entry per session, hearing and place; the oldest go first.
      while (this.decisions.size > 10_000) this.decisions.delete(this.decisions.keys().next().value!);
    }
    return entry;
  }

  private async refusal(r: PlaybackRequest, hearingId: string | null, target: string, reason: string) {
    await this.d.audit.append({
      actor: r.person.login,
      role: r.person.role,
      action: 'recording.play',
      hearingId,
      target: target.slice(0, MAX_TARGET),
      address: r.origin.address,
      verdict: 'refuse',
      reason,
    });
    this.d.logger.info({ user: r.person.login, hearingId, reason }, 'playback refused');
  }
}

function viewingKey(sessionId: string, hearingId: string): string {
  return `${sessionId}\n${hearingId}`;
}

/** e.g. "video 2026-12-07T10:00:00.000Z–2026-12-07T10:10:00.000Z (150 fetches); mix …". */
function spanText(v: Viewing): string {
  if (v.spans.size === 0) return 'viewing ended; no segment fetched';
  return [...v.spans]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([track, s]) => `${track} ${isoTime(s.firstMs)}–${isoTime(s.lastMs)} (${s.fetches} fetches)`)
    .join('; ');
}
