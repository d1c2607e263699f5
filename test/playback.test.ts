/**
 * Playback through the real hub (HTTP, the catalog, the object store): segment URLs are
 * bound to the viewer's session and re-checked on every fetch (place, log-out, disabled
 * account, another person), playback is audited per viewing with the span fetched, and
 * requests without a valid credential are rate-limited and audited in aggregate
 * (docs/decisions/0016). Runs on SQLite with the local store, and on PostgreSQL with the
 * S3 store where those are up.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackends, type Backends } from '../cli/backends.ts';
import { createLogger, loadConfig } from '../core/index.ts';
import type { AuditEntry, Repositories } from '../storage/index.ts';
import { createHub, type Hub } from '../web/index.ts';
import { hashPassword } from '../court/index.ts';
import { dropPgSchema, seedCourtCase } from './support/catalog.ts';
import { rawRequest, type Reply } from './support/security-probes.ts';
import { TEST_PG_URL, TEST_S3, runId, serviceAvailable } from './support/services.ts';

const ADMIN_TOKEN = 'playback-admin-token-5b2e9d';
const PASSWORD = 'playback-password-77a1';
const ON_SITE = '127.0.0.3';
const OFF_SITE = '127.0.0.1';
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const SEGMENTS = 120;
const OPEN = 'h-open';
const CLOSED = 'h-closed';
/** What every segment object holds: one MPEG-TS null packet. */
const PACKET = Buffer.concat([Buffer.from([0x47, 0x1f, 0xff, 0x10]), Buffer.alloc(184, 0xff)]);
const PACKET_SHA = crypto.createHash('sha256').update(PACKET).digest('hex');

interface Session {
  login: string;
  cookie: string;
  csrf: string;
}

interface Stack {
  base: string;
  hub: Hub;
  backends: Backends;
  server: http.Server;
  /** Closes the hub (its open viewings and counts are audited), then everything else. */
  close(): Promise<void>;
  /** Closes the hub only, so the audit log can be read after its last entries. */
  closeHub(): Promise<void>;
}

const segmentKey = (hearing: string, track: string, seq: number) =>
  `hearings/${hearing}/${track}/${String(seq).padStart(6, '0')}.ts`;

async function seed(r: Repositories, backends: Backends): Promise<void> {
  await seedCourtCase(r, T0, '2-16/2026');
  const hash = await hashPassword(PASSWORD);
  for (const login of ['party', 'party-two', 'party-three', 'viewer'])
    await r.users.insert({
      id: `u-${login}`,
      login,
      display_name: login,
      role: 'party',
      password_hash: hash,
      locale: 'en',
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    });
  for (const login of ['party', 'party-two', 'party-three', 'viewer'])
    await r.cases.insertParticipant({
      id: `p-${login}`,
      case_id: 'case',
      user_id: `u-${login}`,
      name: login,
      capacity: 'party',
      created_at: T0,
    });
  for (const [id, visibility] of [
    [OPEN, 'open'],
    [CLOSED, 'closed'],
  ] as const) {
    await r.hearings.insert({
      id,
      courtroom_id: 'room',
      case_number: '2-16/2026',
      title: 'A v. B',
      judge: 'Judge',
      visibility,
      language: 'ru',
      state: 'stopped',
      scheduled_at: T0,
      started_at: T0,
      stopped_at: T0 + SEGMENTS * 4000,
      manifest_key: `hearings/${id}/manifest.json`,
      manifest_sha256: 'a'.repeat(64),
      created_at: T0,
      updated_at: T0,
      case_id: 'case',
      judge_user_id: null,
      secretary_user_id: null,
    });
    for (const [name, kind, codec] of [
      ['video', 'video', 'h264'],
      ['mix', 'audio', 'aac'],
    ] as const) {
      await r.hearings.upsertTrack({
        hearing_id: id,
        name,
        kind,
        codec,
        sample_rate: kind === 'audio' ? 48000 : null,
        channels: kind === 'audio' ? 1 : null,
        speaker: null,
        created_at: T0,
      });
      for (let seq = 0; seq < SEGMENTS; seq++) {
        const key = segmentKey(id, name, seq);
        await r.segments.insert({
          hearing_id: id,
          track: name,
          seq,
          start_ms: T0 + seq * 4000,
          duration_ms: 4000,
          object_key: key,
          size: PACKET.length,
          sha256: PACKET_SHA,
          chain: 'c'.repeat(64),
          recorder_id: null,
          registered_at: T0 + seq * 4000,
          verify_state: 'ok',
          verified_at: T0 + seq * 4000,
        });
        // Objects for what the tests fetch: every video segment of the open hearing, a few others.
        if ((id === OPEN && name === 'video') || seq < 3)
          await backends.objects.put(
            key,
            { bytes: PACKET },
            { sha256: PACKET_SHA, contentType: 'video/mp2t' },
          );
      }
    }
  }
}

async function startStack(options: {
  catalog: 'sqlite' | 'postgres';
  objects: 'fs' | 's3';
  credentialless?: { burst?: number; windowMs?: number };
}): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-playback-'));
  const pgSchema = options.catalog === 'postgres' ? runId('playback_') : null;
  const config = loadConfig({
    HATTAMA_DATA_DIR: dataDir,
    HATTAMA_LOG_LEVEL: 'silent',
    ...(pgSchema
      ? { HATTAMA_CATALOG: 'postgres', HATTAMA_DATABASE_URL: TEST_PG_URL, HATTAMA_DATABASE_SCHEMA: pgSchema }
      : {}),
    ...(options.objects === 's3'
      ? {
          HATTAMA_OBJECTS: 's3',
          HATTAMA_S3_ENDPOINT: TEST_S3.endpoint,
          HATTAMA_S3_ACCESS_KEY: TEST_S3.accessKey,
          HATTAMA_S3_SECRET_KEY: TEST_S3.secretKey,
          HATTAMA_S3_REGION: TEST_S3.region,
          HATTAMA_S3_BUCKET: runId('hattama-playback-'),
        }
      : {}),
  });
  const logger = createLogger({ level: 'silent' });
  const backends = await openBackends(config, logger);
  await seed(backends.repos, backends);
  const hub = createHub({
    repos: backends.repos,
    objects: backends.objects,
    queue: backends.queue,
    clock: backends.clock,
    logger,
    adminToken: ADMIN_TOKEN,
    segmentSeconds: 4,
    probes: backends.probes,
    role: 'hub',
    catalogChanges: backends.catalog.changes,
    signer: backends.signer,
    courtNetworks: [`${ON_SITE}/32`],
    playbackIdleSeconds: 2,
    ...(options.credentialless ? { credentialless: options.credentialless } : {}),
  });
  const server = http.createServer(hub.app);
  hub.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  let hubClosed: Promise<void> | null = null;
  const closeHub = () => (hubClosed ??= hub.close());
  return {
    base,
    hub,
    backends,
    server,
    closeHub,
    async close() {
      await closeHub();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backends.close();
      if (pgSchema) await dropPgSchema(pgSchema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function logIn(s: Stack, login: string): Promise<Session> {
  const res = await fetch(`${s.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`log-in of ${login}: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('hattama_session='))!;
  return { login, cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

function get(s: Stack, p: string, from: string, session?: Session | null): Promise<Reply> {
  return rawRequest(s.base, { path: p, from, headers: session ? { cookie: session.cookie } : {} });
}

/** The segment URLs of one track's playlist, as `session` gets them from `from`. */
async function segmentUrls(s: Stack, session: Session, hearing: string, track: string, from: string) {
  const playlist = await get(s, `/api/hearings/${hearing}/hls/${track}.m3u8`, from, session);
  expect(playlist.status, playlist.text).toBe(200);
  return playlist.text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

async function auditSince(s: Stack, seq: number): Promise<AuditEntry[]> {
  return (await s.backends.repos.auditLog.list()).filter((e) => e.seq > seq);
}

async function lastSeq(s: Stack): Promise<number> {
  return (await s.backends.repos.auditLog.last())?.seq ?? 0;
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const STACKS = [
  { name: 'SQLite and the local object store', catalog: 'sqlite', objects: 'fs', available: true },
  {
    name: 'PostgreSQL and the S3 object store',
    catalog: 'postgres',
    objects: 's3',
    available:
      (await serviceAvailable('postgres', 'playback on PostgreSQL and S3')) &&
      (await serviceAvailable('s3', 'playback on PostgreSQL and S3')),
  },
] as const;

for (const config of STACKS) {
  describe.skipIf(!config.available)(`playback on ${config.name}`, () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack({ catalog: config.catalog, objects: config.objects });
    }, 120_000);
    afterAll(async () => s?.close());

    it('lists segment URLs of the hub, bound to the session, whatever the object store', async () => {
      const party = await logIn(s, 'party');
      const urls = await segmentUrls(s, party, OPEN, 'video', OFF_SITE);
      expect(urls).toHaveLength(SEGMENTS);
      for (const u of urls)
        expect(u).toMatch(/^\/objects\/hearings\/h-open\/video\/\d{6}\.ts\?expires=\d+&bound=1&sig=/);
      const segment = await get(s, urls[0]!, OFF_SITE, party);
      expect(segment.status).toBe(200);
      expect(segment.headers['content-type']).toBe('video/mp2t');
      expect(segment.headers['content-length']).toBe(String(PACKET.length));
    });

    it('refuses off site a segment URL of a closed hearing that was issued on site', async () => {
      const party = await logIn(s, 'party');
      const [url] = await segmentUrls(s, party, CLOSED, 'video', ON_SITE);
      expect((await get(s, url!, ON_SITE, party)).status).toBe(200);
      const seq = await lastSeq(s);
      const off = await get(s, url!, OFF_SITE, party);
      expect(off.status).toBe(403);
      expect(off.json).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'closed-hearing-off-site' } });
      const entries = (await auditSince(s, seq)).filter((e) => e.verdict === 'refuse');
      expect(entries).toMatchObject([
        {
          actor: 'party',
          action: 'recording.play',
          hearing_id: CLOSED,
          address: OFF_SITE,
          verdict: 'refuse',
          reason: 'closed-hearing-off-site',
        },
      ]);
      // Back on site the same URL plays again: the refusal was about the place, not the URL.
      expect((await get(s, url!, ON_SITE, party)).status).toBe(200);
    });

    it('refuses a segment URL after its session has logged out', async () => {
      const party = await logIn(s, 'party');
      const [url] = await segmentUrls(s, party, OPEN, 'video', OFF_SITE);
      expect((await get(s, url!, OFF_SITE, party)).status).toBe(200);
      const out = await fetch(`${s.base}/api/auth/logout`, {
        method: 'POST',
        headers: { cookie: party.cookie, 'x-csrf-token': party.csrf },
      });
      expect(out.status).toBe(204);
      const after = await get(s, url!, OFF_SITE, party);
      expect(after.status).toBe(401);
      expect(after.json).toMatchObject({ code: 'UNAUTHENTICATED' });
      // Nor does it play for a new session of the same person: it was bound to the old one.
      const again = await logIn(s, 'party');
      expect((await get(s, url!, OFF_SITE, again)).json).toMatchObject({ code: 'URL_SIGNATURE_INVALID' });
    });

    it('refuses a segment URL once its account is disabled', async () => {
      const three = await logIn(s, 'party-three');
      const [url] = await segmentUrls(s, three, OPEN, 'video', OFF_SITE);
      expect((await get(s, url!, OFF_SITE, three)).status).toBe(200);
      const disable = await fetch(`${s.base}/api/admin/users/party-three/disable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(disable.status).toBe(200);
      expect((await get(s, url!, OFF_SITE, three)).status).toBe(401);
    });

    it("refuses a person another person's segment URL, even a party of the same case, and anyone without a session", async () => {
      const party = await logIn(s, 'party');
      const two = await logIn(s, 'party-two');
      const [url] = await segmentUrls(s, party, OPEN, 'video', OFF_SITE);
      expect((await get(s, url!, OFF_SITE, party)).status).toBe(200);
      const foreign = await get(s, url!, OFF_SITE, two);
      expect(foreign.status).toBe(403);
      expect(foreign.json).toMatchObject({ code: 'URL_SIGNATURE_INVALID' });
      expect(foreign.headers['content-type']).toMatch(/problem\+json/);
      const anonymous = await get(s, url!, OFF_SITE, null);
      expect(anonymous.status).toBe(401);
      // Their own playlist's URL of the same segment plays for them.
      const [own] = await segmentUrls(s, two, OPEN, 'video', OFF_SITE);
      expect((await get(s, own!, OFF_SITE, two)).status).toBe(200);
    });

    it('audits a ten-minute viewing in a handful of entries that give the span fetched', async () => {
      const viewer = await logIn(s, 'viewer');
      const seq = await lastSeq(s);
      await get(s, `/api/hearings/${OPEN}/hls/master.m3u8`, OFF_SITE, viewer);
      let urls: string[] = [];
      // The player reloads the playlist now and then and fetches a segment every few seconds.
      for (let i = 0; i < 100; i++) {
        if (i % 25 === 0) urls = await segmentUrls(s, viewer, OPEN, 'video', OFF_SITE);
        const r = await get(s, urls[i]!, OFF_SITE, viewer);
        expect(r.status).toBe(200);
      }
      const ofViewer = async () => (await auditSince(s, seq)).filter((e) => e.actor === 'viewer');
      // While the viewing goes on: the one entry of its start, not one per request.
      expect((await ofViewer()).length).toBeLessThanOrEqual(2);
      await until('the viewing to go idle', 10_000, async () =>
        (await ofViewer()).some((e) => e.action === 'recording.viewed'),
      );
      const entries = await ofViewer();
      expect(entries.length).toBeLessThanOrEqual(3);
      expect(entries).toMatchObject([
        { action: 'recording.play', hearing_id: OPEN, verdict: 'allow', address: OFF_SITE, reason: 'remote' },
        {
          action: 'recording.viewed',
          hearing_id: OPEN,
          verdict: 'allow',
          address: OFF_SITE,
          target: 'video 2026-03-02T09:00:00.000Z–2026-03-02T09:06:40.000Z (100 fetches)',
        },
      ]);
    }, 60_000);
  });
}

describe('object URLs without a valid credential', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      catalog: 'sqlite',
      objects: 'fs',
      credentialless: { burst: 40, windowMs: 60_000 },
    });
  }, 120_000);
  afterAll(async () => s?.close());

  it('answers 500 forged URLs with 429 past a burst and audits them in two entries that name no hearing', async () => {
    const party = await logIn(s, 'party');
    const [url] = await segmentUrls(s, party, OPEN, 'video', OFF_SITE);
    const seq = await lastSeq(s);
    const FROM = '127.0.0.5';
    const forged = (i: number) =>
      url!
        .replace(OPEN, i % 2 === 0 ? CLOSED : `h-made-up-${i}`)
        .replace(/sig=[\w-]+/, `sig=${crypto.randomBytes(16).toString('base64url')}`);
    const statuses: number[] = [];
    for (let i = 0; i < 500; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, (_, j) => get(s, forged(i + j), FROM, (i + j) % 3 === 0 ? party : null)),
      );
      for (const r of batch) {
        statuses.push(r.status);
        expect(r.headers['content-type']).toMatch(/problem\+json/);
        if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    // The burst is counted as requests finish, so a batch in flight may pass it by a few.
    const limited = statuses.filter((x) => x === 429).length;
    expect(limited).toBeGreaterThanOrEqual(500 - 40 - 25);
    expect(statuses.filter((x) => x === 401 || x === 403).length).toBe(500 - limited);
    // While the window is open: one entry, the first.
    const refusedFrom = async () =>
      (await auditSince(s, seq)).filter((e) => e.address === FROM && e.action === 'object.refused');
    const during = await refusedFrom();
    expect(during).toHaveLength(1);
    // Only failures are limited: a valid URL with its session still plays from the same address.
    expect((await get(s, url!, FROM, party)).status).toBe(200);
    await s.closeHub();
    const entries = await refusedFrom();
    expect(entries).toHaveLength(2);
    for (const e of entries)
      expect(e).toMatchObject({ actor: 'anonymous', hearing_id: null, verdict: 'refuse' });
    expect(entries[1]!.target).toMatch(
      new RegExp(`^500 object URLs without a valid credential .*; ${limited} answered 429\\)$`),
    );
  }, 120_000);
});
