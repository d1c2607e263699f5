/**
 * The recorder side's rules on a real hub (real HTTP and ws, SQLite and, when it answers,
 * PostgreSQL): a node ends and marks only hearings of its own courtroom, its "drained"
 * must account for every segment the catalog holds, and the console's live feed shows a
 * viewer only the nodes of their courts and closes when their session ends.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { SegmentRegistration, TrackInfo } from '../core/index.ts';
import { manifestKey, type CatalogDialect } from '../storage/index.ts';
import { FakeRecorder, MIX_TRACK, TrackWriter, segmentBytes, upload } from './support/fake-recorder.ts';
import { seedCourt, startTestHub, type PersonClient, type TestHub } from './support/hub-harness.ts';
import { serviceAvailable } from './support/services.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const NODE_A = { id: 'node-a', courtroomId: 'room-a', token: 'node-a-token-6f1b2c9d' };
const NODE_A2 = { id: 'node-a2', courtroomId: 'room-a2', token: 'node-a2-token-0c7d13e4' };
const NODE_B = { id: 'node-b', courtroomId: 'room-b', token: 'node-b-token-8e2a4f70' };
const MIC_TRACK: TrackInfo = { name: 'mic-1', kind: 'audio', codec: 'aac', sampleRate: 16_000, channels: 1 };

const pgAvailable = await serviceAvailable('postgres', 'recorder rules on PostgreSQL');
const catalogs: CatalogDialect[] = pgAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

/** What one console's live feed received, and how it ended. */
interface Feed {
  ws: WebSocket;
  frames: { nodeId: string | null; message: { type: string; recorders?: { nodeId: string }[] } }[];
  closed: Promise<{ code: number; reason: string }>;
}

function openFeed(t: TestHub, person: PersonClient): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.wsUrl}/api/live`, { headers: { cookie: person.cookie } });
    const feed: Feed = {
      ws,
      frames: [],
      closed: new Promise((done) =>
        ws.once('close', (code, reason) => done({ code, reason: reason.toString() })),
      ),
    };
    ws.on('message', (data) => feed.frames.push(JSON.parse(data.toString()) as Feed['frames'][number]));
    ws.once('open', () => resolve(feed));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`live feed refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Resolves with how the feed closed, or rejects if it is still open after `ms`. */
function closedWithin(feed: Feed, ms: number): Promise<{ code: number; reason: string }> {
  return Promise.race([
    feed.closed,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the live feed was still open after ${ms} ms`)), ms),
    ),
  ]);
}

describe.each(catalogs)('recorder rules (%s catalog)', (catalog) => {
  let t: TestHub;
  let secretary: PersonClient;
  let hearingCount = 0;
  const recorders: FakeRecorder[] = [];
  const feeds: Feed[] = [];

  beforeAll(async () => {
    t = await startTestHub({ catalog });
    await seedCourt(t, { courtId: 'court-a', courtrooms: ['room-a', 'room-a2'], nodes: [NODE_A, NODE_A2] });
    await seedCourt(t, { courtId: 'court-b', courtrooms: ['room-b'], nodes: [NODE_B] });
    secretary = await t.person('secretary', { courtIds: ['court-a', 'court-b'] });
  });

  afterEach(async () => {
    for (const f of feeds.splice(0)) f.ws.terminate();
    await Promise.all(recorders.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await t?.close();
  });

  async function connect(node: typeof NODE_A): Promise<FakeRecorder> {
    const recorder = await FakeRecorder.connect(t.wsUrl, node.id, node.token);
    recorders.push(recorder);
    await vi.waitFor(() => expect(t.hub.gateway.isOnline(node.id)).toBe(true));
    return recorder;
  }

  async function hearing(
    courtroomId: string,
    state: 'recording' | 'scheduled' = 'recording',
  ): Promise<string> {
    const h = await t.hub.hearings.create(
      {
        id: `h-${catalog}-${++hearingCount}`,
        courtroomId,
        caseNumber: `2-${hearingCount}/2026`,
        title: 'Ivanov v. Petrov',
        judge: 'Judge A',
        visibility: 'open',
        language: 'ru',
      },
      { secretaryUserId: secretary.id },
    );
    if (state === 'recording')
      await t.backends.repos.hearings.update(h.id, { state: 'recording', started_at: T0, updated_at: T0 });
    return h.id;
  }

  async function stop(hearingId: string): Promise<void> {
    await t.backends.repos.hearings.update(hearingId, { state: 'stopped', stopped_at: T0 + 60_000 });
  }

  async function register(
    recorder: FakeRecorder,
    writer: TrackWriter,
    info: TrackInfo,
    label: string,
  ): Promise<SegmentRegistration> {
    const bytes = segmentBytes(label);
    const segment = writer.segment(bytes);
    await upload(t.backends.objects, segment.key, bytes);
    expect(await recorder.register(segment, [info])).toMatchObject({ ok: true });
    writer.accepted(segment);
    return segment;
  }

  /** Sends "drained" and expects a refusal with `code`, no manifest, and a warning naming it. */
  async function expectDrainedRefused(
    recorder: FakeRecorder,
    node: typeof NODE_A,
    hearingId: string,
    lastSeq: Record<string, number>,
    code: string,
  ): Promise<void> {
    const mark = t.logs.mark();
    const ack = await recorder.request({ type: 'drained', hearingId, lastSeq });
    expect(ack).toMatchObject({ type: 'ack', ok: false, code });
    const row = await t.backends.repos.hearings.find(hearingId);
    expect(row).toMatchObject({ state: 'stopped', manifest_key: null, manifest_sha256: null });
    expect(await t.backends.objects.stat(manifestKey(hearingId))).toBeNull();
    expect(t.logs.since(mark).filter((l) => l.msg === 'refused a recorder drained')).toEqual([
      expect.objectContaining({ level: 'warn', refusal: code, recorderId: node.id }),
    ]);
    expect(recorder.open).toBe(true);
  }

  describe('ending a hearing', () => {
    it('refuses a drained from a node of another courtroom and writes no manifest', async () => {
      const own = await connect(NODE_A);
      const foreign = await connect(NODE_B);
      const id = await hearing(NODE_A.courtroomId);
      const mix = new TrackWriter(id, 'mix', T0);
      await register(own, mix, MIX_TRACK, `${id}-0`);
      await stop(id);
      await expectDrainedRefused(foreign, NODE_B, id, { mix: 0 }, 'NODE_NOT_ASSIGNED');
      // The courtroom's own node, naming what was registered, ends it.
      expect(await own.request({ type: 'drained', hearingId: id, lastSeq: { mix: 0 } })).toMatchObject({
        ok: true,
      });
      expect((await t.backends.repos.hearings.find(id))?.manifest_key).toBe(manifestKey(id));
      // Once written, the foreign node is still refused: the answer is not a way to learn it.
      expect(await foreign.request({ type: 'drained', hearingId: id, lastSeq: { mix: 0 } })).toMatchObject({
        ok: false,
        code: 'NODE_NOT_ASSIGNED',
      });
    });

    it('refuses an empty lastSeq for a hearing whose tracks hold segments, and a partial one', async () => {
      const node = await connect(NODE_A);
      const id = await hearing(NODE_A.courtroomId);
      const mix = new TrackWriter(id, 'mix', T0);
      const mic = new TrackWriter(id, 'mic-1', T0);
      await register(node, mix, MIX_TRACK, `${id}-mix-0`);
      await register(node, mix, MIX_TRACK, `${id}-mix-1`);
      await register(node, mic, MIC_TRACK, `${id}-mic-0`);
      await stop(id);
      await expectDrainedRefused(node, NODE_A, id, {}, 'LAST_SEQ_INCOMPLETE');
      await expectDrainedRefused(node, NODE_A, id, { mix: 1 }, 'LAST_SEQ_INCOMPLETE');
      // Naming fewer segments than the catalog holds is no complete account either.
      await expectDrainedRefused(node, NODE_A, id, { mix: 0, 'mic-1': 0 }, 'LAST_SEQ_INCOMPLETE');
    });

    it('refuses a lastSeq naming segments or tracks the catalog lacks, then accepts the retry once they arrived', async () => {
      const node = await connect(NODE_A);
      const id = await hearing(NODE_A.courtroomId);
      const mix = new TrackWriter(id, 'mix', T0);
      const mic = new TrackWriter(id, 'mic-1', T0);
      await register(node, mix, MIX_TRACK, `${id}-mix-0`);
      await stop(id);
      // mix seq 1 and all of mic-1 are still on their way.
      await expectDrainedRefused(node, NODE_A, id, { mix: 1, 'mic-1': 0 }, 'SEGMENTS_MISSING');
      await register(node, mix, MIX_TRACK, `${id}-mix-1`);
      await expectDrainedRefused(node, NODE_A, id, { mix: 1, 'mic-1': 0 }, 'SEGMENTS_MISSING');
      await register(node, mic, MIC_TRACK, `${id}-mic-0`);
      // The node re-sends "drained" until acknowledged; a track it never recorded is -1.
      const ack = await node.request({
        type: 'drained',
        hearingId: id,
        lastSeq: { mix: 1, 'mic-1': 0, 'mic-2': -1 },
      });
      expect(ack).toMatchObject({ ok: true });
      const row = await t.backends.repos.hearings.find(id);
      expect(row?.manifest_key).toBe(manifestKey(id));
      const chunks: Buffer[] = [];
      for await (const chunk of await t.backends.objects.get(manifestKey(id))) chunks.push(chunk as Buffer);
      const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { tracks: { name: string }[] };
      expect(manifest.tracks.map((tr) => tr.name).sort()).toEqual(['mic-1', 'mix']);
      // A repeat (the ack was lost) answers the same manifest.
      expect(
        await node.request({ type: 'drained', hearingId: id, lastSeq: { mix: 1, 'mic-1': 0 } }),
      ).toMatchObject({
        ok: true,
      });
    });
  });

  describe('recorder markers', () => {
    const marker = (hearingId: string, over: Record<string, unknown> = {}) => ({
      type: 'marker',
      hearingId,
      markerId: `mk-${hearingId}-${Math.random().toString(16).slice(2, 10)}`,
      kind: 'recorder-restart',
      atMs: T0 + 10_000,
      endMs: T0 + 14_000,
      text: 'camera restarted',
      ...over,
    });

    it('refuses a marker from a node of another courtroom and stores nothing', async () => {
      const foreign = await connect(NODE_B);
      const id = await hearing(NODE_A.courtroomId);
      const before = await t.snapshot();
      const mark = t.logs.mark();
      expect(await foreign.request(marker(id))).toMatchObject({ ok: false, code: 'NODE_NOT_ASSIGNED' });
      expect((await t.snapshot()).markers).toEqual(before.markers);
      expect(t.logs.since(mark).filter((l) => l.msg === 'refused a recorder marker')).toEqual([
        expect.objectContaining({ level: 'warn', refusal: 'NODE_NOT_ASSIGNED', recorderId: NODE_B.id }),
      ]);
    });

    it('refuses a marker that ends before it starts, and one whose id belongs to another hearing', async () => {
      const node = await connect(NODE_A);
      const id = await hearing(NODE_A.courtroomId);
      const other = await hearing(NODE_A.courtroomId);
      const before = await t.snapshot();
      expect(await node.request(marker(id, { endMs: T0 + 5_000 }))).toMatchObject({
        ok: false,
        code: 'MARKER_INVALID',
      });
      expect((await t.snapshot()).markers).toEqual(before.markers);
      const first = marker(id);
      expect(await node.request(first)).toMatchObject({ ok: true });
      // The same marker again (a lost ack) is acknowledged and stored once.
      expect(await node.request(first)).toMatchObject({ ok: true });
      expect(await node.request({ ...first, hearingId: other })).toMatchObject({
        ok: false,
        code: 'MARKER_CONFLICT',
      });
      expect((await t.backends.repos.markers.listByHearing(id)).map((m) => m.author)).toEqual([
        `recorder:${NODE_A.id}`,
      ]);
      expect(await t.backends.repos.markers.listByHearing(other)).toEqual([]);
    });

    it('refuses a marker for a hearing that has not started', async () => {
      const node = await connect(NODE_A);
      const id = await hearing(NODE_A.courtroomId, 'scheduled');
      expect(await node.request(marker(id))).toMatchObject({ ok: false, code: 'HEARING_NOT_STARTED' });
      expect(await t.backends.repos.markers.listByHearing(id)).toEqual([]);
    });
  });

  describe("the console's live feed and the recorder list", () => {
    it("shows a viewer of court A neither court B's node in the feed nor in GET /api/recorders", async () => {
      const nodeA = await connect(NODE_A);
      const nodeB = await connect(NODE_B);
      const operator = await t.person('operator', { courtIds: ['court-a'] });
      const feed = await openFeed(t, operator);
      feeds.push(feed);
      await vi.waitFor(() => expect(feed.frames.length).toBeGreaterThan(0));
      expect(feed.frames[0]!.message.type).toBe('hello');
      expect(feed.frames[0]!.message.recorders!.map((r) => r.nodeId)).toEqual([NODE_A.id]);

      nodeB.send({
        type: 'levels',
        atMs: T0,
        hearingId: null,
        channels: [{ track: 'mix', rmsDb: -20, peakDb: -6 }],
      });
      nodeB.send({
        type: 'alarm',
        atMs: T0,
        kind: 'microphone-silent',
        hearingId: null,
        track: 'mix',
        active: true,
        message: 'silent',
      });
      nodeA.send({
        type: 'levels',
        atMs: T0,
        hearingId: null,
        channels: [{ track: 'mix', rmsDb: -30, peakDb: -9 }],
      });
      await vi.waitFor(() => expect(feed.frames.some((f) => f.nodeId === NODE_A.id)).toBe(true));
      // node-b's frames were sent before node-a's; none reached the court-A viewer.
      expect(feed.frames.filter((f) => f.nodeId === NODE_B.id)).toEqual([]);

      const res = await operator.api('/api/recorders');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { recorders: { id: string }[] };
      expect(body.recorders.map((r) => r.id).sort()).toEqual([NODE_A.id, NODE_A2.id]);
    });

    it('lets a judge watch the courts of the hearings they preside over, and the administrator every node', async () => {
      const judge = await t.person('judge');
      const id = await hearing(NODE_B.courtroomId, 'scheduled');
      await t.backends.repos.hearings.update(id, { judge_user_id: judge.id });
      const judgeList = (await (await judge.api('/api/recorders')).json()) as { recorders: { id: string }[] };
      expect(judgeList.recorders.map((r) => r.id)).toEqual([NODE_B.id]);
      const admin = (await (await t.api('/api/recorders')).json()) as { recorders: { id: string }[] };
      expect(admin.recorders.map((r) => r.id).sort()).toEqual([NODE_A.id, NODE_A2.id, NODE_B.id]);
    });

    it('closes the feed within a few seconds of logging out', async () => {
      const operator = await t.person('operator', { courtIds: ['court-a'] });
      const feed = await openFeed(t, operator);
      feeds.push(feed);
      expect((await operator.api('/api/auth/logout', { method: 'POST' })).status).toBe(204);
      expect(await closedWithin(feed, 4000)).toEqual({ code: 4401, reason: 'session-revoked' });
    });

    it.each([
      ['idle', { last_seen_at: T0 }, 'session-idle'],
      ['past its absolute end', { expires_at: T0 }, 'session-expired'],
    ] as const)('closes the feed within a few seconds of its session going %s', async (_, change, reason) => {
      const operator = await t.person('operator', { courtIds: ['court-a'] });
      const feed = await openFeed(t, operator);
      feeds.push(feed);
      // The session's times as a day of inactivity (or its end) would leave them. (Written
      // by user, not in the shape of the once-a-minute touch, which the read cache applies itself.)
      await t.backends.catalog.db
        .updateTable('sessions')
        .set(change)
        .where('user_id', '=', operator.id)
        .execute();
      expect(await closedWithin(feed, 4000)).toEqual({ code: 4401, reason });
    });

    it('closes the feed within a few seconds of the account being disabled', async () => {
      const secretaryB = await t.person('secretary', { courtIds: ['court-b'] });
      const feed = await openFeed(t, secretaryB);
      feeds.push(feed);
      const res = await t.api(`/api/admin/users/${secretaryB.login}/disable`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await closedWithin(feed, 4000)).toEqual({ code: 4401, reason: 'user-disabled' });
    });
  });
});
