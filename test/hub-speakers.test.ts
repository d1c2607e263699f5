/**
 * The secretary's side of issue 6 against a real hub, on SQLite and on PostgreSQL: which
 * microphone belongs to whom (PUT/GET /api/hearings/:id/speakers and the hearing's
 * `speakers`), a case's participants (GET /api/cases/:id/participants), and the access
 * rules that moved from the routes into court/policy (preparing cases, watching the
 * recorders, a copy's requester, an assignment that is not in force). Every refusal is
 * problem+json with a stable code, changes nothing but the audit log, and is in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { needsApproval } from '../court/index.ts';
import type { CatalogDialect } from '../storage/index.ts';
import { UserAccounts } from '../court/index.ts';
import { seedCourt, startTestHub, type CatalogSnapshot, type TestHub } from './support/hub-harness.ts';
import { serviceAvailable } from './support/services.ts';

const postgres = await serviceAvailable('postgres', 'hub speakers and participants (PostgreSQL)');

const PASSWORD = 'speakers-test-password-5b2';

interface Session {
  login: string;
  cookie: string;
  csrf: string;
}

interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  details?: { reason?: string; field?: string; issues?: { field: string; message: string }[] };
}

/** The tables a refusal is meant to write (the refusal itself, a session's last-seen time). */
const WRITTEN_BY_REFUSALS = ['audit_log', 'sessions', 'login_attempts'];

function suite(dialect: CatalogDialect) {
  let t: TestHub;
  const sessions = new Map<string, Session>();
  const ids = { plaintiff: '', lawyer: '', otherParty: '' };

  const adminJson = async (method: string, pathname: string, body?: unknown) => {
    const res = await t.api(pathname, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, `${method} ${pathname}: ${text}`).toBeLessThan(300);
    return JSON.parse(text) as Record<string, unknown>;
  };

  async function logIn(login: string): Promise<Session> {
    const res = await t.api('/api/auth/login', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password: PASSWORD }),
    });
    expect(res.status, login).toBe(200);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('hattama_session='))!;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return { login, cookie, csrf: csrfToken };
  }

  /** A request as a logged-in user (with the CSRF token on writes unless `csrf: false`). */
  async function as(
    login: string,
    method: string,
    pathname: string,
    body?: unknown,
    options: { csrf?: boolean } = {},
  ): Promise<Response> {
    const s = sessions.get(login)!;
    const headers: Record<string, string> = { cookie: s.cookie };
    if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = s.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return t.api(pathname, {
      token: null,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function dataSnapshot(): Promise<CatalogSnapshot> {
    const all = await t.snapshot();
    for (const table of WRITTEN_BY_REFUSALS) delete all[table];
    return all;
  }

  /** A refusal: the status and code, problem+json, and nothing changed but the audit log. */
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

  /** The audit log has a refusal of this account with this action and reason. */
  async function audited(actor: string, action: string, reason: string): Promise<void> {
    const refusals = await t.backends.repos.auditLog.list({ actor, verdict: 'refuse' });
    expect(
      refusals.some((e) => e.action === action && e.reason === reason),
      `${actor} ${action} ${reason} in ${JSON.stringify(refusals.map((e) => [e.action, e.reason]))}`,
    ).toBe(true);
  }

  beforeAll(async () => {
    t = await startTestHub({ catalog: dialect });
    await seedCourt(t, { courtId: 'court-1', courtrooms: ['room-1'], nodes: [] });
    await seedCourt(t, { courtId: 'court-2', courtrooms: ['room-2'], nodes: [] });
    const users: [string, string, string[]][] = [
      ['sec-1', 'secretary', ['court-1']],
      ['sec-2', 'secretary', ['court-2']],
      ['judge-1', 'judge', []],
      ['op-1', 'operator', ['court-1']],
      ['party-1', 'party', []],
      ['party-2', 'party', []],
      ['hcj-now', 'higher-court-judge', []],
      ['hcj-past', 'higher-court-judge', []],
      ['hcj-future', 'higher-court-judge', []],
      ['auditor-1', 'auditor', []],
    ];
    // Higher-court judges and auditors need a second administrator's approval through the
    // API (decision 0018); this suite is not about administration, so they are seeded.
    const seeded = new UserAccounts({ repos: t.backends.repos, clock: t.backends.clock });
    for (const [login, role, courtIds] of users)
      if (needsApproval(role)) await seeded.create({ login, role, password: PASSWORD, courtIds });
      else await adminJson('POST', '/api/admin/users', { login, role, password: PASSWORD, courtIds });
    await adminJson('POST', '/api/cases', { id: 'case-1', number: '2-10/2026', courtId: 'court-1' });
    await adminJson('POST', '/api/cases', { id: 'case-2', number: '2-20/2026', courtId: 'court-1' });
    ids.plaintiff = (
      await adminJson('POST', '/api/cases/case-1/participants', {
        name: 'Айгүл Сейітова',
        capacity: 'party',
        userLogin: 'party-1',
      })
    ).id as string;
    ids.lawyer = (
      await adminJson('POST', '/api/cases/case-1/participants', {
        name: 'Ivan Petrov',
        capacity: 'representative',
      })
    ).id as string;
    ids.otherParty = (
      await adminJson('POST', '/api/cases/case-2/participants', {
        name: 'Other Party',
        capacity: 'party',
        userLogin: 'party-2',
      })
    ).id as string;
    const assign = async (userLogin: string, validFrom: string, validUntil?: string) =>
      t.backends.repos.cases.insertAssignment({
        id: `as-${userLogin}`,
        case_id: 'case-1',
        user_id: (await t.backends.repos.users.findByLogin(userLogin))!.id,
        valid_from_ms: Date.parse(validFrom),
        valid_until_ms: validUntil ? Date.parse(validUntil) : null,
        created_at: t.backends.clock.now(),
      });
    await assign('hcj-now', '2020-01-01T00:00:00.000Z');
    await assign('hcj-past', '2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z');
    await assign('hcj-future', '2099-01-01T00:00:00.000Z');
    for (const [login] of users) sessions.set(login, await logIn(login));
    // The secretary prepares the hearing: it is hers, and judge-1's.
    const created = await as('sec-1', 'POST', '/api/hearings', {
      id: 'h-1',
      courtroomId: 'room-1',
      caseNumber: '2-10/2026',
      caseId: 'case-1',
      title: 'Сейітова v. Petrov',
      judge: 'Judge One',
      judgeLogin: 'judge-1',
    });
    expect(created.status).toBe(201);
    const noCase = await as('sec-1', 'POST', '/api/hearings', {
      id: 'h-nocase',
      courtroomId: 'room-1',
      caseNumber: '2-0/2026',
      title: 'Without a case',
      judge: 'Judge',
    });
    expect(noCase.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  describe('the case list', () => {
    it('shows each account only the cases it may read', async () => {
      const caseIds = async (login: string) => {
        const res = await as(login, 'GET', '/api/cases');
        expect(res.status).toBe(200);
        return ((await res.json()) as { cases: { id: string }[] }).cases.map((c) => c.id).sort();
      };
      expect(await caseIds('sec-1')).toEqual(['case-1', 'case-2']); // the court's secretary
      expect(await caseIds('sec-2')).toEqual([]); // another court's
      expect(await caseIds('party-1')).toEqual(['case-1']);
      expect(await caseIds('party-2')).toEqual(['case-2']);
      expect(await caseIds('hcj-now')).toEqual(['case-1']);
      expect(await caseIds('hcj-past')).toEqual([]); // the assignment has ended
      expect(await caseIds('judge-1')).toEqual(['case-1']); // the judge of its hearing
    });
  });

  describe("a case's participants", () => {
    it("lists them to the secretary of the case's court, without saying which account is linked", async () => {
      const res = await as('sec-1', 'GET', '/api/cases/case-1/participants');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        caseId: 'case-1',
        participants: [
          { id: ids.plaintiff, name: 'Айгүл Сейітова', capacity: 'party', hasAccount: true },
          { id: ids.lawyer, name: 'Ivan Petrov', capacity: 'representative', hasAccount: false },
        ],
      });
    });

    it("lists them to the case's judge and party, an assigned higher-court judge and the administrator token", async () => {
      for (const login of ['judge-1', 'party-1', 'hcj-now'])
        expect((await as(login, 'GET', '/api/cases/case-1/participants')).status, login).toBe(200);
      expect((await t.api('/api/cases/case-1/participants')).status).toBe(200);
    });

    it('refuses everyone else with the policy’s reason, and audits each refusal', async () => {
      for (const [login, reason] of [
        ['party-2', 'not-a-participant'],
        ['sec-2', 'not-of-this-court'],
        ['op-1', 'role-cannot'],
        ['hcj-past', 'assignment-not-active'],
        ['hcj-future', 'assignment-not-active'],
        ['auditor-1', 'auditor-reads-log-only'],
      ] as const) {
        await refused(() => as(login, 'GET', '/api/cases/case-1/participants'), 403, 'FORBIDDEN', reason);
        await audited(login, 'case.read', reason);
      }
    });

    it('answers 404 for a case that does not exist and 400 for a malformed id', async () => {
      await refused(() => as('sec-1', 'GET', '/api/cases/case-404/participants'), 404, 'NOT_FOUND');
      await refused(() => as('sec-1', 'GET', '/api/cases/Bad%20Id/participants'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('preparing cases', () => {
    it('lets a secretary add a participant to a case of her court, and refuses one of another court', async () => {
      const ok = await as('sec-1', 'POST', '/api/cases/case-2/participants', {
        name: 'Witness-to-be',
        capacity: 'representative',
      });
      expect(ok.status).toBe(201);
      await refused(
        () =>
          as('sec-2', 'POST', '/api/cases/case-1/participants', {
            name: 'Mallory',
            capacity: 'party',
            userLogin: 'party-2',
          }),
        403,
        'FORBIDDEN',
        'not-of-this-court',
      );
      await audited('sec-2', 'case.prepare', 'not-of-this-court');
      await refused(
        () => as('sec-2', 'POST', '/api/cases', { number: '2-99/2026', courtId: 'court-1' }),
        403,
        'FORBIDDEN',
        'not-of-this-court',
      );
      await refused(
        () => as('judge-1', 'POST', '/api/cases', { number: '2-98/2026', courtId: 'court-1' }),
        403,
        'FORBIDDEN',
        'role-cannot',
      );
      const own = await as('sec-2', 'POST', '/api/cases', { number: '2-97/2026', courtId: 'court-2' });
      expect(own.status).toBe(201);
    });
  });

  describe('which microphone belongs to whom', () => {
    const mapping = () => ({
      speakers: [
        { track: 'mic-1', label: 'Судья' },
        { track: 'mic-2', participantId: ids.plaintiff },
        { track: 'mic-10', participantId: ids.lawyer },
      ],
    });

    it("stores the hearing's secretary's mapping and answers with it, mic-1 first", async () => {
      const res = await as('sec-1', 'PUT', '/api/hearings/h-1/speakers', mapping());
      expect(res.status).toBe(200);
      const expected = {
        hearingId: 'h-1',
        speakers: [
          { track: 'mic-1', participantId: null, label: 'Судья', name: 'Судья', capacity: null },
          {
            track: 'mic-2',
            participantId: ids.plaintiff,
            label: null,
            name: 'Айгүл Сейітова',
            capacity: 'party',
          },
          {
            track: 'mic-10',
            participantId: ids.lawyer,
            label: null,
            name: 'Ivan Petrov',
            capacity: 'representative',
          },
        ],
      };
      expect(await res.json()).toEqual(expected);
      expect(await (await as('party-1', 'GET', '/api/hearings/h-1/speakers')).json()).toEqual(expected);
      const detail = (await (await as('judge-1', 'GET', '/api/hearings/h-1')).json()) as {
        speakers: unknown;
      };
      expect(detail.speakers).toEqual(expected.speakers);
      // What transcription will read.
      expect(
        (await t.backends.repos.speakers.speakersOfHearing('h-1')).map((s) => [s.track, s.name, s.updatedBy]),
      ).toEqual([
        ['mic-1', 'Судья', 'sec-1'],
        ['mic-2', 'Айгүл Сейітова', 'sec-1'],
        ['mic-10', 'Ivan Petrov', 'sec-1'],
      ]);
    });

    it('puts every change in the audit log', async () => {
      const entries = (await t.backends.repos.auditLog.list({ hearingId: 'h-1', actor: 'sec-1' })).filter(
        (e) => e.action === 'hearing.speakers.set',
      );
      expect(entries.at(-1)).toMatchObject({
        verdict: 'info',
        role: 'secretary',
        target: `mic-1=label:Судья; mic-2=participant:${ids.plaintiff}; mic-10=participant:${ids.lawyer}`,
      });
    });

    it("lets the hearing's judge and secretary change it, not the administrator token; microphones left out are unmapped", async () => {
      const byJudge = await as('judge-1', 'PUT', '/api/hearings/h-1/speakers', {
        speakers: [{ track: 'mic-3', label: 'Прокурор' }],
      });
      expect(byJudge.status).toBe(200);
      expect(
        ((await byJudge.json()) as { speakers: { track: string }[] }).speakers.map((s) => s.track),
      ).toEqual(['mic-3']);
      const byAdmin = await t.api('/api/hearings/h-nocase/speakers', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ speakers: [{ track: 'mic-1', label: 'Судья' }] }),
      });
      expect(byAdmin.status).toBe(403);
      const bySecretary = await as('sec-1', 'PUT', '/api/hearings/h-nocase/speakers', {
        speakers: [{ track: 'mic-1', label: 'Судья' }],
      });
      expect(bySecretary.status).toBe(200);
      const cleared = await as('sec-1', 'PUT', '/api/hearings/h-1/speakers', { speakers: [] });
      expect(await cleared.json()).toEqual({ hearingId: 'h-1', speakers: [] });
      expect((await as('sec-1', 'PUT', '/api/hearings/h-1/speakers', mapping())).status).toBe(200);
    });

    it('refuses a participant of another case, naming the entry, and changes nothing', async () => {
      const body = await refused(
        () =>
          as('sec-1', 'PUT', '/api/hearings/h-1/speakers', {
            speakers: [
              { track: 'mic-1', label: 'Судья' },
              { track: 'mic-2', participantId: ids.otherParty },
            ],
          }),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.details?.issues).toEqual([
        {
          field: 'speakers.1.participantId',
          message: `${ids.otherParty} is not a participant of case case-1`,
        },
      ]);
      await refused(
        () =>
          as('sec-1', 'PUT', '/api/hearings/h-1/speakers', {
            speakers: [{ track: 'mic-1', participantId: '00000000-0000-0000-0000-000000000000' }],
          }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('refuses participants for a hearing without a case', async () => {
      const body = await refused(
        () =>
          as('sec-1', 'PUT', '/api/hearings/h-nocase/speakers', {
            speakers: [{ track: 'mic-1', participantId: ids.plaintiff }],
          }),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.details?.field).toBe('speakers.0.participantId');
    });

    it('refuses a microphone mapped twice, a bad track name and malformed entries', async () => {
      const dup = await refused(
        () =>
          as('sec-1', 'PUT', '/api/hearings/h-1/speakers', {
            speakers: [
              { track: 'mic-2', label: 'Судья' },
              { track: 'mic-2', participantId: ids.plaintiff },
            ],
          }),
        400,
        'VALIDATION_FAILED',
      );
      expect(dup.details?.issues?.map((i) => i.field)).toEqual(['speakers.1.track']);
      for (const entry of [
        { track: 'mic-0', label: 'x' },
        { track: 'mic-100', label: 'x' },
        { track: 'video', label: 'x' },
        { track: 'mix', label: 'x' },
        { track: 'MIC-1', label: 'x' },
        { track: 'mic-1', label: 'x', participantId: ids.plaintiff },
        { track: 'mic-1' },
        { track: 'mic-1', label: '' },
        { track: 'mic-1', label: 'bell\u0007' },
        { track: 'mic-1', label: 'x'.repeat(201) },
        { track: 'mic-1', participantId: 'Not An Id' },
        { track: 'mic-1', label: 'x', speaker: 'y' },
      ]) {
        const body = await refused(
          () => as('sec-1', 'PUT', '/api/hearings/h-1/speakers', { speakers: [entry] }),
          400,
          'VALIDATION_FAILED',
        );
        expect(body.details?.issues?.[0]?.field, JSON.stringify(entry)).toMatch(/^speakers\.0/);
      }
      for (const bad of [{}, { speakers: {} }, { speakers: 'mic-1' }, [], { speakers: [], extra: 1 }])
        await refused(() => as('sec-1', 'PUT', '/api/hearings/h-1/speakers', bad), 400, 'VALIDATION_FAILED');
    });

    it('answers 404 for a hearing that does not exist', async () => {
      await refused(() => as('sec-1', 'PUT', '/api/hearings/h-404/speakers', mapping()), 404, 'NOT_FOUND');
      await refused(() => as('sec-1', 'GET', '/api/hearings/h-404/speakers'), 404, 'NOT_FOUND');
    });

    it("refuses anyone but the hearing's secretary and judge, and a write without the CSRF token", async () => {
      for (const [login, reason] of [
        ['party-1', 'role-cannot'],
        ['sec-2', 'not-the-hearings-staff'],
        ['op-1', 'role-cannot'],
        ['hcj-now', 'role-cannot'],
      ] as const) {
        await refused(
          () => as(login, 'PUT', '/api/hearings/h-1/speakers', mapping()),
          403,
          'FORBIDDEN',
          reason,
        );
        await audited(login, 'hearing.edit', reason);
      }
      await refused(
        () => as('sec-1', 'PUT', '/api/hearings/h-1/speakers', mapping(), { csrf: false }),
        403,
        'CSRF_FAILED',
      );
      await refused(
        () => as('party-2', 'GET', '/api/hearings/h-1/speakers'),
        403,
        'FORBIDDEN',
        'not-a-participant',
      );
    });
  });

  describe('rules moved into the policy', () => {
    it('refuses a higher-court judge whose assignment has ended or not begun as assignment-not-active', async () => {
      expect((await as('hcj-now', 'GET', '/api/hearings/h-1')).status).toBe(200);
      for (const login of ['hcj-past', 'hcj-future']) {
        await refused(() => as(login, 'GET', '/api/hearings/h-1'), 403, 'FORBIDDEN', 'assignment-not-active');
        await audited(login, 'hearing.view', 'assignment-not-active');
      }
    });

    it('lets court staff watch the recorders and refuses the others', async () => {
      for (const login of ['op-1', 'sec-1', 'judge-1'])
        expect((await as(login, 'GET', '/api/recorders')).status, login).toBe(200);
      for (const login of ['party-1', 'hcj-now', 'auditor-1']) {
        await refused(() => as(login, 'GET', '/api/recorders'), 403, 'FORBIDDEN', 'role-cannot');
        await audited(login, 'recorders.watch', 'role-cannot');
      }
    });

    it("opens the console's live feed to court staff only, by the same rule", async () => {
      const open = (login: string) =>
        new Promise<number | 'open'>((resolve) => {
          const ws = new WebSocket(`${t.wsUrl}/api/live`, {
            headers: { cookie: sessions.get(login)!.cookie },
          });
          ws.on('open', () => {
            ws.close();
            resolve('open');
          });
          ws.on('unexpected-response', (_req, res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          ws.on('error', () => undefined);
        });
      for (const login of ['op-1', 'sec-1', 'judge-1']) expect(await open(login), login).toBe('open');
      for (const login of ['party-1', 'hcj-now', 'auditor-1']) expect(await open(login), login).toBe(401);
    });

    it("hands a copy's state to its requester only", async () => {
      const party1 = await t.backends.repos.users.findByLogin('party-1');
      const copyId = 'cp-00000000-0000-4000-8000-000000000001';
      await t.backends.repos.copies.insert({
        id: copyId,
        hearing_id: 'h-1',
        viewer_user_id: party1!.id,
        viewer_name: 'Party One',
        from_ms: null,
        to_ms: null,
        state: 'queued',
        progress: 0,
        mp4_key: null,
        txt_key: null,
        sha256: null,
        size: null,
        error: null,
        requested_at: t.backends.clock.now(),
        finished_at: null,
      });
      expect((await as('party-1', 'GET', `/api/copies/${copyId}`)).status).toBe(200);
      for (const login of ['party-2', 'judge-1', 'sec-1']) {
        await refused(
          () => as(login, 'GET', `/api/copies/${copyId}`),
          403,
          'FORBIDDEN',
          'not-the-copy-requester',
        );
        await audited(login, 'copy.download', 'not-the-copy-requester');
      }
    });

    it("withdraws a finished copy's links when its requester may no longer download the recording", async () => {
      // A copy made at the court's terminal of a hearing that is closed: not to be fetched from home.
      const closed = await as('sec-1', 'POST', '/api/hearings', {
        id: 'h-closed',
        courtroomId: 'room-1',
        caseNumber: '2-10/2026',
        caseId: 'case-1',
        title: 'Closed session',
        judge: 'Judge One',
        visibility: 'closed',
      });
      expect(closed.status).toBe(201);
      const party1 = await t.backends.repos.users.findByLogin('party-1');
      const copyId = 'cp-00000000-0000-4000-8000-000000000002';
      await t.backends.repos.copies.insert({
        id: copyId,
        hearing_id: 'h-closed',
        viewer_user_id: party1!.id,
        viewer_name: 'Party One',
        from_ms: null,
        to_ms: null,
        state: 'ready',
        progress: 1,
        mp4_key: `copies/h-closed/${copyId}.mp4`,
        txt_key: `copies/h-closed/${copyId}.txt`,
        sha256: 'ab'.repeat(32),
        size: 1000,
        error: null,
        requested_at: t.backends.clock.now(),
        finished_at: t.backends.clock.now(),
      });
      const body = await refused(() => as('party-1', 'GET', `/api/copies/${copyId}`), 403, 'FORBIDDEN');
      const reason = String(body.details?.reason);
      expect(reason).toMatch(/^closed-hearing-/);
      await audited('party-1', 'recording.download', reason);
    });
  });
}

describe('speakers and participants on SQLite', () => suite('sqlite'));
describe.skipIf(!postgres)('speakers and participants on PostgreSQL', () => suite('postgres'));
