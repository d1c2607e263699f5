/**
 * Copies (issue 6, "Copies"): a party or judge asks for the whole hearing or a time range;
 * a queued job makes a watermarked MP4 with the lawful-use notice (media `makeCopy`); the
 * page polls the copy's state and, once ready, gets short-lived links.
 *
 * The access policy is applied three times, not once (docs/decisions/0017-copies-rechecked.md):
 * - when asked for: `recording.download`, so a refusal is an immediate 403;
 * - when made: again with the requester's CURRENT rights and the hearing's CURRENT sealed
 *   ranges. A range sealed after the request is left out; a requester who may no longer
 *   have the recording gets no copy (the copy is `voided`, with the reason);
 * - when handed out: again, and a range sealed after the copy was made that the copy
 *   covers voids it instead of its links going out.
 * Every decision and every void is in the audit log, named by the requester's login.
 */
import crypto from 'node:crypto';
import {
  HattamaError,
  NotFoundError,
  isoTime,
  mergeRanges,
  type Clock,
  type Logger,
  type TimeRange,
} from '../core/index.ts';
import type {
  AuditEvent,
  Copy,
  CopyState,
  Hearing,
  JobContext,
  JobQueue,
  ObjectStore,
  Repositories,
} from '../storage/index.ts';
import { makeCopy, type CopyFrame } from '../media/index.ts';
import type { AccessService } from './access.service.ts';
import type { RefusalReason } from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

/**
 * Why a copy was voided: the policy's refusal when the copy was made, `sealed-after-copy`
 * when part of what it shows was sealed after it was made, `requester-unknown` when the
 * requester's account no longer exists.
 */
export type CopyVoidReason = RefusalReason | 'sealed-after-copy' | 'requester-unknown';

/** A copy as its requester sees it (GET /api/copies/:id). */
export interface CopyView {
  copyId: string;
  hearingId: string;
  state: CopyState;
  progress: number;
  requestedAt: string;
  finishedAt: string | null;
  sha256: string | null;
  size: number | null;
  error: string | null;
  /** Set when `state` is `voided`: why the copy was withdrawn (machine-readable, and for people). */
  voidReason: string | null;
  voidMessage: string | null;
  mp4Url?: string;
  noticeUrl?: string;
}

/** How the worker makes the MP4: the media side, unaware of any rule. */
export interface CopyMedia {
  ffmpegPath: string;
  /** Scratch space for segments and the encode; a hearing's copy needs about its size again. */
  workDir: string;
  fontFile?: string;
  noticeSeconds?: number;
  frame?: CopyFrame;
}

export interface CopiesServiceDeps {
  repos: Pick<Repositories, 'copies' | 'hearings' | 'segments' | 'users'>;
  access: Pick<AccessService, 'decide' | 'require' | 'requireCopy'>;
  objects: ObjectStore;
  queue: Pick<JobQueue, 'enqueue'>;
  audit: { append(event: AuditEvent): Promise<unknown> };
  clock: Clock;
  logger: Logger;
  /** Lifetime of the links handed out, seconds. */
  expirySeconds: number;
}

const SEALED_AFTER_COPY =
  'part of the hearing this copy shows was sealed after the copy was made; ask for a new copy';

export class CopiesService {
  constructor(private readonly d: CopiesServiceDeps) {}

  /** Decides `recording.download` (403 when refused), records the copy and queues its making. */
  async request(r: {
    person: Person;
    origin: Origin;
    hearingId: string;
    fromMs?: number | undefined;
    toMs?: number | undefined;
  }): Promise<{ copyId: string }> {
    const hearing = await this.hearing(r.hearingId);
    await this.d.access.require({
      user: r.person,
      hearing,
      action: 'recording.download',
      origin: r.origin,
      target: `${r.fromMs === undefined ? '-' : isoTime(r.fromMs)}/${r.toMs === undefined ? '-' : isoTime(r.toMs)}`,
    });
    const copyId = `cp-${crypto.randomUUID()}`;
    await this.d.repos.copies.insert({
      id: copyId,
      hearing_id: hearing.id,
      viewer_user_id: r.person.id,
      viewer_name: r.person.displayName,
      from_ms: r.fromMs ?? null,
      to_ms: r.toMs ?? null,
      state: 'queued',
      progress: 0,
      mp4_key: null,
      txt_key: null,
      sha256: null,
      size: null,
      error: null,
      requested_at: this.d.clock.now(),
      finished_at: null,
      excluded_ranges: null,
      void_reason: null,
      void_message: null,
      voided_at: null,
      requested_from: r.origin.address,
    });
    // Only the ids: who gets the copy and what is left out are decided when it is made.
    await this.d.queue.enqueue(
      'copy.make',
      { copyId, hearingId: hearing.id },
      { jobId: copyId, attempts: 3 },
    );
    return { copyId };
  }

  /**
   * The copy's state for the one who asked for it (`decideCopy`). Once ready, its links go
   * out only while the requester may still download the recording (403 otherwise), and
   * only if nothing it shows was sealed since it was made (else it is voided here).
   */
  async view(r: { person: Person; origin: Origin; copyId: string }): Promise<CopyView> {
    let copy = await this.d.repos.copies.find(r.copyId);
    if (!copy) throw new NotFoundError(`copy ${r.copyId} does not exist`);
    await this.d.access.requireCopy({ user: r.person, copy, origin: r.origin });
    if (copy.state !== 'ready' || !copy.mp4_key || !copy.txt_key) return viewOf(copy);
    const decision = await this.d.access.require({
      user: r.person,
      hearing: await this.hearing(copy.hearing_id),
      action: 'recording.download',
      origin: r.origin,
      target: copy.id,
    });
    const newlySealed = uncovered(
      clip(decision.excludeRanges, { fromMs: copy.from_ms, toMs: copy.to_ms }),
      recordedExclusions(copy),
    );
    if (newlySealed.length > 0) {
      copy = await this.void(copy, {
        person: r.person,
        origin: r.origin,
        reason: 'sealed-after-copy',
        message: SEALED_AFTER_COPY,
        detail: newlySealed.map((x) => `${isoTime(x.startMs)}/${isoTime(x.endMs)}`).join(' '),
      });
      return viewOf(copy);
    }
    const base = `hearing-${copy.hearing_id}-${copy.id.slice(3, 11)}`;
    const links = {
      mp4Url: await this.d.objects.presignGet(copy.mp4_key, {
        expirySeconds: this.d.expirySeconds,
        filename: `${base}.mp4`,
      }),
      noticeUrl: await this.d.objects.presignGet(copy.txt_key, {
        expirySeconds: this.d.expirySeconds,
        filename: `${base}.txt`,
      }),
    };
    await this.d.audit.append({
      actor: r.person.login,
      role: r.person.role,
      action: 'copy.download',
      hearingId: copy.hearing_id,
      target: `${copy.mp4_key} sha256=${copy.sha256}`,
      address: r.origin.address,
      verdict: 'allow',
    });
    return { ...viewOf(copy), ...links };
  }

  /**
   * Before a copy's bytes go out through a download link. The link is a bearer URL (unbound,
   * as on S3), handed out while the copy was good; a seal or a lost right since then must
   * stop it, not only the next `view`. So: the copy must still be ready, its requester may
   * still download the recording (decided as at making, from the address they asked from),
   * and nothing inside it may have been sealed since it was made (else it is voided here,
   * as in `view`). A refusal is audited and thrown (403, `details.reason`). Keys that are
   * not a copy's pass untouched.
   */
  async checkLink(r: { key: string; origin: Origin }): Promise<void> {
    const m = /^hearings\/([^/]+)\/copies\/([^/.]+)\.[a-z0-9]+$/.exec(r.key);
    if (!m) return;
    const refuse = async (copy: Copy | undefined, reason: string, message: string): Promise<never> => {
      await this.d.audit.append({
        actor: 'signed-url',
        role: null,
        action: 'copy.download',
        hearingId: m[1]!,
        target: copy ? `${copy.id} ${r.key}` : r.key,
        address: r.origin.address,
        verdict: 'refuse',
        reason,
      });
      throw new HattamaError('FORBIDDEN', message, { expected: true, status: 403, details: { reason } });
    };
    let copy = await this.d.repos.copies.find(m[2]!);
    if (!copy || copy.hearing_id !== m[1] || (copy.mp4_key !== r.key && copy.txt_key !== r.key))
      return refuse(copy, 'not-a-copy', 'this link is not one of a copy handed out');
    if (copy.state !== 'ready')
      return refuse(copy, copy.void_reason ?? 'copy-not-ready', copy.void_message ?? 'the copy is not ready');
    const account = copy.viewer_user_id ? await this.d.repos.users.find(copy.viewer_user_id) : undefined;
    const origin: Origin = { address: copy.requested_from };
    if (!account) {
      copy = await this.void(copy, {
        person: null,
        origin,
        reason: 'requester-unknown',
        message: 'the account that asked for this copy no longer exists',
      });
      return refuse(copy, 'requester-unknown', copy.void_message ?? '');
    }
    const person: Person = {
      id: account.id,
      login: account.login,
      displayName: account.display_name,
      role: account.role,
    };
    const decision = await this.d.access.decide({
      user: person,
      hearing: await this.hearing(copy.hearing_id),
      action: 'recording.download',
      origin,
      target: copy.id,
    });
    if (!decision.allow) {
      copy = await this.void(copy, { person, origin, reason: decision.reason, message: decision.message });
      return refuse(copy, decision.reason, decision.message);
    }
    const newlySealed = uncovered(
      clip(decision.excludeRanges, { fromMs: copy.from_ms, toMs: copy.to_ms }),
      recordedExclusions(copy),
    );
    if (newlySealed.length > 0) {
      copy = await this.void(copy, {
        person,
        origin,
        reason: 'sealed-after-copy',
        message: SEALED_AFTER_COPY,
        detail: newlySealed.map((x) => `${isoTime(x.startMs)}/${isoTime(x.endMs)}`).join(' '),
      });
      return refuse(copy, 'sealed-after-copy', SEALED_AFTER_COPY);
    }
  }

  /**
   * Makes a queued copy (the `copy.make` job): decides again as its requester now stands
   * and with the hearing's sealed ranges as they now are. Refused → voided, nothing made;
   * allowed → made without whatever is sealed for the requester now.
   */
  async make(r: {
    copy: Copy;
    hearing: Hearing;
    media: CopyMedia;
    job: Pick<JobContext, 'progress' | 'signal'>;
    logger: Logger;
  }): Promise<void> {
    const { copy, hearing, log } = { ...r, log: r.logger };
    if (copy.state === 'voided') {
      log.info({ reason: copy.void_reason }, 'the copy was voided; nothing made');
      return;
    }
    const origin: Origin = { address: copy.requested_from };
    const account = copy.viewer_user_id ? await this.d.repos.users.find(copy.viewer_user_id) : undefined;
    if (!account) {
      await this.void(copy, {
        person: null,
        origin,
        reason: 'requester-unknown',
        message: 'the account that asked for this copy no longer exists',
      });
      log.warn('the requester is gone; copy voided');
      return;
    }
    const person: Person = {
      id: account.id,
      login: account.login,
      displayName: account.display_name,
      role: account.role,
    };
    const decision = await this.d.access.decide({
      user: person,
      hearing,
      action: 'recording.download',
      origin,
      target: copy.id,
    });
    if (!decision.allow) {
      await this.void(copy, { person, origin, reason: decision.reason, message: decision.message });
      log.info({ reason: decision.reason }, 'the requester may no longer have this copy; voided');
      return;
    }
    const segments = await this.d.repos.segments.listByHearing(hearing.id);
    await this.d.repos.copies.update(copy.id, { state: 'running', progress: 0 });
    let lastPct = -1;
    const result = await makeCopy({
      objects: this.d.objects,
      segments,
      copyId: copy.id,
      range: { fromMs: copy.from_ms ?? undefined, toMs: copy.to_ms ?? undefined },
      excludeRanges: decision.excludeRanges,
      // The watermark and the notice show the person's name; the audit log their login.
      viewer: { name: copy.viewer_name },
      hearing: { id: hearing.id, caseNumber: hearing.case_number, title: hearing.title },
      ...r.media,
      clock: this.d.clock,
      logger: log,
      // The time shown as the download time: a retried job draws the same watermark.
      issuedAt: copy.requested_at,
      onProgress: (pct) => {
        void r.job.progress(pct);
        // Whole percents only: the page polls, the catalog need not see every frame.
        if (Math.floor(pct) !== lastPct) {
          lastPct = Math.floor(pct);
          void this.d.repos.copies.update(copy.id, { progress: lastPct }).catch(() => undefined);
        }
      },
      signal: r.job.signal,
    }).catch(async (error: unknown) => {
      // Retried by the queue; the record shows the last error meanwhile.
      await this.d.repos.copies.update(copy.id, {
        state: 'failed',
        error: (error as Error).message.slice(0, 2000),
      });
      throw error;
    });
    await this.d.repos.copies.update(copy.id, {
      state: 'ready',
      progress: 100,
      mp4_key: result.mp4Key,
      txt_key: result.txtKey,
      sha256: result.sha256,
      size: result.size,
      error: null,
      finished_at: this.d.clock.now(),
      excluded_ranges: JSON.stringify(decision.excludeRanges),
    });
    await this.d.audit.append({
      actor: person.login,
      role: person.role,
      action: 'copy.issued',
      hearingId: hearing.id,
      target: `${result.mp4Key} sha256=${result.sha256}`,
      address: copy.requested_from,
      verdict: 'info',
      reason: result.sealedPartsLeftOut ? 'sealed parts left out' : null,
    });
    log.info({ ...result, requester: person.login }, 'copy made');
  }

  private async hearing(id: string): Promise<Hearing> {
    const hearing = await this.d.repos.hearings.find(id);
    if (!hearing) throw new NotFoundError(`hearing ${id} does not exist`);
    return hearing;
  }

  /** Marks the copy voided with its reason (its objects, if any, are never handed out) and audits it. */
  private async void(
    copy: Copy,
    v: {
      person: Person | null;
      origin: Origin;
      reason: CopyVoidReason;
      message: string;
      detail?: string;
    },
  ): Promise<Copy> {
    const now = this.d.clock.now();
    const changes = {
      state: 'voided' as const,
      void_reason: v.reason,
      void_message: v.message,
      voided_at: now,
      finished_at: copy.finished_at ?? now,
    };
    await this.d.repos.copies.update(copy.id, changes);
    await this.d.audit.append({
      actor: v.person?.login ?? copy.viewer_user_id ?? 'unknown',
      role: v.person?.role ?? null,
      action: 'copy.voided',
      hearingId: copy.hearing_id,
      target: v.detail ? `${copy.id} ${v.detail}` : copy.id,
      address: v.origin.address,
      verdict: 'refuse',
      reason: v.reason,
    });
    return { ...copy, ...changes };
  }
}

function viewOf(copy: Copy): CopyView {
  return {
    copyId: copy.id,
    hearingId: copy.hearing_id,
    state: copy.state,
    progress: copy.progress,
    requestedAt: isoTime(copy.requested_at),
    finishedAt: copy.finished_at === null ? null : isoTime(copy.finished_at),
    sha256: copy.state === 'voided' ? null : copy.sha256,
    size: copy.state === 'voided' ? null : copy.size,
    error: copy.state === 'failed' ? copy.error : null,
    voidReason: copy.state === 'voided' ? copy.void_reason : null,
    voidMessage: copy.state === 'voided' ? copy.void_message : null,
  };
}

/**
 * The sealed ranges the copy was made without. A copy made before they were recorded
 * (migration 0005) counts as made without any: a sealed range it covers voids it, which
 * costs its requester a new request, never a sealed part handed out.
 */
function recordedExclusions(copy: Copy): TimeRange[] {
  if (!copy.excluded_ranges) return [];
  const parsed = JSON.parse(copy.excluded_ranges) as TimeRange[];
  return mergeRanges(parsed);
}

/** The parts of `ranges` inside the copy's bounds (an absent bound is the recording's edge). */
function clip(
  ranges: readonly TimeRange[],
  bounds: { fromMs: number | null; toMs: number | null },
): TimeRange[] {
  const from = bounds.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = bounds.toMs ?? Number.POSITIVE_INFINITY;
  return ranges
    .map((x) => ({ startMs: Math.max(x.startMs, from), endMs: Math.min(x.endMs, to) }))
    .filter((x) => x.endMs > x.startMs);
}

/** The parts of `ranges` (half-open) that `by` does not cover. Exported for its unit test. */
export function uncovered(ranges: readonly TimeRange[], by: readonly TimeRange[]): TimeRange[] {
  const cover = mergeRanges(by);
  const out: TimeRange[] = [];
  for (const range of mergeRanges(ranges)) {
    let start = range.startMs;
    for (const c of cover) {
      if (c.endMs <= start || c.startMs >= range.endMs) continue;
      if (c.startMs > start) out.push({ startMs: start, endMs: c.startMs });
      start = Math.max(start, c.endMs);
      if (start >= range.endMs) break;
    }
    if (start < range.endMs) out.push({ startMs: start, endMs: range.endMs });
  }
  return out;
}
