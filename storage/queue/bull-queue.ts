/**
 * The scaled-out job queue on bull (Redis): one bull Queue per queue name, shared by any
 * number of worker processes. Imported only by `createJobQueue` when the bull driver is
 * chosen, so the embedded default never loads bull or a Redis client.
 *
 * Same semantics as the inline driver: the same name and payload checks, retries with
 * the same capped exponential backoff (a custom bull backoff strategy, because bull's
 * own 'exponential' waits (2^n − 1) × delay and has no cap), idempotent job ids, and
 * jobs of a dead worker recovered by bull's stalled-job checker once their lock lapses.
 */
import crypto from 'node:crypto';
import Bull from 'bull';
import {
  BackendUnavailableError,
  ConflictError,
  HattamaError,
  ValidationError,
  errorMessage,
  silentLogger,
  type Logger,
} from '../../core/index.ts';
import {
  DEFAULT_BACKOFF_MS,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_QUEUE_NAME,
  asError,
  assertConcurrency,
  assertJsonPayload,
  assertKnownJobName,
  assertNoUnknownHandlers,
  backoffDelay,
  resolveEnqueueOptions,
} from './job-checks.ts';
import type {
  EnqueueOptions,
  JobCounts,
  JobInfo,
  JobQueue,
  JobQueueState,
  StartOptions,
} from './job-queue.ts';
import { assertCompleteHandlers, type JobContext, type JobHandlers, type JobPayloads } from './job-types.ts';
import { settlesWithin, waitForJob } from './wait-for-job.ts';

export interface BullQueueOptions {
  redisUrl: string;
  /** Prefix of every Redis key; one per deployment (tests use one per run). */
  prefix: string;
  /** bull's queue name (default 'hattama'). */
  queueName?: string;
  /** Every job name this queue accepts. */
  names: readonly string[];
  logger?: Logger;
  /** How long a worker's lock on a running job lasts between renewals, ms (bull's lockDuration, default 30 000). */
  lockDurationMs?: number;
  /** How often live workers look for jobs whose lock lapsed (dead worker), ms (bull's stalledInterval, default 30 000). */
  stalledIntervalMs?: number;
  /** Recoveries from a dead worker before the job fails (bull's maxStalledCount, default 1). */
  maxStalledCount?: number;
  /** How long close() waits for running handlers before aborting them, ms (default 10 000). */
  closeGraceMs?: number;
  /** How long create() waits for Redis before BACKEND_UNAVAILABLE, ms (default 5000). */
  connectTimeoutMs?: number;
}

const BACKOFF_STRATEGY = 'hattama-exponential';
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const HEALTH_TIMEOUT_MS = 2000;
const DISCONNECT_TIMEOUT_MS = 5000;
/** After aborting at close, how long to wait for handlers that honour their signal. */
const ABORT_SETTLE_MS = 1000;

type AnyHandler = (payload: unknown, context: JobContext) => Promise<void>;

export class BullJobQueue<M extends object = JobPayloads> implements JobQueue<M> {
  readonly driver = 'bull' as const;

  private readonly queue: Bull.Queue;
  private readonly queueName: string;
  private readonly names: readonly string[];
  private readonly logger: Logger;
  private readonly closeGraceMs: number;
  private readonly target: string;
  private handlers: Record<string, AnyHandler> | null = null;
  /** Abort controllers of the jobs this process is running, by job id. */
  private readonly running = new Map<string, AbortController>();
  private closing: Promise<void> | null = null;

  /** Connects to Redis; BACKEND_UNAVAILABLE when it does not answer within connectTimeoutMs. */
  static async create<M extends object = JobPayloads>(options: BullQueueOptions): Promise<BullJobQueue<M>> {
    const queue = new BullJobQueue<M>(options);
    await queue.connect(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    return queue;
  }

  private constructor(options: BullQueueOptions) {
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.names = [...options.names];
    this.logger = (options.logger ?? silentLogger()).child({ queue: this.queueName, driver: 'bull' });
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.target = `redis ${redisHost(options.redisUrl)} prefix ${options.prefix}`; // never the password
    this.queue = new Bull(this.queueName, options.redisUrl, {
      prefix: options.prefix,
      settings: {
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? 1,
        backoffStrategies: {
          [BACKOFF_STRATEGY]: (attemptsMade: number, _error: Error, strategy?: { baseMs?: number }) =>
            backoffDelay(strategy?.baseMs ?? DEFAULT_BACKOFF_MS, attemptsMade),
        },
      },
    });
    // Without an 'error' listener an EventEmitter throws; Redis hiccups are logged, ioredis reconnects.
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'bull queue error'));
    this.queue.on('stalled', (job) =>
      this.logger.warn(
        { jobId: String(job.id), job: job.name },
        'job stalled (its worker died or hung); requeued',
      ),
    );
    // Renewing the lock failed (Redis error): another worker may take the job over, so stop
    // this run. (A lock lost silently is caught by bull itself, which refuses to complete the job.)
    this.queue.on('lock-extension-failed', (job: Bull.Job, error: unknown) => {
      const id = String(job.id);
      this.logger.warn({ jobId: id, err: error }, 'job lock lost; aborting this run');
      this.running.get(id)?.abort(new ConflictError(`lock on job ${id} was lost`, { jobId: id }));
    });
  }

  private async connect(timeoutMs: number): Promise<void> {
    // bull's isReady() does not wait for Redis; a PING does (ioredis queues it until connected).
    let answered: boolean;
    try {
      answered = await settlesWithin(
        this.queue.isReady().then(() => this.queue.client.ping()),
        timeoutMs,
      );
    } catch (error) {
      answered = false;
      this.logger.warn({ err: error }, 'Redis refused the connection');
    }
    if (!answered) {
      // close() would wait for the connection first; drop the clients directly.
      this.closing = this.disconnect();
      await this.closing;
      throw new BackendUnavailableError('Redis', `no answer from ${this.target} within ${timeoutMs} ms`);
    }
  }

  async enqueue<K extends keyof M & string>(
    name: K,
    payload: M[K],
    options?: EnqueueOptions,
  ): Promise<string> {
    this.assertOpen();
    assertKnownJobName(name, this.names);
    assertJsonPayload(payload);
    const opts = resolveEnqueueOptions(options);
    // Our own ids (not bull's counter) so a caller's jobId can never collide with a generated one.
    const jobId = opts.jobId ?? crypto.randomUUID();
    const job = await this.backend(() =>
      this.queue.add(name, payload, {
        jobId,
        attempts: opts.attempts,
        backoff: { type: BACKOFF_STRATEGY, options: { baseMs: opts.backoffMs } },
        ...(opts.delayMs > 0 ? { delay: opts.delayMs } : {}),
        // Kept, like the inline driver's rows: getJob() answers for finished jobs and a
        // re-enqueued jobId stays a no-op after completion.
        removeOnComplete: false,
        removeOnFail: false,
      }),
    );
    this.logger.debug({ jobId, job: name, delayMs: opts.delayMs }, 'job enqueued');
    return String(job.id);
  }

  async start(handlers: JobHandlers<M>, options: StartOptions): Promise<void> {
    this.assertOpen();
    if (this.handlers) throw new ConflictError('job queue already started');
    assertConcurrency(options.concurrency);
    assertCompleteHandlers(handlers, this.names);
    assertNoUnknownHandlers(handlers, this.names);
    this.handlers = handlers as unknown as Record<string, AnyHandler>;
    // One '*' processor: bull runs exactly `concurrency` fetch loops for it, so at most
    // `concurrency` jobs of any name run at once in this process. Named processors would
    // each get their own loops (names × concurrency).
    this.queue
      .process('*', options.concurrency, (job: Bull.Job) => this.runJob(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'bull stopped processing'));
    await this.backend(() => this.queue.isReady());
    this.logger.info({ concurrency: options.concurrency }, 'job queue started');
  }

  private async runJob(job: Bull.Job): Promise<void> {
    const id = String(job.id);
    const attempt = job.attemptsMade + (await this.stalledCount(id)) + 1;
    const logger = this.logger.child({ jobId: id, job: job.name, attempt });
    const handler = this.handlers?.[job.name];
    if (!handler) {
      // Left in Redis by another Hattama version; fails (and retries) like any error.
      throw new HattamaError('JOB_UNKNOWN', `no handler for job ${job.name}`, {
        details: { name: job.name },
      });
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    const context: JobContext = {
      jobId: id,
      attempt,
      logger,
      signal: controller.signal,
      progress: (pct) => job.progress(pct),
    };
    logger.debug('job started');
    try {
      await handler(job.data, context);
      logger.info('job completed');
    } catch (thrown) {
      const error = asError(thrown);
      const attempts = job.opts.attempts ?? 1;
      if (attempt < attempts) logger.warn({ err: error }, 'job attempt failed; will retry');
      else logger.error({ err: error, attempts }, 'job failed for good');
      throw error;
    } finally {
      this.running.delete(id);
    }
  }

  async counts(): Promise<JobCounts> {
    const counts = (await this.backend(() => this.queue.getJobCounts())) as Bull.JobCounts & {
      paused?: number;
    };
    return {
      waiting: counts.waiting + (counts.paused ?? 0),
      active: counts.active,
      completed: counts.completed,
      failed: counts.failed,
      delayed: counts.delayed,
    };
  }

  async getJob(id: string): Promise<JobInfo | null> {
    const job = await this.backend(() => this.queue.getJob(id));
    if (!job) return null;
    const bullState = await this.backend(() => job.getState());
    const state: JobQueueState = bullState === 'paused' || bullState === 'stuck' ? 'waiting' : bullState;
    const started = job.attemptsMade + (await this.stalledCount(id));
    const attempts = state === 'active' || state === 'completed' ? started + 1 : started;
    return { id: String(job.id), name: job.name, state, attempts, lastError: job.failedReason ?? null };
  }

  /**
   * Runs lost to a dead worker. bull's attemptsMade counts failed runs only; adding the
   * stalls makes `attempt` count every run started, as the inline driver does.
   */
  private async stalledCount(id: string): Promise<number> {
    const value = await this.queue.client.hget(this.queue.toKey(id), 'stalledCounter').catch(() => null);
    return Number(value ?? 0);
  }

  waitFor(id: string, timeoutMs: number): Promise<'completed' | 'failed'> {
    return waitForJob({
      jobId: id,
      timeoutMs,
      intervalMs: 50,
      getJob: (jobId) => this.getJob(jobId),
      isClosed: () => this.closing !== null,
    });
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const detail = `bull queue ${this.queueName} on ${this.target}`;
    try {
      const answered = await settlesWithin(this.queue.client.ping(), HEALTH_TIMEOUT_MS);
      return answered
        ? { ok: true, detail }
        : { ok: false, detail: `${detail}: no answer within ${HEALTH_TIMEOUT_MS} ms` };
    } catch (error) {
      return { ok: false, detail: `${detail}: ${errorMessage(error)}` };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.handlers) {
      // Local pause: this process takes no new jobs and waits for its running ones.
      const drained = this.queue.pause(true).catch(() => undefined);
      if (!(await settlesWithin(drained, this.closeGraceMs))) {
        for (const [id, controller] of this.running) {
          this.logger.warn({ jobId: id }, 'job still running at close; aborted, will be retried');
          controller.abort(new BackendUnavailableError('job queue', 'closing; grace period over'));
        }
        // Handlers that honour the signal get a moment to record their failure (a prompt
        // retry); the others are recovered by the stalled-job checker once the lock lapses.
        await settlesWithin(drained, ABORT_SETTLE_MS);
      }
    }
    // close(true): do not wait for jobs again; clears bull's timers and quits every client.
    const closed = await settlesWithin(
      this.queue.close(true).catch(() => undefined),
      DISCONNECT_TIMEOUT_MS,
    );
    if (!closed) await this.disconnect();
  }

  /** Quits every Redis client without waiting for readiness (bull has it; its typings do not). */
  private async disconnect(): Promise<void> {
    await (this.queue as Bull.Queue & { disconnect(): Promise<void> }).disconnect().catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closing)
      throw new BackendUnavailableError('job queue', `bull queue ${this.queueName} is closed`);
  }

  /** Redis errors become BACKEND_UNAVAILABLE; our own typed errors pass through. */
  private async backend<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof HattamaError) throw error;
      throw new BackendUnavailableError('Redis', errorMessage(error), { cause: error });
    }
  }
}

/** host:port of a redis:// URL, for log lines and health details; refuses a malformed URL. */
function redisHost(redisUrl: string): string {
  try {
    return new URL(redisUrl).host;
  } catch {
    // Not the URL itself in the message: it may carry a password.
    throw new ValidationError('redisUrl is not a valid URL (expected redis://host:port)');
  }
}
