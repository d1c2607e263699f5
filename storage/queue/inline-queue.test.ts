/**
 * Inline-driver details the contract does not cover: lease renewal and a worker that
 * died on its last attempt. SQLite only; the claim itself is covered on both dialects
 * by job-queue.contract.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/index.ts';
import { InlineJobQueue, type InlineQueueOptions } from './index.ts';

interface Jobs {
  'slow.run': { ms: number };
}

describe('inline job queue', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-inline-'));
  const file = path.join(dir, 'catalog.sqlite');
  const opened: { close(): Promise<void> }[] = [];
  let queueNo = 0;

  beforeAll(async () => {
    const catalog = await Catalog.open({ dialect: 'sqlite', path: file });
    await catalog.migrate();
    await catalog.close();
  });
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function open(queueName: string, options: Partial<InlineQueueOptions> = {}) {
    const catalog = await Catalog.open({ dialect: 'sqlite', path: file });
    opened.push(catalog);
    const queue = new InlineJobQueue<Jobs>({
      catalog,
      queueName,
      names: ['slow.run'],
      pollMs: 10,
      ...options,
    });
    opened.push(queue);
    return { catalog, queue };
  }

  it('keeps renewing its lease, so a job that outlasts the lease is not taken by another instance', async () => {
    const name = `renew${queueNo++}`;
    const [a, b] = [await open(name, { leaseMs: 150 }), await open(name, { leaseMs: 150 })];
    let runs = 0;
    const slow = {
      'slow.run': async ({ ms }: { ms: number }) => {
        runs++;
        await sleep(ms);
      },
    };
    await a.queue.start(slow, { concurrency: 1 });
    await b.queue.start(slow, { concurrency: 1 });
    const id = await a.queue.enqueue('slow.run', { ms: 700 });
    expect(await a.queue.waitFor(id, 5000)).toBe('completed');
    expect(runs).toBe(1);
    expect(await b.queue.getJob(id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('runs a job this process delayed, or retries after a backoff, when it is due rather than at a later poll', async () => {
    const { queue } = await open(`due${queueNo++}`, { pollMs: 1000 });
    const ranAt: number[] = [];
    await queue.start(
      {
        'slow.run': async ({ ms }) => {
          ranAt.push(Date.now());
          if (ms < 0 && ranAt.length === 2) throw new Error('first attempt fails');
        },
      },
      { concurrency: 1 },
    );
    await sleep(50); // the consumer's first look (an empty table) is behind it
    const enqueuedAt = Date.now();
    const delayed = await queue.enqueue('slow.run', { ms: 1 }, { delayMs: 1100 });
    expect(await queue.waitFor(delayed, 5000)).toBe('completed');
    // Due at 1100 ms; the polls at 1000 and 2000 ms would run it only at the second.
    expect(ranAt[0]! - enqueuedAt).toBeGreaterThanOrEqual(1100);
    expect(ranAt[0]! - enqueuedAt).toBeLessThan(1700);

    const retried = await queue.enqueue('slow.run', { ms: -1 }, { attempts: 2, backoffMs: 1100 });
    expect(await queue.waitFor(retried, 8000)).toBe('completed');
    expect(ranAt).toHaveLength(3);
    expect(ranAt[2]! - ranAt[1]!).toBeGreaterThanOrEqual(1000);
    expect(ranAt[2]! - ranAt[1]!).toBeLessThan(1700);
  });

  it('fails a job whose worker died on its last attempt instead of running it again', async () => {
    const name = `dead${queueNo++}`;
    const { catalog, queue } = await open(name);
    const id = await queue.enqueue('slow.run', { ms: 1 }, { attempts: 2 });
    // What a worker that died holding attempt 2 of 2 leaves behind.
    await catalog.db
      .updateTable('jobs')
      .set({ state: 'active', attempts: 2, lease_owner: 'dead-worker', lease_until: Date.now() - 1 })
      .where('id', '=', id)
      .execute();
    let runs = 0;
    await queue.start({ 'slow.run': async () => void runs++ }, { concurrency: 1 });
    expect(await queue.waitFor(id, 5000)).toBe('failed');
    expect(runs).toBe(0);
    expect(await queue.getJob(id)).toMatchObject({ attempts: 2, lastError: expect.stringMatching(/lease/) });
  });
});
