/**
 * Copies are decided again when they are made and when their links are handed out
 * (docs/decisions/0017-copies-rechecked.md), on the real stack: the embedded hub records a
 * 12 s demo hearing (three 4 s segments a track), then runs again as a hub whose inline
 * queue the test starts itself, so a copy can be asked for, the hearing changed (a range
 * sealed, a party taken off the case, an account disabled) and only then the copy made —
 * by the real `copy.make` job and ffmpeg. Everything goes through the HTTP API, as the
 * page and the judge's console do; the made MP4 is measured with ffprobe.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobHandlers } from '../cli/backends.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { createLogger, loadConfig, type Config } from '../core/index.ts';
import { copyKey, type Copy, type ObjectStore, type Segment } from '../storage/index.ts';
import { ffprobe, requireFfprobe } from './support/media.ts';

const hasFfprobe = requireFfprobe('copies made and measured');

const PASSWORD = 'copies-rules-password-5e1';
const NOTICE_SECONDS = 6;

interface Client {
  login: string;
  api(pathname: string, init?: { method?: string; body?: unknown }): Promise<Response>;
}

interface CopyAnswer {
  copyId: string;
  state: string;
  voidReason: string | null;
  voidMessage: string | null;
  mp4Url?: string;
  noticeUrl?: string;
}

let tmp: string;
let config: Config;
let stack: Running;
let hearingId: string;
let video: Segment[];
let base: string;
let adminToken: string;
let workerStarted = false;

async function logIn(login: string): Promise<Client> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`log-in of ${login}: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('hattama_session='))!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    login,
    api(pathname, init = {}) {
      const method = init.method ?? 'GET';
      const headers = new Headers({ cookie });
      if (method !== 'GET') headers.set('x-csrf-token', csrfToken);
      if (init.body !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${base}${pathname}`, {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    },
  };
}

async function admin(method: string, pathname: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A party of the demo case with its own account, logged in. Returns the participation's id too. */
async function newParty(login: string): Promise<{ client: Client; participantId: string }> {
  await admin('POST', '/api/admin/users', { login, role: 'party', password: PASSWORD, courtIds: [] });
  const { id } = (await admin('POST', '/api/cases/demo-case/participants', {
    name: login,
    capacity: 'party',
    userLogin: login,
  })) as { id: string };
  return { client: await logIn(login), participantId: id };
}

const iso = (ms: number) => new Date(ms).toISOString();

async function askForCopy(client: Client, range: { fromMs?: number; toMs?: number } = {}): Promise<string> {
  const res = await client.api(`/api/hearings/${hearingId}/copies`, {
    method: 'POST',
    body: {
      ...(range.fromMs !== undefined ? { from: iso(range.fromMs) } : {}),
      ...(range.toMs !== undefined ? { to: iso(range.toMs) } : {}),
    },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { copyId: string }).copyId;
}

async function seal(judge: Client, startMs: number, endMs: number): Promise<void> {
  const res = await judge.api(`/api/hearings/${hearingId}/sealed-ranges`, {
    method: 'POST',
    body: { start: iso(startMs), end: iso(endMs), reason: 'closed part: a minor testifies' },
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function copyRow(copyId: string): Promise<Copy> {
  return (await stack.backends!.repos.copies.find(copyId))!;
}

/** Waits for the copy's job to settle (the worker runs one at a time). */
async function settled(copyId: string): Promise<Copy> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const row = await copyRow(copyId);
    if (['ready', 'voided'].includes(row.state)) return row;
    if (Date.now() > deadline) throw new Error(`copy ${copyId} is still ${row.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startWorker(): Promise<void> {
  if (workerStarted) return;
  await stack.backends!.queue.start(jobHandlers(stack.backends!, createLogger({ level: 'silent' })), {
    concurrency: 1,
  });
  workerStarted = true;
}

async function readObject(objects: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function auditOf(copyId: string, action: string) {
  const entries = await stack.backends!.repos.auditLog.list({ hearingId });
  return entries.filter((e) => e.action === action && (e.target ?? '').includes(copyId));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-copies-rules-'));
  config = loadConfig({
    HATTAMA_DATA_DIR: tmp,
    HATTAMA_PORT: '0',
    HATTAMA_LOG_LEVEL: 'silent',
    HATTAMA_SEGMENT_SECONDS: '4',
    HATTAMA_DEMO_PASSWORD: PASSWORD,
  });
  const recording = await startRole('all', config, createLogger({ level: 'silent' }));
  try {
    hearingId = (await recordHearing({ running: recording, config, seconds: 12 })).hearingId;
  } finally {
    await recording.close();
  }
  // The same catalog and objects again, as a hub alone: its queue takes jobs only once
  // the test starts the worker.
  stack = await startRole('hub', config, createLogger({ level: 'silent' }));
  base = stack.url!;
  adminToken = stack.adminToken!;
  const segments = await stack.backends!.repos.segments.listByHearing(hearingId);
  video = segments.filter((s) => s.track === 'video').sort((a, b) => a.seq - b.seq);
  expect(video.length).toBeGreaterThanOrEqual(3);
}, 240_000);

afterAll(async () => {
  await stack?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasFfprobe)('a copy is decided again when it is made', () => {
  let judge: Client;
  let party: Client;
  let removed: { client: Client; participantId: string };
  let sealedLater: string;
  let ofRemoved: string;
  let ofDisabled: string;

  beforeAll(async () => {
    judge = await logIn('demo-judge');
    party = await logIn('demo-party');
    removed = await newParty('party-removed');
    const disabled = await newParty('party-disabled');
    // Asked for while the worker is stopped: each request was allowed as it was made.
    sealedLater = await askForCopy(party);
    ofRemoved = await askForCopy(removed.client);
    ofDisabled = await askForCopy(disabled.client);
    for (const id of [sealedLater, ofRemoved, ofDisabled]) expect((await copyRow(id)).state).toBe('queued');
    // Then, before any copy is made: the judge seals half a second of the second segment,
    // one party is taken off the case and another's account is disabled.
    await seal(judge, video[1]!.start_ms + 1000, video[1]!.start_ms + 1500);
    await stack.backends!.repos.cases.removeParticipant(removed.participantId);
    await admin('POST', '/api/admin/users/party-disabled/disable');
    await startWorker();
    for (const id of [sealedLater, ofRemoved, ofDisabled]) await settled(id);
  }, 300_000);

  it('leaves out a range sealed after the copy was asked for', async () => {
    const row = await copyRow(sealedLater);
    expect(row.state).toBe('ready');
    const file = path.join(tmp, 'sealed-later.mp4');
    fs.writeFileSync(file, await readObject(stack.backends!.objects, row.mp4_key!));
    // The sealed part is left out whole, with its segment, as the player does.
    const recorded = video.reduce((sum, s) => sum + s.duration_ms, 0) / 1000;
    const probe = await ffprobe(file);
    expect(probe.durationSeconds).toBeCloseTo(NOTICE_SECONDS + recorded - video[1]!.duration_ms / 1000, 0);
    const text = (await readObject(stack.backends!.objects, row.txt_key!)).toString('utf8');
    expect(text).toContain('Closed parts of the hearing are not included in this copy.');
    // What it was made without is recorded, for the check when its links are handed out.
    expect(JSON.parse(row.excluded_ranges!)).toEqual([
      { startMs: video[1]!.start_ms + 1000, endMs: video[1]!.start_ms + 1500 },
    ]);
    const answer = (await (await party.api(`/api/copies/${sealedLater}`)).json()) as CopyAnswer;
    expect(answer).toMatchObject({ state: 'ready', voidReason: null });
    expect(answer.mp4Url).toBeTruthy();
  });

  it('names the requester of an issued copy by login in the audit log, not by display name', async () => {
    const issued = await auditOf(sealedLater, 'copy.issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ actor: 'demo-party', role: 'party', verdict: 'info' });
  });

  it('makes no copy for a party taken off the case since asking, and tells them why', async () => {
    const row = await copyRow(ofRemoved);
    expect(row).toMatchObject({ state: 'voided', void_reason: 'not-a-participant', mp4_key: null });
    expect(
      await stack.backends!.objects.stat(copyKey({ hearingId, copyId: ofRemoved, ext: 'mp4' })),
    ).toBeNull();
    const res = await removed.client.api(`/api/copies/${ofRemoved}`);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as CopyAnswer;
    expect(answer).toMatchObject({ state: 'voided', voidReason: 'not-a-participant' });
    expect(answer.voidMessage).toMatch(/case this account is not part of/);
    expect(answer.mp4Url).toBeUndefined();
    const voided = await auditOf(ofRemoved, 'copy.voided');
    expect(voided).toHaveLength(1);
    expect(voided[0]).toMatchObject({
      actor: 'party-removed',
      verdict: 'refuse',
      reason: 'not-a-participant',
    });
    expect(await auditOf(ofRemoved, 'copy.issued')).toEqual([]);
  });

  it('makes no copy for an account disabled since asking', async () => {
    const row = await copyRow(ofDisabled);
    expect(row).toMatchObject({ state: 'voided', void_reason: 'disabled', mp4_key: null, sha256: null });
    const voided = await auditOf(ofDisabled, 'copy.voided');
    expect(voided.map((e) => [e.actor, e.reason])).toEqual([['party-disabled', 'disabled']]);
  });
});

describe('a copy is decided again when its links are handed out', () => {
  let judge: Client;
  let party: Client;
  let wide: string;
  let narrow: string;
  let ofJudge: string;

  beforeAll(async () => {
    await startWorker();
    judge = await logIn('demo-judge');
    party = await logIn('demo-party');
    // Across the second and third segments; and the first segment only.
    wide = await askForCopy(party, { fromMs: video[1]!.start_ms + 500, toMs: video[2]!.start_ms + 2500 });
    narrow = await askForCopy(party, { fromMs: video[0]!.start_ms + 500, toMs: video[0]!.start_ms + 3000 });
    ofJudge = await askForCopy(judge, { fromMs: video[1]!.start_ms + 500, toMs: video[2]!.start_ms + 2500 });
    for (const id of [wide, narrow, ofJudge]) expect((await settled(id)).state).toBe('ready');
    // Before the seal, the party's copy's links go out.
    const before = (await (await party.api(`/api/copies/${wide}`)).json()) as CopyAnswer;
    expect(before.mp4Url).toBeTruthy();
    // Now the judge seals part of the third segment, which the wide copies show.
    await seal(judge, video[2]!.start_ms + 1000, video[2]!.start_ms + 1500);
  }, 300_000);

  it('voids a copy that shows a range sealed after it was made, and says why instead of handing out links', async () => {
    const res = await party.api(`/api/copies/${wide}`);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as CopyAnswer;
    expect(answer).toMatchObject({ state: 'voided', voidReason: 'sealed-after-copy' });
    expect(answer.voidMessage).toMatch(/sealed after the copy was made/);
    expect(answer.mp4Url).toBeUndefined();
    expect(answer.noticeUrl).toBeUndefined();
    expect(await copyRow(wide)).toMatchObject({ state: 'voided', void_reason: 'sealed-after-copy' });
    const voided = await auditOf(wide, 'copy.voided');
    expect(voided).toHaveLength(1);
    expect(voided[0]).toMatchObject({ actor: 'demo-party', verdict: 'refuse', reason: 'sealed-after-copy' });
    // And it stays voided.
    const again = (await (await party.api(`/api/copies/${wide}`)).json()) as CopyAnswer;
    expect(again).toMatchObject({ state: 'voided', voidReason: 'sealed-after-copy' });
    expect(again.mp4Url).toBeUndefined();
  });

  it('still hands out a copy whose range does not reach the newly sealed part', async () => {
    const answer = (await (await party.api(`/api/copies/${narrow}`)).json()) as CopyAnswer;
    expect(answer).toMatchObject({ state: 'ready', voidReason: null });
    expect(answer.mp4Url).toBeTruthy();
  });

  it("still hands out the judge's copy: the judge may see sealed parts", async () => {
    const answer = (await (await judge.api(`/api/copies/${ofJudge}`)).json()) as CopyAnswer;
    expect(answer).toMatchObject({ state: 'ready', voidReason: null });
    expect(answer.mp4Url).toBeTruthy();
  });
});
