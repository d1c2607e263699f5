/**
 * The job queue: what other modules may use. One `if` in createJobQueue chooses the
 * driver; the bull driver is imported only when chosen (`await import`), so the embedded
 * default never loads bull or a Redis client. Only types come from bull-queue.ts here.
 */
import { InlineJobQueue, type InlineQueueOptions } from './inline-queue.ts';
import type { BullQueueOptions } from './bull-queue.ts';
import type { JobQueue } from './job-queue.ts';
import { JOB_NAMES, type JobPayloads } from './job-types.ts';

export * from './job-types.ts';
export type {
  EnqueueOptions,
  JobCounts,
  JobInfo,
  JobQueue,
  JobQueueState,
  StartOptions,
} from './job-queue.ts';
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_QUEUE_NAME,
  MAX_BACKOFF_MS,
  backoffDelay,
} from './job-checks.ts';
export { JobWaitTimeoutError } from './wait-for-job.ts';
export { InlineJobQueue, type InlineQueueOptions } from './inline-queue.ts';
export type { BullQueueOptions } from './bull-queue.ts';

/** `names` defaults to Hattama's JOB_NAMES; pass your own with a custom payload map. */
type WithNames<T> = Omit<T, 'names'> & { names?: readonly string[] };

export type JobQueueOptions =
  ({ driver: 'inline' } & WithNames<InlineQueueOptions>) | ({ driver: 'bull' } & WithNames<BullQueueOptions>);

export async function createJobQueue<M extends object = JobPayloads>(
  options: JobQueueOptions,
): Promise<JobQueue<M>> {
  const names = options.names ?? JOB_NAMES;
  if (options.driver === 'bull') {
    const { BullJobQueue } = await import('./bull-queue.ts');
    return BullJobQueue.create<M>({ ...options, names });
  }
  return new InlineJobQueue<M>({ ...options, names });
}
