/**
 * The hub keeps the catalog rows behind an authorised playlist in memory (sessions,
 * accounts, cases, hearings, sealed ranges; storage/catalog/cached-reads.ts) and the
 * rendered playlists too (web/player/playlist.service.ts). Here a real hub serves a
 * finished hearing's playlists from those caches, and every change of access data —
 * made through the hub's API, or by another process writing to the same catalog file —
 * counts on the very next request.
 */
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, createRepositories, type Repositories } from '../storage/index.ts';
import { hashPassword } from '../court/index.ts';
import { seedCourtCase } from './support/catalog.ts';
import { startTestHub, type TestHub } from './support/hub-harness.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const SEGMENTS = 20;
const PASSWORD = 'playlist-cache-password-1';
const HEARING = 'h-cached';

let hub: TestHub;
let repos: Repositories;

async function seed(r: Repositories): Promise<void> {
  const now = Date.now();
  await seedCourtCase(r, T0, '2-7/2026');
  const hash = await hashPassword(PASSWORD);
  for (const [login, role] of [
    ['party', 'party'],
    ['judge', 'judge'],
    ['higher', 'higher-court-judge'],
  ] as const)
    await r.users.insert({
      id: `u-${login}`,
      login,
      display_name: login,
      role,
      password_hash: hash,
      locale: 'ru',
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    });
  await r.users.addCourt('u-judge', 'court', T0);
  await r.cases.insertParticipant({
    id: 'p-party',
    case_id: 'case',
    user_id: 'u-party',
    name: 'Party',
    capacity: 'party',
    created_at: T0,
  });
  await r.cases.insertAssignment({
    id: 'a-higher',
    case_id: 'case',
    user_id: 'u-higher',
    valid_from_ms: now - 86_400_000,
    valid_until_ms: null,
    created_at: T0,
  });
  await r.hearings.insert({
    id: HEARING,
    courtroom_id: 'room',
    case_number: '2-7/2026',
    title: 'A v. B',
    judge: 'Judge',
    visibility: 'open',
    language: 'ru',
    state: 'stopped',
    scheduled_at: T0,
    started_at: T0,
    stopped_at: T0 + SEGMENTS * 4000,
    manifest_key: `hearings/${HEARING}/manifest.json`,
    // A finished hearing: its rows are cached by the manifest's hash.
    manifest_sha256: 'a'.repeat(64),
    created_at: T0,
    updated_at: T0,
    case_id: 'case',
    judge_user_id: 'u-judge',
    secretary_user_id: null,
  });
  for (const [name, kind, codec] of [
    ['video', 'video', 'h264'],
    ['mix', 'audio', 'aac'],
  ] as const) {
    await r.hearings.upsertTrack({
      hearing_id: HEARING,
      name,
      kind,
      codec,
      sample_rate: kind === 'audio' ? 48000 : null,
      channels: kind === 'audio' ? 1 : null,
      speaker: null,
      created_at: T0,
    });
    for (let seq = 0; seq < SEGMENTS; seq++)
      await r.segments.insert({
        hearing_id: HEARING,
        track: name,
        seq,
        start_ms: T0 + seq * 4000,
        duration_ms: 4000,
        object_key: `hearings/${HEARING}/${name}/${String(seq).padStart(6, '0')}.ts`,
        size: 500_000,
        sha256: 'b'.repeat(64),
        chain: 'c'.repeat(64),
        recorder_id: null,
        registered_at: T0 + seq * 4000,
        verify_state: 'ok',
        verified_at: T0 + seq * 4000,
      });
  }
}

interface Login {
  cookie: string;
  csrfToken: string;
}

async function logIn(login: string): Promise<Login> {
  const res = await fetch(`${hub.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('hattama_session='))!;
  return { cookie, csrfToken: body.csrfToken };
}

function playlist(who: Login, file = 'video.m3u8', encoding = 'identity'): Promise<Response> {
  return fetch(`${hub.url}/api/hearings/${HEARING}/hls/${file}`, {
    headers: { cookie: who.cookie, 'accept-encoding': encoding },
  });
}

/** The seqs of the segments a media playlist lists. */
async function seqs(res: Response): Promise<number[]> {
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('/objects/'))
    .map((l) => Number(/\/(\d+)\.ts\?/.exec(l)![1]));
}

const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  hub = await startTestHub();
  repos = hub.backends.repos;
  await seed(repos);
});
afterAll(async () => hub?.close());

describe('cached playlists and access data', () => {
  it('serves a repeated playlist from its cache, byte for byte', async () => {
    const party = await logIn('party');
    const first = await (await playlist(party)).text();
    expect(first.split('\n').filter((l) => l.startsWith('/objects/'))).toHaveLength(SEGMENTS);
    expect(await (await playlist(party)).text()).toBe(first);
  });

  it('leaves out a range the judge seals after the playlist was cached, at once', async () => {
    const party = await logIn('party');
    const judge = await logIn('judge');
    expect(await seqs(await playlist(party))).toHaveLength(SEGMENTS);
    const seal = await fetch(`${hub.url}/api/hearings/${HEARING}/sealed-ranges`, {
      method: 'POST',
      headers: { cookie: judge.cookie, 'x-csrf-token': judge.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        start: iso(T0 + 4 * 4000 + 1000),
        end: iso(T0 + 6 * 4000),
        reason: 'closed part',
      }),
    });
    expect(seal.status).toBeLessThan(300);
    const after = await seqs(await playlist(party));
    expect(after).not.toContain(4);
    expect(after).not.toContain(5);
    expect(after).toHaveLength(SEGMENTS - 2);
    // The judge is not held to the sealed range; the cache keeps their playlist apart.
    expect(await seqs(await playlist(judge))).toHaveLength(SEGMENTS);
  });

  it('leaves out a range sealed by another process writing to the same catalog, at once', async () => {
    const party = await logIn('party');
    const before = await seqs(await playlist(party));
    expect(before).toContain(10);
    const other = await Catalog.open({
      dialect: 'sqlite',
      path: path.join(hub.dataDir, 'catalog.sqlite'),
    });
    try {
      await createRepositories(other.db).sealedRanges.insert({
        id: 'r-other',
        hearing_id: HEARING,
        start_ms: T0 + 10 * 4000,
        end_ms: T0 + 11 * 4000,
        reason: 'sealed elsewhere',
        created_by: 'u-judge',
        created_at: Date.now(),
      });
    } finally {
      await other.close();
    }
    const after = await seqs(await playlist(party));
    expect(after).not.toContain(10);
    expect(after).toHaveLength(before.length - 1);
  });

  it('sends the same playlist gzip-compressed to a client that accepts it', async () => {
    const party = await logIn('party');
    const plain = await playlist(party);
    const plainText = await plain.text();
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toMatch(/accept-encoding/i);
    const res = await fetch(`${hub.url}/api/hearings/${HEARING}/hls/video.m3u8`, {
      headers: { cookie: party.cookie, 'accept-encoding': 'gzip, deflate, br, zstd' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    // fetch decodes it; the bytes are the identity playlist's.
    expect(await res.text()).toBe(plainText);
    expect(zlib.gzipSync(plainText).length).toBeLessThan(plainText.length / 2);
  });

  it('refuses a higher-court judge at once when the assignment ends', async () => {
    const higher = await logIn('higher');
    expect((await playlist(higher)).status).toBe(200);
    expect(await repos.cases.endAssignment('a-higher', Date.now())).toBe(true);
    const res = await playlist(higher);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'assignment-not-active' },
    });
  });

  it('refuses a session at once after log-out', async () => {
    const party = await logIn('party');
    expect((await playlist(party)).status).toBe(200);
    const out = await fetch(`${hub.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: party.cookie, 'x-csrf-token': party.csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await playlist(party)).status).toBe(401);
  });

  it('refuses a disabled user at once, with the session that was just served', async () => {
    const party = await logIn('party');
    expect((await playlist(party)).status).toBe(200);
    expect((await playlist(party, 'master.m3u8')).status).toBe(200);
    const disable = await hub.api('/api/admin/users/party/disable', { method: 'POST' });
    expect(disable.status).toBe(200);
    expect((await playlist(party)).status).toBe(401);
    expect((await playlist(party, 'master.m3u8')).status).toBe(401);
  });
});
