/**
 * The audit log against a real hub, on SQLite and on PostgreSQL: it names one person by
 * one identifier (the login, lower-case, with the role beside it) in every kind of entry,
 * and the auditor finds a case's entries by its number (GET /api/audit?caseNumber=…),
 * combined with the other filters and paged with `before`, while bad filters are refused
 * with 400 and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, CatalogDialect } from '../storage/index.ts';
import {
  PERSON_PASSWORD,
  seedCourt,
  startTestHub,
  type PersonClient,
  type TestHub,
} from './support/hub-harness.ts';
import { serviceAvailable } from './support/services.ts';

const postgres = await serviceAvailable('postgres', 'audit identity (PostgreSQL)');

interface EntryView {
  seq: number;
  actor: string;
  role: string | null;
  action: string;
  hearingId: string | null;
  verdict: string;
  reason: string | null;
  target: string | null;
}

function suite(dialect: CatalogDialect) {
  let t: TestHub;
  let secretary: PersonClient;
  let auditor: PersonClient;
  let party: PersonClient;

  const adminJson = async (method: string, pathname: string, body: unknown) => {
    const res = await t.api(pathname, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, `${method} ${pathname}: ${await res.clone().text()}`).toBeLessThan(300);
  };

  const entriesOf = async (client: PersonClient, query: string): Promise<EntryView[]> => {
    const res = await client.api(`/api/audit?${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { entries: EntryView[] }).entries;
  };

  /** Every entry of the log, straight from the catalog. */
  const wholeLog = (): Promise<AuditEntry[]> => t.backends.repos.auditLog.list();

  beforeAll(async () => {
    t = await startTestHub({ catalog: dialect });
    await seedCourt(t, { courtId: 'court-1', courtrooms: ['room-1'], nodes: [] });
    await adminJson('POST', '/api/cases', { id: 'case-a', number: '2-1/2026', courtId: 'court-1' });
    await adminJson('POST', '/api/cases', { id: 'case-b', number: '2-2/2026', courtId: 'court-1' });
    secretary = await t.person('secretary', { login: 'sec-aliya', courtIds: ['court-1'] });
    auditor = await t.person('auditor', { login: 'aud-nurlan' });
    party = await t.person('party', { login: 'party-dana' });
    const hearing = async (id: string, caseNumber: string, caseId?: string) => {
      const res = await secretary.api('/api/hearings', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id,
          courtroomId: 'room-1',
          caseNumber,
          title: id,
          judge: 'Judge',
          ...(caseId ? { caseId } : {}),
        }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    // h-a1 carries the case number as typed; h-a2 was typed short but is linked to case A.
    await hearing('h-a1', '2-1/2026', 'case-a');
    await hearing('h-a2', '2-1', 'case-a');
    await hearing('h-b1', '2-2/2026', 'case-b');
    // The party is on no case: each look at a hearing is a refusal written with its id.
    for (const id of ['h-a1', 'h-a2', 'h-b1'])
      expect((await party.api(`/api/hearings/${id}`)).status).toBe(403);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('names one person by one identifier across a log-in, a failed log-in, a refusal and an allowed read', async () => {
    const from = (await t.backends.repos.auditLog.last())?.seq ?? 0;
    // Typed in capitals: still the same person.
    const wrong = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'AUD-Nurlan', password: 'not-the-password' }),
    });
    expect(wrong.status).toBe(401);
    const nurlan = await t.logIn('AUD-Nurlan', PERSON_PASSWORD);
    // An auditor may not see a hearing's recording (refused) but may read the log (allowed).
    expect((await nurlan.api('/api/hearings/h-a1/hls/master.m3u8')).status).toBe(403);
    await entriesOf(nurlan, 'limit=1');
    const logout = await nurlan.api('/api/auth/logout', { method: 'POST' });
    expect(logout.status).toBeLessThan(300);

    const mine = (await wholeLog()).filter((e) => e.seq > from);
    expect(mine.map((e) => `${e.action} ${e.verdict}`)).toEqual([
      'auth.login refuse',
      'auth.login allow',
      'recording.play refuse',
      'audit.read allow',
      'auth.logout info',
    ]);
    expect(mine[0]!.reason).toBe('wrong-password');
    expect(mine[2]!.reason).toBe('auditor-reads-log-only');
    for (const e of mine)
      expect({ actor: e.actor, role: e.role }).toEqual({ actor: 'aud-nurlan', role: 'auditor' });
    // The auditor's actor filter finds all of them by the login, whatever its case (and,
    // as the same person, this read itself last).
    const found = (await entriesOf(auditor, 'actor=AUD-NURLAN&limit=100000')).filter((e) => e.seq > from);
    expect(found.slice(0, -1).map((e) => e.seq)).toEqual(mine.map((e) => e.seq));
    expect(found.at(-1)).toMatchObject({ actor: 'aud-nurlan', action: 'audit.read', verdict: 'allow' });
  });

  it("filters by case number: only the entries of that case's hearings, typed or linked", async () => {
    const a = await entriesOf(auditor, `caseNumber=${encodeURIComponent('2-1/2026')}`);
    expect(new Set(a.map((e) => e.hearingId))).toEqual(new Set(['h-a1', 'h-a2']));
    expect(a.some((e) => e.actor === 'party-dana' && e.verdict === 'refuse')).toBe(true);
    const b = await entriesOf(auditor, `caseNumber=${encodeURIComponent('2-2/2026')}`);
    expect(b.length).toBeGreaterThan(0);
    expect(new Set(b.map((e) => e.hearingId))).toEqual(new Set(['h-b1']));
    expect(await entriesOf(auditor, 'caseNumber=9-9%2F2099')).toEqual([]);
    // What the catalog holds for those hearings, exactly.
    const expected = (await wholeLog()).filter((e) => e.hearing_id === 'h-a1' || e.hearing_id === 'h-a2');
    expect(a.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
  });

  it('combines the case number with the actor, the verdict and paging', async () => {
    const q = `caseNumber=${encodeURIComponent('2-1/2026')}`;
    const refusals = await entriesOf(auditor, `${q}&actor=Party-Dana&verdict=refuse`);
    expect(refusals.map((e) => e.hearingId).sort()).toEqual(['h-a1', 'h-a2']);
    const all = await entriesOf(auditor, q);
    const res = await auditor.api(`/api/audit?${q}&limit=1`);
    const newest = (await res.json()) as { entries: EntryView[]; nextBefore: number | null };
    expect(newest.entries.map((e) => e.seq)).toEqual([all.at(-1)!.seq]);
    expect(newest.nextBefore).toBe(all.at(-1)!.seq);
    const older = await entriesOf(auditor, `${q}&limit=100&before=${newest.nextBefore}`);
    expect(older.map((e) => e.seq)).toEqual(all.slice(0, -1).map((e) => e.seq));
  });

  it('refuses a bad case number or cursor with 400 problem+json and writes nothing', async () => {
    const bad = [
      'caseNumber=',
      `caseNumber=${'9'.repeat(65)}`,
      'caseNumber=2-1%00%2F2026',
      'caseNumber=2-1%1B%5B2J',
      'before=0',
      'before=abc',
      'before=-3',
    ];
    for (const query of bad) {
      const before = await wholeLog();
      const res = await auditor.api(`/api/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
      expect(await wholeLog(), query).toEqual(before);
    }
  });

  it('writes one rate-limited entry when an account is locked out, not one per attempt after it', async () => {
    const attempt = (login: string) =>
      fetch(`${t.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, password: 'guessing-away' }),
      });
    await t.person('party', { login: 'party-locked' });
    const from = (await t.backends.repos.auditLog.last())?.seq ?? 0;
    // Five failures are allowed per account and window (the default); then ten more tries.
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push((await attempt(i % 2 === 0 ? 'party-locked' : 'PARTY-LOCKED')).status);
    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(10).fill(429)]);
    const entries = (await wholeLog()).filter((e) => e.seq > from);
    expect(entries.map((e) => e.reason)).toEqual([
      ...Array<string>(5).fill('wrong-password'),
      'rate-limited',
    ]);
    for (const e of entries)
      expect(e).toMatchObject({ actor: 'party-locked', role: 'party', verdict: 'refuse' });
  });

  it('keeps the case filter from anyone but an auditor, and records the refusal', async () => {
    const res = await party.api(`/api/audit?caseNumber=${encodeURIComponent('2-1/2026')}`);
    expect(res.status).toBe(403);
    const last = await t.backends.repos.auditLog.last();
    expect(last).toMatchObject({
      actor: 'party-dana',
      role: 'party',
      action: 'audit.read',
      verdict: 'refuse',
    });
    expect(last?.target).toContain('2-1/2026');
  });
}

describe('audit identity and case filter on SQLite', () => suite('sqlite'));
describe.skipIf(!postgres)('audit identity and case filter on PostgreSQL', () => suite('postgres'));

describe('the test hub', () => {
  it('fails its close() loudly when its audit chain does not verify, as `hattama audit verify` would', async () => {
    const t = await startTestHub();
    expect((await t.api('/api/hearings')).status).toBe(200);
    const last = await t.backends.repos.auditLog.last();
    expect(last).toBeDefined();
    // A row slipped in by hand: it links to nothing the chain knows.
    await t.backends.repos.auditLog.insert({
      ...last!,
      seq: last!.seq + 1,
      actor: 'mallory',
      prev_hash: '1'.repeat(64),
    });
    await expect(t.close()).rejects.toThrow(
      `the test hub's audit log does not verify: BROKEN at entry ${last!.seq + 1}`,
    );
  });
});
