/**
 * The embedded job queue: jobs live in the catalog's `jobs` table (SQLite or
 * PostgreSQL), so a restart loses nothing, and several processes may share one catalog.
 *
 * A worker claims a due job with one conditional UPDATE (`… WHERE id = ? AND (waiting
 * and due, or active with an expired lease)`) and takes it only if that UPDATE changed
 * the row. SQLite serialises writers; PostgreSQL re-checks the WHERE clause on the
 * latest row version after waiting for a concurrent updater (READ COMMITTED), so on
 * both only one worker wins. While the handler runs the worker renews its lease; a
 * worker that dies stops renewing and any live instance reclaims the job once the
 * lease expires. Writes after the claim are fenced by (lease_owner, attempts), so a
 * worker that lost its lease cannot overwrite the outcome of the one that took over.
 */
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import {
  BackendUnavailableError,
  ConflictError,
  HattamaError,
  SystemClock,
  errorMessage,
  silentLogger,
  type Clock,
  type Logger,
} from '../../core/index.ts';
import type { Catalog, CatalogSchema, Job } from '../catalog/index.ts';
import {
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
import type { EnqueueOptions, JobCounts, JobInfo, JobQueue, StartOptions } from './job-queue.ts';
import { assertCompleteHandlers, type JobContext, type JobHandlers, type JobPayloads } from './job-types.ts';
import { settlesWithin, waitForJob } from './wait-for-job.ts';

export interface InlineQueueOptions {
  catalog: Catalog;
  /** Value of the `jobs.queue` column; instances with different names never share jobs. */
  queueName?: string;
  /** Every job name this queue accepts; jobs with other names in the table are left alone. */
  names: readonly string[];
  logger?: Logger;
  /** Source of the times stored in the table; polling itself uses real timers. */
  clock?: Clock;
  /** How long a claim holds a job without renewal, ms (default 30 000); renewed every third of it. */
  leaseMs?: number;
  /** How often to look for due jobs, ms (default 1000); a local enqueue, delay or retry wakes the worker itself. */
  pollMs?: number;
  /** How long close() waits for running handlers before aborting them, ms (default 10 000). */
  closeGraceMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
/**
 * The poll finds what no wake-up announces here: jobs another process wrote into the same
 * catalog, and claims whose lease ran out. A local enqueue, delay or retry wakes the
 * worker itself, so the poll need not be quick; at 250 ms it cost an idle embedded service
 * 3–12 ms of CPU a second more than at one second (decision 0005).
 */
const DEFAULT_POLL_MS = 1000;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_ERROR_LENGTH = 4000;
/** After aborting at close, how long to wait for handlers that honour their signal. */
const ABORT_SETTLE_MS = 1000;
/** Claim rounds per poll: a round can lose every candidate to other instances. */
const CLAIM_ROUNDS = 3;

type AnyHandler = (payload: unknown, context: JobContext) => Promise<void>;

interface RunningJob {
  id: string;
  attempt: number;
  controller: AbortController;
  renewTimer: NodeJS.Timeout;
  finished: boolean;
  done: Promise<void>;
}

export class InlineJobQueue<M extends object = JobPayloads> implements JobQueue<M> {
  readonly driver = 'inline' as const;
  /** Lease owner: random per instance, so a restarted process never mistakes an old lease for its own. */
  readonly instanceId = `inline-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;

  private readonly db: Kysely<CatalogSchema>;
  private readonly queueName: string;
  private readonly names: readonly string[];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly closeGraceMs: number;

  private handlers: Record<string, AnyHandler> | null = null;
  private concurrency = 0;
  private readonly running = new Map<string, RunningJob>();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly wakeTimers = new Set<NodeJS.Timeout>();
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: InlineQueueOptions) {
    this.db = options.catalog.db;
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.names = [...options.names];
    this.logger = (options.logger ?? silentLogger()).child({ queue: this.queueName, driver: 'inline' });
    this.clock = options.clock ?? new SystemClock();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
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
    const id = opts.jobId ?? crypto.randomUUID();
    const now = this.clock.now();
    const result = await this.backend(() =>
      this.db
        .insertInto('jobs')
        .values({
          id,
          queue: this.queueName,
          name,
          payload: JSON.stringify(payload),
          state: 'waiting',
          attempts: 0,
          max_attempts: opts.attempts,
          backoff_ms: opts.backoffMs,
          run_at: now + opts.delayMs,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst(),
    );
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
      // `jobs.id` is the table's primary key, so ids are unique across queue names.
      const existing = await this.backend(() =>
        this.db.selectFrom('jobs').select('queue').where('id', '=', id).executeTakeFirst(),
      );
      if (existing && existing.queue !== this.queueName) {
        throw new ConflictError(`job id ${id} is already used in queue ${existing.queue}`, { jobId: id });
      }
      this.logger.debug({ jobId: id, job: name }, 'job already enqueued; kept the existing one');
      return id;
    }
    this.logger.debug({ jobId: id, job: name, delayMs: opts.delayMs }, 'job enqueued');
    this.wakeIn(opts.delayMs);
    return id;
  }

  async start(handlers: JobHandlers<M>, options: StartOptions): Promise<void> {
    this.assertOpen();
    if (this.handlers) throw new ConflictError('job queue already started');
    assertConcurrency(options.concurrency);
    assertCompleteHandlers(handlers, this.names);
    assertNoUnknownHandlers(handlers, this.names);
    this.handlers = handlers as unknown as Record<string, AnyHandler>;
    this.concurrency = options.concurrency;
    this.logger.info({ concurrency: this.concurrency, instance: this.instanceId }, 'job queue started');
    this.wake();
  }

  async counts(): Promise<JobCounts> {
    const now = this.clock.now();
    // One statement, so the numbers are one consistent snapshot.
    const rows = await this.backend(() =>
      this.db
        .selectFrom('jobs')
        .select((eb) => [
          'state',
          sql<number>`case when run_at > ${now} then 1 else 0 end`.as('later'),
          eb.fn.countAll().as('n'),
        ])
        .where('queue', '=', this.queueName)
        .groupBy(['state', 'later'])
        .execute(),
    );
    const counts: JobCounts = { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 };
    for (const row of rows) {
      const key = row.state === 'waiting' && Number(row.later) === 1 ? 'delayed' : row.state;
      counts[key] += Number(row.n);
    }
    return counts;
  }

  async getJob(id: string): Promise<JobInfo | null> {
    const row = await this.backend(() =>
      this.db
        .selectFrom('jobs')
        .select(['id', 'name', 'state', 'attempts', 'last_error', 'run_at'])
        .where('id', '=', id)
        .where('queue', '=', this.queueName)
        .executeTakeFirst(),
    );
    if (!row) return null;
    const delayed = row.state === 'waiting' && row.run_at > this.clock.now();
    return {
      id: row.id,
      name: row.name,
      state: delayed ? 'delayed' : row.state,
      attempts: row.attempts,
      lastError: row.last_error,
    };
  }

  waitFor(id: string, timeoutMs: number): Promise<'completed' | 'failed'> {
    return waitForJob({
      jobId: id,
      timeoutMs,
      intervalMs: Math.min(this.pollMs, 100),
      getJob: (jobId) => this.getJob(jobId),
      isClosed: () => this.closing !== null,
    });
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const catalog = await this.options.catalog.health();
    return { ok: catalog.ok, detail: `inline queue ${this.queueName}: ${catalog.detail}` };
  }

  /** Does not close the catalog: the caller opened it and may still use it. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // --- consuming -------------------------------------------------------------------

  private consuming(): boolean {
    return this.handlers !== null && this.closing === null;
  }

  /** Look for work now (after an enqueue or a finished job), or soon if a poll is running. */
  private wake(): void {
    if (!this.consuming()) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    clearTimeout(this.pollTimer);
    this.ticking = this.tick();
  }

  /** Wake when a job this process delayed (a delay, a retry's backoff) becomes due, not a poll later. */
  private wakeIn(ms: number): void {
    if (!this.consuming()) return;
    if (ms <= 0) return this.wake();
    if (ms > MAX_TIMER_MS) return; // weeks away: a poll finds it
    const timer = setTimeout(() => {
      this.wakeTimers.delete(timer);
      this.wake();
    }, ms);
    this.wakeTimers.add(timer);
  }

  private async tick(): Promise<void> {
    try {
      do {
        this.tickAgain = false;
        await this.claimDueJobs();
      } while (this.tickAgain && this.consuming());
    } catch (error) {
      this.logger.warn({ err: error }, 'looking for due jobs failed; will retry at the next poll');
    } finally {
      this.ticking = null;
      if (this.consuming()) {
        clearTimeout(this.pollTimer);
        this.pollTimer = setTimeout(() => this.wake(), this.pollMs);
      }
    }
  }

  private freeSlots(): number {
    return this.consuming() ? this.concurrency - this.running.size : 0;
  }

  private async claimDueJobs(): Promise<void> {
    for (let round = 0; round < CLAIM_ROUNDS && this.freeSlots() > 0; round++) {
      const now = this.clock.now();
      const candidates = await this.db
        .selectFrom('jobs')
        .select(['id', 'state', 'attempts', 'max_attempts'])
        .where('queue', '=', this.queueName)
        .where('name', 'in', [...this.names])
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'waiting'), eb('run_at', '<=', now)]),
            eb.and([eb('state', '=', 'active'), eb('lease_until', '<', now)]),
          ]),
        )
        .orderBy('run_at')
        .orderBy('created_at')
        .limit(this.freeSlots() + 2)
        .execute();
      if (candidates.length === 0) return;
      for (const candidate of candidates) {
        if (this.freeSlots() <= 0) return;
        // Never reclaim our own running job, even if a stalled event loop let its lease lapse.
        if (this.running.has(candidate.id)) continue;
        if (candidate.state === 'active' && candidate.attempts >= candidate.max_attempts) {
          await this.failAbandoned(candidate.id, now);
          continue;
        }
        const row = await this.claim(candidate.id, now);
        if (row) this.run(row);
      }
    }
  }

  private claim(id: string, now: number): Promise<Job | undefined> {
    return this.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'active',
        attempts: eb('attempts', '+', 1),
        lease_owner: this.instanceId,
        lease_until: now + this.leaseMs,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('queue', '=', this.queueName)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'waiting'), eb('run_at', '<=', now)]),
          eb.and([
            eb('state', '=', 'active'),
            eb('lease_until', '<', now),
            eb('attempts', '<', eb.ref('max_attempts')),
          ]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
  }

  /** The worker died (or hung) on the last allowed attempt: record that, do not run it again. */
  private async failAbandoned(id: string, now: number): Promise<void> {
    const result = await this.db
      .updateTable('jobs')
      .set({
        state: 'failed',
        last_error: 'worker stopped renewing its lease on the last attempt (process died or hung)',
        lease_owner: null,
        lease_until: null,
        finished_at: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('state', '=', 'active')
      .where('lease_until', '<', now)
      .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0)
      this.logger.warn({ jobId: id }, 'job abandoned by its worker on the last attempt; failed');
  }

  private run(row: Job): void {
    const controller = new AbortController();
    const logger = this.logger.child({ jobId: row.id, job: row.name, attempt: row.attempts });
    const entry: RunningJob = {
      id: row.id,
      attempt: row.attempts,
      controller,
      finished: false,
      renewTimer: setInterval(
        () => void this.renewLease(entry, logger),
        Math.max(10, Math.floor(this.leaseMs / 3)),
      ),
      done: Promise.resolve(),
    };
    this.running.set(row.id, entry);
    entry.done = this.execute(row, entry, logger).finally(() => {
      clearInterval(entry.renewTimer);
      this.running.delete(row.id);
      this.wake();
    });
  }

  private async execute(row: Job, entry: RunningJob, logger: Logger): Promise<void> {
    const handler = this.handlers?.[row.name];
    const context: JobContext = {
      jobId: row.id,
      attempt: entry.attempt,
      logger,
      signal: entry.controller.signal,
      // No progress column in `jobs`: progress is logged, not stored.
      progress: async (pct) => logger.debug({ progress: pct }, 'job progress'),
    };
    logger.debug('job started');
    let failure: Error | null = null;
    try {
      if (!handler) throw new HattamaError('JOB_HANDLER_MISSING', `no handler for job ${row.name}`);
      await handler(JSON.parse(row.payload) as unknown, context);
    } catch (thrown) {
      failure = asError(thrown);
    }
    entry.finished = true;
    try {
      if (failure) await this.recordFailure(row, entry, failure, logger);
      else await this.recordSuccess(row, entry, logger);
    } catch (error) {
      // The lease will lapse and another attempt will run: at-least-once, never lost.
      logger.error(
        { err: error },
        'could not record the job outcome; it will be retried after its lease expires',
      );
    }
  }

  private async recordSuccess(row: Job, entry: RunningJob, logger: Logger): Promise<void> {
    const now = this.clock.now();
    const result = await this.fenced(entry)
      .set({ state: 'completed', lease_owner: null, lease_until: null, finished_at: now, updated_at: now })
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      logger.warn('job finished after its lease was lost; another worker owns it now');
      return;
    }
    logger.info({ runMs: now - row.updated_at }, 'job completed');
  }

  private async recordFailure(row: Job, entry: RunningJob, error: Error, logger: Logger): Promise<void> {
    const now = this.clock.now();
    const lastError = error.message.slice(0, MAX_ERROR_LENGTH);
    const retry = entry.attempt < row.max_attempts;
    const wait = backoffDelay(row.backoff_ms, entry.attempt);
    const result = await this.fenced(entry)
      .set(
        retry
          ? {
              state: 'waiting',
              run_at: now + wait,
              last_error: lastError,
              lease_owner: null,
              lease_until: null,
              updated_at: now,
            }
          : {
              state: 'failed',
              last_error: lastError,
              lease_owner: null,
              lease_until: null,
              finished_at: now,
              updated_at: now,
            },
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      logger.warn({ err: error }, 'job failed after its lease was lost; another worker owns it now');
      return;
    }
    if (retry) {
      logger.warn({ err: error, retryInMs: wait }, 'job attempt failed; will retry');
      this.wakeIn(wait);
    } else {
      logger.error({ err: error, attempts: entry.attempt }, 'job failed for good');
    }
  }

  /** An UPDATE that only touches the job while this instance still holds this attempt's lease. */
  private fenced(entry: RunningJob) {
    return this.db
      .updateTable('jobs')
      .where('id', '=', entry.id)
      .where('state', '=', 'active')
      .where('lease_owner', '=', this.instanceId)
      .where('attempts', '=', entry.attempt);
  }

  private async renewLease(entry: RunningJob, logger: Logger): Promise<void> {
    if (entry.finished || entry.controller.signal.aborted) return;
    const now = this.clock.now();
    try {
      const result = await this.fenced(entry)
        .set({ lease_until: now + this.leaseMs, updated_at: now })
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0 && !entry.finished) {
        logger.warn('job lease lost (another worker reclaimed it); aborting this run');
        entry.controller.abort(new ConflictError(`lease on job ${entry.id} was lost`, { jobId: entry.id }));
      }
    } catch (error) {
      logger.warn({ err: error }, 'renewing the job lease failed; will try again');
    }
  }

  // --- closing ---------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    clearTimeout(this.pollTimer);
    for (const timer of this.wakeTimers) clearTimeout(timer);
    this.wakeTimers.clear();
    await this.ticking;
    if (this.running.size === 0) return;
    const allDone = Promise.allSettled([...this.running.values()].map((r) => r.done));
    if (await settlesWithin(allDone, this.closeGraceMs)) return;
    for (const entry of this.running.values()) {
      // Stop renewing: the lease lapses and a live instance (or this one, restarted) retries the job.
      clearInterval(entry.renewTimer);
      entry.controller.abort(new BackendUnavailableError('job queue', 'closing; grace period over'));
      this.logger.warn({ jobId: entry.id }, 'job still running at close; aborted, will be retried');
    }
    // Handlers that honour the signal get a moment to record their failure (a prompt
    // retry) before the caller closes the catalog; the others are left to their lease.
    await settlesWithin(allDone, ABORT_SETTLE_MS);
  }

  private assertOpen(): void {
    if (this.closing)
      throw new BackendUnavailableError('job queue', `inline queue ${this.queueName} is closed`);
  }

  /** Catalog errors (connection refused, disk full) become BACKEND_UNAVAILABLE. */
  private async backend<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (error instanceof HattamaError) throw error;
      throw new BackendUnavailableError('catalog', errorMessage(error), { cause: error });
    }
  }
}
