/**
 * `hattama audit verify` against a real SQLite catalog: intact, then an edited, a
 * deleted and an inserted row — made the way an attacker with file access would, by
 * dropping the append-only triggers first.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.ts';
import { AuditLog, Catalog, auditEntryHash, createRepositories } from '../storage/index.ts';

const run = promisify(execFile);
let dir: string;

async function hattamaAudit(): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(process.execPath, ['bin/hattama.js', 'audit', 'verify', '--data-dir', dir]);
    return { code: 0, stdout: r.stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

async function withCatalog<T>(fn: (c: Catalog) => Promise<T>): Promise<T> {
  const catalog = await Catalog.open({ dialect: 'sqlite', path: path.join(dir, 'catalog.sqlite') });
  try {
    await catalog.migrate();
    return await fn(catalog);
  } finally {
    await catalog.close();
  }
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-audit-'));
  await withCatalog(async (c) => {
    const log = new AuditLog(createRepositories(c.db).auditLog, new FakeClock());
    for (let i = 1; i <= 6; i++)
      await log.append({
        actor: `user-${i}`,
        action: 'recording.play',
        hearingId: 'h1',
        verdict: i === 4 ? 'refuse' : 'allow',
        address: '10.0.0.9',
      });
  });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const dropTriggers = (c: Catalog) =>
  Promise.all([
    sql`drop trigger audit_log_no_update`.execute(c.db),
    sql`drop trigger audit_log_no_delete`.execute(c.db),
  ]);

describe('hattama audit verify', () => {
  it('passes an intact audit log', async () => {
    const r = await hattamaAudit();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 6 audit entries, chain head [0-9a-f]{64}/);
  });

  it('names an edited row', async () => {
    await withCatalog(async (c) => {
      await dropTriggers(c);
      await sql`update audit_log set verdict = 'allow' where seq = 4`.execute(c.db);
    });
    const r = await hattamaAudit();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 4: its content does not match its hash/);
  });

  it('names a deleted row', async () => {
    await withCatalog(async (c) => {
      await dropTriggers(c);
      await sql`delete from audit_log where seq = 3`.execute(c.db);
    });
    const r = await hattamaAudit();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 3: the entry with this number is missing/);
  });

  it('names an inserted row, even one whose own hash was recomputed', async () => {
    await withCatalog(async (c) => {
      await dropTriggers(c);
      // Shift entries 5 and 6 up and forge a well-formed entry 5 that links to entry 4.
      await sql`update audit_log set seq = 7 where seq = 6`.execute(c.db);
      await sql`update audit_log set seq = 6 where seq = 5`.execute(c.db);
      const four = (await createRepositories(c.db).auditLog.page(3, 1))[0]!;
      const forged = { ...four, seq: 5, actor: 'mallory', verdict: 'allow' as const, prev_hash: four.hash };
      await createRepositories(c.db).auditLog.insert({ ...forged, hash: auditEntryHash(forged) });
    });
    const r = await hattamaAudit();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 6: it does not link to the entry before it/);
  });

  it('prints one JSON object with --json', async () => {
    const { stdout } = await run(process.execPath, [
      'bin/hattama.js',
      'audit',
      'verify',
      '--data-dir',
      dir,
      '--json',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, entries: 6 });
  });
});
