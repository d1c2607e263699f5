/**
 * One contract, three backends: the inline driver on SQLite and on PostgreSQL, and the
 * bull driver on Redis. Every test gets its own queue name; every run its own SQLite
 * file, PostgreSQL schema and Redis key prefix, removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Bull from 'bull';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL, TEST_REDIS_URL, runId, serviceAvailable } from '../../test/support/services.ts';
import type { WorkerThatDiesSpec } from '../../test/fixtures/queue/worker-that-dies.ts';
import { Catalog, type CatalogOptions } from '../catalog/index.ts';
import { createJobQueue, type JobHandlers, type JobQueue } from './index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface TestJobs {
  'test.record': { n: number };
  /** Fails while the attempt number is below `succeedOn`. */
  'test.flaky': { succeedOn: number };
  'test.fail': { message: string };
  'test.slow': { ms: number };
  'test.hang': { note: string };
}
const NAMES = [
  'test.record',
  'test.flaky',
  'test.fail',
  'test.slow',
  'test.hang',
] as const satisfies readonly (keyof TestJobs)[];

/** A complete handler map where every job not overridden fails the test loudly. */
function handlers(overrides: Partial<JobHandlers<TestJobs>>): JobHandlers<TestJobs> {
  const unexpected = async (): Promise<void> => {
    throw new Error('unexpected job in this test');
  };
  return {
    'test.record': unexpected,
    'test.flaky': unexpected,
    'test.fail': unexpected,
    'test.slow': unexpected,
    'test.hang': unexpected,
    ...overrides,
  };
}

/** A queue instance with its own connections, as a separate process would have. */
interface Instance {
  queue: JobQueue<TestJobs>;
  /** Closes the queue, then whatever connections the backend opened for it. */
  shutdown(): Promise<void>;
}

interface Backend {
  open(queueName: string, options?: { closeGraceMs?: number }): Promise<Instance>;
  /** How a child process reaches the same backend and queue. */
  childSpec(queueName: string): WorkerThatDiesSpec;
}

// Short leases, polls and backoffs keep the whole file well under a minute.
const LEASE_MS = 1000;
const POLL_MS = 25;
const CLOSE_GRACE_MS = 2000;

function inlineBackend(catalogOptions: CatalogOptions): Backend {
  return {
    async open(queueName, options) {
      const catalog = await Catalog.open(catalogOptions);
      const queue = await createJobQueue<TestJobs>({
        driver: 'inline',
        catalog,
        queueName,
        names: NAMES,
        leaseMs: LEASE_MS,
        pollMs: POLL_MS,
        closeGraceMs: options?.closeGraceMs ?? CLOSE_GRACE_MS,
      });
      return {
        queue,
        async shutdown() {
          await queue.close();
          await catalog.close();
        },
      };
    },
    childSpec: (queueName) => ({
      driver: 'inline',
      catalog: catalogOptions,
      queueName,
      names: [...NAMES],
      leaseMs: LEASE_MS,
      pollMs: POLL_MS,
    }),
  };
}

function bullBackend(prefix: string): Backend {
  return {
    async open(queueName, options) {
      const queue = await createJobQueue<TestJobs>({
        driver: 'bull',
        redisUrl: TEST_REDIS_URL,
        prefix,
        queueName,
        names: NAMES,
        lockDurationMs: LEASE_MS,
        stalledIntervalMs: LEASE_MS / 2,
        closeGraceMs: options?.closeGraceMs ?? CLOSE_GRACE_MS,
      });
      return { queue, shutdown: () => queue.close() };
    },
    childSpec: (queueName) => ({
      driver: 'bull',
      redisUrl: TEST_REDIS_URL,
      prefix,
      queueName,
      names: [...NAMES],
      lockDurationMs: LEASE_MS,
      stalledIntervalMs: LEASE_MS / 2,
    }),
  };
}

/** Starts test/fixtures/queue/worker-that-dies.ts as a real child process. */
function spawnWorkerThatDies(spec: WorkerThatDiesSpec): ChildProcess {
  return spawn(
    process.execPath,
    ['bin/run-ts.js', 'test/fixtures/queue/worker-that-dies.ts', JSON.stringify(spec)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** The first stdout line matching `pattern`; rejects if the child exits first or time runs out. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`)),
      timeoutMs,
    );
    const onExit = (code: number | null) =>
      finish(new Error(`worker exited (${code}) early; stderr: ${stderr}`));
    function finish(outcome: Error | RegExpMatchArray) {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }
    lines.on('line', (line) => {
      const match = line.match(pattern);
      if (match) finish(match);
    });
    child.once('exit', onExit);
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function jobQueueContract(label: string, setup: () => Promise<Backend>) {
  let backend: Backend;
  const instances: Instance[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    backend = await setup();
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(killHard));
    await Promise.all(instances.splice(0).map((i) => i.shutdown()));
  });

  async function open(queueName: string): Promise<JobQueue<TestJobs>> {
    const instance = await backend.open(queueName);
    instances.push(instance);
    return instance.queue;
  }

  const queueName = () => runId('q');

  describe(label, () => {
    it('runs each enqueued job exactly once, with two instances competing for them', async () => {
      const name = queueName();
      const [a, b] = [await open(name), await open(name)];
      const runs: number[] = [];
      const record = handlers({
        'test.record': async ({ n }) => {
          runs.push(n);
          await sleep(Math.random() * 5);
        },
      });
      // Enqueued before either starts, so both race for the same due jobs from the first poll.
      const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => a.enqueue('test.record', { n })));
      expect(new Set(ids).size).toBe(50);
      await Promise.all([a.start(record, { concurrency: 4 }), b.start(record, { concurrency: 4 })]);
      for (const id of ids) expect(await a.waitFor(id, 15_000)).toBe('completed');
      await sleep(200); // a duplicate run would show up here
      expect(runs).toHaveLength(50);
      expect(new Set(runs).size).toBe(50);
      expect(await b.counts()).toEqual({ waiting: 0, active: 0, completed: 50, failed: 0, delayed: 0 });
    });

    it('retries a failing job with a backoff that grows between attempts', async () => {
      const queue = await open(queueName());
      const runs: { attempt: number; at: number }[] = [];
      await queue.start(
        handlers({
          'test.flaky': async ({ succeedOn }, { attempt }) => {
            runs.push({ attempt, at: performance.now() });
            if (attempt < succeedOn) throw new Error(`flaky attempt ${attempt}`);
          },
        }),
        { concurrency: 1 },
      );
      const id = await queue.enqueue('test.flaky', { succeedOn: 3 }, { attempts: 5, backoffMs: 150 });
      expect(await queue.waitFor(id, 10_000)).toBe('completed');
      expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
      const [first, second] = [runs[1]!.at - runs[0]!.at, runs[2]!.at - runs[1]!.at];
      expect(first).toBeGreaterThanOrEqual(140); // 150 ms × 2^0
      expect(second).toBeGreaterThanOrEqual(290); // 150 ms × 2^1
      expect(second).toBeGreaterThan(first);
      expect(await queue.getJob(id)).toEqual({
        id,
        name: 'test.flaky',
        state: 'completed',
        attempts: 3,
        lastError: 'flaky attempt 2',
      });
    });

    it('gives up after the maximum attempts and records the last error', async () => {
      const queue = await open(queueName());
      let runs = 0;
      await queue.start(
        handlers({
          'test.fail': async ({ message }, { attempt }) => {
            runs++;
            throw new Error(`${message} ${attempt}`);
          },
        }),
        { concurrency: 1 },
      );
      const id = await queue.enqueue(
        'test.fail',
        { message: 'disk on fire' },
        { attempts: 3, backoffMs: 20 },
      );
      expect(await queue.waitFor(id, 10_000)).toBe('failed');
      await sleep(150);
      expect(runs).toBe(3);
      expect(await queue.getJob(id)).toMatchObject({
        state: 'failed',
        attempts: 3,
        lastError: 'disk on fire 3',
      });
      expect(await queue.counts()).toMatchObject({ failed: 1, waiting: 0, delayed: 0, active: 0 });
    });

    it('never runs more jobs at once than the concurrency limit', async () => {
      const queue = await open(queueName());
      let running = 0;
      let most = 0;
      let done = 0;
      await queue.start(
        handlers({
          'test.slow': async ({ ms }) => {
            running++;
            most = Math.max(most, running);
            await sleep(ms);
            running--;
            done++;
          },
        }),
        { concurrency: 2 },
      );
      const ids = await Promise.all(Array.from({ length: 10 }, () => queue.enqueue('test.slow', { ms: 40 })));
      for (const id of ids) expect(await queue.waitFor(id, 10_000)).toBe('completed');
      expect(done).toBe(10);
      expect(most).toBe(2);
    });

    it('runs a job enqueued twice with the same jobId once, even when enqueued again after it finished', async () => {
      const queue = await open(queueName());
      const jobId = runId('job-');
      const runs: number[] = [];
      expect(await queue.enqueue('test.record', { n: 1 }, { jobId })).toBe(jobId);
      expect(await queue.enqueue('test.record', { n: 2 }, { jobId })).toBe(jobId);
      await queue.start(handlers({ 'test.record': async ({ n }) => void runs.push(n) }), { concurrency: 2 });
      expect(await queue.waitFor(jobId, 10_000)).toBe('completed');
      expect(await queue.enqueue('test.record', { n: 3 }, { jobId })).toBe(jobId);
      await sleep(200);
      expect(runs).toEqual([1]);
      expect(await queue.getJob(jobId)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('retries a job whose worker process dies mid-run, and completes it exactly once', async () => {
      const name = queueName();
      const live = await open(name);
      const id = await live.enqueue('test.hang', { note: 'the worker holding this is killed' });

      const child = spawnWorkerThatDies(backend.childSpec(name));
      children.push(child);
      const taken = await waitForLine(child, /^taken (\S+) (\d+)$/, 20_000);
      expect(taken[1]).toBe(id);
      await killHard(child);
      expect(await live.getJob(id)).toMatchObject({ state: 'active' }); // still held by the dead worker

      const completions: { jobId: string; attempt: number }[] = [];
      await live.start(
        handlers({
          'test.hang': async (_payload, { jobId, attempt }) => void completions.push({ jobId, attempt }),
        }),
        { concurrency: 1 },
      );
      expect(await live.waitFor(id, 15_000)).toBe('completed');
      await sleep(200);
      expect(completions).toEqual([{ jobId: id, attempt: 2 }]);
      expect(await live.getJob(id)).toMatchObject({ state: 'completed', attempts: 2 });
    });

    it('keeps jobs that were enqueued but not run across close() and runs them in a new instance', async () => {
      const name = queueName();
      const first = await backend.open(name);
      const ids = await Promise.all([0, 1, 2].map((n) => first.queue.enqueue('test.record', { n })));
      await first.shutdown();
      await expect(first.queue.enqueue('test.record', { n: 9 })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      });

      const second = await open(name);
      expect(await second.counts()).toMatchObject({ waiting: 3, active: 0, completed: 0 });
      const runs: number[] = [];
      await second.start(handlers({ 'test.record': async ({ n }) => void runs.push(n) }), { concurrency: 3 });
      for (const id of ids) expect(await second.waitFor(id, 10_000)).toBe('completed');
      expect(runs.sort()).toEqual([0, 1, 2]);
    });

    it('aborts a handler still running when the close grace period ends, and another instance retries the job', async () => {
      const name = queueName();
      const first = await backend.open(name, { closeGraceMs: 100 });
      instances.push(first);
      let started = false;
      let aborted = false;
      await first.queue.start(
        handlers({
          'test.hang': (_payload, { signal }) =>
            new Promise<void>((_resolve, reject) => {
              started = true;
              signal.addEventListener('abort', () => {
                aborted = true;
                reject(signal.reason as Error);
              });
            }),
        }),
        { concurrency: 1 },
      );
      const id = await first.queue.enqueue('test.hang', { note: 'outlives close' }, { backoffMs: 10 });
      await expect.poll(() => started, { timeout: 5000 }).toBe(true);
      const closing = performance.now();
      await first.queue.close();
      expect(performance.now() - closing).toBeLessThan(1500);
      expect(aborted).toBe(true);

      const second = await open(name);
      const attempts: number[] = [];
      await second.start(
        handlers({ 'test.hang': async (_payload, { attempt }) => void attempts.push(attempt) }),
        {
          concurrency: 1,
        },
      );
      expect(await second.waitFor(id, 10_000)).toBe('completed');
      expect(attempts).toEqual([2]);
    });

    it('holds a delayed job back until it is due', async () => {
      const queue = await open(queueName());
      let ranAt = 0;
      await queue.start(handlers({ 'test.record': async () => void (ranAt = Date.now()) }), {
        concurrency: 1,
      });
      const enqueuedAt = Date.now();
      const id = await queue.enqueue('test.record', { n: 1 }, { delayMs: 300 });
      expect(await queue.getJob(id)).toMatchObject({ state: 'delayed', attempts: 0, lastError: null });
      expect(await queue.counts()).toMatchObject({ delayed: 1, waiting: 0 });
      expect(await queue.waitFor(id, 5000)).toBe('completed');
      expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(290);
    });

    it('refuses an unknown job name with JOB_UNKNOWN', async () => {
      const queue = await open(queueName());
      await expect(queue.enqueue('test.nope' as keyof TestJobs, { n: 1 } as never)).rejects.toMatchObject({
        code: 'JOB_UNKNOWN',
      });
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
    });

    it('refuses a payload that is not plain JSON, storing nothing', async () => {
      const queue = await open(queueName());
      const payload = { n: 1, at: new Date() } as unknown as TestJobs['test.record'];
      await expect(queue.enqueue('test.record', payload)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect((await queue.counts()).waiting).toBe(0);
    });

    it('refuses to start with a handler missing, naming it (JOB_HANDLER_MISSING)', async () => {
      const queue = await open(queueName());
      const { 'test.hang': _left, ...partial } = handlers({});
      await expect(queue.start(partial as JobHandlers<TestJobs>, { concurrency: 1 })).rejects.toMatchObject({
        code: 'JOB_HANDLER_MISSING',
        details: { missing: ['test.hang'] },
      });
    });

    it('reports itself healthy and can be closed twice', async () => {
      const { queue, shutdown } = await backend.open(queueName());
      expect(await queue.health()).toMatchObject({ ok: true });
      await queue.close();
      await queue.close();
      await shutdown();
    });
  });
}

// --- the three backends ----------------------------------------------------------------

const [postgres, redis] = [
  await serviceAvailable('postgres', 'job queue (inline driver on PostgreSQL)'),
  await serviceAvailable('redis', 'job queue (bull driver)'),
];

describe('job queue contract: inline on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-queue-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  jobQueueContract('inline driver, SQLite catalog', async () => {
    const options: CatalogOptions = { dialect: 'sqlite', path: path.join(dir, 'catalog.sqlite') };
    const catalog = await Catalog.open(options);
    await catalog.migrate();
    await catalog.close();
    return inlineBackend(options);
  });
});

describe.skipIf(!postgres)('job queue contract: inline on PostgreSQL', () => {
  const options = { dialect: 'postgres' as const, url: TEST_PG_URL, schema: runId('q_') };
  afterAll(async () => {
    const catalog = await Catalog.open(options);
    await sql`DROP SCHEMA IF EXISTS ${sql.id(options.schema)} CASCADE`.execute(catalog.db);
    await catalog.close();
  });
  jobQueueContract('inline driver, PostgreSQL catalog', async () => {
    const catalog = await Catalog.open(options);
    await catalog.migrate();
    await catalog.close();
    return inlineBackend(options);
  });
});

describe.skipIf(!redis)('job queue contract: bull on Redis', () => {
  const prefix = runId('hq');
  afterAll(async () => {
    // Every key bull wrote lives under the run's prefix.
    const probe = new Bull('cleanup', TEST_REDIS_URL, { prefix });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await probe.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await probe.client.del(...keys);
      } while (cursor !== '0');
    } finally {
      await probe.close();
    }
  });
  jobQueueContract('bull driver, Redis', async () => bullBackend(prefix));
});
