/**
 * The hub's REST API against a real server (embedded backends, free port), with plain
 * `fetch`. Every refusal must be application/problem+json with a stable code, and must
 * leave the catalog exactly as it was (docs/architecture.md: bad input changes nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  seedCourt,
  startTestHub,
  type CatalogSnapshot,
  type PersonClient,
  type TestHub,
} from './support/hub-harness.ts';

const NODE = { id: 'node-1', courtroomId: 'room-1', token: 'node-1-token-3e9a71c2' };

let t: TestHub;
let scheduledId: string;
/** The court's secretary: creates and runs the hearings these tests use. */
let secretary: PersonClient;

beforeAll(async () => {
  t = await startTestHub();
  await seedCourt(t, { courtId: 'court-1', courtrooms: ['room-1'], nodes: [NODE] });
  secretary = await t.person('secretary', { courtIds: ['court-1'] });
  const created = await secretary.api('/api/hearings', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'h-scheduled',
      courtroomId: 'room-1',
      caseNumber: '2-1/2026',
      title: 'Ivanov v. Petrov',
      judge: 'Judge A',
    }),
  });
  expect(created.status).toBe(201);
  scheduledId = ((await created.json()) as { id: string }).id;
});

afterAll(async () => {
  await t?.close();
});

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  details?: { field?: string; issues?: { field: string; message: string }[] };
}

/** Checks a problem+json answer and returns its body. */
async function problem(res: Response, status: number, code: string): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({
    status,
    code,
    title: code,
    type: expect.stringMatching(/^https:\/\/hattama\.dev\/problems\//),
  });
  expect(body.detail).toEqual(expect.any(String));
  return body;
}

/** The catalog without what a refused request may write: its audit entry, the session's last-seen time. */
async function dataSnapshot(): Promise<CatalogSnapshot> {
  const { audit_log: _audit, sessions: _sessions, ...rest } = await t.snapshot();
  return rest;
}

/**
 * Runs a request that must be refused, as the secretary (or with `token`, as the API
 * token's account or without credentials), and checks that the catalog did not change.
 */
async function refused(
  pathname: string,
  init: RequestInit & { token?: string | null },
  status: number,
  code: string,
): Promise<ProblemBody> {
  const before = await dataSnapshot();
  const res = 'token' in init ? await t.api(pathname, init) : await secretary.api(pathname, init);
  const body = await problem(res, status, code);
  expect(await dataSnapshot()).toEqual(before);
  return body;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const validHearing = {
  courtroomId: 'room-1',
  caseNumber: '2-2/2026',
  title: 'Sidorov v. Akhmetov',
  judge: 'Judge B',
};

describe('authentication', () => {
  it('answers 401 UNAUTHENTICATED to a request without a token', async () => {
    await refused('/api/hearings', { token: null }, 401, 'UNAUTHENTICATED');
  });

  it('answers 401 UNAUTHENTICATED to a request with a wrong token', async () => {
    await refused('/api/hearings', { token: `${ADMIN_TOKEN}-wrong` }, 401, 'UNAUTHENTICATED');
  });

  it('answers 401 UNAUTHENTICATED to a write without a token and stores nothing', async () => {
    await refused(
      '/api/hearings',
      { ...json({ ...validHearing, id: 'h-unauthenticated' }), token: null },
      401,
      'UNAUTHENTICATED',
    );
  });

  it('answers the health check without a token, saying only that the service is up', async () => {
    const res = await t.api('/api/health', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('gives the health details (versions, backends) to the administrator token only', async () => {
    expect((await t.api('/api/health/details', { token: null })).status).toBe(401);
    const res = await t.api('/api/health/details');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', role: 'hub', backends: expect.any(Object) });
  });
});

describe('the administrator API token', () => {
  it('acts as the api-token administrator, who may not create or run a hearing', async () => {
    const body = await refused(
      '/api/hearings',
      { ...json({ ...validHearing, id: 'h-by-token' }), token: ADMIN_TOKEN },
      403,
      'FORBIDDEN',
    );
    expect(body.detail).toMatch(/administrators/);
    await refused(
      `/api/hearings/${scheduledId}/start`,
      { method: 'POST', token: ADMIN_TOKEN },
      403,
      'FORBIDDEN',
    );
  });

  it('sees no evidence: the hearing, its manifest and its playlists are refused to it', async () => {
    for (const path of [
      `/api/hearings/${scheduledId}`,
      `/api/hearings/${scheduledId}/manifest`,
      `/api/hearings/${scheduledId}/hls/master.m3u8`,
    ])
      await refused(path, { token: ADMIN_TOKEN }, 403, 'FORBIDDEN');
    const list = await t.api('/api/hearings');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { hearings: unknown[] }).hearings).toEqual([]);
  });

  it('is audited on every use, under the account it acts as', async () => {
    const before = (await t.backends.repos.auditLog.list({ actor: 'api-token' })).length;
    expect((await t.api('/api/recorders')).status).toBe(200);
    const after = await t.backends.repos.auditLog.list({ actor: 'api-token' });
    expect(after.length).toBeGreaterThan(before);
    expect(after.at(-1)).toMatchObject({
      action: 'api-token.use',
      target: 'GET /api/recorders',
      role: 'administrator',
    });
  });

  it('stops working when its account is disabled', async () => {
    await t.backends.repos.users.update('u-api-token', { disabled_at: t.backends.clock.now() });
    try {
      const res = await t.api('/api/recorders');
      expect(res.status).toBe(403);
    } finally {
      await t.backends.repos.users.update('u-api-token', { disabled_at: null });
    }
  });
});

describe('creating hearings', () => {
  it('refuses a hearing with missing fields, naming each one', async () => {
    const body = await refused('/api/hearings', json({ courtroomId: 'room-1' }), 400, 'VALIDATION_FAILED');
    expect(body.details?.issues?.map((i) => i.field).sort()).toEqual(['caseNumber', 'judge', 'title']);
    expect(body.detail).toContain('caseNumber');
  });

  it('refuses a malformed hearing id, naming the field', async () => {
    const body = await refused(
      '/api/hearings',
      json({ ...validHearing, id: 'Bad Id!' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.details?.issues).toEqual([expect.objectContaining({ field: 'id' })]);
  });

  it('refuses a courtroom that does not exist, naming the field', async () => {
    const body = await refused(
      '/api/hearings',
      json({ ...validHearing, courtroomId: 'room-404' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.details?.field).toBe('courtroomId');
  });

  it('refuses a hearing id that already exists with 409 CONFLICT', async () => {
    await refused('/api/hearings', json({ ...validHearing, id: scheduledId }), 409, 'CONFLICT');
    const stored = await t.backends.repos.hearings.find(scheduledId);
    expect(stored?.case_number).toBe('2-1/2026');
  });

  it('creates a valid hearing as scheduled', async () => {
    const res = await secretary.api('/api/hearings', json({ ...validHearing, id: 'h-created' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      id: 'h-created',
      state: 'scheduled',
      visibility: 'open',
      language: 'ru',
    });
  });
});

describe('recording commands', () => {
  it('answers 503 BACKEND_UNAVAILABLE to start when no recorder of the courtroom is connected', async () => {
    expect(t.hub.gateway.nodeForCourtroom('room-1')).toBeNull();
    const body = await refused(
      `/api/hearings/${scheduledId}/start`,
      { method: 'POST' },
      503,
      'BACKEND_UNAVAILABLE',
    );
    expect(body.detail).toContain('room-1');
    expect((await t.backends.repos.hearings.find(scheduledId))?.state).toBe('scheduled');
  });

  it('refuses to resume a scheduled hearing with 409 CONFLICT', async () => {
    await refused(`/api/hearings/${scheduledId}/resume`, { method: 'POST' }, 409, 'CONFLICT');
  });

  it('refuses to pause a scheduled hearing with 409 CONFLICT', async () => {
    await refused(`/api/hearings/${scheduledId}/pause`, { method: 'POST' }, 409, 'CONFLICT');
  });

  it('refuses a command that does not exist with 400', async () => {
    await refused(`/api/hearings/${scheduledId}/rewind`, { method: 'POST' }, 400, 'VALIDATION_FAILED');
  });

  it('answers 404 to a command on a hearing that does not exist', async () => {
    await refused('/api/hearings/h-missing/start', { method: 'POST' }, 404, 'NOT_FOUND');
  });
});

describe('markers', () => {
  it('refuses a marker of an unknown kind with 400, naming the field', async () => {
    const body = await refused(
      `/api/hearings/${scheduledId}/markers`,
      json({ kind: 'coffee-break' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.details?.issues).toEqual([expect.objectContaining({ field: 'kind' })]);
  });

  it('refuses a marker on a hearing that is still scheduled with 409', async () => {
    await refused(
      `/api/hearings/${scheduledId}/markers`,
      json({ kind: 'opening', text: 'too early' }),
      409,
      'CONFLICT',
    );
  });
});

describe('errors', () => {
  it('answers 404 NOT_FOUND to a hearing that does not exist', async () => {
    await refused('/api/hearings/h-does-not-exist', {}, 404, 'NOT_FOUND');
  });

  it('answers 400 to a hearing id that is not an id', async () => {
    await refused('/api/hearings/NOT_AN_ID', {}, 400, 'VALIDATION_FAILED');
  });

  it('answers 404 problem+json to an unknown API route', async () => {
    const body = await refused('/api/nothing-here', {}, 404, 'NOT_FOUND');
    expect(body.detail).toContain('/api/nothing-here');
  });

  it('answers 404 problem+json to an unknown route outside the API', async () => {
    await refused('/nothing-here', { token: null }, 404, 'NOT_FOUND');
  });

  it('refuses a body over 256 kB with 413', async () => {
    const big = { ...validHearing, id: 'h-too-big', title: 'x'.repeat(300 * 1024) };
    await refused('/api/hearings', json(big), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses malformed JSON with 400', async () => {
    await refused(
      '/api/hearings',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"courtroomId": "room-1",' },
      400,
      'BAD_REQUEST',
    );
  });
});
