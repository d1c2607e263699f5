import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Catalog } from './catalog.ts';
import { UNTRACKED_CHANGES, bumpsChanges } from './catalog-changes.ts';
import { cachedReads } from './cached-reads.ts';
import { createRepositories, type Repositories } from './repositories/index.ts';
import { hearingRow, seedCourtCase } from '../../test/support/catalog.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY = 86_400_000;

let dir: string;
let file: string;
let catalog: Catalog;
/** A second connection to the same file: another process (the CLI, a second hub). */
let other: Catalog;
let repos: Repositories;
let otherRepos: Repositories;
let reads: Repositories;

async function seed(r: Repositories): Promise<void> {
  await seedCourtCase(r, T0, '2-1/2026');
  for (const [id, role] of [
    ['party', 'party'],
    ['judge', 'judge'],
    ['higher', 'higher-court-judge'],
  ] as const)
    await r.users.insert({
      id,
      login: id,
      display_name: id,
      role,
      password_hash: 'scrypt$x',
      locale: 'ru',
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    });
  await r.cases.insertParticipant({
    id: 'p1',
    case_id: 'case',
    user_id: 'party',
    name: 'Party',
    capacity: 'party',
    created_at: T0,
  });
  await r.hearings.insert(
    hearingRow('h1', T0, {
      courtroom_id: 'room',
      title: 'A v. B',
      state: 'stopped',
      scheduled_at: T0,
      started_at: T0,
      stopped_at: T0 + 3_600_000,
      case_id: 'case',
      judge_user_id: 'judge',
      secretary_user_id: null,
    }),
  );
  await r.sessions.insert({
    id: 's1',
    user_id: 'party',
    created_at: T0,
    expires_at: T0 + DAY,
    last_seen_at: T0,
    address: '127.0.0.1',
    revoked_at: null,
  });
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-cached-reads-'));
  file = path.join(dir, 'catalog.sqlite');
  catalog = await Catalog.open({ dialect: 'sqlite', path: file });
  await catalog.migrate();
  other = await Catalog.open({ dialect: 'sqlite', path: file });
  repos = createRepositories(catalog.db);
  otherRepos = createRepositories(other.db);
  await seed(repos);
  reads = cachedReads(repos, catalog.changes);
});

afterEach(async () => {
  await other.close();
  await catalog.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('cached catalog reads', () => {
  it('answers a repeated read from memory while the catalog is unchanged', async () => {
    const find = vi.spyOn(repos.sessions, 'findWithUser');
    const first = await reads.sessions.findWithUser('s1');
    const second = await reads.sessions.findWithUser('s1');
    expect(second).toBe(first);
    expect(find).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(first?.user)).toBe(true);
  });

  it('sees a revoked session on the very next read', async () => {
    expect((await reads.sessions.findWithUser('s1'))?.session.revoked_at).toBeNull();
    await repos.sessions.revoke('s1', T0 + 1000);
    expect((await reads.sessions.findWithUser('s1'))?.session.revoked_at).toBe(T0 + 1000);
  });

  it('sees a user disabled by another process (another connection to the file) at once', async () => {
    expect((await reads.sessions.findWithUser('s1'))?.user.disabled_at).toBeNull();
    expect((await reads.users.find('party'))?.disabled_at).toBeNull();
    await otherRepos.users.update('party', { disabled_at: T0 + 5000 });
    expect((await reads.sessions.findWithUser('s1'))?.user.disabled_at).toBe(T0 + 5000);
    expect((await reads.users.find('party'))?.disabled_at).toBe(T0 + 5000);
  });

  it('sees a new sealed range at once, from this process or another', async () => {
    expect(await reads.sealedRanges.listByHearing('h1')).toEqual([]);
    const range = (id: string, start: number) => ({
      id,
      hearing_id: 'h1',
      start_ms: start,
      end_ms: start + 60_000,
      reason: 'closed part',
      created_by: 'judge',
      created_at: T0,
    });
    await repos.sealedRanges.insert(range('r1', T0 + 600_000));
    expect((await reads.sealedRanges.listByHearing('h1')).map((r) => r.id)).toEqual(['r1']);
    await otherRepos.sealedRanges.insert(range('r2', T0 + 900_000));
    expect((await reads.sealedRanges.listByHearing('h1')).map((r) => r.id)).toEqual(['r1', 'r2']);
  });

  it('sees a removed participant and a new or ended assignment at once', async () => {
    expect(await reads.cases.participationsOfUser('party')).toHaveLength(1);
    await repos.cases.removeParticipant('p1');
    expect(await reads.cases.participationsOfUser('party')).toEqual([]);

    expect(await reads.cases.assignmentsOfUser('higher')).toEqual([]);
    await repos.cases.insertAssignment({
      id: 'a1',
      case_id: 'case',
      user_id: 'higher',
      valid_from_ms: T0,
      valid_until_ms: null,
      created_at: T0,
    });
    expect(await reads.cases.activeAssignmentsOfUser('higher', T0 + 1)).toHaveLength(1);
    await otherRepos.cases.endAssignment('a1', T0 + 10_000);
    expect((await reads.cases.assignmentsOfUser('higher'))[0]?.valid_until_ms).toBe(T0 + 10_000);
    expect(await reads.cases.activeAssignmentsOfUser('higher', T0 + 10_000)).toEqual([]);
  });

  it('filters cached assignments by time exactly as the catalog does', async () => {
    await repos.cases.insertAssignment({
      id: 'a1',
      case_id: 'case',
      user_id: 'higher',
      valid_from_ms: T0 + 1000,
      valid_until_ms: T0 + 2000,
      created_at: T0,
    });
    for (const at of [T0, T0 + 999, T0 + 1000, T0 + 1999, T0 + 2000, T0 + 5000])
      expect(await reads.cases.activeAssignmentsOfUser('higher', at)).toEqual(
        await repos.cases.activeAssignmentsOfUser('higher', at),
      );
  });

  it('sees a hearing changed by a state transition at once', async () => {
    expect((await reads.hearings.find('h1'))?.visibility).toBe('open');
    await repos.hearings.update('h1', { visibility: 'closed', updated_at: T0 + 1 });
    expect((await reads.hearings.find('h1'))?.visibility).toBe('closed');
  });

  it('moves a cached session on at its last-seen touch without reading it again', async () => {
    await reads.sessions.findWithUser('s1');
    const find = vi.spyOn(repos.sessions, 'findWithUser');
    await reads.sessions.touch('s1', T0 + 120_000);
    const after = await reads.sessions.findWithUser('s1');
    expect(after?.session.last_seen_at).toBe(T0 + 120_000);
    expect(find).not.toHaveBeenCalled();
    // …and what the cache says is what the catalog says.
    expect((await repos.sessions.findWithUser('s1'))?.session.last_seen_at).toBe(T0 + 120_000);
  });

  it('does not remember what does not exist', async () => {
    const find = vi.spyOn(repos.sessions, 'findWithUser');
    expect(await reads.sessions.findWithUser('nope')).toBeUndefined();
    expect(await reads.sessions.findWithUser('nope')).toBeUndefined();
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('passes every write and every uncached read straight to the repository', async () => {
    await reads.users.update('judge', { display_name: 'Judge B' });
    expect((await repos.users.find('judge'))?.display_name).toBe('Judge B');
    expect((await reads.hearings.list()).map((h) => h.id)).toEqual(['h1']);
  });

  it('reads every time when changes cannot be tracked (PostgreSQL)', async () => {
    const untracked = cachedReads(repos, UNTRACKED_CHANGES);
    const find = vi.spyOn(repos.users, 'find');
    await untracked.users.find('party');
    await untracked.users.find('party');
    expect(find).toHaveBeenCalledTimes(2);
  });
});

describe('the change token', () => {
  it('changes with a write to access data, not with audit entries or a session touch', async () => {
    const t0 = catalog.changes.token();
    await repos.auditLog.insertMany([
      {
        seq: 1,
        at_ms: T0,
        actor: 'party',
        role: 'party',
        action: 'recording.play',
        hearing_id: 'h1',
        target: 'video.m3u8',
        address: '127.0.0.1',
        verdict: 'allow',
        reason: 'remote',
        prev_hash: '0'.repeat(64),
        hash: '1'.repeat(64),
      },
    ]);
    await repos.sessions.touch('s1', T0 + 60_000);
    await Promise.resolve(); // past the memo of the other connections' part
    expect(catalog.changes.token()).toBe(t0);
    await repos.users.update('party', { display_name: 'P' });
    expect(catalog.changes.token()).not.toBe(t0);
  });

  it('classifies the statements Kysely writes for the hot tables', () => {
    const db = catalog.db;
    const touch = db.updateTable('sessions').set({ last_seen_at: 1 }).where('id', '=', 'x').compile().sql;
    expect(bumpsChanges(touch)).toBe(false);
    expect(
      bumpsChanges(db.updateTable('sessions').set({ revoked_at: 1 }).where('id', '=', 'x').compile().sql),
    ).toBe(true);
    expect(bumpsChanges(db.deleteFrom('sealed_ranges').where('id', '=', 'x').compile().sql)).toBe(true);
    expect(bumpsChanges(db.deleteFrom('segments').where('hearing_id', '=', 'x').compile().sql)).toBe(false);
    expect(bumpsChanges(db.selectFrom('users').selectAll().compile().sql)).toBe(false);
    // Anything it cannot place counts as a change.
    expect(bumpsChanges('create table t (a int)')).toBe(true);
    expect(bumpsChanges('with x as (select 1) update users set login = login')).toBe(true);
  });

  it('is null once the catalog is closed, so nothing is served from memory', async () => {
    await otherRepos.users.find('party');
    await other.close();
    expect(other.changes.token()).toBeNull();
  });
});
