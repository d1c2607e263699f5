/**
 * `waitFor` for both drivers: polls the job's stored state, because the job may finish
 * in another process (a scaled-out worker, or a peer that reclaimed it).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { BackendUnavailableError, HattamaError, NotFoundError } from '../../core/index.ts';
import type { JobInfo } from './job-queue.ts';

/** The job did not finish in time. Not a failure of the job: it may still finish later. */
export class JobWaitTimeoutError extends HattamaError {
  constructor(jobId: string, timeoutMs: number, state: string) {
    super('JOB_TIMEOUT', `job ${jobId} did not finish within ${timeoutMs} ms (state ${state})`, {
      expected: true,
      status: 504,
      details: { jobId, timeoutMs, state },
    });
  }
}

export interface WaitForJobOptions {
  jobId: string;
  timeoutMs: number;
  intervalMs: number;
  getJob(id: string): Promise<JobInfo | null>;
  isClosed(): boolean;
}

export async function waitForJob(options: WaitForJobOptions): Promise<'completed' | 'failed'> {
  const { jobId, timeoutMs, intervalMs } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (options.isClosed()) throw new BackendUnavailableError('job queue', 'closed while waiting for a job');
    const job = await options.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`, { jobId });
    if (job.state === 'completed' || job.state === 'failed') return job.state;
    const left = deadline - Date.now();
    if (left <= 0) throw new JobWaitTimeoutError(jobId, timeoutMs, job.state);
    await delay(Math.min(intervalMs, left));
  }
}

/** Whether `promise` settled within `ms`; the timer never outlives the call. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
