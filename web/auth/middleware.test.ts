/**
 * The auth middlewares in a small express app over real HTTP, on a real SQLite catalog:
 * the cookie's flags, CSRF refusals that change nothing, log-out killing the cookie,
 * role checks, and the security headers.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../core/index.ts';
import { createRepositories } from '../../storage/index.ts';
import { openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { errorHandler, notFoundHandler } from '../middlewares/problem.ts';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  authRoutes,
  authenticate,
  csrfProtection,
  requireRole,
  requireUser,
  securityHeaders,
  type CookieSecure,
} from './middleware.ts';
import { SessionService } from '../../court/accounts/sessions.ts';
import { UserAccounts } from '../../court/accounts/users.service.ts';

const PASSWORD = 'a good long password';

let t: TestCatalog;
let sessions: SessionService;
let clock: FakeClock;
const servers: http.Server[] = [];
/** What the test app's state-changing routes changed. */
const notes: string[] = [];

function buildApp(cookieSecure: CookieSecure) {
  const app = express();
  app.use(securityHeaders());
  app.use(express.json());
  app.use(authenticate(sessions));
  app.use(authRoutes({ sessions, cookieSecure }));
  app.use(csrfProtection(sessions));
  app.get('/api/notes', requireUser, (_req, res) => void res.json(notes));
  app.post('/api/notes', requireUser, (req, res) => {
    notes.push(String(req.body?.text));
    res.status(201).json({ count: notes.length });
  });
  for (const method of ['put', 'patch', 'delete'] as const)
    app[method]('/api/notes', requireUser, (_req, res) => {
      notes.push(method);
      res.status(204).end();
    });
  app.get(
    '/api/admin',
    requireRole('administrator', 'auditor'),
    (req, res) => void res.json({ role: req.user?.role }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger()));
  return app;
}

async function listen(app: express.Express): Promise<string> {
  const server = http.createServer(app);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base: string;
let secureBase: string;

beforeAll(async () => {
  t = await openTestCatalog('sqlite');
  const repos = createRepositories(t.catalog.db);
  clock = new FakeClock('2026-03-02T09:00:00.000Z');
  sessions = new SessionService({
    repos,
    clock,
    logger: silentLogger(),
    settings: {
      idleMs: 30 * 60_000,
      absoluteMs: 12 * 3_600_000,
      maxFailuresPerAccount: 5,
      maxFailuresPerAddress: 1000,
      windowMs: 15 * 60_000,
    },
  });
  const accounts = new UserAccounts({ repos, clock });
  for (const [login, role] of [
    ['alice', 'party'],
    ['bob', 'party'],
    ['root', 'administrator'],
    ['carol', 'party'],
    ['dave', 'party'],
    ['erin', 'party'],
  ] as const)
    await accounts.create({ login, role, password: PASSWORD });
  base = await listen(buildApp('auto'));
  secureBase = await listen(buildApp(true));
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await t?.dispose();
});

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function login(login: string, options: { at?: string; cookie?: string } = {}): Promise<Session> {
  const res = await fetch(`${options.at ?? base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.cookie ? { cookie: options.cookie } : {}) },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, setCookie };
}

function call(path: string, init: { method?: string; cookie?: string; csrf?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (init.csrf !== undefined) headers[CSRF_HEADER] = init.csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function problem(res: Response): Promise<{ code: string; status: number }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { code: string; status: number };
}

describe('auth middlewares over HTTP', () => {
  it('sets an http-only, SameSite=Strict session cookie for the whole site, and never caches the answer', async () => {
    const s = await login('alice');
    expect(s.setCookie).toMatch(/; HttpOnly/);
    expect(s.setCookie).toMatch(/; SameSite=Strict/);
    expect(s.setCookie).toMatch(/; Path=\//);
    expect(s.setCookie).not.toMatch(/; Secure/);
    // A session cookie: gone when the browser closes.
    expect(s.setCookie).not.toMatch(/Max-Age|Expires/i);
    const me = await call('/api/auth/me', { cookie: s.cookie });
    expect(me.headers.get('cache-control')).toBe('no-store');
  });

  it('marks the cookie Secure when configured for https', async () => {
    const s = await login('alice', { at: secureBase });
    expect(s.setCookie).toMatch(/; Secure/);
  });

  it('answers /api/auth/me with the user and the CSRF token of the session', async () => {
    const s = await login('bob');
    const res = await call('/api/auth/me', { cookie: s.cookie });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      user: { login: string; role: string };
      csrfToken: string;
      expiresAt: string;
    };
    expect(body.user).toMatchObject({ login: 'bob', role: 'party' });
    expect(body.user).not.toHaveProperty('password_hash');
    expect(body.csrfToken).toBe(s.csrf);
    expect(body.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await problem(await call('/api/auth/me'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses every state-changing method without the CSRF token, and changes nothing', async () => {
    const s = await login('alice');
    const other = await login('bob');
    const before = [...notes];
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      for (const csrf of [undefined, '', 'forged-token', other.csrf, s.csrf.toUpperCase(), `${s.csrf}x`]) {
        const res = await call('/api/notes', { method, cookie: s.cookie, csrf, body: { text: 'forged' } });
        expect(res.status, `${method} with ${String(csrf)}`).toBe(403);
        expect(await problem(res)).toMatchObject({ code: 'CSRF_FAILED' });
      }
    expect(notes).toEqual(before);
    const ok = await call('/api/notes', {
      method: 'POST',
      cookie: s.cookie,
      csrf: s.csrf,
      body: { text: 'real' },
    });
    expect(ok.status).toBe(201);
    expect(notes).toEqual([...before, 'real']);
    // Reading needs no CSRF token.
    expect((await call('/api/notes', { cookie: s.cookie })).status).toBe(200);
  });

  it('refuses log-out without the CSRF token and keeps the session', async () => {
    const s = await login('carol');
    const res = await call('/api/auth/logout', { method: 'POST', cookie: s.cookie });
    expect(await problem(res)).toMatchObject({ status: 403, code: 'CSRF_FAILED' });
    expect((await call('/api/auth/me', { cookie: s.cookie })).status).toBe(200);
  });

  it('refuses a session cookie reused after log-out with 401', async () => {
    const s = await login('carol');
    const out = await call('/api/auth/logout', { method: 'POST', cookie: s.cookie, csrf: s.csrf });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(
      new RegExp(`${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`),
    );
    const before = [...notes];
    expect(await problem(await call('/api/auth/me', { cookie: s.cookie }))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const post = await call('/api/notes', {
      method: 'POST',
      cookie: s.cookie,
      csrf: s.csrf,
      body: { text: 'after logout' },
    });
    expect(await problem(post)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(notes).toEqual(before);
    expect((await call('/api/auth/logout', { method: 'POST', cookie: s.cookie, csrf: s.csrf })).status).toBe(
      401,
    );
  });

  it('rotates the session when the browser logs in again', async () => {
    const first = await login('dave');
    const second = await login('dave', { cookie: first.cookie });
    expect(second.cookie).not.toBe(first.cookie);
    expect((await call('/api/auth/me', { cookie: first.cookie })).status).toBe(401);
    expect((await call('/api/auth/me', { cookie: second.cookie })).status).toBe(200);
  });

  it('refuses a tampered or unknown cookie', async () => {
    const s = await login('alice');
    const value = s.cookie.split('=')[1]!;
    const tampered = `${SESSION_COOKIE}=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    expect((await call('/api/auth/me', { cookie: tampered })).status).toBe(401);
    expect((await call('/api/auth/me', { cookie: `${SESSION_COOKIE}=%E0%A4%A` })).status).toBe(401);
    expect((await call('/api/auth/me', { cookie: `other=1; ${s.cookie}` })).status).toBe(200);
  });

  it('allows a role only to the roles named', async () => {
    const party = await login('alice');
    const admin = await login('root');
    expect(await problem(await call('/api/admin'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await problem(await call('/api/admin', { cookie: party.cookie }))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    const ok = await call('/api/admin', { cookie: admin.cookie });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ role: 'administrator' });
  });

  it('answers a wrong password with LOGIN_FAILED and a burst with 429 and Retry-After', async () => {
    const attempt = () =>
      fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'erin', password: 'not the password' }),
      });
    for (let i = 0; i < 5; i++) {
      const res = await attempt();
      expect(await problem(res)).toMatchObject({ status: 401, code: 'LOGIN_FAILED' });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    const limited = await attempt();
    expect(await problem(limited)).toMatchObject({ status: 429, code: 'LOGIN_RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBe(15 * 60);
  });

  it('refuses a log-in that is not JSON or lacks a field, without a cookie', async () => {
    const form = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `login=alice&password=${encodeURIComponent(PASSWORD)}`,
    });
    expect(await problem(form)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(form.headers.getSetCookie()).toEqual([]);
    const missing = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice' }),
    });
    expect(await problem(missing)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('sends a CSP that allows only the hub itself plus blob: media, and the other helmet headers', async () => {
    const res = await call('/api/notes');
    const csp = res.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['media-src']).toEqual(["'self'", 'blob:']);
    expect(directives['worker-src']).toEqual(["'self'", 'blob:']);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives).not.toHaveProperty('upgrade-insecure-requests');
    expect(csp).not.toMatch(/https?:|\*|unsafe/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('adds HSTS over https and only the configured media origin', async () => {
    const app = express();
    app.use(securityHeaders({ https: true, mediaOrigins: ['https://minio.court.local:9000/bucket'] }));
    app.get('/', (_req, res) => void res.send('ok'));
    const url = await listen(app);
    const res = await fetch(url);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("media-src 'self' blob: https://minio.court.local:9000");
    expect(csp).toContain("connect-src 'self' https://minio.court.local:9000");
    expect(csp).toContain('upgrade-insecure-requests');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });
});
