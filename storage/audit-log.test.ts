import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../core/index.ts';
import { openTestCatalog, type TestCatalog } from '../test/support/catalog.ts';
import { AuditLog, type AuditEvent } from './audit-log.ts';
import { createRepositories, type AuditEntry, type AuditLogRepository } from './catalog/index.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const event = (n: number): AuditEvent => ({
  actor: `user-${n}`,
  role: 'party',
  action: 'recording.play',
  hearingId: 'h1',
  target: 'video.m3u8',
  address: '127.0.0.1',
  verdict: 'allow',
  reason: 'remote',
});

/** Settles pending promise callbacks and a turn of the event loop. */
const settle = () => new Promise((r) => setImmediate(r));

let t: TestCatalog;
let repo: AuditLogRepository;

beforeEach(async () => {
  t = await openTestCatalog('sqlite');
  repo = createRepositories(t.catalog.db).auditLog;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await t.dispose();
});

describe('audit log batches', () => {
  it('writes the appends of one turn of the event loop as one batch, chained in order', async () => {
    const insert = vi.spyOn(repo, 'insertManyCommitted');
    const log = new AuditLog(repo, new FakeClock(T0));
    const entries = await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(event(i))));
    expect(insert).toHaveBeenCalledTimes(1);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(entries.map((e) => e.actor)).toEqual(Array.from({ length: 10 }, (_, i) => `user-${i}`));
    expect(await log.verify()).toMatchObject({ ok: true, entries: 10 });
  });

  it('acknowledges an entry only once its batch is durable, and writes the next batch meanwhile', async () => {
    let makeDurable!: () => void;
    const written: AuditEntry[][] = [];
    const fake = {
      last: async () => undefined,
      insertManyCommitted: async (entries: readonly AuditEntry[]) => {
        written.push([...entries]);
        return {
          durable: written.length === 1 ? new Promise<void>((r) => (makeDurable = r)) : Promise.resolve(),
        };
      },
    } as unknown as AuditLogRepository;
    const log = new AuditLog(fake, new FakeClock(T0));
    let firstDone = false;
    const first = log.append(event(1)).then((e) => {
      firstDone = true;
      return e;
    });
    await settle();
    await settle();
    expect(written).toHaveLength(1);
    expect(firstDone).toBe(false);
    // The second batch is written (and acknowledged) while the first still waits for its sync.
    const second = await log.append(event(2));
    expect(second.seq).toBe(2);
    expect(second.prev_hash).toBe(written[0]![0]!.hash);
    expect(firstDone).toBe(false);
    makeDurable();
    expect((await first).seq).toBe(1);
  });

  it('re-reads the tip of the chain when another writer appended in between', async () => {
    const a = new AuditLog(repo, new FakeClock(T0));
    const b = new AuditLog(createRepositories(t.catalog.db).auditLog, new FakeClock(T0));
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? a : b).append(event(i));
    await Promise.all([a.append(event(6)), b.append(event(7)), a.append(event(8))]);
    expect(await a.verify()).toMatchObject({ ok: true, entries: 9 });
  });
});

describe('audit log durability on the embedded catalog', () => {
  async function fileHandlePrototype() {
    const file = path.join(os.tmpdir(), `hattama-fh-${process.pid}`);
    const handle = await fsp.open(file, 'w');
    const proto = Object.getPrototypeOf(handle) as fsp.FileHandle;
    await handle.close();
    await fsp.rm(file, { force: true });
    return proto;
  }

  it('fdatasyncs the WAL before acknowledging, and commits everything else with synchronous=FULL', async () => {
    const proto = await fileHandlePrototype();
    const original = proto.datasync;
    let syncs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    vi.spyOn(proto, 'datasync').mockImplementation(async function (this: fsp.FileHandle) {
      syncs++;
      await gate;
      return original.call(this);
    });
    const log = new AuditLog(repo, new FakeClock(T0));
    let done = false;
    const appended = log.append(event(1)).then(() => (done = true));
    await vi.waitFor(() => expect(syncs).toBe(1));
    // Committed (readable) but not yet acknowledged: the sync has not finished.
    expect(await repo.last()).toMatchObject({ seq: 1 });
    expect(done).toBe(false);
    release();
    await appended;
    expect(done).toBe(true);
    const mode = await sql<{ synchronous: number }>`pragma synchronous`.execute(t.catalog.db);
    expect(mode.rows[0]?.synchronous).toBe(2); // FULL
  });

  it('refuses the append when the WAL cannot be synced', async () => {
    const proto = await fileHandlePrototype();
    vi.spyOn(proto, 'datasync').mockRejectedValue(Object.assign(new Error('EIO'), { code: 'EIO' }));
    const log = new AuditLog(repo, new FakeClock(T0));
    await expect(log.append(event(1))).rejects.toThrow('EIO');
  });
});
