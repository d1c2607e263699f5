/**
 * The one typed registry of Hattama's jobs. A job name is a key of `JobPayloads`; its
 * value is the payload. A handler map must cover every name (`JobHandlers`), so a job
 * added here without a handler does not compile, and `assertCompleteHandlers` refuses
 * to start a worker with one missing at run time (for maps built dynamically).
 * (After PeerTube `lib/job-queue/job-queue.ts` and Immich `job.repository.ts`.)
 */
import { HattamaError, type Logger } from '../../core/index.ts';

export interface JobPayloads {
  /** Re-hash a stored object and compare it with the SHA-256 and size the catalog holds. */
  'object.verify': { key: string; sha256: string; size: number };
  /**
   * Make a viewer's copy of a hearing: one MP4 with the lawful-use notice and a watermark,
   * and the notice as a text file beside it. Ids only: the job reads the copy's record and
   * decides again with the requester's current rights and the hearing's current sealed
   * ranges (court copies.service.ts), so nothing decided at request time is trusted. Jobs
   * queued with the older, longer payload carry these two ids as well and run unchanged.
   */
  'copy.make': {
    copyId: string;
    hearingId: string;
  };
}

export type JobName = keyof JobPayloads & string;

/** The same names at run time: queues refuse any other name (JOB_UNKNOWN). */
export const JOB_NAMES = ['object.verify', 'copy.make'] as const satisfies readonly JobName[];

// Compile-time check that JOB_NAMES lists the whole union: a name added to JobPayloads
// but not to JOB_NAMES fails here with "Type '<name>' does not satisfy the constraint 'never'".
type AssertNever<T extends never> = T;
export type JobNamesCoverPayloads = AssertNever<Exclude<JobName, (typeof JOB_NAMES)[number]>>;

export interface JobContext {
  jobId: string;
  /** 1-based: 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /** Carries `queue`, `jobId`, `job` (name) and `attempt`. */
  logger: Logger;
  /**
   * Aborted when the job should stop: the queue is closing and its grace period ran out,
   * or this worker lost the job's lease (another worker may now run it).
   */
  signal: AbortSignal;
  /** Reports progress, 0–100. Informational; never required for correctness. */
  progress(pct: number): Promise<void>;
}

/** Handles one job. Throwing (or rejecting) fails this attempt; the queue retries it. */
export type JobHandler<M extends object, K extends keyof M> = (
  payload: M[K],
  context: JobContext,
) => Promise<void>;

/** A complete handler map: leaving one job out is a compile error. */
export type JobHandlers<M extends object = JobPayloads> = { [K in keyof M]: JobHandler<M, K> };

/**
 * Refuses a handler map that misses any of `names` (HattamaError JOB_HANDLER_MISSING,
 * listing all missing names at once). Workers call it before taking any job.
 */
export function assertCompleteHandlers(handlers: object, names: readonly string[]): void {
  const map = handlers as Record<string, unknown>;
  const missing = names.filter((name) => typeof map[name] !== 'function');
  if (missing.length > 0) {
    throw new HattamaError('JOB_HANDLER_MISSING', `no handler for job(s): ${missing.join(', ')}`, {
      expected: false,
      details: { missing },
    });
  }
}
