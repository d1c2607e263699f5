/**
 * The accounts part of the catalog (migration 0002) behaves the same on SQLite and
 * PostgreSQL: users, sessions, login-attempt windows, cases with participants and
 * assignments, hearing staff, sealed ranges and on-site terminals.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hearingRow, openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import {
  createRepositories,
  type CatalogDialect,
  type Repositories,
  type User,
  type UserRole,
} from './index.ts';

const postgres = await serviceAvailable('postgres', 'accounts catalog (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HOUR = 3_600_000;

const user = (id: string, role: UserRole, extra: Partial<User> = {}): User => ({
  id,
  login: id,
  display_name: `User ${id}`,
  role,
  password_hash: `scrypt$32768$8$1$c2FsdHNhbHQ$${id}`,
  locale: 'ru',
  disabled_at: null,
  created_at: T0,
  updated_at: T0,
  ...extra,
});

function accountsSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    await repos.courts.insertCourt({ id: 'almaty-city', name: 'Almaty City Court', created_at: T0 });
    await repos.courts.insertCourtroom({
      id: 'room-1',
      court_id: 'almaty-city',
      name: 'Room 1',
      created_at: T0,
    });
  });
  afterAll(async () => t?.dispose());

  const hearing = (id: string, extra: Record<string, string | null> = {}) =>
    repos.hearings.insert(hearingRow(id, T0, extra));

  it('stores a user exactly as given and finds it by id and by login', async () => {
    const u = user('judge-a', 'judge', { display_name: 'Айгерим Судья', locale: 'kk' });
    await repos.users.insert(u);
    expect(await repos.users.find('judge-a')).toEqual(u);
    expect(await repos.users.findByLogin('judge-a')).toEqual(u);
    expect(await repos.users.findByLogin('JUDGE-A')).toBeUndefined();
    expect(await repos.users.find('nobody')).toBeUndefined();
  });

  it('refuses a second user with the same login, an unknown role and an unknown locale', async () => {
    await expect(repos.users.insert(user('judge-a-2', 'judge', { login: 'judge-a' }))).rejects.toThrow();
    await expect(repos.users.insert(user('king', 'king' as UserRole))).rejects.toThrow();
    await expect(repos.users.insert(user('fr', 'party', { locale: 'fr' as 'ru' }))).rejects.toThrow();
    expect(await repos.users.findByLogin('king')).toBeUndefined();
  });

  it('accepts every role of the access policy', async () => {
    const roles: UserRole[] = [
      'administrator',
      'operator',
      'secretary',
      'judge',
      'party',
      'representative',
      'higher-court-judge',
      'auditor',
    ];
    for (const role of roles) await repos.users.insert(user(`r-${role}`, role));
    expect((await repos.users.list({ role: 'higher-court-judge' })).map((u) => u.id)).toEqual([
      'r-higher-court-judge',
    ]);
  });

  it('lists 120 users each exactly once, in login order, and filters the disabled', async () => {
    const before = (await repos.users.list()).length;
    const ids = [...Array(120).keys()].map((i) => `bulk-${String(i).padStart(3, '0')}`);
    for (const [i, id] of [...ids].reverse().entries())
      await repos.users.insert(user(id, 'party', { disabled_at: i % 10 === 0 ? T0 : null }));
    const all = await repos.users.list();
    expect(all.length).toBe(before + 120);
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    expect(all.filter((u) => u.id.startsWith('bulk-')).map((u) => u.id)).toEqual(ids);
    const active = await repos.users.list({ includeDisabled: false });
    expect(active.filter((u) => u.id.startsWith('bulk-')).length).toBe(108);
  });

  it('links an account to the courts it works at, each once', async () => {
    expect(await repos.users.addCourt('r-operator', 'almaty-city', T0)).toBe(true);
    expect(await repos.users.addCourt('r-operator', 'almaty-city', T0 + 1)).toBe(false);
    await expect(repos.users.addCourt('r-operator', 'no-such-court', T0)).rejects.toThrow();
    expect(await repos.users.courtIds('r-operator')).toEqual(['almaty-city']);
    expect(await repos.users.courtIds('r-party')).toEqual([]);
    expect(await repos.users.removeCourt('r-operator', 'almaty-city')).toBe(true);
    expect(await repos.users.removeCourt('r-operator', 'almaty-city')).toBe(false);
    expect(await repos.users.addCourt('r-operator', 'almaty-city', T0)).toBe(true);
  });

  it('replaces a password hash only if it is still the expected one', async () => {
    const old = (await repos.users.find('judge-a'))!.password_hash;
    expect(await repos.users.replacePasswordHash('judge-a', 'not-the-hash', 'new', T0 + 1)).toBe(false);
    expect(await repos.users.replacePasswordHash('judge-a', old, 'scrypt$new', T0 + 1)).toBe(true);
    expect(await repos.users.find('judge-a')).toMatchObject({
      password_hash: 'scrypt$new',
      updated_at: T0 + 1,
    });
    expect(await repos.users.update('nobody', { display_name: 'x' })).toBe(false);
  });

  it('keeps sessions by token hash, joins their user, and revokes them once', async () => {
    const s = (id: string, userId: string, extra = {}) => ({
      id,
      user_id: userId,
      created_at: T0,
      expires_at: T0 + 12 * HOUR,
      last_seen_at: T0,
      address: '10.0.0.1',
      revoked_at: null,
      ...extra,
    });
    await repos.sessions.insert(s('a'.repeat(64), 'judge-a'));
    await repos.sessions.insert(s('b'.repeat(64), 'judge-a'));
    await repos.sessions.insert(s('c'.repeat(64), 'r-party', { expires_at: T0 + 1 }));
    await expect(repos.sessions.insert(s('a'.repeat(64), 'r-party'))).rejects.toThrow();
    await expect(repos.sessions.insert(s('d'.repeat(64), 'no-such-user'))).rejects.toThrow();

    const found = await repos.sessions.findWithUser('a'.repeat(64));
    expect(found?.session).toEqual(s('a'.repeat(64), 'judge-a'));
    expect(found?.user).toEqual(await repos.users.find('judge-a'));
    expect(await repos.sessions.findWithUser('e'.repeat(64))).toBeUndefined();

    await repos.sessions.touch('a'.repeat(64), T0 + 5000);
    expect((await repos.sessions.find('a'.repeat(64)))?.last_seen_at).toBe(T0 + 5000);
    expect(await repos.sessions.revoke('a'.repeat(64), T0 + 6000)).toBe(true);
    expect(await repos.sessions.revoke('a'.repeat(64), T0 + 7000)).toBe(false);
    expect((await repos.sessions.find('a'.repeat(64)))?.revoked_at).toBe(T0 + 6000);
    expect(await repos.sessions.revokeAllForUser('judge-a', T0 + 8000)).toBe(1);
    expect((await repos.sessions.listByUser('judge-a')).map((x) => x.revoked_at)).toEqual([
      T0 + 6000,
      T0 + 8000,
    ]);

    expect(await repos.sessions.deleteEnded(T0 + 7000)).toBe(2);
    expect((await repos.sessions.listByUser('judge-a')).map((x) => x.id)).toEqual(['b'.repeat(64)]);
  });

  it('counts login failures in fixed windows, atomically, across concurrent writers', async () => {
    const window = 15 * 60_000;
    const rows = await Promise.all(
      [...Array(10)].map(() => repos.loginAttempts.increment('user:x', T0, window)),
    );
    expect(rows.map((r) => r.failures).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await repos.loginAttempts.find('user:x')).toEqual({
      key: 'user:x',
      window_start_ms: T0,
      failures: 10,
    });
    expect(await repos.loginAttempts.increment('user:x', T0 + window - 1, window)).toMatchObject({
      failures: 11,
      window_start_ms: T0,
    });
    // The window is over: counting starts again from the new attempt.
    expect(await repos.loginAttempts.increment('user:x', T0 + window, window)).toEqual({
      key: 'user:x',
      window_start_ms: T0 + window,
      failures: 1,
    });
    await repos.loginAttempts.decrement('user:x');
    await repos.loginAttempts.decrement('user:x');
    expect((await repos.loginAttempts.find('user:x'))?.failures).toBe(0);
    await repos.loginAttempts.increment('addr:10.0.0.1', T0, window);
    await repos.loginAttempts.reset('user:x');
    expect(await repos.loginAttempts.find('user:x')).toBeUndefined();
    expect(await repos.loginAttempts.deleteOlderThan(T0 + 1)).toBe(1);
  });

  it('keeps case numbers unique per court, not across courts', async () => {
    await repos.courts.insertCourt({ id: 'astana', name: 'Astana Court', created_at: T0 });
    await repos.cases.insertCase({
      id: 'case-1',
      court_id: 'almaty-city',
      number: '2-1/2026',
      category: 'civil',
      created_at: T0,
    });
    await repos.cases.insertCase({
      id: 'case-2',
      court_id: 'almaty-city',
      number: '2-2/2026',
      category: 'civil',
      created_at: T0,
    });
    await repos.cases.insertCase({
      id: 'case-3',
      court_id: 'astana',
      number: '2-1/2026',
      category: 'criminal',
      created_at: T0,
    });
    await expect(
      repos.cases.insertCase({
        id: 'case-4',
        court_id: 'almaty-city',
        number: '2-1/2026',
        category: 'civil',
        created_at: T0,
      }),
    ).rejects.toThrow();
    expect((await repos.cases.findCaseByNumber('astana', '2-1/2026'))?.id).toBe('case-3');
    expect((await repos.cases.listCases({ courtId: 'almaty-city' })).map((c) => c.id)).toEqual([
      'case-1',
      'case-2',
    ]);
  });

  it('links participants to accounts once per capacity, and lets unlinked ones repeat', async () => {
    const p = (
      id: string,
      userId: string | null,
      capacity: 'party' | 'representative',
      caseId = 'case-1',
    ) => ({
      id,
      case_id: caseId,
      user_id: userId,
      name: `Participant ${id}`,
      capacity,
      created_at: T0,
    });
    expect(await repos.cases.insertParticipant(p('p1', 'r-party', 'party'))).toBe(true);
    expect(await repos.cases.insertParticipant(p('p2', 'r-party', 'party'))).toBe(false);
    expect(await repos.cases.insertParticipant(p('p3', 'r-party', 'representative'))).toBe(true);
    expect(await repos.cases.insertParticipant(p('p4', null, 'party'))).toBe(true);
    expect(await repos.cases.insertParticipant(p('p5', null, 'party'))).toBe(true);
    expect(await repos.cases.insertParticipant(p('p6', 'r-party', 'party', 'case-3'))).toBe(true);
    await expect(repos.cases.insertParticipant(p('p7', 'no-such-user', 'party'))).rejects.toThrow();
    await expect(
      repos.cases.insertParticipant({ ...p('p8', null, 'party'), capacity: 'witness' as 'party' }),
    ).rejects.toThrow();
    expect((await repos.cases.listParticipants('case-1')).map((x) => x.id)).toEqual(['p1', 'p3', 'p4', 'p5']);
    expect((await repos.cases.participationsOfUser('r-party')).map((x) => [x.case_id, x.capacity])).toEqual([
      ['case-1', 'party'],
      ['case-1', 'representative'],
      ['case-3', 'party'],
    ]);
    expect(await repos.cases.removeParticipant('p5')).toBe(true);
    expect(await repos.cases.removeParticipant('p5')).toBe(false);
  });

  it('finds a higher-court assignment only within its validity period', async () => {
    const hj = 'r-higher-court-judge';
    await repos.cases.insertAssignment({
      id: 'a1',
      case_id: 'case-1',
      user_id: hj,
      valid_from_ms: T0,
      valid_until_ms: T0 + HOUR,
      created_at: T0,
    });
    await repos.cases.insertAssignment({
      id: 'a2',
      case_id: 'case-2',
      user_id: hj,
      valid_from_ms: T0 + HOUR,
      valid_until_ms: null,
      created_at: T0,
    });
    await expect(
      repos.cases.insertAssignment({
        id: 'a3',
        case_id: 'case-1',
        user_id: hj,
        valid_from_ms: T0,
        valid_until_ms: T0,
        created_at: T0,
      }),
    ).rejects.toThrow();
    expect(await repos.cases.activeAssignment('case-1', hj, T0 - 1)).toBeUndefined();
    expect((await repos.cases.activeAssignment('case-1', hj, T0))?.id).toBe('a1');
    expect(await repos.cases.activeAssignment('case-1', hj, T0 + HOUR)).toBeUndefined();
    expect((await repos.cases.activeAssignmentsOfUser(hj, T0 + 30 * 60_000)).map((a) => a.id)).toEqual([
      'a1',
    ]);
    expect((await repos.cases.activeAssignmentsOfUser(hj, T0 + 100 * HOUR)).map((a) => a.id)).toEqual(['a2']);
    // Every assignment, whether in force or not: the policy tells ended from never assigned.
    expect((await repos.cases.assignmentsOfUser(hj)).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(await repos.cases.assignmentsOfUser('nobody')).toEqual([]);
    expect(await repos.cases.endAssignment('a2', T0 + 2 * HOUR)).toBe(true);
    expect(await repos.cases.endAssignment('a2', T0 + 3 * HOUR)).toBe(false);
    expect(await repos.cases.activeAssignment('case-2', hj, T0 + 2 * HOUR)).toBeUndefined();
    expect((await repos.cases.listAssignments('case-2')).map((a) => [a.id, a.valid_until_ms])).toEqual([
      ['a2', T0 + 2 * HOUR],
    ]);
  });

  it('lists each hearing related to a user once, however many ways it is related', async () => {
    await hearing('h-case1-a', {
      case_id: 'case-1',
      judge_user_id: 'judge-a',
      secretary_user_id: 'r-secretary',
    });
    await hearing('h-case1-b', { case_id: 'case-1' });
    await hearing('h-case2', { case_id: 'case-2', judge_user_id: 'judge-a' });
    await hearing('h-case3', { case_id: 'case-3' });
    await hearing('h-none');
    await expect(hearing('h-bad-case', { case_id: 'no-such-case' })).rejects.toThrow();

    // r-party is party and representative in case-1 and party in case-3.
    expect((await repos.cases.listHearingsRelatedToUser('r-party', T0)).map((h) => h.id).sort()).toEqual([
      'h-case1-a',
      'h-case1-b',
      'h-case3',
    ]);
    // The judge presides over two hearings of two cases.
    expect((await repos.cases.listHearingsRelatedToUser('judge-a', T0)).map((h) => h.id).sort()).toEqual([
      'h-case1-a',
      'h-case2',
    ]);
    expect((await repos.cases.listHearingsRelatedToUser('r-secretary', T0)).map((h) => h.id)).toEqual([
      'h-case1-a',
    ]);
    // The higher-court judge: case-1 during a1, case-2 during a2 only.
    const hj = 'r-higher-court-judge';
    expect((await repos.cases.listHearingsRelatedToUser(hj, T0)).map((h) => h.id).sort()).toEqual([
      'h-case1-a',
      'h-case1-b',
    ]);
    expect((await repos.cases.listHearingsRelatedToUser(hj, T0 + HOUR)).map((h) => h.id)).toEqual([
      'h-case2',
    ]);
    expect(await repos.cases.listHearingsRelatedToUser(hj, T0 + 5 * HOUR)).toEqual([]);
    expect((await repos.cases.listHearingsOfCase('case-1')).map((h) => h.id)).toEqual([
      'h-case1-a',
      'h-case1-b',
    ]);
    expect(await repos.hearings.find('h-case1-a')).toMatchObject({
      case_id: 'case-1',
      judge_user_id: 'judge-a',
      secretary_user_id: 'r-secretary',
    });
    expect(await repos.hearings.find('h-none')).toMatchObject({
      case_id: null,
      judge_user_id: null,
      secretary_user_id: null,
    });
  });

  it('keeps sealed ranges in time order and refuses an empty or backwards range', async () => {
    const r = (id: string, start: number, end: number) => ({
      id,
      hearing_id: 'h-case1-a',
      start_ms: start,
      end_ms: end,
      reason: 'a minor testifies',
      created_by: 'judge-a',
      created_at: T0,
    });
    await repos.sealedRanges.insert(r('s2', T0 + 60_000, T0 + 120_000));
    await repos.sealedRanges.insert(r('s1', T0 + 1_000, T0 + 2_000));
    await expect(repos.sealedRanges.insert(r('s3', T0 + 5_000, T0 + 5_000))).rejects.toThrow();
    await expect(repos.sealedRanges.insert(r('s4', T0 + 5_000, T0 + 4_000))).rejects.toThrow();
    await expect(
      repos.sealedRanges.insert({ ...r('s5', T0, T0 + 1), hearing_id: 'no-such-hearing' }),
    ).rejects.toThrow();
    expect(await repos.sealedRanges.listByHearing('h-case1-a')).toEqual([
      r('s1', T0 + 1_000, T0 + 2_000),
      r('s2', T0 + 60_000, T0 + 120_000),
    ]);
    expect(await repos.sealedRanges.delete('s1')).toBe(true);
    expect(await repos.sealedRanges.delete('s1')).toBe(false);
    expect((await repos.sealedRanges.listByHearing('h-case1-a')).map((x) => x.id)).toEqual(['s2']);
  });

  it('finds an on-site terminal by its token hash until it is revoked', async () => {
    await repos.terminals.insert({
      id: 't1',
      court_id: 'almaty-city',
      name: 'Hall kiosk',
      token_hash: '1'.repeat(64),
      created_at: T0,
      revoked_at: null,
    });
    await repos.terminals.insert({
      id: 't2',
      court_id: 'astana',
      name: 'Reading room',
      token_hash: '2'.repeat(64),
      created_at: T0,
      revoked_at: null,
    });
    await expect(
      repos.terminals.insert({
        id: 't3',
        court_id: 'astana',
        name: 'Copy',
        token_hash: '2'.repeat(64),
        created_at: T0,
        revoked_at: null,
      }),
    ).rejects.toThrow();
    expect((await repos.terminals.findActiveByTokenHash('1'.repeat(64)))?.id).toBe('t1');
    expect(await repos.terminals.revoke('t1', T0 + 1)).toBe(true);
    expect(await repos.terminals.revoke('t1', T0 + 2)).toBe(false);
    expect(await repos.terminals.findActiveByTokenHash('1'.repeat(64))).toBeUndefined();
    expect(await repos.terminals.find('t1')).toMatchObject({ token_hash: null, revoked_at: T0 + 1 });
    expect(await repos.terminals.setTokenHash('t1', '3'.repeat(64))).toBe(true);
    expect((await repos.terminals.findActiveByTokenHash('3'.repeat(64)))?.id).toBe('t1');
    expect((await repos.terminals.list()).map((x) => x.id)).toEqual(['t1', 't2']);
    expect((await repos.terminals.list({ courtId: 'astana' })).map((x) => x.id)).toEqual(['t2']);
  });

  it('refuses to delete a user that sessions, participations or assignments point to', async () => {
    await expect(sql`delete from users where id = 'r-party'`.execute(t.catalog.db)).rejects.toThrow();
    await expect(
      sql`delete from users where id = 'r-higher-court-judge'`.execute(t.catalog.db),
    ).rejects.toThrow();
    expect(await repos.users.find('r-party')).toBeDefined();
  });
}

describe('accounts catalog on SQLite', () => accountsSuite('sqlite'));
describe.skipIf(!postgres)('accounts catalog on PostgreSQL', () => accountsSuite('postgres'));
