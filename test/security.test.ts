/**
 * Acceptance of issue 6's security suite, against one embedded stack (hub, worker and the
 * demo recorder) that records three real hearings: an open and a closed hearing of the
 * demo case, and an open hearing of a second case with its own party and judge.
 *
 * Every probe is generated from a table (account × hearing × action × place × state of
 * the credential; route × field × bad value) and sent from a chosen source address: with
 * HATTAMA_COURT_NETWORKS=127.0.0.3/32, 127.0.0.3 is the court's network (on site) and
 * 127.0.0.1 is anywhere else (off site). Each probe must be refused with the expected
 * status and problem code (and, for the access policy, its reason). Probes run 16 at a
 * time; around each batch the whole catalog and the object store are compared, except
 * the three tables a refusal is *meant* to write: `audit_log` (the refusal itself),
 * `sessions` (a session's last-seen time) and `login_attempts` (log-in counting). Every
 * refusal of someone who presented a credential (a session, a signed URL, a log-in) must
 * be in the audit log, matched entry for entry: the batch's new refusals are exactly the
 * probes' own.
 *
 * The brute-force test starts a second, hub-only stack with the default log-in limits;
 * the main stack has limits too high to trip, so its probes never lock anyone out.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerifyText, verifyAuditChain } from '../cli/commands/audit.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { startRole, type Role as StackRole, type Running } from '../cli/commands/serve.ts';
import { MARKER_KINDS, createLogger, loadConfig, type Config } from '../core/index.ts';
import type { AuditEntry } from '../storage/index.ts';
import { UserAccounts } from '../court/index.ts';
import {
  batches,
  rawRequest,
  snapshotObjects,
  snapshotTables,
  unmatched,
  type RawRequest,
  type Reply,
  type TableSnapshot,
} from './support/security-probes.ts';

const PASSWORD = 'security-suite-password-42';
const OFF_SITE = '127.0.0.1';
const ON_SITE = '127.0.0.3';
const CONCURRENCY = 16;
const RECORD_SECONDS = 6;
/** What a refused probe is allowed to write (see the header). */
const PROBE_TABLES = ['audit_log', 'sessions', 'login_attempts'];
const SESSION_COOKIE = 'hattama_session';

// ---------------------------------------------------------------------------
// The world the probes run in

type Visibility = 'open' | 'closed';
interface HearingFacts {
  id: string;
  caseId: string;
  courtId: string;
  visibility: Visibility;
  judge: string;
}
const HEARINGS = {
  openA: {
    id: 'h-open-a',
    caseId: 'demo-case',
    courtId: 'demo-court',
    visibility: 'open',
    judge: 'demo-judge',
  },
  closedA: {
    id: 'h-closed-a',
    caseId: 'demo-case',
    courtId: 'demo-court',
    visibility: 'closed',
    judge: 'demo-judge',
  },
  openB: { id: 'h-open-b', caseId: 'case-b', courtId: 'demo-court', visibility: 'open', judge: 'judge-b' },
} as const satisfies Record<string, HearingFacts>;
type HearingName = keyof typeof HEARINGS;
const HEARING_NAMES = Object.keys(HEARINGS) as HearingName[];
/** Created, never started: nothing recorded yet. */
const SCHEDULED = 'h-scheduled';
const TRACKS = ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4'] as const;

type Role =
  | 'administrator'
  | 'operator'
  | 'secretary'
  | 'judge'
  | 'party'
  | 'representative'
  | 'higher-court-judge'
  | 'auditor';
interface Account {
  login: string;
  role: Role;
  /** Courts an operator or secretary works at. */
  courts?: string[];
  /** Cases whose party or representative the account is. */
  cases?: string[];
  /** Cases a higher-court judge is assigned to now, and ones whose assignment has ended. */
  assigned?: string[];
  assignmentEnded?: string[];
}
const ACCOUNTS: readonly Account[] = [
  { login: 'demo-admin', role: 'administrator' },
  { login: 'demo-operator', role: 'operator', courts: ['demo-court'] },
  { login: 'operator-2', role: 'operator', courts: ['court-2'] },
  { login: 'demo-secretary', role: 'secretary', courts: ['demo-court'] },
  { login: 'secretary-2', role: 'secretary', courts: ['court-2'] },
  { login: 'demo-judge', role: 'judge' },
  { login: 'judge-b', role: 'judge' },
  { login: 'demo-party', role: 'party', cases: ['demo-case'] },
  { login: 'demo-representative', role: 'representative', cases: ['demo-case'] },
  { login: 'party-b', role: 'party', cases: ['case-b'] },
  { login: 'demo-higher-judge', role: 'higher-court-judge', assigned: ['demo-case'] },
  { login: 'higher-judge-past', role: 'higher-court-judge', assignmentEnded: ['demo-case'] },
  { login: 'demo-auditor', role: 'auditor' },
];
const PLACES = [
  { name: 'off site', from: OFF_SITE, onSite: false },
  { name: 'on site', from: ON_SITE, onSite: true },
] as const;

interface Session {
  token: string;
  csrf: string;
}

/** What a probe needs at run time: the stack's address, sessions, signed URLs. */
interface Ctx {
  base: string;
  adminToken: string;
  recorderId: string;
  /** A copy demo-party asked for, of the open hearing of case A. */
  copyId: string;
  session(name: string): Session;
  /** A signed URL of segment `seq` of `track`, as the hub hands out: valid, or already expired. */
  segmentUrl(kind: 'valid' | 'expired', hearing: string, track: string, seq: number): string;
}

interface Stack {
  tmp: string;
  config: Config;
  running: Running;
  base: string;
  adminToken: string;
  sessions: Map<string, Session>;
  urls: Map<string, string>;
  ctx: Ctx;
}

// ---------------------------------------------------------------------------
// Probes and the runner

interface AuditExpect {
  action: string;
  reason: string;
  actor?: string;
  hearingId?: string | null;
  target?: string | null;
  address?: string;
}

interface Probe {
  label: string;
  request: (ctx: Ctx) => RawRequest;
  status: number;
  /** The problem's code; absent for the allowed controls. */
  code?: string;
  /** The access policy's reason, in the problem's details. */
  reason?: string;
  /** The audit entry this refusal must leave. */
  audit?: AuditExpect;
  /**
   * A request without a valid credential: past a burst from one address it is answered
   * 429 RATE_LIMITED instead, and it is audited only in its address's count.
   */
  orLimited?: boolean;
  check?: (reply: Reply) => string | null;
}

interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  details?: { reason?: string; retryAfterSeconds?: number };
}

function verdictOf(p: Probe, r: Reply): string | null {
  const body = (r.json ?? {}) as ProblemBody;
  if (p.orLimited && r.status === 429) {
    if (body.code !== 'RATE_LIMITED' || !(Number(r.headers['retry-after']) > 0))
      return `429 without RATE_LIMITED and Retry-After: ${r.text.slice(0, 200)}`;
    return p.check?.(r) ?? null;
  }
  if (r.status !== p.status)
    return `got ${r.status} ${body.code ?? ''}, expected ${p.status} ${p.code ?? ''}: ${r.text.slice(0, 200)}`;
  if (p.code !== undefined) {
    if (!/^application\/problem\+json/.test(r.headers['content-type'] ?? ''))
      return `answered ${r.headers['content-type']}, not application/problem+json`;
    if (body.code !== p.code) return `code ${body.code}, expected ${p.code}`;
    if (
      body.status !== p.status ||
      typeof body.detail !== 'string' ||
      !body.type?.startsWith('https://hattama.dev/problems/')
    )
      return `not a complete problem: ${r.text.slice(0, 200)}`;
    if (p.reason !== undefined && body.details?.reason !== p.reason)
      return `reason ${body.details?.reason}, expected ${p.reason}`;
  }
  return p.check?.(r) ?? null;
}

function auditMatches(e: AuditExpect, a: AuditEntry): boolean {
  return (
    a.verdict === 'refuse' &&
    a.action === e.action &&
    a.reason === e.reason &&
    (e.actor === undefined || a.actor === e.actor) &&
    (e.hearingId === undefined || a.hearing_id === e.hearingId) &&
    (e.target === undefined || a.target === e.target) &&
    (e.address === undefined || a.address === e.address)
  );
}

interface State {
  catalog: TableSnapshot;
  objects: string[];
}

async function stateOf(s: Stack): Promise<State> {
  const backends = s.running.backends!;
  return {
    catalog: await snapshotTables(backends.catalog.db, PROBE_TABLES),
    objects: await snapshotObjects(backends.objects),
  };
}

function changesBetween(a: State, b: State): string[] {
  const tables = [...new Set([...Object.keys(a.catalog), ...Object.keys(b.catalog)])];
  const changed = tables.filter((t) => JSON.stringify(a.catalog[t]) !== JSON.stringify(b.catalog[t]));
  if (JSON.stringify(a.objects) !== JSON.stringify(b.objects)) changed.push('the object store');
  return changed;
}

interface RunOptions {
  concurrency?: number;
  /** Whether the batch's new refusals in the audit log must be exactly the probes' own (not for controls). */
  exactAudit?: boolean;
}

interface RunResult {
  failures: string[];
  audited: number;
}

/**
 * Runs probes in concurrent batches; around each batch, checks that nothing changed and
 * that the audit log gained exactly the refusals expected. Returns every failure, so one
 * run shows them all.
 */
async function runProbes(s: Stack, probes: readonly Probe[], options: RunOptions = {}): Promise<RunResult> {
  const failures: string[] = [];
  let audited = 0;
  const repo = s.running.backends!.repos.auditLog;
  for (const batch of batches(probes, options.concurrency ?? CONCURRENCY)) {
    const before = await stateOf(s);
    const lastSeq = (await repo.last())?.seq ?? 0;
    const replies = await Promise.all(batch.map((p) => rawRequest(s.base, p.request(s.ctx))));
    const changed = changesBetween(before, await stateOf(s));
    if (changed.length > 0)
      failures.push(`changed ${changed.join(', ')} in the batch [${batch.map((p) => p.label).join(' | ')}]`);
    batch.forEach((p, i) => {
      const why = verdictOf(p, replies[i]!);
      if (why) failures.push(`${p.label}: ${why}`);
    });
    const refusals = (await repo.list({ verdict: 'refuse' })).filter((e) => e.seq > lastSeq);
    const expected = batch.filter((p) => p.audit !== undefined);
    for (const p of unmatched(expected, refusals, (e, a) => auditMatches(e.audit!, a)))
      failures.push(`${p.label}: no audit entry like ${JSON.stringify(p.audit)}`);
    if (options.exactAudit !== false && refusals.length !== expected.length)
      failures.push(
        `${refusals.length} refusals audited for ${expected.length} expected in [${batch.map((p) => p.label).join(' | ')}]: ` +
          refusals.map((e) => `${e.actor} ${e.action} ${e.reason}`).join('; '),
      );
    audited += Math.min(refusals.length, expected.length);
  }
  return { failures, audited };
}

// ---------------------------------------------------------------------------
// Request helpers

function userRequest(
  session: Session,
  r: { method: string; path: string; from: string; body?: unknown; csrf?: boolean },
): RawRequest {
  const headers: Record<string, string> = { cookie: `${SESSION_COOKIE}=${session.token}` };
  if (r.method !== 'GET' && r.csrf !== false) headers['x-csrf-token'] = session.csrf;
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method: r.method,
    path: r.path,
    headers,
    from: r.from,
    ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
  };
}

function adminRequest(ctx: Ctx, r: { method: string; path: string; body?: unknown }): RawRequest {
  const headers: Record<string, string> = { authorization: `Bearer ${ctx.adminToken}` };
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method: r.method,
    path: r.path,
    headers,
    ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
  };
}

/**
 * A probe about input, not access, sent by someone allowed the action: the audit log's
 * filters by the auditor, a hearing's or a copy's routes by the demo hearings' secretary
 * (the administrator token sees no evidence), the administrator's routes with its token.
 */
function probeRequest(ctx: Ctx, r: { method: string; path: string; body?: unknown }): RawRequest {
  if (r.path.startsWith('/api/audit'))
    return userRequest(ctx.session('demo-auditor'), { ...r, from: OFF_SITE });
  // Creating a hearing is the court's secretary's; everything else of the demo hearings is their judge's.
  if (r.path === '/api/hearings' || r.path.startsWith('/api/copies'))
    return userRequest(ctx.session('demo-secretary'), { ...r, from: OFF_SITE });
  if (r.path.startsWith('/api/hearings'))
    return userRequest(ctx.session('demo-judge'), { ...r, from: OFF_SITE });
  return adminRequest(ctx, r);
}

async function adminCall(s: Stack, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const reply = await rawRequest(s.base, adminRequest(s.ctx, { method, path: pathname, body }));
  if (reply.status >= 300) throw new Error(`${method} ${pathname}: ${reply.status} ${reply.text}`);
  return reply.json;
}

/**
 * A change that gives access (an assignment, a terminal, a higher-court judge): the token
 * proposes it and demo-admin, a second administrator logged in, approves it (decision 0018).
 * Returns what the approval made.
 */
async function approvedCall(s: Stack, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const proposed = (await adminCall(s, method, pathname, body)) as { approval: { id: string } };
  let session = s.sessions.get('setup-admin');
  if (!session) {
    session = await logIn(s.base, 'demo-admin');
    s.sessions.set('setup-admin', session);
  }
  const reply = await rawRequest(
    s.base,
    userRequest(session, {
      method: 'POST',
      path: `/api/admin/approvals/${proposed.approval.id}/approve`,
      from: OFF_SITE,
    }),
  );
  if (reply.status !== 200) throw new Error(`approve ${pathname}: ${reply.status} ${reply.text}`);
  return (reply.json as { result: unknown }).result;
}

/** A call as the demo court's operator, who runs the suite's recordings from the console. */
async function operatorCall(s: Stack, method: string, pathname: string, body?: unknown): Promise<unknown> {
  let session = s.sessions.get('setup-operator');
  if (!session) {
    session = await logIn(s.base, 'demo-operator');
    s.sessions.set('setup-operator', session);
  }
  const reply = await rawRequest(
    s.base,
    userRequest(session, { method, path: pathname, body, from: OFF_SITE }),
  );
  if (reply.status >= 300) throw new Error(`${method} ${pathname}: ${reply.status} ${reply.text}`);
  return reply.json;
}

async function logIn(base: string, login: string, password = PASSWORD, from = OFF_SITE): Promise<Session> {
  const reply = await rawRequest(base, {
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
    from,
  });
  if (reply.status !== 200) throw new Error(`log-in of ${login}: ${reply.status} ${reply.text}`);
  const cookie = String(reply.headers['set-cookie']?.[0] ?? '');
  const token = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(cookie)?.[1];
  if (!token) throw new Error(`log-in of ${login} set no session cookie: ${cookie}`);
  return { token, csrf: (reply.json as { csrfToken: string }).csrfToken };
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function urlKey(kind: string, hearing: string, track: string, seq: number): string {
  return `${kind} ${hearing} ${track} ${seq}`;
}

async function startStack(role: StackRole, env: Record<string, string>): Promise<Stack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-security-'));
  const config = loadConfig({
    HATTAMA_DATA_DIR: tmp,
    HATTAMA_PORT: '0',
    // HATTAMA_TEST_LOG_LEVEL=info shows the stack's log when a run needs explaining.
    HATTAMA_LOG_LEVEL: process.env.HATTAMA_TEST_LOG_LEVEL ?? 'silent',
    HATTAMA_RECORDER_SOURCES: 'demo',
    // Two segments a track (seq 0 and 1, table 3) in RECORD_SECONDS.
    HATTAMA_SEGMENT_SECONDS: '4',
    HATTAMA_DEMO_PASSWORD: PASSWORD,
    HATTAMA_COURT_NETWORKS: `${ON_SITE}/32`,
    ...env,
  });
  const running = await startRole(role, config, createLogger({ level: config.logLevel }));
  const sessions = new Map<string, Session>();
  const urls = new Map<string, string>();
  const ctx: Ctx = {
    base: running.url!,
    adminToken: running.adminToken!,
    recorderId: config.recorderId,
    copyId: '',
    session(name) {
      const s = sessions.get(name);
      if (!s) throw new Error(`no session "${name}"`);
      return s;
    },
    segmentUrl(kind, hearing, track, seq) {
      const url = urls.get(urlKey(kind, hearing, track, seq));
      if (!url) throw new Error(`no ${kind} URL of ${hearing} ${track} ${seq}`);
      return url;
    },
  };
  return { tmp, config, running, base: running.url!, adminToken: running.adminToken!, sessions, urls, ctx };
}

async function closeStack(s: Stack | undefined): Promise<void> {
  if (!s) return;
  const audit = await verifyAuditChain(s.running.backends!.repos);
  await s.running.close();
  fs.rmSync(s.tmp, { recursive: true, force: true });
  expect(audit.ok, `the stack's audit log: ${auditVerifyText(audit)}`).toBe(true);
}

/** Records an open hearing of case B through the API, as an operator's console would. */
async function recordThroughApi(s: Stack, id: string, seconds: number): Promise<void> {
  const repos = s.running.backends!.repos;
  await operatorCall(s, 'POST', `/api/hearings/${id}/start`);
  const t0 = await until(`the first segment of ${id}`, 60_000, async () => {
    const segments = await repos.segments.listByHearing(id);
    return segments.length > 0 ? Math.min(...segments.map((x) => x.start_ms)) : null;
  });
  await sleep(t0 + seconds * 1000 - Date.now());
  await operatorCall(s, 'POST', `/api/hearings/${id}/stop`);
  await until(`the manifest of ${id}`, 120_000, async () => (await repos.hearings.find(id))?.manifest_key);
}

// ---------------------------------------------------------------------------
// Table 1: account × hearing × action × place

type HearingAction =
  | 'hearing.view'
  | 'recording.play'
  | 'recording.download'
  | 'marker.add'
  | 'range.seal'
  | 'hearing.operate'
  | 'hearing.edit';
interface HearingRoute {
  name: string;
  action: HearingAction;
  method: 'GET' | 'POST' | 'PUT';
  path: (id: string) => string;
  body?: unknown;
}
const SEAL = { start: '2026-03-02T09:00:00.000Z', end: '2026-03-02T09:00:05.000Z', reason: 'probe' };
const HEARING_ROUTES: readonly HearingRoute[] = [
  { name: 'hearing detail', action: 'hearing.view', method: 'GET', path: (id) => `/api/hearings/${id}` },
  {
    name: 'master playlist',
    action: 'recording.play',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/hls/master.m3u8`,
  },
  {
    name: 'video playlist',
    action: 'recording.play',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/hls/video.m3u8`,
  },
  {
    name: 'mic-1 playlist',
    action: 'recording.play',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/hls/mic-1.m3u8`,
  },
  {
    name: 'position',
    action: 'recording.play',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/position?t=2`,
  },
  { name: 'manifest', action: 'recording.play', method: 'GET', path: (id) => `/api/hearings/${id}/manifest` },
  {
    name: 'add a marker',
    action: 'marker.add',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/markers`,
    body: { kind: 'motion', text: 'probe' },
  },
  {
    name: 'seal a range',
    action: 'range.seal',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/sealed-ranges`,
    body: SEAL,
  },
  {
    name: 'read the microphone mapping',
    action: 'hearing.view',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/speakers`,
  },
  {
    name: 'map the microphones',
    action: 'hearing.edit',
    method: 'PUT',
    path: (id) => `/api/hearings/${id}/speakers`,
    body: { speakers: [{ track: 'mic-1', label: 'Probe' }] },
  },
  {
    name: 'ask for a copy',
    action: 'recording.download',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/copies`,
    body: { from: '2026-03-02T09:00:00.000Z', to: '2026-03-02T09:00:05.000Z' },
  },
  ...(['start', 'pause', 'resume', 'stop'] as const).map((command): HearingRoute => ({
    name: command,
    action: 'hearing.operate',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/${command}`,
  })),
];

/**
 * The rules of issue 6 as this suite reads them, written out independently of
 * court/policy: null where the account may do this, else the reason it is refused.
 */
function refusalOf(a: Account, h: HearingFacts, action: HearingAction, onSite: boolean): string | null {
  const runs =
    action === 'marker.add' ||
    action === 'hearing.operate' ||
    action === 'range.seal' ||
    action === 'hearing.edit';
  const copy = action === 'recording.download';
  switch (a.role) {
    case 'administrator':
      return 'role-cannot'; // administrators run the system; evidence is for the case's people
    case 'operator':
      // They run the recording; sealing and the secretary's form (microphones) are not theirs.
      if (action === 'range.seal' || action === 'hearing.edit' || copy) return 'role-cannot';
      if (!a.courts?.includes(h.courtId)) return 'not-of-this-court';
      if (action !== 'recording.play') return null;
      if (h.visibility === 'closed') return 'closed-hearing-not-for-operators';
      return onSite ? null : 'on-site-only';
    case 'secretary':
      // Sealing is the judge's ruling; none of these hearings was prepared by a secretary's account.
      return action === 'range.seal' ? 'role-cannot' : 'not-the-hearings-staff';
    case 'judge':
      return h.judge === a.login ? null : 'not-the-hearings-staff';
    case 'party':
    case 'representative':
      if (runs) return 'role-cannot';
      if (!a.cases?.includes(h.caseId)) return 'not-a-participant';
      if (h.visibility === 'open') return null;
      // A copy leaves the court: never of a closed hearing, not even on site.
      if (copy) return 'closed-hearing-no-copies';
      return action === 'recording.play' && !onSite ? 'closed-hearing-off-site' : null;
    case 'higher-court-judge':
      // They review online; copies are for the case.
      if (runs || copy) return 'role-cannot';
      if (a.assigned?.includes(h.caseId)) return null;
      // Assigned, but not now: told apart from never assigned.
      if (a.assignmentEnded?.includes(h.caseId)) return 'assignment-not-active';
      return 'not-assigned-to-case';
    case 'auditor':
      return runs || copy ? 'role-cannot' : 'auditor-reads-log-only';
  }
}

const hearingProbes: Probe[] = [];
/** The combinations the same table allows (reads only: an allowed write would change data). */
const hearingControls: Probe[] = [];
for (const a of ACCOUNTS)
  for (const hearingName of HEARING_NAMES)
    for (const route of HEARING_ROUTES)
      for (const place of PLACES) {
        const h = HEARINGS[hearingName];
        const reason = refusalOf(a, h, route.action, place.onSite);
        const label = `${a.login} ${place.name}: ${route.name} of ${h.id}`;
        const request = (ctx: Ctx) =>
          userRequest(ctx.session(a.login), {
            method: route.method,
            path: route.path(h.id),
            body: route.body,
            from: place.from,
          });
        if (reason === null) {
          if (route.method === 'GET') hearingControls.push({ label, request, status: 200 });
          continue;
        }
        hearingProbes.push({
          label,
          request,
          status: 403,
          code: 'FORBIDDEN',
          reason,
          audit: { action: route.action, reason, actor: a.login, hearingId: h.id, address: place.from },
        });
      }

// ---------------------------------------------------------------------------
// Table 2: account × system route (administration, audit log, recorder tokens) × place

interface SystemRoute {
  name: string;
  method: 'GET' | 'POST';
  path: (ctx: Ctx) => string;
  body?: unknown;
  /** The action the refusal is audited as. */
  action: string;
  allowed: (a: Account) => boolean;
  reason?: (a: Account) => string;
}
const isAdmin = (a: Account) => a.role === 'administrator';
/** Cases of the demo court are prepared by its secretaries and by administrators. */
const prepares = (a: Account) =>
  a.role === 'administrator' || (a.role === 'secretary' && (a.courts ?? []).includes('demo-court'));
const preparesRefusal = (a: Account) => (a.role === 'secretary' ? 'not-of-this-court' : 'role-cannot');
/** Who sees the demo case's participants (court/policy decideCase, written out independently). */
function demoCaseReadRefusal(a: Account): string | null {
  switch (a.role) {
    case 'administrator':
      return null;
    case 'secretary':
      return (a.courts ?? []).includes('demo-court') ? null : 'not-of-this-court';
    case 'judge':
      return a.login === 'demo-judge' ? null : 'not-the-hearings-staff';
    case 'operator':
      return 'role-cannot';
    case 'party':
    case 'representative':
      return a.cases?.includes('demo-case') ? null : 'not-a-participant';
    case 'higher-court-judge':
      if (a.assigned?.includes('demo-case')) return null;
      return a.assignmentEnded?.includes('demo-case') ? 'assignment-not-active' : 'not-assigned-to-case';
    case 'auditor':
      return 'auditor-reads-log-only';
  }
}
const SYSTEM_ROUTES: readonly SystemRoute[] = [
  {
    name: 'list the users',
    method: 'GET',
    path: () => '/api/admin/users',
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'create an administrator',
    method: 'POST',
    path: () => '/api/admin/users',
    body: { login: 'probe-admin', role: 'administrator', password: PASSWORD },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'disable a judge',
    method: 'POST',
    path: () => '/api/admin/users/demo-judge/disable',
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'create a court',
    method: 'POST',
    path: () => '/api/admin/courts',
    body: { id: 'probe-court', name: 'Probe court' },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'create a courtroom',
    method: 'POST',
    path: () => '/api/courtrooms',
    body: { id: 'probe-room', courtId: 'demo-court', name: 'Probe room' },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'register an on-site terminal',
    method: 'POST',
    path: () => '/api/admin/terminals',
    body: { id: 'probe-terminal', courtId: 'demo-court', name: 'Probe terminal' },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'assign someone to the case',
    method: 'POST',
    path: () => '/api/cases/demo-case/assignments',
    body: { userLogin: 'demo-auditor', validFrom: '2026-01-01T00:00:00.000Z' },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'create a case',
    method: 'POST',
    path: () => '/api/cases',
    body: { number: '2-0777/2026', courtId: 'demo-court' },
    action: 'case.prepare',
    allowed: prepares,
    reason: preparesRefusal,
  },
  {
    name: 'join a case as its party',
    method: 'POST',
    path: () => '/api/cases/demo-case/participants',
    body: { name: 'Probe', capacity: 'party', userLogin: 'party-b' },
    action: 'case.prepare',
    allowed: prepares,
    reason: preparesRefusal,
  },
  {
    name: "see the case's participants",
    method: 'GET',
    path: () => '/api/cases/demo-case/participants',
    action: 'case.read',
    allowed: (a) => demoCaseReadRefusal(a) === null,
    reason: (a) => demoCaseReadRefusal(a)!,
  },
  {
    name: 'register a recorder node',
    method: 'POST',
    path: () => '/api/recorders',
    body: { id: 'probe-recorder', courtroomId: 'demo-room', name: 'Probe recorder' },
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: "issue a recorder node's token",
    method: 'POST',
    path: (ctx) => `/api/recorders/${ctx.recorderId}/token`,
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'revoke a recorder node',
    method: 'POST',
    path: (ctx) => `/api/recorders/${ctx.recorderId}/revoke`,
    action: 'admin.manage',
    allowed: isAdmin,
  },
  {
    name: 'read the audit log',
    method: 'GET',
    path: () => '/api/audit?verdict=refuse',
    action: 'audit.read',
    allowed: (a) => a.role === 'auditor',
  },
  {
    name: 'export the audit log',
    method: 'GET',
    path: () => '/api/audit?format=csv',
    action: 'audit.read',
    allowed: (a) => a.role === 'auditor',
  },
  {
    name: 'watch the recorder nodes',
    method: 'GET',
    path: () => '/api/recorders',
    action: 'recorders.watch',
    allowed: (a) => ['operator', 'secretary', 'judge', 'administrator'].includes(a.role),
  },
  {
    name: 'create a hearing',
    method: 'POST',
    path: () => '/api/hearings',
    body: {
      courtroomId: 'demo-room',
      caseNumber: '2-0001/2026',
      title: 'Probe',
      judge: 'Probe judge',
      caseId: 'demo-case',
    },
    action: 'hearing.create',
    allowed: (a) => a.role === 'secretary' && (a.courts ?? []).includes('demo-court'),
    reason: (a) => (a.role === 'secretary' ? 'not-of-this-court' : 'role-cannot'),
  },
];

const systemProbes: Probe[] = [];
const systemControls: Probe[] = [];
for (const a of ACCOUNTS)
  for (const route of SYSTEM_ROUTES)
    for (const place of PLACES) {
      const label = `${a.login} ${place.name}: ${route.name}`;
      const request = (ctx: Ctx) =>
        userRequest(ctx.session(a.login), {
          method: route.method,
          path: route.path(ctx),
          body: route.body,
          from: place.from,
        });
      if (route.allowed(a)) {
        if (route.method === 'GET') systemControls.push({ label, request, status: 200 });
        continue;
      }
      const reason = route.reason?.(a) ?? 'role-cannot';
      systemProbes.push({
        label,
        request,
        status: 403,
        code: 'FORBIDDEN',
        reason,
        audit: { action: route.action, reason, actor: a.login, address: place.from },
      });
    }

/** A copy carries its requester's name as a watermark: nobody else may fetch it, from anywhere. */
const foreignCopyProbes: Probe[] = ACCOUNTS.filter((a) => a.login !== 'demo-party').flatMap((a) =>
  PLACES.map((place): Probe => ({
    label: `${a.login} ${place.name}: demo-party's copy`,
    request: (ctx) =>
      userRequest(ctx.session(a.login), {
        method: 'GET',
        path: `/api/copies/${ctx.copyId}`,
        from: place.from,
      }),
    status: 403,
    code: 'FORBIDDEN',
    reason: 'not-the-copy-requester',
    audit: {
      action: 'copy.download',
      reason: 'not-the-copy-requester',
      actor: a.login,
      hearingId: HEARINGS.openA.id,
      address: place.from,
    },
  })),
);

// ---------------------------------------------------------------------------
// Table 3: signed segment URLs — expired, tampered, and keys that try to leave their place

const SEGMENTS = HEARING_NAMES.flatMap((h) =>
  TRACKS.flatMap((track) => [0, 1].map((seq) => ({ hearing: HEARINGS[h].id, track, seq }))),
);

const expiredUrlProbes: Probe[] = SEGMENTS.flatMap((seg) =>
  PLACES.map((place): Probe => ({
    label: `${place.name}: expired URL of ${seg.hearing} ${seg.track} #${seg.seq}`,
    request: (ctx) => ({
      path: ctx.segmentUrl('expired', seg.hearing, seg.track, seg.seq),
      from: place.from,
    }),
    status: 403,
    code: 'URL_EXPIRED',
    orLimited: true,
  })),
);

const flipChar = (c: string) => (c === '0' ? '1' : '0');
const TAMPERS: readonly { name: string; apply: (url: string) => string }[] = [
  {
    name: 'one character of the signature changed',
    apply: (u) => u.replace(/sig=([\w-])/, (_m, c: string) => `sig=${flipChar(c)}`),
  },
  {
    name: 'the last character of the signature changed',
    apply: (u) => u.replace(/([\w-])$/, (_m, c: string) => flipChar(c)),
  },
  { name: 'the signature cut short', apply: (u) => u.slice(0, -2) },
  {
    name: "the signature with its letters' case swapped",
    apply: (u) =>
      u.replace(/sig=([\w-]+)/, (_m, s: string) =>
        s.replace(/[A-Za-z]/g, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())),
      ),
  },
  { name: 'no signature', apply: (u) => u.replace(/&sig=[\w-]+/, '') },
  { name: 'the signature twice', apply: (u) => `${u}&${/sig=[\w-]+/.exec(u)![0]}` },
  {
    name: 'the expiry one second later',
    apply: (u) => u.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 1}`),
  },
  {
    name: 'the expiry a year later',
    apply: (u) => u.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 31_536_000}`),
  },
  { name: 'no expiry', apply: (u) => u.replace(/expires=\d+&/, '') },
  { name: 'an expiry that is not a number', apply: (u) => u.replace(/expires=\d+/, 'expires=never') },
  { name: 'a download name added', apply: (u) => `${u}&filename=copy.ts` },
  {
    name: 'another track of the same hearing',
    apply: (u) => u.replace(/\/(video|mic-1)\//, (_m, t: string) => (t === 'video' ? '/mix/' : '/mic-2/')),
  },
  {
    name: 'the same segment of another hearing',
    apply: (u) =>
      u.replace(
        /\/hearings\/([^/]+)\//,
        (_m, id: string) =>
          `/hearings/${id === HEARINGS.closedA.id ? HEARINGS.openA.id : HEARINGS.closedA.id}/`,
      ),
  },
];
const TAMPERED_SEGMENTS = HEARING_NAMES.flatMap((h) => [
  { hearing: HEARINGS[h].id, track: 'video', seq: 0 },
  { hearing: HEARINGS[h].id, track: 'mic-1', seq: 1 },
]);
const tamperedUrlProbes: Probe[] = TAMPERED_SEGMENTS.flatMap((seg, si) =>
  TAMPERS.map((tamper, ti): Probe => {
    const place = PLACES[(si + ti) % 2]!;
    return {
      label: `${place.name}: URL of ${seg.hearing} ${seg.track} #${seg.seq} with ${tamper.name}`,
      request: (ctx) => ({
        path: tamper.apply(ctx.segmentUrl('valid', seg.hearing, seg.track, seg.seq)),
        from: place.from,
      }),
      status: 403,
      code: 'URL_SIGNATURE_INVALID',
      orLimited: true,
      check: (r) => (/video\/mp2t/.test(r.headers['content-type'] ?? '') ? 'served a segment' : null),
    };
  }),
);

/** Object paths that try to leave their key space; each is sent with a valid URL's query. */
const TRAVERSALS: readonly {
  name: string;
  path: (key: string) => string;
  status: number;
  code: string;
  audited: boolean;
}[] = [
  ...[
    [
      '`..` back into the closed hearing',
      (k: string) => k.replace(/^hearings\/[^/]+\//, (m) => `${m}../${HEARINGS.closedA.id}/`),
    ],
    ['`%2e%2e`', (k: string) => k.replace(/^hearings\/[^/]+\//, (m) => `${m}%2e%2e/${HEARINGS.closedA.id}/`)],
    ['`%2E%2E`', (k: string) => k.replace(/^hearings\//, 'hearings/%2E%2E/hearings/')],
    ['`.%2e`', (k: string) => `${k.replace(/\/[^/]+$/, '')}/.%2e/${k.split('/').at(-1)}`],
    ['`..%2f` out of the store', () => '..%2f..%2fkeys%2furl-signing.key'],
    ['`..` out of the store', () => '../../keys/url-signing.key'],
    ['`%2e%2e%2f` out of the store', () => '%2e%2e%2f%2e%2e%2fcatalog.sqlite'],
    ['an absolute path', () => '/etc/passwd'],
    ['an encoded absolute path', () => '%2Fetc%2Fpasswd'],
    ['a NUL byte', (k: string) => `${k}%00.json`],
    ['a backslash', () => 'hearings%5C..%5C..%5Ckeys%5Curl-signing.key'],
    ['a `.` component', (k: string) => k.replace(/^hearings\//, 'hearings/./')],
    ['a trailing slash', (k: string) => `${k.replace(/\/[^/]+$/, '')}/`],
    ['a line break', (k: string) => `${k}%0A`],
    ["the store's own data file", (k: string) => `${k}@/data`],
    ['a double-encoded `..`', () => '%252e%252e/keys/url-signing.key'],
    ['an overlong key', () => `hearings/${'x'.repeat(2000)}/video/000000.ts`],
  ].map(([name, p]) => ({
    name: name as string,
    path: p as (k: string) => string,
    status: 400,
    code: 'OBJECT_KEY_INVALID',
    audited: true,
  })),
  // Routing stops these before the signed-object route: nothing to serve, nothing to audit.
  { name: 'an empty key', path: () => '', status: 404, code: 'NOT_FOUND', audited: false },
];
const traversalProbes: Probe[] = TRAVERSALS.flatMap((t) =>
  PLACES.map((place): Probe => ({
    label: `${place.name}: object path with ${t.name}`,
    request: (ctx) => {
      const url = ctx.segmentUrl('valid', HEARINGS.openA.id, 'video', 0);
      const [pathPart, query] = url.split('?') as [string, string];
      return { path: `/objects/${t.path(pathPart.slice('/objects/'.length))}?${query}`, from: place.from };
    },
    status: t.status,
    code: t.code,
    ...(t.audited ? { orLimited: true } : {}),
    check: (r) => (r.text.length > 2000 ? 'answered with more than a problem' : null),
  })),
);
const signedUrlProbes = [...expiredUrlProbes, ...tamperedUrlProbes, ...traversalProbes];

// ---------------------------------------------------------------------------
// Table 4: every state-changing route × a missing or wrong CSRF token

interface WriteRoute {
  as: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (ctx: Ctx) => string;
  body?: unknown;
}
const WRITE_ROUTES: readonly WriteRoute[] = [
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/admin/users',
    body: { login: 'csrf-user', role: 'administrator', password: PASSWORD },
  },
  { as: 'demo-admin', method: 'POST', path: () => '/api/admin/users/demo-judge/disable' },
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/admin/courts',
    body: { id: 'csrf-court', name: 'CSRF court' },
  },
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/courtrooms',
    body: { id: 'csrf-room', courtId: 'demo-court', name: 'CSRF room' },
  },
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/admin/terminals',
    body: { id: 'csrf-terminal', courtId: 'demo-court', name: 'T' },
  },
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/cases/demo-case/assignments',
    body: { userLogin: 'demo-auditor', validFrom: '2026-01-01T00:00:00.000Z' },
  },
  {
    as: 'demo-admin',
    method: 'POST',
    path: () => '/api/recorders',
    body: { id: 'csrf-recorder', courtroomId: null, name: 'R' },
  },
  { as: 'demo-admin', method: 'POST', path: (ctx) => `/api/recorders/${ctx.recorderId}/token` },
  { as: 'demo-admin', method: 'POST', path: (ctx) => `/api/recorders/${ctx.recorderId}/revoke` },
  {
    as: 'demo-admin',
    method: 'PUT',
    path: () => '/api/admin/users/demo-party',
    body: { role: 'administrator' },
  },
  { as: 'demo-admin', method: 'DELETE', path: () => `/api/hearings/${HEARINGS.openA.id}` },
  {
    as: 'demo-secretary',
    method: 'POST',
    path: () => '/api/cases',
    body: { number: '2-0888/2026', courtId: 'demo-court' },
  },
  {
    as: 'demo-secretary',
    method: 'POST',
    path: () => '/api/cases/demo-case/participants',
    body: { name: 'Mallory', capacity: 'party', userLogin: 'party-b' },
  },
  {
    as: 'demo-secretary',
    method: 'POST',
    path: () => '/api/hearings',
    body: {
      courtroomId: 'demo-room',
      caseNumber: '2-0001/2026',
      title: 'CSRF',
      judge: 'J',
      caseId: 'demo-case',
    },
  },
  { as: 'demo-secretary', method: 'PATCH', path: () => '/api/cases/demo-case', body: { number: 'x' } },
  {
    as: 'demo-judge',
    method: 'POST',
    path: () => `/api/hearings/${HEARINGS.openA.id}/markers`,
    body: { kind: 'note', text: 'forged' },
  },
  {
    as: 'demo-judge',
    method: 'POST',
    path: () => `/api/hearings/${HEARINGS.openA.id}/sealed-ranges`,
    body: SEAL,
  },
  {
    as: 'demo-judge',
    method: 'PUT',
    path: () => `/api/hearings/${HEARINGS.openA.id}/speakers`,
    body: { speakers: [{ track: 'mic-1', label: 'Forged' }] },
  },
  ...(['start', 'pause', 'resume', 'stop'] as const).map((c): WriteRoute => ({
    as: 'demo-judge',
    method: 'POST',
    path: () => `/api/hearings/${HEARINGS.openA.id}/${c}`,
  })),
  { as: 'demo-party', method: 'POST', path: () => '/api/auth/logout' },
];
const CSRF_VARIANTS: readonly {
  name: string;
  reason: 'csrf-missing' | 'csrf-mismatch';
  apply: (r: RawRequest, ctx: Ctx, login: string) => RawRequest;
}[] = [
  { name: 'no x-csrf-token', reason: 'csrf-missing', apply: (r) => r },
  { name: 'an empty x-csrf-token', reason: 'csrf-missing', apply: (r) => withHeader(r, 'x-csrf-token', '') },
  {
    name: 'a made-up token',
    reason: 'csrf-mismatch',
    apply: (r) => withHeader(r, 'x-csrf-token', crypto.randomBytes(32).toString('base64url')),
  },
  {
    name: "another user's token",
    reason: 'csrf-mismatch',
    apply: (r, ctx, login) =>
      withHeader(
        r,
        'x-csrf-token',
        ctx.session(login === 'demo-auditor' ? 'demo-party' : 'demo-auditor').csrf,
      ),
  },
  {
    name: "the token of the user's other session",
    reason: 'csrf-mismatch',
    apply: (r, ctx, login) => withHeader(r, 'x-csrf-token', ctx.session(`${login}#2`).csrf),
  },
  {
    name: 'one character of the token changed',
    reason: 'csrf-mismatch',
    apply: (r, ctx, login) => {
      const t = ctx.session(login).csrf;
      return withHeader(r, 'x-csrf-token', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`);
    },
  },
  {
    name: 'the token in the query string',
    reason: 'csrf-missing',
    apply: (r, ctx, login) => ({
      ...r,
      path: `${r.path}?x-csrf-token=${encodeURIComponent(ctx.session(login).csrf)}`,
    }),
  },
  {
    name: 'the token in the body',
    reason: 'csrf-missing',
    apply: (r, ctx, login) => ({
      ...withHeader(r, 'content-type', 'application/json'),
      body: JSON.stringify({
        ...(r.body ? (JSON.parse(String(r.body)) as object) : {}),
        csrfToken: ctx.session(login).csrf,
      }),
    }),
  },
  {
    name: 'the token under another header name',
    reason: 'csrf-missing',
    apply: (r, ctx, login) => withHeader(r, 'x-xsrf-token', ctx.session(login).csrf),
  },
];

function withHeader(r: RawRequest, name: string, value: string): RawRequest {
  return { ...r, headers: { ...r.headers, [name]: value } };
}

const csrfProbes: Probe[] = WRITE_ROUTES.flatMap((route, ri) =>
  CSRF_VARIANTS.map((variant, vi): Probe => {
    const place = PLACES[(ri + vi) % 2]!;
    return {
      label: `${route.as} ${place.name}: ${route.method} ${route.path({ recorderId: '<node>' } as Ctx)} with ${variant.name}`,
      request: (ctx) =>
        variant.apply(
          userRequest(ctx.session(route.as), {
            method: route.method,
            path: route.path(ctx),
            body: route.body,
            from: place.from,
            csrf: false,
          }),
          ctx,
          route.as,
        ),
      status: 403,
      code: 'CSRF_FAILED',
      audit: { action: 'auth.csrf', reason: variant.reason, actor: route.as, address: place.from },
    };
  }),
);

// ---------------------------------------------------------------------------
// Table 5: a session after log-out, a made-up or malformed session, a disabled user

interface SessionRoute {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}
const SESSION_ROUTES: readonly SessionRoute[] = [
  { method: 'GET', path: '/api/auth/me' },
  { method: 'POST', path: '/api/auth/logout' },
  { method: 'GET', path: '/api/hearings' },
  { method: 'GET', path: `/api/hearings/${HEARINGS.openA.id}` },
  { method: 'GET', path: `/api/hearings/${HEARINGS.openA.id}/hls/master.m3u8` },
  { method: 'GET', path: `/api/hearings/${HEARINGS.closedA.id}/position?t=1` },
  {
    method: 'POST',
    path: `/api/hearings/${HEARINGS.openA.id}/markers`,
    body: { kind: 'note', text: 'after log-out' },
  },
  { method: 'POST', path: `/api/hearings/${HEARINGS.openA.id}/start` },
  { method: 'GET', path: '/api/audit' },
  { method: 'GET', path: '/api/admin/users' },
  { method: 'POST', path: '/api/admin/courts', body: { id: 'late-court', name: 'Late' } },
  { method: 'GET', path: '/api/recorders' },
  { method: 'GET', path: '/api/cases' },
  { method: 'GET', path: '/api/courtrooms' },
];
const LOGGED_OUT = [
  'demo-party',
  'demo-representative',
  'demo-judge',
  'demo-admin',
  'demo-auditor',
  'demo-operator',
];

function deadSessionProbes(
  logins: readonly string[],
  sessionName: (login: string) => string,
  reason: string,
): Probe[] {
  return logins.flatMap((login) =>
    SESSION_ROUTES.flatMap((route) =>
      PLACES.map((place): Probe => ({
        label: `${login} ${place.name} (${reason}): ${route.method} ${route.path}`,
        request: (ctx) => userRequest(ctx.session(sessionName(login)), { ...route, from: place.from }),
        status: 401,
        code: 'UNAUTHENTICATED',
        audit: { action: 'auth.session', reason, actor: login, address: place.from },
      })),
    ),
  );
}

const loggedOutProbes = deadSessionProbes(LOGGED_OUT, (login) => `${login}@ended`, 'session-revoked');
const FORGED_SESSIONS = [
  {
    name: 'a made-up session token',
    token: () => crypto.randomBytes(32).toString('base64url'),
    reason: 'unknown-session',
  },
  { name: 'a malformed session token', token: () => 'not-a-token', reason: 'malformed-session' },
] as const;
const forgedSessionProbes: Probe[] = FORGED_SESSIONS.flatMap((forged) =>
  SESSION_ROUTES.slice(0, 8).flatMap((route) =>
    PLACES.map((place): Probe => ({
      label: `${place.name} with ${forged.name}: ${route.method} ${route.path}`,
      request: () => userRequest({ token: forged.token(), csrf: 'x' }, { ...route, from: place.from }),
      status: 401,
      code: 'UNAUTHENTICATED',
      audit: { action: 'auth.session', reason: forged.reason, actor: 'anonymous', address: place.from },
    })),
  ),
);

const DISABLED = ['party-gone', 'operator-gone'];
const disabledProbes: Probe[] = [
  ...deadSessionProbes(DISABLED, (login) => login, 'user-disabled'),
  ...DISABLED.flatMap((login) =>
    PLACES.map((place): Probe => ({
      label: `${login} ${place.name}: a new log-in after being disabled`,
      request: () => ({
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, password: PASSWORD }),
        from: place.from,
      }),
      status: 401,
      code: 'LOGIN_FAILED',
      audit: { action: 'auth.login', reason: 'disabled', target: `user:${login}`, address: place.from },
    })),
  ),
];

/** No credential at all: refused, and — naming nobody — not written anywhere (see the hub's API tests). */
const ANONYMOUS_ROUTES: readonly {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
}[] = [
  { method: 'GET', path: `/api/hearings/${HEARINGS.closedA.id}/hls/master.m3u8` },
  { method: 'GET', path: `/api/hearings/${HEARINGS.closedA.id}` },
  { method: 'GET', path: `/api/hearings/${HEARINGS.openA.id}/position?t=1` },
  { method: 'GET', path: '/api/audit' },
  { method: 'GET', path: '/api/admin/users' },
  { method: 'POST', path: '/api/admin/courts' },
  { method: 'POST', path: `/api/hearings/${HEARINGS.openA.id}/stop` },
  { method: 'GET', path: '/api/auth/me' },
  { method: 'GET', path: '/api/hearings', headers: { authorization: 'Bearer not-the-admin-token' } },
  {
    method: 'POST',
    path: '/api/recorders/demo-recorder/token',
    headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
  },
];
const anonymousProbes: Probe[] = ANONYMOUS_ROUTES.flatMap((route) =>
  PLACES.map((place): Probe => ({
    label: `anonymous ${place.name}: ${route.method} ${route.path}`,
    request: () => ({
      method: route.method,
      path: route.path,
      headers: route.headers ?? {},
      from: place.from,
    }),
    status: 401,
    code: 'UNAUTHENTICATED',
  })),
);

// ---------------------------------------------------------------------------
// Table 6: brute-force log-in (its own stack, default limits: 5 per account, 20 per address)

const BF = { account: '127.0.0.5', elsewhere: '127.0.0.6', sweep: '127.0.0.7', fresh: '127.0.0.8' };
function loginProbe(
  label: string,
  login: string,
  password: string,
  from: string,
  outcome: 'wrong-password' | 'unknown-login' | 'rate-limited',
  /** A rate-limited attempt is audited only when it crosses a limit, once per window. */
  audited = outcome !== 'rate-limited',
): Probe {
  const limited = outcome === 'rate-limited';
  return {
    label,
    request: () => ({
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password }),
      from,
    }),
    status: limited ? 429 : 401,
    code: limited ? 'LOGIN_RATE_LIMITED' : 'LOGIN_FAILED',
    ...(audited
      ? { audit: { action: 'auth.login', reason: outcome, target: `user:${login}`, address: from } }
      : {}),
    ...(limited
      ? {
          check: (r: Reply) => {
            const retryAfter = Number(r.headers['retry-after']);
            const details = (r.json as ProblemBody).details;
            if (!Number.isInteger(retryAfter) || retryAfter < 1 || retryAfter > 15 * 60)
              return `Retry-After ${r.headers['retry-after']} is not 1-900 seconds`;
            return details?.retryAfterSeconds === retryAfter
              ? null
              : 'Retry-After differs from details.retryAfterSeconds';
          },
        }
      : {}),
  };
}
const bruteForceProbes: Probe[] = [
  ...Array.from({ length: 5 }, (_, i) =>
    loginProbe(
      `victim: wrong password ${i + 1} of 5`,
      'victim',
      `wrong-guess-${i}`,
      BF.account,
      'wrong-password',
    ),
  ),
  ...Array.from({ length: 6 }, (_, i) =>
    loginProbe(
      `victim: wrong password ${i + 6}, over the limit`,
      'victim',
      `wrong-guess-${i + 5}`,
      BF.account,
      'rate-limited',
      i === 0,
    ),
  ),
  loginProbe('victim: the right password while locked out', 'victim', PASSWORD, BF.account, 'rate-limited'),
  loginProbe(
    'victim: the right password from another address',
    'victim',
    PASSWORD,
    BF.elsewhere,
    'rate-limited',
  ),
  loginProbe('victim: the right password from on site', 'victim', PASSWORD, ON_SITE, 'rate-limited'),
  loginProbe(
    'sweep: a wrong password for the bystander',
    'bystander',
    'wrong-guess',
    BF.sweep,
    'wrong-password',
  ),
  ...Array.from({ length: 19 }, (_, i) =>
    loginProbe(
      `sweep: guessing account ${i + 1}`,
      `guess-${i + 1}`,
      'password1234',
      BF.sweep,
      'unknown-login',
    ),
  ),
  ...Array.from({ length: 4 }, (_, i) =>
    loginProbe(
      `sweep: guessing account ${i + 20}, over the address limit`,
      `guess-${i + 20}`,
      'password1234',
      BF.sweep,
      'rate-limited',
      i === 0,
    ),
  ),
  loginProbe(
    "sweep: the bystander's right password from the locked-out address",
    'bystander',
    PASSWORD,
    BF.sweep,
    'rate-limited',
  ),
];

const authorizationGroups = {
  hearings: hearingProbes,
  system: systemProbes,
  foreignCopies: foreignCopyProbes,
  signedUrls: signedUrlProbes,
  csrf: csrfProbes,
  loggedOut: [...loggedOutProbes, ...forgedSessionProbes],
  disabled: disabledProbes,
  anonymous: anonymousProbes,
  bruteForce: bruteForceProbes,
};
const AUTHORIZATION_TOTAL = Object.values(authorizationGroups).reduce((n, g) => n + g.length, 0);

// ---------------------------------------------------------------------------
// Malformed inputs, generated from each route's schema

const NOT_A_STRING: readonly unknown[] = [0, 42, -1, 1.5, true, false, null, [], ['x'], {}, { value: 'x' }];
/** C0 (NUL, BEL, BS, ESC), DEL and C1 (NEL, CSI): never part of a name, and they break CSV, PDF and terminals. */
const CONTROL_CHARS = ['\u0000', '\u0007', '\u0008', '\u001b[2J', '\u007f', '\u0085', '\u009b31m'];
const withControl = CONTROL_CHARS.map((c) => `a${c}b`);
const BAD_IDS: readonly unknown[] = [
  '',
  ' ',
  '../x',
  '..',
  'a/../b',
  '%2e%2e',
  'ABC',
  'Abc-1',
  'a'.repeat(65),
  '-a',
  'a_b',
  'a.b',
  'a b',
  'a/b',
  'a\\b',
  'é',
  'ид-1',
  '\u202eabc',
  'x'.repeat(100_000),
  ...withControl,
  ...NOT_A_STRING,
];
const badLine = (max: number): unknown[] => [
  '',
  '   ',
  '\t',
  'x'.repeat(max + 1),
  'x'.repeat(100_000),
  ...withControl,
  ...NOT_A_STRING,
];
/** Free text that may span lines (tab and line breaks are fine in it). */
const badText = (max: number): unknown[] => ['x'.repeat(max + 1), ...withControl, ...NOT_A_STRING];
const badEnum = (values: readonly string[]): unknown[] => {
  const [v, w] = values as [string, string];
  return ['', 'x', v.toUpperCase(), ` ${v}`, `${v} `, `${v}\u0000`, `${v},${w}`, [v], ...NOT_A_STRING];
};
const BAD_TIMES: readonly unknown[] = [
  '',
  'now',
  'yesterday',
  '2026-03-02',
  '09:00:00Z',
  '2026-03-02 09:00:00Z',
  '2026-03-02T09:00:00',
  '2026-03-02T09:00:00+05:00',
  '2026-03-02T09:00Z',
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-03-02T24:00:00Z',
  '2026-03-02T09:60:00Z',
  '2026-03-02T09:00:60Z',
  '+02026-03-02T09:00:00Z',
  'Mon, 02 Mar 2026 09:00:00 GMT',
  '1772442000000',
  'NaN',
  '-1',
  '2026-03-02T09:00:00.000Z\u0000',
  'x'.repeat(1000),
  1772442000000,
  ...NOT_A_STRING,
];

interface BodyRoute {
  name: string;
  path: string;
  /** The log-in needs no credential; everything else is sent with the administrator token. */
  anonymous?: boolean;
  /** An absent or empty body means "the defaults" (a copy of the whole hearing). */
  bodyOptional?: boolean;
  valid: Record<string, unknown>;
  fields: Record<string, { required: boolean; bad: readonly unknown[] }>;
  /** Well-formed bodies that still cannot be accepted, and the answer each gets. */
  more?: readonly { label: string; body: unknown; status: number; code: string; audit?: AuditExpect }[];
}
const BODY_ROUTES: readonly BodyRoute[] = [
  {
    name: 'create a hearing',
    path: '/api/hearings',
    valid: {
      id: 'h-probe',
      courtroomId: 'demo-room',
      caseNumber: '2-0001/2026',
      title: 'Probe',
      judge: 'Judge',
      visibility: 'closed',
      language: 'kk',
      scheduledAt: '2026-03-02T09:00:00.000Z',
      caseId: 'demo-case',
      judgeLogin: 'demo-judge',
    },
    fields: {
      id: { required: false, bad: BAD_IDS },
      courtroomId: { required: true, bad: BAD_IDS },
      caseNumber: { required: true, bad: badLine(64) },
      title: { required: true, bad: badLine(300) },
      judge: { required: true, bad: badLine(200) },
      visibility: { required: false, bad: badEnum(['open', 'closed']) },
      language: { required: false, bad: badEnum(['ru', 'kk']) },
      scheduledAt: { required: false, bad: BAD_TIMES },
      caseId: { required: false, bad: BAD_IDS },
      judgeLogin: { required: false, bad: badLine(64) },
    },
    more: [
      {
        label: 'a courtroom that does not exist',
        body: { courtroomId: 'no-such-room' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'a case that does not exist',
        body: { caseId: 'no-such-case' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'a judge without an account',
        body: { judgeLogin: 'no-such-user' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'the id of a recorded hearing',
        body: { id: HEARINGS.openA.id },
        status: 409,
        code: 'CONFLICT',
      },
    ],
  },
  {
    name: 'add a marker',
    path: `/api/hearings/${HEARINGS.openA.id}/markers`,
    valid: { kind: 'note', text: 'probe', at: '2026-03-02T09:00:00.000Z' },
    fields: {
      kind: { required: true, bad: badEnum(MARKER_KINDS) },
      text: { required: false, bad: badText(2000) },
      at: { required: false, bad: BAD_TIMES },
    },
  },
  {
    name: 'seal a range',
    path: `/api/hearings/${HEARINGS.openA.id}/sealed-ranges`,
    valid: SEAL,
    fields: {
      start: { required: true, bad: BAD_TIMES },
      end: { required: true, bad: BAD_TIMES },
      reason: { required: true, bad: ['', '   ', ...badText(500)] },
    },
    more: [
      {
        label: 'an end equal to the start',
        body: { end: SEAL.start },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'an end before the start',
        body: { end: '2026-03-02T08:59:59.999Z' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ],
  },
  {
    name: 'create a case',
    path: '/api/cases',
    valid: { id: 'case-probe', number: '2-0999/2026', category: 'civil', courtId: 'demo-court' },
    fields: {
      id: { required: false, bad: BAD_IDS },
      number: { required: true, bad: badLine(64) },
      category: { required: false, bad: badLine(64) },
      courtId: { required: true, bad: BAD_IDS },
    },
    more: [
      {
        label: 'a court that does not exist',
        body: { courtId: 'no-such-court' },
        status: 404,
        code: 'NOT_FOUND',
      },
      { label: "the demo case's number", body: { number: '2-0001/2026' }, status: 409, code: 'CONFLICT' },
      { label: "the demo case's id", body: { id: 'demo-case' }, status: 409, code: 'CONFLICT' },
    ],
  },
  {
    name: 'add a participant',
    path: '/api/cases/demo-case/participants',
    valid: { name: 'Probe Person', capacity: 'representative', userLogin: 'party-b' },
    fields: {
      name: { required: true, bad: badLine(200) },
      capacity: { required: true, bad: badEnum(['party', 'representative']) },
      userLogin: { required: false, bad: badLine(64) },
    },
    more: [
      {
        label: 'an account that does not exist',
        body: { userLogin: 'no-such-user' },
        status: 404,
        code: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'assign to a case',
    path: '/api/cases/demo-case/assignments',
    valid: {
      userLogin: 'demo-auditor',
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
    },
    fields: {
      userLogin: { required: true, bad: badLine(64) },
      validFrom: { required: true, bad: BAD_TIMES },
      validUntil: { required: false, bad: BAD_TIMES },
    },
    more: [
      {
        label: 'an end equal to the start',
        body: { validUntil: '2026-01-01T00:00:00.000Z' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'an end before the start',
        body: { validUntil: '2025-01-01T00:00:00.000Z' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'an account that does not exist',
        body: { userLogin: 'no-such-user' },
        status: 404,
        code: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'create a user',
    path: '/api/admin/users',
    valid: {
      login: 'probe-user',
      displayName: 'Probe User',
      role: 'party',
      password: PASSWORD,
      locale: 'kk',
      courtIds: ['demo-court'],
    },
    fields: {
      login: { required: true, bad: [...badLine(64), 'a', '-a', '../x', 'a b', 'é', 'a/b', 'a@b'] },
      displayName: { required: false, bad: badLine(200) },
      role: {
        required: true,
        bad: ['', 'root', 'admin', 'Administrator', 'PARTY', 'party ', 'x'.repeat(41), ...NOT_A_STRING],
      },
      password: { required: false, bad: ['', 'short', 'x'.repeat(1025), ...NOT_A_STRING] },
      locale: { required: false, bad: badEnum(['ru', 'kk', 'en']) },
      courtIds: {
        required: false,
        bad: [
          'demo-court',
          [1],
          ['../x'],
          ['no-such-court'],
          Array(51).fill('demo-court'),
          [null],
          {},
          [''],
          ['demo-court', 'ABC'],
          null,
        ],
      },
    },
    more: [
      { label: 'a login that exists', body: { login: 'demo-party' }, status: 409, code: 'CONFLICT' },
      {
        label: 'a login that exists, in capitals',
        body: { login: 'DEMO-PARTY' },
        status: 409,
        code: 'CONFLICT',
      },
    ],
  },
  {
    name: 'create a court',
    path: '/api/admin/courts',
    valid: { id: 'court-probe', name: 'Probe Court' },
    fields: { id: { required: true, bad: BAD_IDS }, name: { required: true, bad: badLine(200) } },
    more: [{ label: 'an id that exists', body: { id: 'demo-court' }, status: 409, code: 'CONFLICT' }],
  },
  {
    name: 'create a courtroom',
    path: '/api/courtrooms',
    valid: { id: 'room-probe', courtId: 'demo-court', name: 'Probe Room' },
    fields: {
      id: { required: true, bad: BAD_IDS },
      courtId: { required: true, bad: BAD_IDS },
      name: { required: true, bad: badLine(200) },
    },
    more: [
      {
        label: 'a court that does not exist',
        body: { courtId: 'no-such-court' },
        status: 404,
        code: 'NOT_FOUND',
      },
      { label: 'an id that exists', body: { id: 'demo-room' }, status: 409, code: 'CONFLICT' },
    ],
  },
  {
    name: 'register a terminal',
    path: '/api/admin/terminals',
    valid: { id: 'terminal-probe', courtId: 'demo-court', name: 'Probe Terminal' },
    fields: {
      id: { required: true, bad: BAD_IDS },
      courtId: { required: true, bad: BAD_IDS },
      name: { required: true, bad: badLine(200) },
    },
    more: [
      {
        label: 'a court that does not exist',
        body: { courtId: 'no-such-court' },
        status: 404,
        code: 'NOT_FOUND',
      },
      { label: 'an id that exists', body: { id: 'terminal-1' }, status: 409, code: 'CONFLICT' },
    ],
  },
  {
    name: 'register a recorder node',
    path: '/api/recorders',
    valid: { id: 'recorder-probe', courtroomId: 'demo-room', name: 'Probe Recorder' },
    fields: {
      id: { required: true, bad: BAD_IDS },
      courtroomId: { required: true, bad: BAD_IDS.filter((v) => v !== null) },
      name: { required: true, bad: badLine(200) },
    },
    more: [
      {
        label: 'a courtroom that does not exist',
        body: { courtroomId: 'no-such-room' },
        status: 404,
        code: 'NOT_FOUND',
      },
      { label: 'an id that exists', body: { id: 'demo-recorder' }, status: 409, code: 'CONFLICT' },
    ],
  },
  {
    name: 'ask for a copy',
    path: `/api/hearings/${HEARINGS.openA.id}/copies`,
    bodyOptional: true,
    valid: { from: '2026-03-02T09:00:00.000Z', to: '2026-03-02T09:00:05.000Z' },
    fields: { from: { required: false, bad: BAD_TIMES }, to: { required: false, bad: BAD_TIMES } },
    more: [
      {
        label: 'an end equal to the start',
        body: { to: '2026-03-02T09:00:00.000Z' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        label: 'an end before the start',
        body: { to: '2026-03-02T08:00:00.000Z' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ],
  },
  {
    name: 'log in',
    path: '/api/auth/login',
    anonymous: true,
    valid: { login: 'demo-party', password: PASSWORD },
    fields: {
      login: { required: true, bad: ['', 'x'.repeat(257), ...NOT_A_STRING] },
      password: { required: true, bad: ['', 'x'.repeat(4097), ...NOT_A_STRING] },
    },
    // Well-formed but impossible logins: the same answer as a wrong password, never a hint.
    more: [
      '../x',
      'demo-party\u0000',
      'demo\u001b[2J',
      'x'.repeat(256),
      'demo party',
      '\u202edemo-party',
    ].map((login) => ({
      label: `the login ${JSON.stringify(login.slice(0, 20))}`,
      body: { login },
      status: 401,
      code: 'LOGIN_FAILED',
      audit: { action: 'auth.login', reason: 'unknown-login', target: null, address: OFF_SITE },
    })),
  },
];

/** Bodies that are not JSON at all, or not what express.json accepts (it takes objects and arrays only). */
const INVALID_JSON = [
  '{',
  '{"a":}',
  "{'a':1}",
  '{"a":1,}',
  '{"a":NaN}',
  '{"a":1} trailing',
  '{"a":"\\x"}',
  '\u0000{}',
  '{"a":1',
  ']',
];
const NOT_AN_OBJECT_JSON = ['"text"', '42', 'null', 'true', '-1'];
const OVERSIZED = 300 * 1024;

function bodyProbe(
  route: { name: string; path: string; anonymous?: boolean },
  label: string,
  body: string,
  expect: { status: number; code: string; audit?: AuditExpect },
  headers: Record<string, string> = { 'content-type': 'application/json' },
  options: { chunked?: boolean } = {},
): Probe {
  return {
    label: `${route.name}: ${label}`,
    request: (ctx) => ({
      method: 'POST',
      path: route.path,
      // Whoever may use the route sends it (probeRequest), so only the body is at fault.
      headers: {
        ...(route.anonymous ? {} : probeRequest(ctx, { method: 'POST', path: route.path }).headers),
        ...headers,
      },
      body,
      ...(options.chunked ? { chunked: true } : {}),
    }),
    status: expect.status,
    code: expect.code,
    ...(expect.audit ? { audit: expect.audit } : {}),
  };
}

const VALIDATION = { status: 400, code: 'VALIDATION_FAILED' };
const BAD_REQUEST = { status: 400, code: 'BAD_REQUEST' };
const TOO_LARGE = { status: 413, code: 'PAYLOAD_TOO_LARGE' };
const describeValue = (v: unknown) => {
  const s = v === undefined ? 'missing' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 30)}… (${s.length} chars)` : s;
};

/** Problems of the body as a whole: syntax, type, media type, encoding, size. Sent to every route that reads a body. */
function wholeBodyProbes(route: {
  name: string;
  path: string;
  anonymous?: boolean;
  bodyOptional?: boolean;
  valid?: Record<string, unknown>;
}): Probe[] {
  const valid = JSON.stringify(route.valid ?? {});
  const out: Probe[] = [
    ...INVALID_JSON.map((b) => bodyProbe(route, `invalid JSON ${JSON.stringify(b)}`, b, BAD_REQUEST)),
    ...NOT_AN_OBJECT_JSON.map((b) => bodyProbe(route, `the JSON ${b} at the top`, b, BAD_REQUEST)),
    bodyProbe(
      route,
      'a body of 300 kB',
      JSON.stringify({ ...route.valid, pad: 'x'.repeat(OVERSIZED) }),
      TOO_LARGE,
    ),
    bodyProbe(
      route,
      'a body of 2 MB',
      JSON.stringify({ ...route.valid, pad: 'x'.repeat(2 * 1024 * 1024) }),
      TOO_LARGE,
    ),
    bodyProbe(
      route,
      'a chunked body of 300 kB',
      JSON.stringify({ ...route.valid, pad: 'x'.repeat(OVERSIZED) }),
      TOO_LARGE,
      undefined,
      {
        chunked: true,
      },
    ),
    bodyProbe(route, 'invalid JSON of 300 kB', `{${'x'.repeat(OVERSIZED)}`, TOO_LARGE),
    bodyProbe(route, 'gzip that is not gzip', valid, BAD_REQUEST, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    }),
    bodyProbe(route, 'deflate that is not deflate', valid, BAD_REQUEST, {
      'content-type': 'application/json',
      'content-encoding': 'deflate',
    }),
    bodyProbe(
      route,
      'an unknown content encoding',
      valid,
      { status: 415, code: 'BAD_REQUEST' },
      { 'content-type': 'application/json', 'content-encoding': 'x-hattama' },
    ),
    bodyProbe(
      route,
      'a charset JSON does not use',
      valid,
      { status: 415, code: 'BAD_REQUEST' },
      { 'content-type': 'application/json; charset=latin1' },
    ),
    bodyProbe(route, 'UTF-8 declared as UTF-16', valid, BAD_REQUEST, {
      'content-type': 'application/json; charset=utf-16',
    }),
  ];
  if (route.valid === undefined) return out;
  // The route reads its body: a body it cannot see, or one of the wrong shape, is refused by validation.
  const form = new URLSearchParams(
    Object.entries(route.valid).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  out.push(
    ...['[]', '[{}]', `[${valid}]`].map((b) => bodyProbe(route, `the JSON ${b.slice(0, 30)}`, b, VALIDATION)),
  );
  if (!route.bodyOptional)
    out.push(
      bodyProbe(route, 'the JSON {}', '{}', VALIDATION),
      bodyProbe(route, 'JSON sent as text/plain', valid, VALIDATION, { 'content-type': 'text/plain' }),
      bodyProbe(route, 'a form', form, VALIDATION, { 'content-type': 'application/x-www-form-urlencoded' }),
      bodyProbe(
        route,
        'multipart',
        `--b\r\nContent-Disposition: form-data; name="json"\r\n\r\n${valid}\r\n--b--\r\n`,
        VALIDATION,
        { 'content-type': 'multipart/form-data; boundary=b' },
      ),
      bodyProbe(route, 'no content type', valid, VALIDATION, {}),
      bodyProbe(route, 'XML', '<court id="x"/>', VALIDATION, { 'content-type': 'application/xml' }),
      bodyProbe(route, 'a JSON look-alike media type', valid, VALIDATION, {
        'content-type': 'application/jsonx',
      }),
    );
  out.push(
    // Unknown fields are refused, not dropped: a misspelt "visiblity" must not make a closed hearing open.
    ...[
      ['an extra field', JSON.stringify({ ...route.valid, extra: 1 })],
      ['an isAdmin field', JSON.stringify({ ...route.valid, isAdmin: true })],
      ['a __proto__ field', `{"__proto__":{"isAdmin":true},${valid.slice(1)}`],
      [
        'a constructor field',
        JSON.stringify({ ...route.valid, constructor: { prototype: { isAdmin: true } } }),
      ],
      [
        'a field name with a trailing space',
        JSON.stringify({ ...route.valid, [`${Object.keys(route.valid)[0]} `]: 'x' }),
      ],
    ].map(([label, b]) => bodyProbe(route, label!, b!, VALIDATION)),
  );
  return out;
}

function fieldProbes(route: BodyRoute): Probe[] {
  const out: Probe[] = [];
  for (const [field, spec] of Object.entries(route.fields)) {
    if (spec.required) {
      const { [field]: _dropped, ...rest } = route.valid;
      out.push(bodyProbe(route, `${field} missing`, JSON.stringify(rest), VALIDATION));
    }
    for (const bad of spec.bad)
      out.push(
        bodyProbe(
          route,
          `${field}=${describeValue(bad)}`,
          JSON.stringify({ ...route.valid, [field]: bad }),
          VALIDATION,
        ),
      );
  }
  for (const m of route.more ?? [])
    out.push(
      bodyProbe(route, m.label, JSON.stringify({ ...route.valid, ...(m.body as object) }), {
        status: m.status,
        code: m.code,
        ...(m.audit ? { audit: m.audit } : {}),
      }),
    );
  return out;
}

/** Path parameters that are not ids, and ids that name nothing. */
const BAD_PATH_IDS: readonly { id: string; status: number; code: string }[] = [
  ...[
    '..%2Fx',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '..',
    'ABC',
    'a'.repeat(65),
    '-x',
    'a_b',
    'a.b',
    'a%20b',
    'a%00b',
    'a%0Ab',
  ].map((id) => ({ id, ...VALIDATION })),
  ...['%C3%A9', 'x'.repeat(3000)].map((id) => ({ id, ...VALIDATION })),
  { id: '%E0%A4%A', ...BAD_REQUEST },
  { id: 'no-such-thing', status: 404, code: 'NOT_FOUND' },
];
const PATH_ROUTES: readonly {
  name: string;
  method: 'GET' | 'POST';
  path: (id: string) => string;
  body?: unknown;
  emptyIdRoutes: boolean;
}[] = [
  { name: 'hearing detail', method: 'GET', path: (id) => `/api/hearings/${id}`, emptyIdRoutes: false },
  { name: 'manifest', method: 'GET', path: (id) => `/api/hearings/${id}/manifest`, emptyIdRoutes: true },
  {
    name: 'master playlist',
    method: 'GET',
    path: (id) => `/api/hearings/${id}/hls/master.m3u8`,
    emptyIdRoutes: true,
  },
  { name: 'position', method: 'GET', path: (id) => `/api/hearings/${id}/position?t=1`, emptyIdRoutes: true },
  {
    name: 'marker',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/markers`,
    body: { kind: 'note' },
    emptyIdRoutes: true,
  },
  {
    name: 'seal',
    method: 'POST',
    path: (id) => `/api/hearings/${id}/sealed-ranges`,
    body: SEAL,
    emptyIdRoutes: true,
  },
  { name: 'stop', method: 'POST', path: (id) => `/api/hearings/${id}/stop`, emptyIdRoutes: true },
  {
    name: 'participant',
    method: 'POST',
    path: (id) => `/api/cases/${id}/participants`,
    body: { name: 'P', capacity: 'party' },
    emptyIdRoutes: true,
  },
  {
    name: 'assignment',
    method: 'POST',
    path: (id) => `/api/cases/${id}/assignments`,
    body: { userLogin: 'demo-auditor', validFrom: '2026-01-01T00:00:00.000Z' },
    emptyIdRoutes: true,
  },
  { name: 'recorder token', method: 'POST', path: (id) => `/api/recorders/${id}/token`, emptyIdRoutes: true },
  {
    name: 'recorder revoke',
    method: 'POST',
    path: (id) => `/api/recorders/${id}/revoke`,
    emptyIdRoutes: true,
  },
];
const pathProbes: Probe[] = PATH_ROUTES.flatMap((route) => [
  ...BAD_PATH_IDS.map((bad): Probe => ({
    label: `${route.name}: id ${describeValue(bad.id)}`,
    request: (ctx) => probeRequest(ctx, { method: route.method, path: route.path(bad.id), body: route.body }),
    status: bad.status,
    code: bad.code,
  })),
  ...(route.emptyIdRoutes
    ? [
        {
          label: `${route.name}: an empty id`,
          request: (ctx: Ctx) =>
            probeRequest(ctx, { method: route.method, path: route.path(''), body: route.body }),
          status: 404,
          code: 'NOT_FOUND',
        },
      ]
    : []),
]);

const BAD_COMMANDS = [
  'START',
  'Start',
  'reset',
  'delete',
  'destroy',
  'start%20',
  'start%00',
  'start.json',
  'stop%2F..',
  '%2e%2e',
  'x'.repeat(100),
  'st%C3%A4rt',
  'pause%0A',
  'start%2Fx',
];
const commandProbes: Probe[] = [
  ...BAD_COMMANDS.map((c): Probe => ({
    label: `command ${describeValue(c)}`,
    request: (ctx) =>
      probeRequest(ctx, { method: 'POST', path: `/api/hearings/${HEARINGS.openA.id}/${c}`, body: {} }),
    ...VALIDATION,
  })),
  ...(['start', 'pause', 'resume'] as const).map((c): Probe => ({
    label: `${c} on a stopped hearing`,
    request: (ctx) =>
      probeRequest(ctx, { method: 'POST', path: `/api/hearings/${HEARINGS.closedA.id}/${c}` }),
    status: 409,
    code: 'CONFLICT',
  })),
  ...(['stop', 'pause', 'resume'] as const).map((c): Probe => ({
    label: `${c} on a scheduled hearing`,
    request: (ctx) => probeRequest(ctx, { method: 'POST', path: `/api/hearings/${SCHEDULED}/${c}` }),
    status: 409,
    code: 'CONFLICT',
  })),
  {
    label: 'a marker on a scheduled hearing',
    request: (ctx) =>
      probeRequest(ctx, {
        method: 'POST',
        path: `/api/hearings/${SCHEDULED}/markers`,
        body: { kind: 'note' },
      }),
    status: 409,
    code: 'CONFLICT',
  },
  ...wholeBodyProbes({ name: 'stop', path: `/api/hearings/${HEARINGS.openA.id}/stop` }),
];

function getProbe(label: string, pathname: string, expect: { status: number; code: string }): Probe {
  return { label, request: (ctx) => probeRequest(ctx, { method: 'GET', path: pathname }), ...expect };
}
const BAD_POSITIONS = [
  '',
  'x'.repeat(41),
  'yesterday',
  '-5',
  '-0.5',
  '+5',
  '%205',
  '5%20',
  '1e3',
  '0x10',
  '1,5',
  '.5',
  '5.',
  'NaN',
  'Infinity',
  '-Infinity',
  '2026-13-01T00:00:00Z',
  '2026-02-30T09:00:00Z',
  '2026-03-02%2009:00:00',
  'Mon%2C%2002%20Mar%202026%2009%3A00%3A00%20GMT',
  'March%202%2C%202026',
  '5%00',
];
const queryProbes: Probe[] = [
  getProbe('position: no t', `/api/hearings/${HEARINGS.openA.id}/position`, VALIDATION),
  getProbe('position: t twice', `/api/hearings/${HEARINGS.openA.id}/position?t=1&t=2`, VALIDATION),
  getProbe('position: t[]', `/api/hearings/${HEARINGS.openA.id}/position?t[]=1`, VALIDATION),
  ...BAD_POSITIONS.map((t) =>
    getProbe(
      `position: t=${t.slice(0, 40)}`,
      `/api/hearings/${HEARINGS.openA.id}/position?t=${t}`,
      VALIDATION,
    ),
  ),
  ...[
    'master',
    'master.m3u',
    'master.m3u8x',
    'MASTER.m3u8',
    'Mic-1.m3u8',
    'mic_1.m3u8',
    '.m3u8',
    `${'a'.repeat(41)}.m3u8`,
    '..%2Fmaster.m3u8',
    '..%2F..%2Fmanifest',
    '%2e%2e.m3u8',
    'mic-1.m3u8%00',
    'mic-1.ts',
    'mic-1.m3u8.exe',
    'mic-1%2F..%2Fmaster.m3u8',
    '%20master.m3u8',
  ].map((f) => getProbe(`playlist ${f}`, `/api/hearings/${HEARINGS.openA.id}/hls/${f}`, VALIDATION)),
  ...['mic-9.m3u8', 'remote-x-audio.m3u8', 'nothing.m3u8'].map((f) =>
    getProbe(
      `playlist of a track the hearing does not have: ${f}`,
      `/api/hearings/${HEARINGS.openA.id}/hls/${f}`,
      {
        status: 404,
        code: 'NOT_FOUND',
      },
    ),
  ),
  getProbe(
    'master playlist of a hearing with nothing recorded',
    `/api/hearings/${SCHEDULED}/hls/master.m3u8`,
    {
      status: 404,
      code: 'NOT_FOUND',
    },
  ),
  getProbe('manifest of a hearing with nothing recorded', `/api/hearings/${SCHEDULED}/manifest`, {
    status: 404,
    code: 'NOT_FOUND',
  }),
  ...[
    'verdict=x',
    'verdict=ALLOW',
    'verdict=',
    'verdict=allow,refuse',
    'verdict=allow&verdict=refuse',
    'from=yesterday',
    'from=2026-03-02',
    'from=2026-03-02T09:00:00%2B05:00',
    'from=',
    'from=1772442000000',
    'to=now',
    'to=2026-02-30T00:00:00Z',
    'format=xml',
    'format=',
    'format=CSV',
    'format=json&format=csv',
    'limit=0',
    'limit=-1',
    'limit=1.5',
    'limit=abc',
    'limit=100001',
    'limit=1e6',
    'limit=NaN',
    'limit=Infinity',
    'limit=',
    'limit=1&limit=2',
    `hearingId=${'x'.repeat(65)}`,
    'hearingId=a&hearingId=b',
    `actor=${'x'.repeat(65)}`,
    'actor=a&actor=b',
  ].map((q) => getProbe(`audit filter ${q.slice(0, 40)}`, `/api/audit?${q}`, VALIDATION)),
  {
    label: 'disable: a login that is too long',
    request: (ctx) =>
      probeRequest(ctx, { method: 'POST', path: `/api/admin/users/${'x'.repeat(65)}/disable` }),
    ...VALIDATION,
  },
  ...['x', 'cp-x', '..%2Fx', `cp-${'A'.repeat(36)}`, `cp-${'0'.repeat(37)}`, `cp-${'0'.repeat(35)}%00`].map(
    (id) => getProbe(`copy id ${id}`, `/api/copies/${id}`, VALIDATION),
  ),
  getProbe('a copy that does not exist', `/api/copies/cp-${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`, {
    status: 404,
    code: 'NOT_FOUND',
  }),
  ...['no-such-user', '..%2Fx', '%00'].map((login): Probe => ({
    label: `disable: the login ${login}`,
    request: (ctx) => probeRequest(ctx, { method: 'POST', path: `/api/admin/users/${login}/disable` }),
    status: 404,
    code: 'NOT_FOUND',
  })),
];

const malformedGroups = {
  fields: BODY_ROUTES.flatMap(fieldProbes),
  bodies: BODY_ROUTES.flatMap((r) => wholeBodyProbes(r)),
  paths: pathProbes,
  commands: commandProbes,
  queries: queryProbes,
};
const MALFORMED_TOTAL = Object.values(malformedGroups).reduce((n, g) => n + g.length, 0);

// ---------------------------------------------------------------------------
// The stack

let stack: Stack;
const startedAt = Date.now();

beforeAll(async () => {
  stack = await startStack('all', {
    HATTAMA_LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    HATTAMA_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
  });
  const { running, config } = stack;
  const repos = running.backends!.repos;
  await recordHearing({
    running,
    config,
    seconds: RECORD_SECONDS,
    hearingId: HEARINGS.openA.id,
    visibility: 'open',
  });
  await recordHearing({
    running,
    config,
    seconds: RECORD_SECONDS,
    hearingId: HEARINGS.closedA.id,
    visibility: 'closed',
  });

  // Case B, its party and judge, and the other accounts of the tables — through the API.
  await adminCall(stack, 'POST', '/api/admin/courts', { id: 'court-2', name: 'Second court' });
  for (const [login, role, courtIds] of [
    ['party-b', 'party', []],
    ['judge-b', 'judge', ['demo-court']],
    ['operator-2', 'operator', ['court-2']],
    ['secretary-2', 'secretary', ['court-2']],
    ['party-gone', 'party', []],
    ['operator-gone', 'operator', ['demo-court']],
  ] as const)
    await adminCall(stack, 'POST', '/api/admin/users', { login, role, password: PASSWORD, courtIds });
  // A higher-court judge needs a second administrator; its generated password is replaced
  // by the suite's, as the host's operator would (`hattama users passwd`).
  await approvedCall(stack, 'POST', '/api/admin/users', {
    login: 'higher-judge-past',
    role: 'higher-court-judge',
  });
  await new UserAccounts({ repos, clock: running.backends!.clock }).setPassword(
    'higher-judge-past',
    PASSWORD,
  );
  await adminCall(stack, 'POST', '/api/cases', {
    id: 'case-b',
    number: '2-0002/2026',
    courtId: 'demo-court',
  });
  await adminCall(stack, 'POST', '/api/cases/case-b/participants', {
    name: 'Party B',
    capacity: 'party',
    userLogin: 'party-b',
  });
  await adminCall(stack, 'POST', '/api/cases/demo-case/participants', {
    name: 'Gone',
    capacity: 'party',
    userLogin: 'party-gone',
  });
  await approvedCall(stack, 'POST', '/api/cases/demo-case/assignments', {
    userLogin: 'higher-judge-past',
    validFrom: '2020-01-01T00:00:00.000Z',
    validUntil: '2021-01-01T00:00:00.000Z',
  });
  await approvedCall(stack, 'POST', '/api/admin/terminals', {
    id: 'terminal-1',
    courtId: 'demo-court',
    name: 'Terminal 1',
  });
  for (const [id, extra] of [
    [HEARINGS.openB.id, { caseId: 'case-b', judgeLogin: 'judge-b', caseNumber: '2-0002/2026' }],
    [SCHEDULED, { caseId: 'demo-case', judgeLogin: 'demo-judge', caseNumber: '2-0001/2026' }],
  ] as const)
    // Made by the court's service, not through a secretary's form: the tables expect these
    // hearings to have no secretary (demo-secretary is nobody's staff here).
    await running.hub!.hearings.create({
      id,
      courtroomId: 'demo-room',
      title: 'Security suite',
      judge: 'Judge',
      visibility: 'open',
      language: 'ru',
      ...extra,
    });
  await recordThroughApi(stack, HEARINGS.openB.id, RECORD_SECONDS);

  // Signed URLs of the first two segments of every track: fresh ones to tamper with, and
  // one-second ones that will have expired by the time they are used.
  let latestExpiry = 0;
  for (const seg of SEGMENTS) {
    const row = (await repos.segments.listByHearing(seg.hearing)).find(
      (x) => x.track === seg.track && x.seq === seg.seq,
    );
    if (!row) throw new Error(`hearing ${seg.hearing} has no segment ${seg.track} #${seg.seq}`);
    const objects = running.backends!.objects;
    stack.urls.set(
      urlKey('valid', seg.hearing, seg.track, seg.seq),
      await objects.presignGet(row.object_key, { expirySeconds: 3600 }),
    );
    const expired = await objects.presignGet(row.object_key, { expirySeconds: 1 });
    latestExpiry = Math.max(latestExpiry, Number(/expires=(\d+)/.exec(expired)![1]));
    stack.urls.set(urlKey('expired', seg.hearing, seg.track, seg.seq), expired);
  }

  // One session per account, and a second one for the accounts of the CSRF table.
  const names = [
    ...ACCOUNTS.map((a) => [a.login, a.login]),
    ...[...new Set(WRITE_ROUTES.map((r) => r.as))].map((login) => [`${login}#2`, login]),
    ...LOGGED_OUT.map((login) => [`${login}@ended`, login]),
    ...DISABLED.map((login) => [login, login]),
  ];
  for (const [name, login] of names) stack.sessions.set(name!, await logIn(stack.base, login!));
  // demo-party's copy of the open hearing; the job finishes before any probe runs.
  const asked = await rawRequest(
    stack.base,
    userRequest(stack.ctx.session('demo-party'), {
      method: 'POST',
      path: `/api/hearings/${HEARINGS.openA.id}/copies`,
      body: {},
      from: OFF_SITE,
    }),
  );
  if (asked.status !== 202) throw new Error(`copy: ${asked.status} ${asked.text}`);
  stack.ctx.copyId = (asked.json as { copyId: string }).copyId;
  await until('the copy', 120_000, async () =>
    ['ready', 'failed'].includes((await repos.copies.find(stack.ctx.copyId))?.state ?? ''),
  );
  // Background work (segment verification, the copy) has settled, so a probe batch sees only itself.
  await until('an idle job queue', 120_000, async () => {
    const busy = await running
      .backends!.catalog.db.selectFrom('jobs')
      .select('id')
      .where('state', 'in', ['waiting', 'active'])
      .execute();
    return busy.length === 0;
  });
  // A hub-signed URL lives until the end of its `expires` second.
  await sleep((latestExpiry + 1) * 1000 - Date.now() + 50);
}, 300_000);

afterAll(async () => {
  await closeStack(stack);
});

function expectNoFailures(result: RunResult, count: number): void {
  expect(result.failures.slice(0, 40), `${result.failures.length} of ${count} probes failed`).toEqual([]);
}

// ---------------------------------------------------------------------------
// The tests

describe(`security suite: ${AUTHORIZATION_TOTAL} authorization probes and ${MALFORMED_TOTAL} malformed inputs`, () => {
  it('generates at least 200 authorization probes and 1,000 malformed inputs', () => {
    expect(AUTHORIZATION_TOTAL).toBeGreaterThanOrEqual(200);
    expect(MALFORMED_TOTAL).toBeGreaterThanOrEqual(1000);
  });

  describe('authorization', () => {
    it(`allows the ${hearingControls.length + systemControls.length} reads the same tables permit, so a refusal is never a blanket "no"`, async () => {
      const result = await runProbes(stack, [...hearingControls, ...systemControls], { exactAudit: false });
      expectNoFailures(result, hearingControls.length + systemControls.length);
    });

    it(`refuses ${hearingProbes.length} hearing probes (account × hearing × action × place) with 403 and the policy's reason, all audited`, async () => {
      const result = await runProbes(stack, hearingProbes);
      expectNoFailures(result, hearingProbes.length);
      expect(result.audited).toBe(hearingProbes.length);
    });

    it(`refuses ${systemProbes.length} probes of administration, audit-log and recorder-token routes by roles that may not use them, all audited`, async () => {
      const result = await runProbes(stack, systemProbes);
      expectNoFailures(result, systemProbes.length);
      expect(result.audited).toBe(systemProbes.length);
    });

    it(`refuses ${foreignCopyProbes.length} requests for another user's copy, all audited`, async () => {
      const result = await runProbes(stack, foreignCopyProbes);
      expectNoFailures(result, foreignCopyProbes.length);
      expect(result.audited).toBe(foreignCopyProbes.length);
    });

    it(`refuses ${signedUrlProbes.length} expired, tampered and escaping segment URLs, serving nothing, counted per address in a few audit entries that name no hearing`, async () => {
      // A control: the hub's own URL of the same segment plays.
      const good = await rawRequest(stack.base, {
        path: stack.ctx.segmentUrl('valid', HEARINGS.openA.id, 'video', 0),
      });
      expect(good.status).toBe(200);
      expect(good.headers['content-type']).toBe('video/mp2t');
      const hub = stack.running.hub!;
      await hub.flushAudit();
      const seq = (await stack.running.backends!.repos.auditLog.last())?.seq ?? 0;
      const result = await runProbes(stack, signedUrlProbes, { exactAudit: false });
      expectNoFailures(result, signedUrlProbes.length);
      await hub.flushAudit();
      // No request carried a credential: per address, the first refusal and then the count
      // of all (docs/decisions/0016), never a hearing taken from the path.
      const entries = (await stack.running.backends!.repos.auditLog.list({ verdict: 'refuse' })).filter(
        (e) => e.seq > seq,
      );
      expect(entries.length).toBeLessThanOrEqual(2 * PLACES.length);
      for (const e of entries)
        expect(e).toMatchObject({ actor: 'anonymous', action: 'object.refused', hearing_id: null });
      const counted = entries
        .map((e) => Number(/^(\d+) object URLs/.exec(e.target ?? '')?.[1] ?? 0))
        .reduce((a, b) => a + b, 0);
      expect(counted).toBe(signedUrlProbes.filter((p) => p.orLimited).length);
    });

    it('hands a party of the case signed URLs only for what it may play, and none of them opens the closed hearing', async () => {
      const party = stack.ctx.session('demo-party');
      const playlist = await rawRequest(
        stack.base,
        userRequest(party, {
          method: 'GET',
          path: `/api/hearings/${HEARINGS.openA.id}/hls/mic-1.m3u8`,
          from: OFF_SITE,
        }),
      );
      expect(playlist.status).toBe(200);
      const urls = playlist.text.split('\n').filter((l) => l.startsWith('/objects/'));
      expect(urls.length).toBeGreaterThanOrEqual(2);
      // Bound to the party's session: it plays with that session only.
      const segment = await rawRequest(
        stack.base,
        userRequest(party, { method: 'GET', path: urls[0]!, from: OFF_SITE }),
      );
      expect(segment.status).toBe(200);
      expect((await rawRequest(stack.base, { path: urls[0]!, from: OFF_SITE })).status).toBe(401);
      const closedTwin = urls[0]!.replace(HEARINGS.openA.id, HEARINGS.closedA.id);
      const seq = (await stack.running.backends!.repos.auditLog.last())?.seq ?? 0;
      const probe: Probe = {
        label: 'the open hearing’s URL re-pointed at the closed hearing',
        request: () => userRequest(party, { method: 'GET', path: closedTwin, from: OFF_SITE }),
        status: 403,
        code: 'URL_SIGNATURE_INVALID',
        orLimited: true,
      };
      expectNoFailures(await runProbes(stack, [probe], { exactAudit: false }), 1);
      await stack.running.hub!.flushAudit();
      // The path's hearing is not taken as fact: nothing is filed under the closed hearing.
      const filed = (
        await stack.running.backends!.repos.auditLog.list({ hearingId: HEARINGS.closedA.id })
      ).filter((e) => e.seq > seq);
      expect(filed).toEqual([]);
    });

    it(`refuses ${csrfProbes.length} state-changing requests without the session's CSRF token (${WRITE_ROUTES.length} routes × ${CSRF_VARIANTS.length} ways), all audited`, async () => {
      const result = await runProbes(stack, csrfProbes);
      expectNoFailures(result, csrfProbes.length);
      expect(result.audited).toBe(csrfProbes.length);
      // The log-out refused for want of a token did not end the session.
      const me = await rawRequest(
        stack.base,
        userRequest(stack.ctx.session('demo-party'), { method: 'GET', path: '/api/auth/me', from: OFF_SITE }),
      );
      expect(me.status).toBe(200);
    });

    it(`refuses ${loggedOutProbes.length + forgedSessionProbes.length} requests with a session ended by log-out, made up or malformed, with 401, all audited`, async () => {
      for (const login of LOGGED_OUT) {
        const s = stack.ctx.session(`${login}@ended`);
        const out = await rawRequest(
          stack.base,
          userRequest(s, { method: 'POST', path: '/api/auth/logout', from: OFF_SITE }),
        );
        expect(out.status, login).toBe(204);
      }
      const probes = [...loggedOutProbes, ...forgedSessionProbes];
      const result = await runProbes(stack, probes);
      expectNoFailures(result, probes.length);
      expect(result.audited).toBe(probes.length);
    });

    it(`refuses ${disabledProbes.length} requests of disabled users — old sessions and new log-ins — all audited`, async () => {
      // Before: both accounts work.
      const party = stack.ctx.session('party-gone');
      const before = await rawRequest(
        stack.base,
        userRequest(party, {
          method: 'GET',
          path: `/api/hearings/${HEARINGS.openA.id}/hls/master.m3u8`,
          from: OFF_SITE,
        }),
      );
      expect(before.status).toBe(200);
      for (const login of DISABLED) await adminCall(stack, 'POST', `/api/admin/users/${login}/disable`);
      const result = await runProbes(stack, disabledProbes);
      expectNoFailures(result, disabledProbes.length);
      expect(result.audited).toBe(disabledProbes.length);
    });

    it(`refuses ${anonymousProbes.length} requests without any credential with 401, changing nothing and — naming nobody — writing no audit entry`, async () => {
      const result = await runProbes(stack, anonymousProbes);
      expectNoFailures(result, anonymousProbes.length);
    });

    it(`locks out ${bruteForceProbes.length} brute-force log-ins per account and per address with 429 and Retry-After, the right password included`, async () => {
      let own: Stack | undefined;
      try {
        own = await startStack('hub', {});
        expect(own.config.loginMaxFailuresPerAccount).toBe(5);
        expect(own.config.loginMaxFailuresPerAddress).toBe(20);
        for (const login of ['victim', 'bystander'])
          await adminCall(own, 'POST', '/api/admin/users', { login, role: 'party', password: PASSWORD });
        // One at a time: which attempt crosses a limit must not depend on scheduling.
        const result = await runProbes(own, bruteForceProbes, { concurrency: 1 });
        expectNoFailures(result, bruteForceProbes.length);
        expect(result.audited).toBe(bruteForceProbes.filter((p) => p.audit !== undefined).length);
        // The limits are per account and per address: the bystander still logs in from elsewhere.
        await expect(logIn(own.base, 'bystander', PASSWORD, BF.fresh)).resolves.toMatchObject({
          csrf: expect.any(String),
        });
      } finally {
        await closeStack(own);
      }
    });
  });

  describe('malformed input', () => {
    for (const [group, probes] of Object.entries(malformedGroups))
      it(`refuses ${probes.length} malformed ${group} with the right 4xx problem, changing nothing`, async () => {
        const result = await runProbes(stack, probes);
        expectNoFailures(result, probes.length);
      });
  });

  it('lets the auditor find every refusal through GET /api/audit', async () => {
    const repo = stack.running.backends!.repos.auditLog;
    const refused = await repo.list({ verdict: 'refuse' });
    const reply = await rawRequest(
      stack.base,
      userRequest(stack.ctx.session('demo-auditor'), {
        method: 'GET',
        path: '/api/audit?verdict=refuse&limit=100000',
        from: OFF_SITE,
      }),
    );
    expect(reply.status).toBe(200);
    const entries = (reply.json as { entries: { seq: number }[] }).entries;
    expect(entries.map((e) => e.seq)).toEqual(refused.map((e) => e.seq));
    // Signed-URL probes carry no credential: they are counted per address, not audited one by one.
    expect(entries.length).toBeGreaterThanOrEqual(
      AUTHORIZATION_TOTAL - anonymousProbes.length - bruteForceProbes.length - signedUrlProbes.length,
    );
    process.stdout.write(
      `security suite: ${AUTHORIZATION_TOTAL} + ${MALFORMED_TOTAL} probes in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`,
    );
  });
});
