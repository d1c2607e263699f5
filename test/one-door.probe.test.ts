/**
 * The independent attacker's probe of the one door to the evidence (docs/architecture.md):
 * ONE real embedded stack (SQLite, the local object store, the demo recorder node) with
 * two short real recordings of the demo case — an open hearing whose first seconds are
 * sealed by the judge and hold a marker with secret text, and a closed hearing with its
 * own marker — then, from tables, every role on and off site tries the reads and changes
 * a person could try. Each answer is checked against the access table
 * (docs/decisions/0006-access-policy.md) and every body (JSON, playlist, manifest, CSV,
 * ws frame) of someone who may not see it is searched for the secret marker text, the
 * sealed range's reason, the keys of the sealed segments, and, for the off-site parties,
 * anything of the closed hearing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing } from '../cli/commands/demo.ts';
import { UserAccounts } from '../court/index.ts';
import { rawRequest, type Reply } from './support/security-probes.ts';
import {
  OFF_SITE,
  ON_SITE,
  PASSWORD,
  SESSION_COOKIE,
  asPerson,
  connectRecorder,
  logIn,
  recorderAsk,
  startProbeStack,
  watchLive,
  type ProbeStack,
  type Session,
} from './support/probe-stack.ts';

const OPEN = 'h-door-open';
const CLOSED = 'h-door-closed';
const SECRET_MARKER = 'sealed-secret-marker-7f3a9c';
const SECRET_REASON = 'sealed-reason-witness-91c2be';
const PUBLIC_MARKER = 'public-marker-5e11d0';
const CLOSED_MARKER = 'closed-hearing-marker-4d8e02';
const RECORD_SECONDS = 6;
const CONCURRENCY = 12;

/** How the access table reads an account, for the demo case's hearings. */
type Standing =
  | 'administrator'
  | 'operator-here'
  | 'operator-elsewhere'
  | 'staff'
  | 'other-staff'
  | 'party'
  | 'other-party'
  | 'higher-assigned'
  | 'higher-past'
  | 'higher-unassigned'
  | 'auditor-assigned'
  | 'auditor-unassigned';

interface Prober {
  name: string;
  /** The account's login, or null for the administrator token. */
  login: string | null;
  standing: Standing;
  /** Watches recorder nodes (the live feed, GET /api/recorders). */
  watches: boolean;
  /** Sees the demo court's node in the live feed. */
  seesDemoNode: boolean;
}
const PROBERS: readonly Prober[] = [
  {
    name: 'administrator (session)',
    login: 'demo-admin',
    standing: 'administrator',
    watches: true,
    seesDemoNode: true,
  },
  { name: 'administrator token', login: null, standing: 'administrator', watches: true, seesDemoNode: true },
  {
    name: "the court's operator",
    login: 'demo-operator',
    standing: 'operator-here',
    watches: true,
    seesDemoNode: true,
  },
  {
    name: "another court's operator",
    login: 'operator-2',
    standing: 'operator-elsewhere',
    watches: true,
    seesDemoNode: false,
  },
  {
    name: "the hearing's secretary",
    login: 'demo-secretary',
    standing: 'staff',
    watches: true,
    seesDemoNode: true,
  },
  { name: "the hearing's judge", login: 'demo-judge', standing: 'staff', watches: true, seesDemoNode: true },
  {
    name: 'another secretary',
    login: 'secretary-2',
    standing: 'other-staff',
    watches: true,
    seesDemoNode: false,
  },
  { name: 'another judge', login: 'judge-b', standing: 'other-staff', watches: true, seesDemoNode: false },
  { name: "the case's party", login: 'demo-party', standing: 'party', watches: false, seesDemoNode: false },
  {
    name: "the case's representative",
    login: 'demo-representative',
    standing: 'party',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: "another case's party",
    login: 'party-b',
    standing: 'other-party',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: 'an assigned higher-court judge',
    login: 'demo-higher-judge',
    standing: 'higher-assigned',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: 'a higher-court judge whose assignment ended',
    login: 'higher-past',
    standing: 'higher-past',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: 'an unassigned higher-court judge',
    login: 'higher-none',
    standing: 'higher-unassigned',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: 'an assigned auditor',
    login: 'auditor-assigned',
    standing: 'auditor-assigned',
    watches: false,
    seesDemoNode: false,
  },
  {
    name: 'an unassigned auditor',
    login: 'demo-auditor',
    standing: 'auditor-unassigned',
    watches: false,
    seesDemoNode: false,
  },
];
const PLACES = [
  { name: 'off site', from: OFF_SITE, onSite: false },
  { name: 'on site', from: ON_SITE, onSite: true },
] as const;
const HEARINGS = [
  { id: OPEN, visibility: 'open' },
  { id: CLOSED, visibility: 'closed' },
] as const;
type Visibility = (typeof HEARINGS)[number]['visibility'];

/** Whether the account gets a hearing whole (sealed ranges, their reasons and markers included). */
const seesWhole = (s: Standing) => s === 'staff' || s === 'higher-assigned' || s === 'auditor-assigned';

/** The access table for `hearing.view` (the listing and the detail): null = allowed, else the reason. */
function viewRefusal(s: Standing): string | null {
  switch (s) {
    case 'administrator':
      return 'role-cannot';
    case 'operator-elsewhere':
      return 'not-of-this-court';
    case 'other-staff':
      return 'not-the-hearings-staff';
    case 'other-party':
      return 'not-a-participant';
    case 'higher-past':
      return 'assignment-not-active';
    case 'higher-unassigned':
      return 'not-assigned-to-case';
    case 'auditor-unassigned':
      return 'auditor-reads-log-only';
    case 'operator-here':
    case 'staff':
    case 'party':
    case 'higher-assigned':
    case 'auditor-assigned':
      return null;
  }
}

/** The access table for `recording.play` (playlists, manifest, position). */
function playRefusal(s: Standing, visibility: Visibility, onSite: boolean): string | null {
  const view = viewRefusal(s);
  if (view) return view;
  if (s === 'operator-here') {
    if (visibility === 'closed') return 'closed-hearing-not-for-operators';
    return onSite ? null : 'on-site-only';
  }
  if (s === 'party' && visibility === 'closed' && !onSite) return 'closed-hearing-off-site';
  return null;
}

/** The access table for `recording.download` (asking for a copy). */
function copyRefusal(s: Standing, visibility: Visibility): string | null {
  switch (s) {
    case 'administrator':
    case 'operator-here':
    case 'operator-elsewhere':
    case 'higher-assigned':
    case 'higher-past':
    case 'higher-unassigned':
    case 'auditor-assigned':
    case 'auditor-unassigned':
      return 'role-cannot';
    case 'other-staff':
      return 'not-the-hearings-staff';
    case 'other-party':
      return 'not-a-participant';
    case 'party':
      return visibility === 'closed' ? 'closed-hearing-no-copies' : null;
    case 'staff':
      return null;
  }
}

interface World {
  stack: ProbeStack;
  sessions: Map<string, Session>;
  /** Object keys of the open hearing's segments that overlap its sealed range. */
  sealedKeys: string[];
  /** Object keys of every segment of the closed hearing. */
  closedKeys: string[];
  /** The open hearing's first media time. */
  t0: number;
  sealStart: number;
  sealEnd: number;
}
let world: World;

function who(p: Prober): Session | { bearer: string } {
  return p.login === null ? { bearer: world.stack.adminToken } : world.sessions.get(p.login)!;
}

function ask(
  p: Prober,
  r: { method?: string; path: string; from: string; body?: unknown; headers?: Record<string, string> },
): Promise<Reply> {
  return rawRequest(world.stack.base, asPerson(who(p), r));
}

/** Everything in `text` that someone who may not see it must never be shown. */
function leaksIn(text: string, forbidden: readonly string[]): string[] {
  return forbidden.filter((f) => text.includes(f));
}

/** What a prober may not see of a hearing, from a place. */
function forbiddenFor(p: Prober, hearing: Visibility, onSite: boolean): string[] {
  const out: string[] = [];
  if (!seesWhole(p.standing)) out.push(SECRET_MARKER, SECRET_REASON, ...world.sealedKeys);
  if (hearing === 'closed' && playRefusal(p.standing, 'closed', onSite) !== null)
    out.push(CLOSED_MARKER, ...world.closedKeys);
  return out;
}

async function inPool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY)
    out.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(fn))));
  return out;
}

function reasonOf(r: Reply): string | undefined {
  return (r.json as { details?: { reason?: string } } | undefined)?.details?.reason;
}

/** null when the reply is the table's answer (200, or 403 problem+json with the reason), else why not. */
function verdict(r: Reply, refusal: string | null): string | null {
  if (refusal === null)
    return r.status === 200 ? null : `got ${r.status}, expected 200: ${r.text.slice(0, 160)}`;
  if (r.status !== 403) return `got ${r.status}, expected 403 ${refusal}: ${r.text.slice(0, 160)}`;
  if (!/^application\/problem\+json/.test(r.headers['content-type'] ?? '')) return 'not problem+json';
  return reasonOf(r) === refusal ? null : `reason ${reasonOf(r)}, expected ${refusal}`;
}

async function auditCount(): Promise<number> {
  return (await world.stack.running.backends!.repos.auditLog.last())?.seq ?? 0;
}

const until = async <T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>) => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function admin(method: string, pathname: string, body?: unknown): Promise<unknown> {
  const r = await rawRequest(
    world.stack.base,
    asPerson({ bearer: world.stack.adminToken }, { method, path: pathname, body, from: OFF_SITE }),
  );
  if (r.status >= 300) throw new Error(`${method} ${pathname}: ${r.status} ${r.text}`);
  return r.json;
}

/** A change that needs a second administrator (decision 0018): the token proposes, demo-admin approves. */
async function approved(method: string, pathname: string, body?: unknown): Promise<unknown> {
  const proposed = (await admin(method, pathname, body)) as { approval: { id: string } };
  const r = await rawRequest(
    world.stack.base,
    asPerson(world.sessions.get('demo-admin')!, {
      method: 'POST',
      path: `/api/admin/approvals/${proposed.approval.id}/approve`,
      from: OFF_SITE,
    }),
  );
  if (r.status !== 200) throw new Error(`approve ${pathname}: ${r.status} ${r.text}`);
  return (r.json as { result: unknown }).result;
}

/** Segment URLs listed by a playlist. */
function urlsOf(playlist: string): string[] {
  return playlist.split('\n').filter((l) => l.startsWith('/objects/') || /^https?:/.test(l));
}

beforeAll(async () => {
  const stack = await startProbeStack();
  world = { stack, sessions: new Map(), sealedKeys: [], closedKeys: [], t0: 0, sealStart: 0, sealEnd: 0 };
  const { running, config } = stack;
  const repos = running.backends!.repos;
  world.sessions.set('demo-admin', await logIn(stack.base, 'demo-admin'));
  world.sessions.set('demo-judge', await logIn(stack.base, 'demo-judge'));

  // The other accounts, through the API (higher-court judges and assignments need a second administrator).
  await admin('POST', '/api/admin/courts', { id: 'court-2', name: 'Second court' });
  await admin('POST', '/api/courtrooms', { id: 'room-2', courtId: 'court-2', name: 'Room 2' });
  for (const [login, role, courtIds] of [
    ['party-b', 'party', []],
    ['judge-b', 'judge', ['court-2']],
    ['operator-2', 'operator', ['court-2']],
    ['secretary-2', 'secretary', ['court-2']],
  ] as const)
    await admin('POST', '/api/admin/users', { login, role, password: PASSWORD, courtIds });
  const accounts = new UserAccounts({ repos, clock: running.backends!.clock });
  for (const [login, role] of [
    ['higher-past', 'higher-court-judge'],
    ['higher-none', 'higher-court-judge'],
    ['auditor-assigned', 'auditor'],
  ] as const) {
    await approved('POST', '/api/admin/users', { login, role });
    await accounts.setPassword(login, PASSWORD);
  }
  await approved('POST', '/api/cases/demo-case/assignments', {
    userLogin: 'higher-past',
    validFrom: '2020-01-01T00:00:00.000Z',
    validUntil: '2021-01-01T00:00:00.000Z',
  });
  await approved('POST', '/api/cases/demo-case/assignments', {
    userLogin: 'auditor-assigned',
    validFrom: '2020-01-01T00:00:00.000Z',
  });
  await admin('POST', '/api/cases', { id: 'case-b', number: '2-0002/2026', courtId: 'demo-court' });
  await admin('POST', '/api/cases/case-b/participants', {
    name: 'Party B',
    capacity: 'party',
    userLogin: 'party-b',
  });

  // Two short recordings; the judge marks each one while it records, as from the bench.
  const judge = world.sessions.get('demo-judge')!;
  for (const h of HEARINGS) {
    let marked = false;
    await recordHearing({
      running,
      config,
      seconds: RECORD_SECONDS,
      hearingId: h.id,
      visibility: h.visibility,
      during: async (elapsed) => {
        if (marked || elapsed < 1) return;
        marked = true;
        const texts = h.visibility === 'open' ? [SECRET_MARKER] : [CLOSED_MARKER];
        for (const text of texts) {
          const r = await rawRequest(
            stack.base,
            asPerson(judge, {
              method: 'POST',
              path: `/api/hearings/${h.id}/markers`,
              body: { kind: 'testimony', text },
              from: OFF_SITE,
            }),
          );
          if (r.status !== 201 && r.status !== 200) throw new Error(`marker: ${r.status} ${r.text}`);
        }
      },
    });
  }
  // The demo court's secretary is both hearings' secretary.
  const secretary = await repos.users.findByLogin('demo-secretary');
  await running
    .backends!.catalog.db.updateTable('hearings')
    .set({ secretary_user_id: secretary!.id })
    .where('id', 'in', [OPEN, CLOSED])
    .execute();

  const openSegments = await repos.segments.listByHearing(OPEN);
  world.t0 = Math.min(...openSegments.map((s) => s.start_ms));
  const secret = (await repos.markers.listByHearing(OPEN)).find((m) => m.text === SECRET_MARKER);
  if (!secret) throw new Error('the secret marker was not stored');
  // The judge seals from the media start to just past the secret marker; a public marker follows later.
  world.sealStart = world.t0;
  world.sealEnd = Math.max(secret.at_ms + 500, world.t0 + 2500);
  const seal = await rawRequest(
    stack.base,
    asPerson(judge, {
      method: 'POST',
      path: `/api/hearings/${OPEN}/sealed-ranges`,
      body: {
        start: new Date(world.sealStart).toISOString(),
        end: new Date(world.sealEnd).toISOString(),
        reason: SECRET_REASON,
      },
      from: OFF_SITE,
    }),
  );
  if (seal.status >= 300) throw new Error(`seal: ${seal.status} ${seal.text}`);
  const pub = await rawRequest(
    stack.base,
    asPerson(judge, {
      method: 'POST',
      path: `/api/hearings/${OPEN}/markers`,
      body: { kind: 'recess', text: PUBLIC_MARKER, at: new Date(world.t0 + 5000).toISOString() },
      from: OFF_SITE,
    }),
  );
  if (pub.status >= 300) throw new Error(`public marker: ${pub.status} ${pub.text}`);
  world.sealedKeys = openSegments
    .filter((s) => s.start_ms < world.sealEnd && s.start_ms + s.duration_ms > world.sealStart)
    .map((s) => s.object_key);
  world.closedKeys = (await repos.segments.listByHearing(CLOSED)).map((s) => s.object_key);
  if (world.sealedKeys.length === 0 || world.closedKeys.length === 0) throw new Error('nothing recorded');

  for (const p of PROBERS)
    if (p.login && !world.sessions.has(p.login))
      world.sessions.set(p.login, await logIn(stack.base, p.login));
}, 240_000);

afterAll(async () => {
  await world?.stack.close();
});

// ---------------------------------------------------------------------------

const READS = [
  { name: 'the hearing detail', action: 'view', path: (id: string) => `/api/hearings/${id}` },
  { name: 'the microphone mapping', action: 'view', path: (id: string) => `/api/hearings/${id}/speakers` },
  {
    name: 'the master playlist',
    action: 'play',
    path: (id: string) => `/api/hearings/${id}/hls/master.m3u8`,
  },
  { name: 'the video playlist', action: 'play', path: (id: string) => `/api/hearings/${id}/hls/video.m3u8` },
  { name: 'the mix playlist', action: 'play', path: (id: string) => `/api/hearings/${id}/hls/mix.m3u8` },
  { name: 'the mic-1 playlist', action: 'play', path: (id: string) => `/api/hearings/${id}/hls/mic-1.m3u8` },
  { name: 'the manifest', action: 'play', path: (id: string) => `/api/hearings/${id}/manifest` },
  { name: 'a position', action: 'play', path: (id: string) => `/api/hearings/${id}/position?t=1` },
] as const;

const READ_CASES = PROBERS.flatMap((p) =>
  PLACES.flatMap((place) =>
    HEARINGS.flatMap((h) =>
      READS.map((read) => ({
        label: `${p.name} ${place.name}: ${read.name} of the ${h.visibility} hearing`,
        p,
        place,
        h,
        read,
        refusal:
          read.action === 'view'
            ? viewRefusal(p.standing)
            : playRefusal(p.standing, h.visibility, place.onSite),
      })),
    ),
  ),
);

describe(`the one door: ${READ_CASES.length} hearing reads by every role, on and off site`, () => {
  it('answers every read as the access table says and audits each refusal once', async () => {
    const failures: string[] = [];
    const before = await auditCount();
    const replies = await inPool(READ_CASES, (c) =>
      ask(c.p, { path: c.read.path(c.h.id), from: c.place.from }),
    );
    READ_CASES.forEach((c, i) => {
      const why = verdict(replies[i]!, c.refusal);
      if (why) failures.push(`${c.label}: ${why}`);
    });
    const refusals = (await world.stack.running.backends!.repos.auditLog.list({ verdict: 'refuse' })).filter(
      (e) => e.seq > before,
    );
    expect(failures.slice(0, 30), `${failures.length} of ${READ_CASES.length}`).toEqual([]);
    // One entry per refused read, naming the person, the place and the hearing.
    // The detail is the player's page: a viewer it is shown to who may not play is audited
    // as refused the playing too (court/hearing-reads.service.ts `detail`).
    const expected = READ_CASES.flatMap((c) => {
      const play = playRefusal(c.p.standing, c.h.visibility, c.place.onSite);
      const refusal = c.read.name === 'the hearing detail' && c.refusal === null ? play : c.refusal;
      return refusal === null ? [] : [`${c.p.login ?? 'api-token'} ${c.place.from} ${c.h.id} ${refusal}`];
    });
    const audited = refusals.map((e) => `${e.actor} ${e.address} ${e.hearing_id} ${e.reason}`);
    const count = (xs: string[]) =>
      xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const want = count(expected);
    const got = count(audited);
    const differ = [...new Set([...want.keys(), ...got.keys()])]
      .filter((k) => want.get(k) !== got.get(k))
      .map((k) => `${k}: ${got.get(k) ?? 0} audited, ${want.get(k) ?? 0} refused`);
    expect(differ).toEqual([]);
  });

  it('never shows the sealed marker, the seal reason, a sealed segment or off-site closed content to whom may not see it', async () => {
    const leaks: string[] = [];
    const replies = await inPool(READ_CASES, (c) =>
      ask(c.p, { path: c.read.path(c.h.id), from: c.place.from }),
    );
    READ_CASES.forEach((c, i) => {
      // The manifest is the integrity proof, served as stored: it lists every segment's key
      // and hash, sealed ones too (docs/decisions/0021-probe-findings.md); texts never.
      const forbidden = forbiddenFor(c.p, c.h.visibility, c.place.onSite).filter(
        (f) => c.read.name !== 'the manifest' || !world.sealedKeys.includes(f),
      );
      const found = leaksIn(replies[i]!.text, forbidden);
      if (found.length > 0) leaks.push(`${c.label}: ${found.join(', ')}`);
    });
    expect(leaks.slice(0, 30), `${leaks.length} leaking replies`).toEqual([]);
  });

  it('shows the whole hearing to the judge, the secretary and the assigned reviewers (the scan is not vacuous)', async () => {
    const whole = PROBERS.filter((p) => seesWhole(p.standing));
    for (const p of whole) {
      const detail = await ask(p, { path: `/api/hearings/${OPEN}`, from: OFF_SITE });
      const video = await ask(p, { path: `/api/hearings/${OPEN}/hls/video.m3u8`, from: OFF_SITE });
      expect(detail.text, p.name).toContain(SECRET_MARKER);
      expect(
        world.sealedKeys.some((k) => video.text.includes(k)) || urlsOf(video.text).length > 0,
        p.name,
      ).toBe(true);
    }
    const party = await ask(
      PROBERS.find((p) => p.login === 'demo-party')!,
      {
        path: `/api/hearings/${OPEN}`,
        from: OFF_SITE,
      },
    );
    expect(party.text).toContain(PUBLIC_MARKER);
    expect(party.text).not.toContain(SECRET_MARKER);
  });
});

const LIST_FILTERS = [
  '',
  '?caseNumber=2-0001%2F2026',
  '?caseNumber=2-0002%2F2026',
  '?courtId=demo-court',
  '?courtId=court-2',
  '?state=stopped',
  '?limit=1',
];

describe('lists', () => {
  it('never lists a hearing the role may not view, whatever the filter, and audits no list', async () => {
    const cases = PROBERS.flatMap((p) =>
      PLACES.flatMap((place) => LIST_FILTERS.map((f) => ({ p, place, f }))),
    );
    const before = await auditCount();
    const replies = await inPool(cases, (c) => ask(c.p, { path: `/api/hearings${c.f}`, from: c.place.from }));
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const r = replies[i]!;
      const label = `${c.p.name} ${c.place.name} GET /api/hearings${c.f}`;
      if (r.status !== 200 && r.status !== 403)
        failures.push(`${label}: ${r.status} ${r.text.slice(0, 120)}`);
      const listed =
        r.status === 200 ? ((r.json as { hearings: { id: string }[] }).hearings ?? []).map((h) => h.id) : [];
      for (const id of listed)
        if ([OPEN, CLOSED].includes(id) && viewRefusal(c.p.standing) !== null)
          failures.push(`${label} lists ${id}`);
      const found = leaksIn(
        r.text,
        forbiddenFor(c.p, 'closed', c.place.onSite).concat(forbiddenFor(c.p, 'open', c.place.onSite)),
      );
      if (found.length > 0) failures.push(`${label} shows ${found.join(', ')}`);
    });
    expect(failures.slice(0, 30)).toEqual([]);
    const after = await world.stack.running.backends!.repos.auditLog.list({});
    const listAudits = after.filter((e) => e.seq > before && e.verdict === 'allow');
    expect(listAudits.map((e) => `${e.actor} ${e.action}`)).toEqual([]);
  });

  it('lets only auditors read the audit log, and never shows them the secret marker text', async () => {
    const cases = PROBERS.flatMap((p) =>
      ['/api/audit', '/api/audit?caseNumber=2-0001%2F2026', '/api/audit?format=csv'].map((path) => ({
        p,
        path,
      })),
    );
    const replies = await inPool(cases, (c) => ask(c.p, { path: c.path, from: OFF_SITE }));
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const r = replies[i]!;
      const auditor = c.p.standing === 'auditor-assigned' || c.p.standing === 'auditor-unassigned';
      if (r.status !== (auditor ? 200 : 403))
        failures.push(`${c.p.name} ${c.path}: ${r.status} ${r.text.slice(0, 120)}`);
      const found = leaksIn(r.text, [SECRET_MARKER, SECRET_REASON, CLOSED_MARKER]);
      if (found.length > 0) failures.push(`${c.p.name} ${c.path} shows ${found.join(', ')}`);
    });
    expect(failures).toEqual([]);
    // The case-number filter gives the demo case's entries only, and some of them.
    const filtered = await ask(
      PROBERS.find((p) => p.login === 'demo-auditor')!,
      {
        path: '/api/audit?caseNumber=2-0001%2F2026',
        from: OFF_SITE,
      },
    );
    const entries = (
      filtered.json as { entries: { hearingId?: string | null; hearing_id?: string | null }[] }
    ).entries;
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect([OPEN, CLOSED]).toContain(e.hearingId ?? e.hearing_id);
  });
});

describe('signed segment URLs', () => {
  const party = () => world.sessions.get('demo-party')!;
  const representative = () => world.sessions.get('demo-representative')!;
  const fetchUrl = (
    url: string,
    session: Session | null,
    from = OFF_SITE,
    headers: Record<string, string> = {},
  ) =>
    rawRequest(world.stack.base, {
      path: url,
      from,
      headers: { ...headers, ...(session ? { cookie: `${SESSION_COOKIE}=${session.token}` } : {}) },
    });
  const playlist = async (s: Session, id: string, from: string) => {
    const r = await rawRequest(
      world.stack.base,
      asPerson(s, { path: `/api/hearings/${id}/hls/mix.m3u8`, from }),
    );
    expect(r.status, r.text).toBe(200);
    return urlsOf(r.text);
  };
  const refused = (r: Reply) => r.status >= 400 && r.status < 500 && !r.text.startsWith('G');

  it('serves a party its own URL, and refuses it to another person and to nobody', async () => {
    const [url] = await playlist(party(), OPEN, OFF_SITE);
    expect((await fetchUrl(url!, party())).status).toBe(200);
    const other = await fetchUrl(url!, representative());
    const nobody = await fetchUrl(url!, null);
    expect([other.status, nobody.status].every((s) => s >= 400)).toBe(true);
    expect(refused(other) && refused(nobody)).toBe(true);
  });

  it('refuses a URL after its viewer logged out', async () => {
    const s = await logIn(world.stack.base, 'demo-party');
    const [url] = await playlist(s, OPEN, OFF_SITE);
    expect((await fetchUrl(url!, s)).status).toBe(200);
    await rawRequest(
      world.stack.base,
      asPerson(s, { method: 'POST', path: '/api/auth/logout', from: OFF_SITE }),
    );
    expect(refused(await fetchUrl(url!, s))).toBe(true);
  });

  it('refuses a closed hearing URL issued on site when replayed off site, even with x-forwarded-for on site', async () => {
    const [url] = await playlist(party(), CLOSED, ON_SITE);
    expect((await fetchUrl(url!, party(), ON_SITE)).status).toBe(200);
    expect(refused(await fetchUrl(url!, party(), OFF_SITE))).toBe(true);
    expect(refused(await fetchUrl(url!, party(), OFF_SITE, { 'x-forwarded-for': ON_SITE }))).toBe(true);
    expect(
      refused(await fetchUrl(url!, party(), OFF_SITE, { 'x-hattama-terminal': 'forged-terminal-token' })),
    ).toBe(true);
  });

  it('refuses a tampered signature and an expired URL', async () => {
    const [url] = await playlist(party(), OPEN, OFF_SITE);
    const tampered = url!.replace(/sig=([A-Za-z0-9_-])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(url);
    expect(refused(await fetchUrl(tampered, party()))).toBe(true);
    const key = world.sealedKeys.find((k) => !world.closedKeys.includes(k))!;
    const expired = await world.stack.running.backends!.objects.presignGet(key, { expirySeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    expect(refused(await fetchUrl(expired.replace(/^https?:\/\/[^/]+/, ''), null))).toBe(true);
  });

  it("refuses a party the judge's URL of a segment inside the sealed range, and lists none in the party's playlists", async () => {
    const judgeUrls = await playlist(world.sessions.get('demo-judge')!, OPEN, OFF_SITE);
    const sealed = judgeUrls.filter((u) => world.sealedKeys.some((k) => u.includes(k)));
    expect(sealed.length).toBeGreaterThan(0);
    for (const u of sealed) {
      expect(refused(await fetchUrl(u, party())), u).toBe(true);
      expect(refused(await fetchUrl(u, party(), ON_SITE)), u).toBe(true);
    }
    const partyUrls = await playlist(party(), OPEN, ON_SITE);
    expect(partyUrls.filter((u) => world.sealedKeys.some((k) => u.includes(k)))).toEqual([]);
  });
});

describe('copies', () => {
  const party = () => PROBERS.find((p) => p.login === 'demo-party')!;
  const askCopy = (p: Prober, id: string, from = OFF_SITE) =>
    ask(p, { method: 'POST', path: `/api/hearings/${id}/copies`, body: {}, from });

  it('refuses a copy to every role that may not take one, from anywhere', async () => {
    const cases = PROBERS.flatMap((p) =>
      PLACES.flatMap((place) =>
        HEARINGS.map((h) => ({ p, place, h, refusal: copyRefusal(p.standing, h.visibility) })),
      ),
    ).filter((c) => c.refusal !== null);
    const replies = await inPool(cases, (c) => askCopy(c.p, c.h.id, c.place.from));
    const failures = cases
      .map((c, i) => [c, verdict(replies[i]!, c.refusal)] as const)
      .filter(([, why]) => why)
      .map(([c, why]) => `${c.p.name} ${c.place.name} ${c.h.visibility}: ${why}`);
    expect(failures).toEqual([]);
  });

  it('leaves out of a copy a range sealed while it waited to be made, or voids it', async () => {
    const repos = world.stack.running.backends!.repos;
    const range = { startMs: world.t0 + 4500, endMs: world.t0 + 5000 };
    // Asked and sealed at once: the copy is made after the seal, or voided; never with the part.
    const [asked, seal] = await Promise.all([
      askCopy(party(), OPEN),
      rawRequest(
        world.stack.base,
        asPerson(world.sessions.get('demo-judge')!, {
          method: 'POST',
          path: `/api/hearings/${OPEN}/sealed-ranges`,
          body: {
            start: new Date(range.startMs).toISOString(),
            end: new Date(range.endMs).toISOString(),
            reason: SECRET_REASON,
          },
          from: OFF_SITE,
        }),
      ),
    ]);
    expect(asked.status, asked.text).toBe(202);
    expect(seal.status, seal.text).toBeLessThan(300);
    const copyId = (asked.json as { copyId: string }).copyId;
    const made = await until('the copy', 120_000, async () => {
      const c = await repos.copies.find(copyId);
      return c && ['ready', 'failed', 'voided'].includes(c.state) ? c : null;
    });
    const view = await ask(party(), { path: `/api/copies/${copyId}`, from: OFF_SITE });
    expect(view.status, view.text).toBe(200);
    const state = (view.json as { state: string }).state;
    if (state === 'ready') {
      const excluded = JSON.parse(made.excluded_ranges ?? '[]') as { startMs: number; endMs: number }[];
      expect(excluded.some((x) => x.startMs <= range.startMs && x.endMs >= range.endMs)).toBe(true);
    } else expect(state).toBe('voided');
    expect(leaksIn(view.text, [SECRET_MARKER, SECRET_REASON, ...world.sealedKeys])).toEqual([]);
  });

  it('makes a copy asked before a seal without the sealed part, voids one sealed after it was made, and stops its old links', async () => {
    const repos = world.stack.running.backends!.repos;
    const first = await askCopy(party(), OPEN);
    expect(first.status, first.text).toBe(202);
    const copyId = (first.json as { copyId: string }).copyId;
    await until('the copy', 120_000, async () =>
      ['ready', 'failed', 'voided'].includes((await repos.copies.find(copyId))?.state ?? ''),
    );
    const ready = await ask(party(), { path: `/api/copies/${copyId}`, from: OFF_SITE });
    expect(ready.status, ready.text).toBe(200);
    expect(leaksIn(ready.text, [SECRET_MARKER, SECRET_REASON, ...world.sealedKeys])).toEqual([]);
    const links = JSON.stringify(ready.json).match(/\/objects\/[^"]+/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    // Someone else asks for the party's copy.
    for (const p of PROBERS.filter((x) => x.login !== 'demo-party')) {
      const r = await ask(p, { path: `/api/copies/${copyId}`, from: OFF_SITE });
      expect(r.status, `${p.name}: ${r.text}`).toBe(403);
      expect(r.text).not.toMatch(/\/objects\//);
    }
    // The judge seals a later part. The links handed out before stop at once, before anyone
    // asks for the copy again; the fetch voids the copy and is refused with the reason.
    const repoCopies = world.stack.running.backends!.repos.copies;
    const seal = await rawRequest(
      world.stack.base,
      asPerson(world.sessions.get('demo-judge')!, {
        method: 'POST',
        path: `/api/hearings/${OPEN}/sealed-ranges`,
        body: {
          start: new Date(world.t0 + 3500).toISOString(),
          end: new Date(world.t0 + 4000).toISOString(),
          reason: SECRET_REASON,
        },
        from: OFF_SITE,
      }),
    );
    expect(seal.status, seal.text).toBeLessThan(300);
    expect((await repoCopies.find(copyId))?.state).toBe('ready');
    for (const link of links) {
      const r = await rawRequest(world.stack.base, { path: link.replace(/\\u0026/g, '&'), from: OFF_SITE });
      expect(r.status, `${link}: a link of a copy sealed since still serves`).toBe(403);
      expect(reasonOf(r)).toBe('sealed-after-copy');
    }
    const after = await ask(party(), { path: `/api/copies/${copyId}`, from: OFF_SITE });
    expect(after.json).toMatchObject({ state: 'voided', voidReason: 'sealed-after-copy' });
    expect(after.text).not.toMatch(/\/objects\//);
    const audit = await world.stack.running.backends!.repos.auditLog.list({ verdict: 'refuse' });
    expect(audit.filter((e) => e.action === 'copy.download' && e.reason === 'sealed-after-copy').length).toBe(
      links.length,
    );
  });
});

describe('websockets', () => {
  it('gives the live feed only to those who watch nodes, and shows other courts no node of this one', async () => {
    const attempts = await inPool(
      PROBERS.filter((p) => p.login !== null).flatMap((p) => PLACES.map((place) => ({ p, place }))),
      async (c) => ({
        c,
        a: await watchLive(world.stack.base, who(c.p) as Session, { from: c.place.from, ms: 400 }),
      }),
    );
    const failures: string[] = [];
    for (const { c, a } of attempts) {
      const label = `${c.p.name} ${c.place.name}`;
      if (c.p.watches !== (a.status === 101)) failures.push(`${label}: upgrade ${a.status}`);
      if (!c.p.watches && a.frames.length > 0) failures.push(`${label}: got ${a.frames.length} frames`);
      const text = a.frames.join('\n');
      if (a.status === 101 && text.includes('"demo-room"') !== c.p.seesDemoNode)
        failures.push(`${label}: demo node shown ${text.includes('"demo-room"')}: ${text.slice(0, 200)}`);
      const found = leaksIn(text, [SECRET_MARKER, SECRET_REASON, CLOSED_MARKER]);
      if (found.length > 0) failures.push(`${label}: frames show ${found.join(', ')}`);
    }
    expect(failures).toEqual([]);
    expect((await watchLive(world.stack.base, null, { from: OFF_SITE, ms: 200 })).status).toBe(401);
  });

  it('refuses the recorder endpoint with no token, a forged one, and lets another node neither drain nor mark this courtroom', async () => {
    const { base } = world.stack;
    const nodeId = world.stack.config.recorderId;
    expect((await connectRecorder(base, null, null)).status).toBe(401);
    expect((await connectRecorder(base, nodeId, 'forged-token')).status).toBe(401);
    const node2 = (await admin('POST', '/api/recorders', {
      id: 'node-2',
      courtroomId: 'room-2',
      name: 'Room 2',
    })) as {
      token: string;
    };
    expect((await connectRecorder(base, nodeId, node2.token)).status).toBe(401);
    const { ws } = await connectRecorder(base, 'node-2', node2.token);
    expect(ws).not.toBeNull();
    const repos = world.stack.running.backends!.repos;
    const markersBefore = (await repos.markers.listByHearing(OPEN)).length;
    const manifestBefore = (await repos.hearings.find(OPEN))?.manifest_sha256;
    const drained = (await recorderAsk(ws!, {
      type: 'drained',
      id: 'probe-drain-1',
      hearingId: OPEN,
      lastSeq: {},
    })) as {
      ok: boolean;
    };
    const marker = (await recorderAsk(ws!, {
      type: 'marker',
      id: 'probe-marker-1',
      hearingId: OPEN,
      markerId: 'probe-marker-0001',
      kind: 'motion',
      atMs: world.t0 + 1000,
      text: 'forged by node-2',
    })) as { ok: boolean };
    ws!.close();
    expect(drained.ok).toBe(false);
    expect(marker.ok).toBe(false);
    expect((await repos.markers.listByHearing(OPEN)).length).toBe(markersBefore);
    expect((await repos.hearings.find(OPEN))?.manifest_sha256).toBe(manifestBefore);
  });
});

describe('health, body limits and path tricks', () => {
  it('shows an anonymous caller nothing but the status, and the details only to administrators', async () => {
    const health = await rawRequest(world.stack.base, { path: '/api/health', from: OFF_SITE });
    expect(health.status).toBe(200);
    expect(Object.keys(health.json as object)).toEqual(['status']);
    expect((await rawRequest(world.stack.base, { path: '/api/health/details', from: OFF_SITE })).status).toBe(
      401,
    );
    for (const p of PROBERS) {
      const r = await ask(p, { path: '/api/health/details', from: OFF_SITE });
      expect(r.status, p.name).toBe(p.standing === 'administrator' ? 200 : 403);
    }
  });

  it('answers 413 to a 40 kB log-in and to big bodies elsewhere, and changes nothing', async () => {
    const login = await rawRequest(world.stack.base, {
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'demo-party', password: 'x'.repeat(40 * 1024) }),
      from: OFF_SITE,
    });
    expect(login.status).toBe(413);
    const judge = PROBERS.find((p) => p.login === 'demo-judge')!;
    const before = (await world.stack.running.backends!.repos.markers.listByHearing(OPEN)).length;
    for (const path of [
      `/api/hearings/${OPEN}/markers`,
      `/api/hearings/${OPEN}/sealed-ranges`,
      `/api/hearings/${OPEN}/copies`,
    ]) {
      const r = await ask(judge, {
        method: 'POST',
        path,
        body: { kind: 'motion', text: 'y'.repeat(300 * 1024) },
        from: OFF_SITE,
      });
      expect(r.status, path).toBe(413);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await world.stack.running.backends!.repos.markers.listByHearing(OPEN)).length).toBe(before);
  });

  it('refuses encoded traversals, double-encoded ids and another hearing behind a path, and shows no content', async () => {
    const party = PROBERS.find((p) => p.login === 'demo-party')!;
    const paths = [
      `/api/hearings/..%2F${CLOSED}`,
      `/api/hearings/${OPEN}%2F..%2F${CLOSED}/hls/master.m3u8`,
      `/api/hearings/${OPEN}/hls/..%2F..%2F${CLOSED}%2Fhls%2Fmix.m3u8`,
      `/api/hearings/%2568-door-closed/hls/mix.m3u8`,
      `/api/hearings/${OPEN}/hls/%2e%2e%2fmix.m3u8`,
      `/objects/${world.closedKeys[0]}`,
      `/objects/..%2F${world.closedKeys[0]}?bound=1`,
      `/api/copies/..%2F..%2Fhearings%2F${CLOSED}`,
      `/api/hearings/${CLOSED.toUpperCase()}`,
    ];
    for (const path of paths) {
      const r = await ask(party, { path, from: OFF_SITE });
      expect(r.status, `${path}: ${r.text.slice(0, 120)}`).toBeGreaterThanOrEqual(400);
      expect(leaksIn(r.text, [CLOSED_MARKER, ...world.closedKeys, SECRET_MARKER]), path).toEqual([]);
    }
  });

  it('logs an uppercase login in as the same account or not at all, never as another', async () => {
    for (const login of ['DEMO-PARTY', 'Demo-Party', ' demo-party']) {
      const r = await rawRequest(world.stack.base, {
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, password: PASSWORD }),
        from: OFF_SITE,
      });
      if (r.status === 200) expect((r.json as { user: { login: string } }).user.login).toBe('demo-party');
      else expect([400, 401]).toContain(r.status);
    }
  });

  it('does not count x-forwarded-for or a forged terminal header from off site as on site', async () => {
    const party = PROBERS.find((p) => p.login === 'demo-party')!;
    const forged: Record<string, string>[] = [
      { 'x-forwarded-for': ON_SITE },
      { 'x-real-ip': ON_SITE, forwarded: `for=${ON_SITE}` },
      { 'x-hattama-terminal': 'terminal-1' },
    ];
    for (const headers of forged) {
      const r = await ask(party, { path: `/api/hearings/${CLOSED}/hls/mix.m3u8`, from: OFF_SITE, headers });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(leaksIn(r.text, world.closedKeys)).toEqual([]);
    }
  });
});
