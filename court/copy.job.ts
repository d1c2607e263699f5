/**
 * The `copy.make` job (STYLE.md 2, thin): load the hearing and its segment rows; if the
 * hearing is gone, log and return; otherwise make the copy. Whoever enqueues it has
 * already applied the access policy: the payload says who gets the copy and which sealed
 * parts that viewer may not see.
 */
import type { Clock, Logger } from '../core/index.ts';
import type {
  AuditEvent,
  CopiesRepository,
  HearingsRepository,
  JobContext,
  JobPayloads,
  ObjectStore,
  SegmentsRepository,
} from '../storage/index.ts';
import type { CopyFrame } from '../media/index.ts';
import { makeCopy } from '../media/index.ts';

export interface CopyMakeDeps {
  objects: ObjectStore;
  hearings: Pick<HearingsRepository, 'find'>;
  segments: Pick<SegmentsRepository, 'listByHearing'>;
  /** The copy's record, for the page's progress bar and its final state. */
  copies: Pick<CopiesRepository, 'update'>;
  /** Each copy handed out is in the audit log with its SHA-256. */
  audit: { append(event: AuditEvent): Promise<unknown> };
  ffmpegPath: string;
  /** Scratch space for segments and the encode; a hearing's copy needs about its size again. */
  workDir: string;
  clock: Clock;
  logger: Logger;
  fontFile?: string;
  noticeSeconds?: number;
  frame?: CopyFrame;
}

export function copyMakeHandler(deps: CopyMakeDeps) {
  return async (payload: JobPayloads['copy.make'], context: JobContext): Promise<void> => {
    const log = deps.logger.child({
      hearingId: payload.hearingId,
      copyId: payload.copyId,
      jobId: context.jobId,
    });
    const hearing = await deps.hearings.find(payload.hearingId);
    if (!hearing) {
      log.warn('the hearing is gone; no copy made');
      return;
    }
    const segments = await deps.segments.listByHearing(payload.hearingId);
    await deps.copies.update(payload.copyId, { state: 'running', progress: 0 });
    let lastPct = -1;
    const result = await makeCopy({
      objects: deps.objects,
      segments,
      copyId: payload.copyId,
      range: { fromMs: payload.fromMs, toMs: payload.toMs },
      excludeRanges: payload.excludeRanges,
      viewer: { name: payload.viewerName },
      hearing: { id: hearing.id, caseNumber: hearing.case_number, title: hearing.title },
      ffmpegPath: deps.ffmpegPath,
      workDir: deps.workDir,
      clock: deps.clock,
      logger: log,
      fontFile: deps.fontFile,
      noticeSeconds: deps.noticeSeconds,
      frame: deps.frame,
      issuedAt: payload.requestedAtMs,
      onProgress: (pct) => {
        void context.progress(pct);
        // Whole percents only: the page polls, the catalog need not see every frame.
        if (Math.floor(pct) !== lastPct) {
          lastPct = Math.floor(pct);
          void deps.copies.update(payload.copyId, { progress: lastPct }).catch(() => undefined);
        }
      },
      signal: context.signal,
    }).catch(async (error: unknown) => {
      // Retried by the queue; the record shows the last error meanwhile.
      await deps.copies.update(payload.copyId, {
        state: 'failed',
        error: (error as Error).message.slice(0, 2000),
      });
      throw error;
    });
    await deps.copies.update(payload.copyId, {
      state: 'ready',
      progress: 100,
      mp4_key: result.mp4Key,
      txt_key: result.txtKey,
      sha256: result.sha256,
      size: result.size,
      error: null,
      finished_at: deps.clock.now(),
    });
    await deps.audit.append({
      actor: payload.viewerName,
      action: 'copy.issued',
      hearingId: payload.hearingId,
      target: `${result.mp4Key} sha256=${result.sha256}`,
      verdict: 'info',
      reason: payload.viewerUserId,
    });
    log.info({ ...result, viewerUserId: payload.viewerUserId }, 'copy made');
  };
}
