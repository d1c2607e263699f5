/**
 * Administration against a real hub, on SQLite and on PostgreSQL: a secretary stays within
 * their own court's cases (attaching a case to a hearing, reading its participants,
 * mapping them to microphones); the health check says only "up" to anyone; the log-in's
 * body limit applies before the general parser; and separation of duties — what gives
 * access to evidence or to the audit log is a proposal that a second administrator,
 * logged in, approves (docs/decisions/0018-separation-of-duties.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogDialect } from '../storage/index.ts';
import {
  ADMIN_TOKEN,
  PERSON_PASSWORD,
  seedCourt,
  startTestHub,
  type CatalogSnapshot,
  type PersonClient,
  type TestHub,
} from './support/hub-harness.ts';
import { serviceAvailable } from './support/services.ts';

const postgres = await serviceAvailable('postgres', 'administration rules (PostgreSQL)');

interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  details?: { reason?: string; field?: string };
}

interface ApprovalBody {
  id: string;
  kind: string;
  state: string;
  proposedBy: string;
  decidedBy: string | null;
}

/** The tables a refusal is meant to write (the refusal itself, a session's last-seen time). */
const WRITTEN_BY_REFUSALS = ['audit_log', 'sessions', 'login_attempts'];

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

function suite(dialect: CatalogDialect) {
  let t: TestHub;
  let admin1: PersonClient;
  let admin2: PersonClient;
  let secretaryA: PersonClient;
  let partyOfB = '';

  async function dataSnapshot(): Promise<CatalogSnapshot> {
    const all = await t.snapshot();
    for (const table of WRITTEN_BY_REFUSALS) delete all[table];
    return all;
  }

  /** A refusal: status, code, reason, problem+json, and nothing changed but the audit log. */
  async function refused(
    request: () => Promise<Response>,
    status: number,
    code: string,
    reason?: string,
  ): Promise<ProblemBody> {
    const before = await dataSnapshot();
    const res = await request();
    const body = (await res.json()) as ProblemBody;
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.code).toBe(code);
    if (reason !== undefined) expect(body.details?.reason).toBe(reason);
    expect(await dataSnapshot()).toEqual(before);
    return body;
  }

  async function audited(actor: string, action: string, verdict: string, reason?: string): Promise<void> {
    const entries = await t.backends.repos.auditLog.list({ actor });
    expect(
      entries.some(
        (e) => e.action === action && e.verdict === verdict && (reason === undefined || e.reason === reason),
      ),
      `${actor} ${action} ${verdict} ${reason ?? ''} in ${JSON.stringify(entries.map((e) => [e.action, e.verdict, e.reason]))}`,
    ).toBe(true);
  }

  /** A proposal by `who` (a session, or the token when null): 202 and the pending approval. */
  async function propose(
    who: PersonClient | null,
    method: string,
    pathname: string,
    body?: unknown,
  ): Promise<ApprovalBody> {
    const res = who ? await who.api(pathname, json(method, body)) : await t.api(pathname, json(method, body));
    const text = await res.text();
    expect(res.status, text).toBe(202);
    const { approval } = JSON.parse(text) as { approval: ApprovalBody };
    expect(approval.state).toBe('pending');
    return approval;
  }

  const approve = (who: PersonClient, id: string) =>
    who.api(`/api/admin/approvals/${id}/approve`, json('POST'));
  const reject = (who: PersonClient, id: string) =>
    who.api(`/api/admin/approvals/${id}/reject`, json('POST'));

  beforeAll(async () => {
    t = await startTestHub({ catalog: dialect });
    await seedCourt(t, { courtId: 'court-a', courtrooms: ['room-a'], nodes: [] });
    await seedCourt(t, { courtId: 'court-b', courtrooms: ['room-b'], nodes: [] });
    const repos = t.backends.repos;
    const now = t.backends.clock.now();
    for (const [id, court] of [
      ['case-a', 'court-a'],
      ['case-b', 'court-b'],
    ] as const)
      await repos.cases.insertCase({
        id,
        court_id: court,
        number: `2-${id}`,
        category: 'civil',
        created_at: now,
      });
    partyOfB = 'p-of-b';
    await repos.cases.insertParticipant({
      id: partyOfB,
      case_id: 'case-b',
      user_id: null,
      name: 'Party of B',
      capacity: 'party',
      created_at: now,
    });
    admin1 = await t.person('administrator', { login: 'admin-1' });
    admin2 = await t.person('administrator', { login: 'admin-2' });
    secretaryA = await t.person('secretary', { login: 'sec-a', courtIds: ['court-a'] });
    await t.person('party', { login: 'party-x' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  describe("a secretary and another court's cases", () => {
    const hearing = (caseId: string) => ({
      id: 'h-cross',
      courtroomId: 'room-a',
      caseNumber: '2-cross',
      title: 'Cross-court',
      judge: 'Judge',
      caseId,
    });

    it("refuses a hearing attached to another court's case with 403 not-of-this-court, audited, storing nothing", async () => {
      await refused(
        () => secretaryA.api('/api/hearings', json('POST', hearing('case-b'))),
        403,
        'FORBIDDEN',
        'not-of-this-court',
      );
      await audited('sec-a', 'case.prepare', 'refuse', 'not-of-this-court');
      expect(await t.backends.repos.hearings.find('h-cross')).toBeUndefined();
    });

    it("still lets the secretary attach their own court's case", async () => {
      const res = await secretaryA.api('/api/hearings', json('POST', { ...hearing('case-a'), id: 'h-own' }));
      expect(res.status, await res.clone().text()).toBe(201);
    });

    it("refuses the secretary the participants of another court's case", async () => {
      await refused(
        () => secretaryA.api('/api/cases/case-b/participants'),
        403,
        'FORBIDDEN',
        'not-of-this-court',
      );
    });

    it("refuses mapping a microphone to another court's case participant, even on a hearing that carries that case", async () => {
      // A hearing of court A that carries court B's case (made before the rule existed).
      const now = t.backends.clock.now();
      await t.backends.repos.hearings.insert({
        id: 'h-legacy',
        courtroom_id: 'room-a',
        case_id: 'case-b',
        case_number: '2-case-b',
        title: 'Legacy',
        judge: 'Judge',
        visibility: 'open',
        language: 'ru',
        state: 'scheduled',
        scheduled_at: null,
        started_at: null,
        stopped_at: null,
        manifest_key: null,
        manifest_sha256: null,
        created_at: now,
        updated_at: now,
        judge_user_id: null,
        secretary_user_id: secretaryA.id,
      });
      await refused(
        () =>
          secretaryA.api(
            '/api/hearings/h-legacy/speakers',
            json('PUT', { speakers: [{ track: 'mic-1', participantId: partyOfB }] }),
          ),
        403,
        'FORBIDDEN',
        'not-of-this-court',
      );
      await audited('sec-a', 'case.read', 'refuse', 'not-of-this-court');
    });
  });

  describe('health and body limits', () => {
    it('tells an anonymous caller only whether the service is up', async () => {
      const res = await t.api('/api/health', { token: null });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('gives versions and backends to an administrator, and refuses them to anyone else', async () => {
      const res = await admin1.api('/api/health/details');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 'ok',
        versions: { hattama: expect.any(String), node: expect.any(String) },
        backends: { catalog: { driver: dialect, ok: true } },
      });
      await refused(() => secretaryA.api('/api/health/details'), 403, 'FORBIDDEN', 'role-cannot');
      await audited('sec-a', 'admin.manage', 'refuse', 'role-cannot');
      expect((await t.api('/api/health/details', { token: null })).status).toBe(401);
    });

    it('answers a 40 kB log-in with 413 PAYLOAD_TOO_LARGE problem+json, before the general parser reads it', async () => {
      const res = await t.api('/api/auth/login', {
        token: null,
        ...json('POST', { login: 'admin-1', password: 'x'.repeat(40 * 1024) }),
      });
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as ProblemBody).code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('still takes a 40 kB body where the general parser allows it', async () => {
      const res = await admin1.api(
        '/api/admin/courts',
        json('POST', { id: 'court-big', name: 'y'.repeat(40 * 1024) }),
      );
      // Read in full and refused by validation (the name is too long), not by size.
      expect(res.status).toBe(400);
      expect(((await res.json()) as ProblemBody).code).toBe('VALIDATION_FAILED');
    });
  });

  describe('separation of duties', () => {
    it('keeps a proposed higher-court judge pending until a second administrator approves it', async () => {
      const before = await dataSnapshot();
      const approval = await propose(admin1, 'POST', '/api/admin/users', {
        login: 'hcj-1',
        role: 'higher-court-judge',
      });
      expect(approval).toMatchObject({ kind: 'user.create', proposedBy: 'admin-1', decidedBy: null });
      expect(await t.backends.repos.users.findByLogin('hcj-1')).toBeUndefined();
      const after = await dataSnapshot();
      expect({ ...after, approvals: [] }).toEqual({ ...before, approvals: [] });
      await audited('admin-1', 'approval.propose', 'info');

      const listed = await admin2.api('/api/admin/approvals?state=pending');
      expect(((await listed.json()) as { approvals: ApprovalBody[] }).approvals.map((a) => a.id)).toContain(
        approval.id,
      );

      const res = await approve(admin2, approval.id);
      const body = (await res.json()) as {
        approval: ApprovalBody;
        result: { user: { login: string; role: string }; password: string };
      };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.approval).toMatchObject({ state: 'approved', decidedBy: 'admin-2' });
      expect(body.result.user).toMatchObject({ login: 'hcj-1', role: 'higher-court-judge' });
      await audited('admin-2', 'approval.approve', 'info');
      // The approver hands over the generated password; the account logs in with it.
      const hcj = await t.logIn('hcj-1', body.result.password);
      expect(hcj.role).toBe('higher-court-judge');
    });

    it('refuses the proposer approving their own proposal (own-proposal), and audits it', async () => {
      const approval = await propose(admin1, 'POST', '/api/cases/case-a/assignments', {
        userLogin: 'party-x',
        validFrom: '2026-01-01T00:00:00.000Z',
      });
      await refused(() => approve(admin1, approval.id), 403, 'FORBIDDEN', 'own-proposal');
      await refused(() => reject(admin1, approval.id), 403, 'FORBIDDEN', 'own-proposal');
      await audited('admin-1', 'approval.approve', 'refuse', 'own-proposal');
      expect(await t.backends.repos.cases.listAssignments('case-a')).toEqual([]);
    });

    it('refuses the administrator token approving anything (not-a-person), even what someone else proposed', async () => {
      const approval = await propose(admin1, 'POST', '/api/admin/terminals', {
        id: 'terminal-t',
        courtId: 'court-a',
        name: 'T',
      });
      await refused(
        () => t.api(`/api/admin/approvals/${approval.id}/approve`, json('POST')),
        403,
        'FORBIDDEN',
        'not-a-person',
      );
      await audited('api-token', 'approval.approve', 'refuse', 'not-a-person');
      expect(await t.backends.repos.terminals.find('terminal-t')).toBeUndefined();
    });

    it('refuses a non-administrator deciding a proposal (role-cannot)', async () => {
      const approval = await propose(null, 'POST', '/api/admin/users', {
        login: 'auditor-1',
        role: 'auditor',
      });
      expect(approval.proposedBy).toBe('api-token');
      await refused(() => approve(secretaryA, approval.id), 403, 'FORBIDDEN', 'role-cannot');
      await refused(() => secretaryA.api('/api/admin/approvals'), 403, 'FORBIDDEN', 'role-cannot');
      expect(await t.backends.repos.users.findByLogin('auditor-1')).toBeUndefined();
    });

    it('refuses a non-administrator proposing (role-cannot), storing no proposal', async () => {
      await refused(
        () =>
          secretaryA.api(
            '/api/cases/case-a/assignments',
            json('POST', { userLogin: 'party-x', validFrom: '2026-01-01T00:00:00.000Z' }),
          ),
        403,
        'FORBIDDEN',
        'role-cannot',
      );
    });

    it('refuses a second decision on a proposal with 409 CONFLICT, changing nothing', async () => {
      const approval = await propose(null, 'POST', '/api/admin/terminals', {
        id: 'terminal-1',
        courtId: 'court-a',
        name: 'Terminal 1',
      });
      const first = await approve(admin1, approval.id);
      const done = (await first.json()) as { result: { id: string; token: string } };
      expect(first.status).toBe(200);
      expect(done.result).toMatchObject({ id: 'terminal-1', token: expect.any(String) });
      expect((await t.backends.repos.terminals.find('terminal-1'))?.revoked_at).toBeNull();
      await refused(() => approve(admin2, approval.id), 409, 'CONFLICT');
      await refused(() => reject(admin2, approval.id), 409, 'CONFLICT');
    });

    it('makes nothing of a rejected proposal, and a rejected one cannot be approved afterwards', async () => {
      const approval = await propose(null, 'PUT', '/api/admin/users/party-x/role', { role: 'auditor' });
      const before = await dataSnapshot();
      const res = await reject(admin2, approval.id);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { approval: ApprovalBody }).approval).toMatchObject({
        state: 'rejected',
        decidedBy: 'admin-2',
      });
      await audited('admin-2', 'approval.reject', 'info');
      const after = await dataSnapshot();
      expect({ ...after, approvals: [] }).toEqual({ ...before, approvals: [] });
      expect((await t.backends.repos.users.findByLogin('party-x'))?.role).toBe('party');
      await refused(() => approve(admin1, approval.id), 409, 'CONFLICT');
      expect((await t.backends.repos.users.findByLogin('party-x'))?.role).toBe('party');
    });

    it('revokes a terminal only once a second administrator approves it', async () => {
      const approval = await propose(admin1, 'POST', '/api/admin/terminals/terminal-1/revoke');
      expect((await t.backends.repos.terminals.find('terminal-1'))?.revoked_at).toBeNull();
      expect((await approve(admin2, approval.id)).status).toBe(200);
      expect((await t.backends.repos.terminals.find('terminal-1'))?.revoked_at).not.toBeNull();
    });

    it('makes an administrator only with a second approval, so no one approves their own proposals with a second account', async () => {
      const approval = await propose(admin1, 'POST', '/api/admin/users', {
        login: 'admin-sock',
        role: 'administrator',
      });
      expect(await t.backends.repos.users.findByLogin('admin-sock')).toBeUndefined();
      expect(approval.kind).toBe('user.create');
    });

    it('creates a secretary at once: only roles that reach evidence or the log wait', async () => {
      const res = await admin1.api(
        '/api/admin/users',
        json('POST', { login: 'sec-new', role: 'secretary', courtIds: ['court-a'] }),
      );
      expect(res.status).toBe(201);
    });

    it('refuses a proposal with a password (400), and one naming a missing account (404), storing nothing', async () => {
      await refused(
        () =>
          admin1.api(
            '/api/admin/users',
            json('POST', { login: 'auditor-2', role: 'auditor', password: PERSON_PASSWORD }),
          ),
        400,
        'VALIDATION_FAILED',
      );
      await refused(
        () =>
          admin1.api(
            '/api/cases/case-a/assignments',
            json('POST', { userLogin: 'nobody-here', validFrom: '2026-01-01T00:00:00.000Z' }),
          ),
        404,
        'NOT_FOUND',
      );
      await refused(() => admin1.api('/api/admin/approvals/ap-none/approve', json('POST')), 404, 'NOT_FOUND');
    });

    it('does not take the administrator token as a second administrator for its own proposals either', async () => {
      const approval = await propose(null, 'POST', '/api/cases/case-a/assignments', {
        userLogin: 'party-x',
        validFrom: '2026-01-01T00:00:00.000Z',
      });
      const res = await fetch(`${t.url}/api/admin/approvals/${approval.id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(403);
      expect(await t.backends.repos.cases.listAssignments('case-a')).toEqual([]);
    });
  });
}

describe('administration rules on SQLite', () => suite('sqlite'));
describe.skipIf(!postgres)('administration rules on PostgreSQL', () => suite('postgres'));
