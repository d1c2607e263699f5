/**
 * The job queue interface, with two drivers: `inline` (the embedded default, jobs kept
 * in the catalog's `jobs` table) and `bull` (Redis, many workers). Both give the same
 * semantics: at-least-once delivery guarded by a lease/lock so a job normally runs once,
 * exponential backoff between attempts, idempotent job ids, and recovery of jobs whose
 * worker died. Generic over the payload map so tests can bring their own jobs.
 */
import type { JobHandlers, JobPayloads } from './job-types.ts';

export interface EnqueueOptions {
  /** Idempotent: enqueueing an id that already exists (in any state) is a no-op returning it. */
  jobId?: string;
  /** Total attempts including the first; default 5. */
  attempts?: number;
  /** Base of the exponential backoff between attempts, ms; default 1000, each wait capped at 5 min. */
  backoffMs?: number;
  /** Do not run before this many ms from now. */
  delayMs?: number;
}

/** `delayed` = waiting for its run time (a delayed enqueue or a backoff before a retry). */
export type JobQueueState = 'waiting' | 'active' | 'completed' | 'failed' | 'delayed';

export interface JobCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
}

export interface JobInfo {
  id: string;
  name: string;
  state: JobQueueState;
  /** Attempts started so far, including a running or successful one. */
  attempts: number;
  /** Message of the most recent failed attempt, kept after a later success; null if none failed. */
  lastError: string | null;
}

export interface StartOptions {
  /** Most jobs this instance runs at once (per process, not across the deployment). */
  concurrency: number;
}

export interface JobQueue<M extends object = JobPayloads> {
  readonly driver: 'inline' | 'bull';
  /** Validates the name (JOB_UNKNOWN) and that the payload is plain JSON (VALIDATION_FAILED). */
  enqueue<K extends keyof M & string>(name: K, payload: M[K], options?: EnqueueOptions): Promise<string>;
  /** Starts consuming with at most `concurrency` jobs at once; resolves when started. */
  start(handlers: JobHandlers<M>, options: StartOptions): Promise<void>;
  counts(): Promise<JobCounts>;
  getJob(id: string): Promise<JobInfo | null>;
  /** Resolves when the job completes or fails for good (for tests and the CLI). */
  waitFor(id: string, timeoutMs: number): Promise<'completed' | 'failed'>;
  health(): Promise<{ ok: boolean; detail: string }>;
  /** Stops taking jobs, waits for running ones (up to a grace period), closes connections. Safe to call twice. */
  close(): Promise<void>;
}
