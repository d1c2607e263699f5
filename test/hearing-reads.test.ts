/**
 * Reading hearings against a real hub, on SQLite and on PostgreSQL: the list is paged and
 * filtered, decides a whole page without writing an audit entry per row, and refuses bad
 * parameters; one hearing's markers show no text to a viewer who may not play it, and no
 * marker at all inside (or reaching into) a sealed part for those below the seal's readers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/index.ts';
import {
  MANIFEST_FORMAT_V1,
  buildManifest,
  manifestKey,
  markerTextSha256,
  parseManifest,
  serializeManifest,
  verifyRecording,
  type CatalogDialect,
  type Hearing,
  type Manifest,
} from '../storage/index.ts';
import { seedCourt, startTestHub, type PersonClient, type TestHub } from './support/hub-harness.ts';
import { serviceAvailable } from './support/services.ts';

const postgres = await serviceAvailable('postgres', 'hearing reads (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const MIN = 60_000;

interface ListBody {
  hearings: { id: string; caseNumber: string; state: string; access: { play: boolean; reason?: string } }[];
  next: string | null;
}
interface DetailBody {
  markers: { id: string; kind: string; at: string; end: string | null; text: string | null }[];
  access: { play: boolean; reason?: string };
}

function suite(dialect: CatalogDialect) {
  let t: TestHub;
  let party: PersonClient;
  let judge: PersonClient;
  let reviewer: PersonClient;
  let outsider: PersonClient;
  /** Runs c1's hearings: sees them all, plays no closed one (the harness's loopback is on site). */
  let operator: PersonClient;
  const ours: string[] = [];

  const hearing = (n: number, over: Partial<Hearing>): Hearing => ({
    id: `h-${String(n).padStart(3, '0')}`,
    courtroom_id: 'r1',
    case_id: 'k1',
    case_number: '2-1/2026',
    title: `Hearing ${n}`,
    judge: 'Judge',
    visibility: 'open',
    language: 'ru',
    state: 'stopped',
    scheduled_at: null,
    started_at: T0 + n * 60 * MIN,
    stopped_at: T0 + n * 60 * MIN + 30 * MIN,
    manifest_key: null,
    manifest_sha256: null,
    created_at: T0 + n * 1000,
    updated_at: T0 + n * 1000,
    judge_user_id: null,
    secretary_user_id: null,
    ...over,
  });

  const auditCount = async () => (await t.snapshot())['audit_log']!.length;

  beforeAll(async () => {
    t = await startTestHub({ catalog: dialect });
    await seedCourt(t, { courtId: 'c1', courtrooms: ['r1'], nodes: [] });
    await seedCourt(t, { courtId: 'c2', courtrooms: ['r2'], nodes: [] });
    const repos = t.backends.repos;
    const now = t.backends.clock.now();
    party = await t.person('party');
    judge = await t.person('judge');
    reviewer = await t.person('higher-court-judge');
    outsider = await t.person('party');
    operator = await t.person('operator', { courtIds: ['c1'] });
    for (const [id, court, number] of [
      ['k1', 'c1', '2-1/2026'],
      ['k2', 'c1', '2-2/2026'],
      ['k3', 'c2', '2-3/2026'],
    ] as const)
      await repos.cases.insertCase({ id, court_id: court, number, category: 'civil', created_at: now });
    await repos.cases.insertParticipant({
      id: 'p1',
      case_id: 'k1',
      user_id: party.id,
      name: 'Plaintiff',
      capacity: 'party',
      created_at: now,
    });
    await repos.cases.insertAssignment({
      id: 'a1',
      case_id: 'k1',
      user_id: reviewer.id,
      valid_from_ms: 0,
      valid_until_ms: null,
      created_at: now,
    });
    // 25 hearings of the party's case (every fifth closed, two in court c2's room), among
    // 40 of other cases, interleaved in time.
    for (let n = 1; n <= 65; n++) {
      const mine = n % 13 !== 0 && ours.length < 25 && n % 2 === 1;
      const h = mine
        ? hearing(n, {
            visibility: ours.length % 5 === 4 ? 'closed' : 'open',
            state: ours.length < 3 ? 'scheduled' : 'stopped',
            judge_user_id: judge.id,
          })
        : hearing(n, {
            case_id: n % 3 === 0 ? 'k3' : 'k2',
            case_number: n % 3 === 0 ? '2-3/2026' : '2-2/2026',
            courtroom_id: n % 3 === 0 ? 'r2' : 'r1',
          });
      if (mine) ours.push(h.id);
      await repos.hearings.insert(h);
    }
    while (ours.length < 25) {
      const n = 100 + ours.length;
      await repos.hearings.insert(hearing(n, { judge_user_id: judge.id }));
      ours.push(`h-${n}`);
    }
    ours.reverse(); // newest first
    // Markers and a sealed part on an open hearing and on a closed one of the party's case.
    const open = 'h-001';
    const closed = 'h-009';
    await repos.hearings.update(open, { state: 'stopped', visibility: 'open' });
    await repos.hearings.update(closed, { state: 'stopped', visibility: 'closed' });
    const start = (id: string) => T0 + Number(id.slice(2)) * 60 * MIN;
    for (const id of [open, closed]) {
      await repos.sealedRanges.insert({
        id: `s-${id}`,
        hearing_id: id,
        start_ms: start(id) + 10 * MIN,
        end_ms: start(id) + 20 * MIN,
        reason: 'a minor witness',
        created_by: judge.id,
        created_at: now,
      });
      const marker = (suffix: string, at: number, end: number | null, text: string) =>
        repos.markers.insert({
          id: `m-${id}-${suffix}`,
          hearing_id: id,
          at_ms: start(id) + at * MIN,
          end_ms: end === null ? null : start(id) + end * MIN,
          kind: 'testimony',
          text,
          author: 'secretary',
          created_at: now,
        });
      await marker('before', 2, null, 'opening words');
      await marker('inside', 12, null, 'SEALED: the witness names her school');
      await marker('reaching', 8, 11, 'SEALED: a span running into the sealed part');
      await marker('after', 25, null, 'closing words');
    }
    // h-001's manifest as the hub writes it now; h-009's as a hub wrote it before markers
    // committed to their text (v1, the text inside).
    for (const id of [open, closed]) {
      const h = (await repos.hearings.find(id))!;
      const manifest = buildManifest({
        hearing: h,
        court: (await repos.courts.findCourt('c1'))!,
        courtroom: (await repos.courts.findCourtroom('r1'))!,
        tracks: [],
        segments: [],
        markers: await repos.markers.listByHearing(id),
        createdAtMs: now,
      });
      const stored: Manifest =
        id === open
          ? manifest
          : {
              ...manifest,
              format: MANIFEST_FORMAT_V1,
              markers: (await repos.markers.listByHearing(id)).map((m) => ({
                id: m.id,
                kind: m.kind,
                at: new Date(m.at_ms).toISOString(),
                end: m.end_ms === null ? null : new Date(m.end_ms).toISOString(),
                text: m.text,
                author: m.author,
              })),
            };
      const { bytes, sha256 } = serializeManifest(stored);
      await t.backends.objects.put(manifestKey(id), { bytes }, { sha256 });
      await repos.hearings.update(id, { manifest_key: manifestKey(id), manifest_sha256: sha256 });
    }
  }, 120_000);

  afterAll(async () => t?.close());

  it('pages through exactly the hearings a party may see, newest first, without writing to the audit log', async () => {
    const before = await auditCount();
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const res = await party.api(`/api/hearings?limit=10${next ? `&cursor=${next}` : ''}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as ListBody;
      pages++;
      // A page is full unless it is the last.
      if (body.next !== null) expect(body.hearings).toHaveLength(10);
      seen.push(...body.hearings.map((h) => h.id));
      next = body.next;
    } while (next !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(ours);
    expect(await auditCount()).toBe(before);
  });

  it('tells in each row whether it may be played: a closed hearing is listed for its operator, but not playable', async () => {
    const body = (await (await operator.api('/api/hearings?limit=200')).json()) as ListBody;
    // Court c1's hearings of both its cases, none of court c2's.
    expect(body.hearings.length).toBeGreaterThan(ours.length);
    expect(body.hearings.every((h) => h.caseNumber !== '2-3/2026')).toBe(true);
    const closed = body.hearings.find((h) => h.id === 'h-009')!;
    expect(closed.access).toMatchObject({ play: false, reason: 'closed-hearing-not-for-operators' });
    expect(body.hearings.find((h) => h.id === 'h-001')!.access).toEqual({ play: true });
  });

  it('filters by case number, court, state and time in the catalog', async () => {
    const ids = async (client: PersonClient, query: string) => {
      const res = await client.api(`/api/hearings?${query.includes('limit=') ? '' : 'limit=200&'}${query}`);
      expect(res.status, query).toBe(200);
      return ((await res.json()) as ListBody).hearings.map((h) => h.id);
    };
    expect(await ids(party, 'caseNumber=2-2%2F2026')).toEqual([]);
    expect(await ids(party, 'caseNumber=2-1%2F2026')).toEqual(ours);
    expect(await ids(party, 'courtId=c2')).toEqual([]);
    const scheduled = await ids(party, 'state=scheduled');
    expect(scheduled.length).toBeGreaterThan(0);
    expect(scheduled.length).toBeLessThan(ours.length);
    const from = new Date(T0 + 10 * 60 * MIN).toISOString();
    const to = new Date(T0 + 30 * 60 * MIN).toISOString();
    const inWindow = await ids(party, `from=${from}&to=${to}`);
    expect(inWindow.length).toBeGreaterThan(0);
    for (const id of inWindow) {
      const n = Number(id.slice(2));
      expect(n >= 10 && n < 30, id).toBe(true);
    }
    expect(await ids(judge, 'limit=5')).toEqual(ours.slice(0, 5));
    expect(await ids(outsider, '')).toEqual([]);
  });

  it('refuses malformed or unknown list parameters with 400 problem+json and writes nothing', async () => {
    const before = await t.snapshot();
    for (const query of [
      'limit=0',
      'limit=201',
      'limit=ten',
      'state=archived',
      'from=yesterday',
      'to=2026-03-02',
      'cursor=not%20a%20cursor',
      'cursor=bm90LWEtY3Vyc29y',
      'courtid=c1',
      'offset=5',
    ]) {
      const res = await party.api(`/api/hearings?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type'), query).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code, query).toBe('VALIDATION_FAILED');
    }
    const after = await t.snapshot();
    expect(after['hearings']).toEqual(before['hearings']);
    expect(after['audit_log']).toEqual(before['audit_log']);
  });

  it("shows the operator of a closed hearing its markers' times and kinds, but no text and nothing sealed", async () => {
    const res = await operator.api('/api/hearings/h-009');
    expect(res.status).toBe(200);
    const body = (await res.json()) as DetailBody;
    expect(body.access.play).toBe(false);
    expect(body.markers.map((m) => m.id)).toEqual(['m-h-009-before', 'm-h-009-after']);
    for (const m of body.markers) {
      expect(m.text).toBeNull();
      expect(m.kind).toBe('testimony');
      expect(m.at).toMatch(/Z$/);
    }
    expect(JSON.stringify(body)).not.toContain('SEALED');
  });

  it('leaves out of an open hearing every marker inside or reaching into a sealed part, for a party', async () => {
    const body = (await (await party.api('/api/hearings/h-001')).json()) as DetailBody;
    expect(body.access.play).toBe(true);
    expect(body.markers.map((m) => [m.id, m.text])).toEqual([
      ['m-h-001-before', 'opening words'],
      ['m-h-001-after', 'closing words'],
    ]);
    expect(JSON.stringify(body)).not.toContain('SEALED');
  });

  it("shows every marker with its text to the hearing's judge and to an assigned higher-court judge", async () => {
    for (const client of [judge, reviewer]) {
      for (const id of ['h-001', 'h-009']) {
        const body = (await (await client.api(`/api/hearings/${id}`)).json()) as DetailBody;
        expect(body.markers.map((m) => m.id).sort(), `${client.login} ${id}`).toEqual(
          [`m-${id}-after`, `m-${id}-before`, `m-${id}-inside`, `m-${id}-reaching`].sort(),
        );
        expect(body.markers.every((m) => typeof m.text === 'string')).toBe(true);
      }
    }
  });

  const manifestOf = async (client: PersonClient, id: string) => {
    const res = await client.api(`/api/hearings/${id}/manifest`);
    expect(res.status, `${client.login} ${id}`).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    return {
      bytes,
      sha256: res.headers.get('x-hattama-sha256'),
      redacted: res.headers.get('x-hattama-manifest'),
    };
  };

  it("hands a party a manifest that carries no marker text and verifies against the catalog's SHA-256", async () => {
    const catalogSha = (await t.backends.repos.hearings.find('h-001'))!.manifest_sha256;
    const forParty = await manifestOf(party, 'h-001');
    expect(forParty.bytes.toString('utf8')).not.toContain('SEALED');
    expect(sha256Hex(forParty.bytes)).toBe(catalogSha);
    expect(forParty.sha256).toBe(catalogSha);
    const manifest = parseManifest(forParty.bytes);
    const report = await verifyRecording({
      manifest,
      manifestBytes: forParty.bytes,
      objects: t.backends.objects,
      expectedManifestSha256: catalogSha!,
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    // Whoever reads a marker's text (the judge, from the hearing) checks it against the manifest.
    const detail = (await (await judge.api('/api/hearings/h-001')).json()) as DetailBody;
    const inside = detail.markers.find((m) => m.id === 'm-h-001-inside')!;
    const committed = manifest.markers.find((m) => m.id === inside.id)!;
    expect('textSha256' in committed && committed.textSha256).toBe(
      markerTextSha256({ id: inside.id, text: inside.text! }),
    );
    // The staff get the stored manifest byte for byte: here the same bytes.
    expect((await manifestOf(judge, 'h-001')).bytes.equals(forParty.bytes)).toBe(true);
  });

  it('replaces the text of sealed markers in a manifest written before (v1) for a party, and gives the judge it whole', async () => {
    const whole = await manifestOf(judge, 'h-009');
    const catalogSha = (await t.backends.repos.hearings.find('h-009'))!.manifest_sha256;
    expect(sha256Hex(whole.bytes)).toBe(catalogSha);
    expect(whole.bytes.toString('utf8')).toContain('SEALED');
    expect(whole.redacted).toBeNull();
    // The harness's loopback is on site: the party plays the closed hearing, sealed parts excluded.
    const copy = await manifestOf(party, 'h-009');
    expect(copy.redacted).toBe('redacted');
    expect(copy.bytes.toString('utf8')).not.toContain('SEALED');
    const markers = parseManifest(copy.bytes).markers;
    const hidden = markers.filter((m) => 'redacted' in m);
    expect(hidden.map((m) => m.id).sort()).toEqual(['m-h-009-inside', 'm-h-009-reaching']);
    for (const m of hidden) {
      const text = (await t.backends.repos.markers.listByHearing('h-009')).find((r) => r.id === m.id)!.text;
      expect('textSha256' in m && m.textSha256).toBe(markerTextSha256({ id: m.id, text }));
    }
    expect(markers.filter((m) => 'text' in m).map((m) => m.id)).toEqual(['m-h-009-before', 'm-h-009-after']);
  });

  it("gives the microphone mapping to the case's party and refuses it, audited, to someone else's", async () => {
    const ok = await party.api('/api/hearings/h-001/speakers');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hearingId: 'h-001', speakers: [] });
    const before = await auditCount();
    const refused = await outsider.api('/api/hearings/h-001/speakers');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { details: { reason: string } }).details.reason).toBe(
      'not-a-participant',
    );
    expect(await auditCount()).toBe(before + 1);
  });
}

describe('hearing reads (SQLite)', () => suite('sqlite'));
describe.runIf(postgres)('hearing reads (PostgreSQL)', () => suite('postgres'));
