/**
 * The session service against a real catalog (SQLite, and PostgreSQL when reachable),
 * with a FakeClock for expiry and rate-limit windows.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, createLogger, type HattamaError } from '../../core/index.ts';
import { openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import {
  AuditLog,
  createRepositories,
  type CatalogDialect,
  type Repositories,
  type UserRole,
} from '../../storage/index.ts';
import { hashPassword } from './passwords.ts';
import { SessionService, hashSessionToken, type SessionSettings } from './sessions.ts';
import { UserAccounts } from './users.service.ts';

const postgres = await serviceAvailable('postgres', 'session service (PostgreSQL)');

const MIN = 60_000;
const SETTINGS: SessionSettings = {
  idleMs: 30 * MIN,
  absoluteMs: 12 * 60 * MIN,
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
  windowMs: 15 * MIN,
};
const PASSWORD = 'the right password';

function sessionSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;
  let clock: FakeClock;
  let sessions: SessionService;
  let accounts: UserAccounts;
  let audit: AuditLog;
  const logLines: string[] = [];
  let n = 0;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    clock = new FakeClock('2026-03-02T09:00:00.000Z');
    audit = new AuditLog(repos.auditLog, clock);
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    sessions = new SessionService({ repos, clock, logger, settings: SETTINGS, audit });
    accounts = new UserAccounts({ repos, clock });
  });
  afterAll(async () => t?.dispose());

  /** A fresh user (and a fresh address) per test, so rate-limit counts never leak between tests. */
  async function freshUser(role: UserRole = 'party') {
    n += 1;
    const login = `user-${n}`;
    await accounts.create({ login, role, password: PASSWORD, displayName: `User ${n}` });
    return { login, address: `10.1.0.${n}` };
  }

  async function refusal(promise: Promise<unknown>): Promise<HattamaError> {
    try {
      await promise;
    } catch (error) {
      return error as HattamaError;
    }
    throw new Error('expected a refusal');
  }

  it('logs in with the right password and resolves the token to the user', async () => {
    const { login, address } = await freshUser('judge');
    const r = await sessions.login({ login: login.toUpperCase(), password: PASSWORD, address });
    expect(r.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.csrfToken).not.toBe(r.token);
    expect(r.user).toMatchObject({ login, role: 'judge', locale: 'ru' });
    const resolved = await sessions.resolve(r.token);
    expect(resolved).toMatchObject({ user: r.user, sessionId: r.sessionId, csrfToken: r.csrfToken });
  });

  it('stores only the SHA-256 of the session token', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    expect(r.sessionId).toBe(hashSessionToken(r.token));
    const rows = await sql<Record<string, unknown>>`select * from sessions`.execute(t.catalog.db);
    const dump = JSON.stringify(rows.rows);
    expect(dump).toContain(r.sessionId);
    expect(dump).not.toContain(r.token);
    expect(dump).not.toContain(r.csrfToken);
  });

  it('refuses a wrong password, an unknown login and a disabled user with the same answer', async () => {
    const { login, address } = await freshUser();
    const disabled = await freshUser();
    await accounts.disable(disabled.login);
    const answers = [
      await refusal(sessions.login({ login, password: 'the wrong password', address })),
      await refusal(sessions.login({ login: 'nobody-has-this-login', password: PASSWORD, address })),
      await refusal(sessions.login({ login: disabled.login, password: PASSWORD, address })),
      await refusal(sessions.login({ login: 'Not A Valid Login!', password: PASSWORD, address })),
    ];
    const shapes = answers.map((e) => ({
      code: e.code,
      status: e.status,
      message: e.message,
      details: e.details,
    }));
    expect(shapes[0]).toEqual({
      code: 'LOGIN_FAILED',
      status: 401,
      message: 'the login or the password is wrong',
      details: undefined,
    });
    for (const s of shapes) expect(s).toEqual(shapes[0]);
  });

  it('ends a session of a user who is disabled afterwards', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    expect(await sessions.resolve(r.token)).not.toBeNull();
    await repos.users.update(r.user.id, { disabled_at: clock.now() });
    expect(await sessions.resolve(r.token)).toBeNull();
  });

  it('ends a session after the idle time without requests, not while it is used', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    for (let i = 0; i < 5; i++) {
      clock.advance(20 * MIN);
      expect(await sessions.resolve(r.token), `after ${(i + 1) * 20} min of use`).not.toBeNull();
    }
    clock.advance(30 * MIN);
    expect(await sessions.resolve(r.token)).toBeNull();
  });

  it('ends a session at its absolute end however active it is', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    const start = clock.now();
    while (clock.now() + 20 * MIN < start + SETTINGS.absoluteMs) {
      clock.advance(20 * MIN);
      expect(await sessions.resolve(r.token)).not.toBeNull();
    }
    clock.advance(start + SETTINGS.absoluteMs - clock.now());
    expect(await sessions.resolve(r.token)).toBeNull();
  });

  it('kills the token at log-out, so the same cookie is refused afterwards', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    expect(await sessions.logout(r.token, address)).toBe(true);
    expect(await sessions.resolve(r.token)).toBeNull();
    expect(await sessions.logout(r.token, address)).toBe(false);
  });

  it('refuses malformed and unknown tokens', async () => {
    for (const token of [
      undefined,
      '',
      'x',
      'a'.repeat(43),
      'a'.repeat(44),
      '../../etc/passwd',
      "' or 1=1 --",
    ])
      expect(await sessions.resolve(token)).toBeNull();
  });

  it("rotates the browser's prior session at log-in", async () => {
    const { login, address } = await freshUser();
    const first = await sessions.login({ login, password: PASSWORD, address });
    const second = await sessions.login({ login, password: PASSWORD, address, priorToken: first.token });
    expect(second.token).not.toBe(first.token);
    expect(second.csrfToken).not.toBe(first.csrfToken);
    expect(await sessions.resolve(first.token)).toBeNull();
    expect(await sessions.resolve(second.token)).not.toBeNull();
  });

  it('accepts only the CSRF token of the session', async () => {
    const a = await freshUser();
    const b = await freshUser();
    const ra = await sessions.login({ login: a.login, password: PASSWORD, address: a.address });
    const rb = await sessions.login({ login: b.login, password: PASSWORD, address: b.address });
    expect(sessions.verifyCsrf(ra.token, ra.csrfToken)).toBe(true);
    expect(sessions.verifyCsrf(ra.token, rb.csrfToken)).toBe(false);
    expect(sessions.verifyCsrf(ra.token, undefined)).toBe(false);
    expect(sessions.verifyCsrf(ra.token, '')).toBe(false);
    expect(sessions.verifyCsrf(ra.token, ra.csrfToken.slice(1))).toBe(false);
  });

  it('refuses an account after 5 failures in the window, even with the right password, and says when to retry', async () => {
    const { login, address } = await freshUser();
    for (let i = 0; i < 5; i++)
      expect(
        (await refusal(sessions.login({ login, password: `wrong ${i}`, address: `10.2.0.${i}` }))).code,
      ).toBe('LOGIN_FAILED');
    clock.advance(5 * MIN);
    const limited = await refusal(sessions.login({ login, password: PASSWORD, address: '10.2.0.99' }));
    expect(limited).toMatchObject({ code: 'LOGIN_RATE_LIMITED', status: 429 });
    expect(limited.details).toMatchObject({ retryAfterSeconds: 10 * 60 });
    expect(limited.message).toMatch(/try again after \d{4}-\d\d-\d\dT/);
    // After the window, the right password works again.
    clock.advance(10 * MIN);
    expect((await sessions.login({ login, password: PASSWORD, address })).user.login).toBe(login);
  });

  it('refuses the same answer for an unknown login under the per-account limit', async () => {
    const address = '10.3.0.1';
    for (let i = 0; i < 5; i++)
      expect((await refusal(sessions.login({ login: 'ghost-account', password: 'x', address }))).code).toBe(
        'LOGIN_FAILED',
      );
    expect((await refusal(sessions.login({ login: 'ghost-account', password: 'x', address }))).code).toBe(
      'LOGIN_RATE_LIMITED',
    );
  });

  it('clears the account count at a successful log-in', async () => {
    const { login, address } = await freshUser();
    for (let i = 0; i < 4; i++) await refusal(sessions.login({ login, password: 'wrong', address }));
    await sessions.login({ login, password: PASSWORD, address });
    for (let i = 0; i < 5; i++)
      expect((await refusal(sessions.login({ login, password: 'wrong', address: `10.4.0.${i}` }))).code).toBe(
        'LOGIN_FAILED',
      );
  });

  it('refuses an address after 20 failures across accounts, and a success does not reset it', async () => {
    const address = '10.5.0.1';
    for (let i = 0; i < 19; i++)
      expect((await refusal(sessions.login({ login: `probe-${i}`, password: 'guess', address }))).code).toBe(
        'LOGIN_FAILED',
      );
    const victim = await freshUser();
    await sessions.login({ login: victim.login, password: PASSWORD, address });
    expect((await refusal(sessions.login({ login: 'probe-x', password: 'guess', address }))).code).toBe(
      'LOGIN_FAILED',
    );
    // 20 failures counted: the next attempt from this address is refused, even the right password.
    expect((await refusal(sessions.login({ login: victim.login, password: PASSWORD, address }))).code).toBe(
      'LOGIN_RATE_LIMITED',
    );
    // Another address is not affected.
    expect(
      (await sessions.login({ login: victim.login, password: PASSWORD, address: '10.5.0.2' })).user.login,
    ).toBe(victim.login);
    clock.advance(SETTINGS.windowMs);
    expect((await sessions.login({ login: victim.login, password: PASSWORD, address })).user.login).toBe(
      victim.login,
    );
  });

  it('lets at most 5 of 30 parallel guesses at one account be checked', async () => {
    const { login } = await freshUser();
    const outcomes = await Promise.all(
      [...Array(30).keys()].map((i) =>
        refusal(sessions.login({ login, password: `guess ${i}`, address: `10.6.${i}.1` })),
      ),
    );
    const codes = outcomes.map((e) => e.code);
    expect(codes.filter((c) => c === 'LOGIN_FAILED').length).toBe(5);
    expect(codes.filter((c) => c === 'LOGIN_RATE_LIMITED').length).toBe(25);
  });

  it('treats ::ffff:-mapped and plain IPv4 as one address', async () => {
    for (let i = 0; i < 10; i++)
      await refusal(sessions.login({ login: `m-${i}`, password: 'x', address: '::ffff:10.7.0.1' }));
    for (let i = 0; i < 10; i++)
      await refusal(sessions.login({ login: `p-${i}`, password: 'x', address: '10.7.0.1' }));
    expect(
      (await refusal(sessions.login({ login: 'q', password: 'x', address: '::FFFF:10.7.0.1' }))).code,
    ).toBe('LOGIN_RATE_LIMITED');
  });

  it('upgrades a hash made with weaker parameters at a successful log-in', async () => {
    const { login, address } = await freshUser();
    const user = (await repos.users.findByLogin(login))!;
    await repos.users.update(user.id, {
      password_hash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }),
    });
    await sessions.login({ login, password: PASSWORD, address });
    expect((await repos.users.find(user.id))?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
  });

  it('records log-ins, refusals and log-outs in the audit log, without passwords or tokens', async () => {
    const { login, address } = await freshUser();
    const before = (await repos.auditLog.list()).length;
    await refusal(sessions.login({ login, password: 'a wrong secret', address }));
    const r = await sessions.login({ login, password: PASSWORD, address });
    await sessions.logout(r.token, address);
    const entries = (await repos.auditLog.list()).slice(before);
    expect(entries.map((e) => [e.action, e.verdict, e.reason, e.target, e.address])).toEqual([
      ['auth.login', 'refuse', 'wrong-password', `user:${login}`, address],
      ['auth.login', 'allow', null, `user:${login}`, address],
      ['auth.logout', 'info', null, `user:${login}`, address],
    ]);
    // One identifier for the person in every entry: the login, with the role beside it.
    for (const e of entries) expect(e).toMatchObject({ actor: login, role: 'party' });
    expect((await audit.verify()).ok).toBe(true);
    const dump = JSON.stringify(entries);
    for (const secret of [PASSWORD, 'a wrong secret', r.token, r.csrfToken])
      expect(dump).not.toContain(secret);
  });

  it('never writes a password or a token to the log', async () => {
    const { login, address } = await freshUser();
    await refusal(sessions.login({ login, password: 'wrong-but-secret', address }));
    const r = await sessions.login({ login, password: PASSWORD, address });
    await sessions.resolve(r.token);
    await sessions.logout(r.token, address);
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('');
    for (const secret of [PASSWORD, 'wrong-but-secret', r.token, r.csrfToken])
      expect(all).not.toContain(secret);
  });

  it('purges ended sessions and stale failure windows', async () => {
    const { login, address } = await freshUser();
    const r = await sessions.login({ login, password: PASSWORD, address });
    await sessions.logout(r.token, address);
    clock.advance(SETTINGS.absoluteMs + 1);
    const purged = await sessions.purgeExpired();
    expect(purged.sessions).toBeGreaterThan(0);
    expect(purged.loginAttempts).toBeGreaterThan(0);
    expect(await repos.sessions.find(r.sessionId)).toBeUndefined();
  });
}

describe('session service on SQLite', () => sessionSuite('sqlite'));
describe.skipIf(!postgres)('session service on PostgreSQL', () => sessionSuite('postgres'));
