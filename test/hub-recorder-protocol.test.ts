/**
 * The recorder link end to end: a real hub (SQLite catalog, fs object store, inline
 * queue) on a free port, and a fake recorder node speaking the ws protocol by hand. The
 * fake node uploads real objects and computes real hash chains, then lies in one way per
 * test. Every refusal must carry its typed code, store nothing, and be logged.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobHandlers } from '../cli/backends.ts';
import {
  MAX_FRAME_BYTES,
  chainGenesis,
  sha256Hex,
  type SegmentRegistration,
  type TrackInfo,
} from '../core/index.ts';
import type { RegistrationCode } from '../court/segment-registration.ts';
import {
  FakeRecorder,
  MIX_TRACK,
  TrackWriter,
  refusedUpgradeStatus,
  segmentBytes,
  upload,
} from './support/fake-recorder.ts';
import { seedCourt, startTestHub, type PersonClient, type TestHub } from './support/hub-harness.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const NODE = { id: 'node-1', courtroomId: 'room-1', token: 'node-1-token-5b8d2f0a' };
const OTHER_NODE = { id: 'node-2', courtroomId: 'room-2', token: 'node-2-token-91c4e7aa' };
const REVOKED_NODE = { id: 'node-3', courtroomId: 'room-1', token: 'node-3-token-0d2f6c13' };

let t: TestHub;
/** The secretary of the hearings these tests make: reads them back through the API. */
let secretary: PersonClient;
let hearingCount = 0;
let workerStarted = false;
const recorders: FakeRecorder[] = [];

beforeAll(async () => {
  t = await startTestHub();
  await seedCourt(t, {
    courtId: 'court-1',
    courtrooms: ['room-1', 'room-2'],
    nodes: [NODE, OTHER_NODE, REVOKED_NODE],
  });
  await t.backends.repos.recorderNodes.revoke(REVOKED_NODE.id, t.backends.clock.now());
  secretary = await t.person('secretary', { courtIds: ['court-1'] });
  // The "stored nothing" checks compare every table; make sure the snapshot sees the ones that matter.
  const tables = Object.keys(await t.snapshot());
  expect(tables).toEqual(
    expect.arrayContaining(['hearings', 'tracks', 'segments', 'markers', 'jobs', 'recorder_nodes']),
  );
});

afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await t?.close();
});

/** A hearing in the given courtroom, created through the service and put in 'recording' directly (no real node). */
async function recordingHearing(
  courtroomId = NODE.courtroomId,
  state: 'recording' | 'scheduled' = 'recording',
): Promise<string> {
  const hearing = await t.hub.hearings.create(
    {
      id: `h-${++hearingCount}`,
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
    await t.backends.repos.hearings.update(hearing.id, {
      state: 'recording',
      started_at: T0,
      updated_at: t.backends.clock.now(),
    });
  return hearing.id;
}

/** Connects as node-1 and waits until the hub has recorded the connection, so later snapshots are stable. */
async function connect(node = NODE): Promise<FakeRecorder> {
  const before = t.backends.clock.now();
  const recorder = await FakeRecorder.connect(t.wsUrl, node.id, node.token);
  recorders.push(recorder);
  await vi.waitFor(async () => {
    expect(t.hub.gateway.isOnline(node.id)).toBe(true);
    expect((await t.backends.repos.recorderNodes.find(node.id))?.last_seen_at).toBeGreaterThanOrEqual(before);
  });
  return recorder;
}

/** Uploads the bytes, registers them, and expects the hub to accept. */
async function registerOk(
  recorder: FakeRecorder,
  writer: TrackWriter,
  label: string,
): Promise<SegmentRegistration> {
  const bytes = segmentBytes(label);
  const segment = writer.segment(bytes);
  await upload(t.backends.objects, segment.key, bytes);
  const ack = await recorder.register(segment, [MIX_TRACK]);
  expect(ack).toMatchObject({ ok: true });
  expect(ack.code).toBeUndefined();
  writer.accepted(segment);
  return segment;
}

/**
 * Sends a registration the hub must refuse, and checks the three promises: the typed
 * code in the ack, an unchanged catalog, and a warning line naming the refusal.
 */
async function expectRefused(
  recorder: FakeRecorder,
  segment: SegmentRegistration,
  code: RegistrationCode,
  tracks: TrackInfo[] = [MIX_TRACK],
): Promise<void> {
  const before = await t.snapshot();
  const mark = t.logs.mark();
  const ack = await recorder.register(segment, tracks);
  expect(ack).toMatchObject({ type: 'ack', ok: false, code });
  expect(await t.snapshot()).toEqual(before);
  const logged = t.logs.since(mark).filter((l) => l.msg === 'refused a recorder register');
  expect(logged).toEqual([
    expect.objectContaining({ level: 'warn', refusal: code, recorderId: NODE.id, type: 'register' }),
  ]);
  expect(recorder.open).toBe(true);
}

async function segmentRows(hearingId: string) {
  return t.backends.repos.segments.listByHearing(hearingId);
}

describe('recorder connections', () => {
  it('refuses a wrong node token with HTTP 401 and opens no socket', async () => {
    const before = await t.snapshot();
    const mark = t.logs.mark();
    const wrong = 'not-the-token-of-node-1';
    expect(await refusedUpgradeStatus(t.wsUrl, NODE.id, wrong)).toBe(401);
    expect(t.hub.gateway.isOnline(NODE.id)).toBe(false);
    expect(await t.snapshot()).toEqual(before);
    const lines = t.logs.since(mark);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'refused a recorder connection', recorderId: NODE.id }),
    );
    // The token the node sent is a secret: it must not reach the log.
    expect(JSON.stringify(lines)).not.toContain(wrong);
  });

  it('refuses an unknown node id with HTTP 401 and opens no socket', async () => {
    const before = await t.snapshot();
    const mark = t.logs.mark();
    expect(await refusedUpgradeStatus(t.wsUrl, 'node-unknown', NODE.token)).toBe(401);
    expect(t.hub.gateway.isOnline('node-unknown')).toBe(false);
    expect(await t.snapshot()).toEqual(before);
    expect(t.logs.since(mark)).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'refused a recorder connection',
        recorderId: 'node-unknown',
      }),
    );
  });

  it('refuses a revoked node with HTTP 401, even with the token it used to have', async () => {
    const before = await t.snapshot();
    const mark = t.logs.mark();
    expect(await refusedUpgradeStatus(t.wsUrl, REVOKED_NODE.id, REVOKED_NODE.token)).toBe(401);
    expect(t.hub.gateway.isOnline(REVOKED_NODE.id)).toBe(false);
    expect(await t.snapshot()).toEqual(before);
    expect(t.logs.since(mark)).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'refused a recorder connection',
        recorderId: REVOKED_NODE.id,
      }),
    );
  });

  it('accepts the right node token and lists the node as online', async () => {
    await connect();
    const recorders = await (await t.api('/api/recorders')).json();
    expect(recorders).toMatchObject({
      recorders: expect.arrayContaining([expect.objectContaining({ id: NODE.id, online: true })]),
    });
  });
});

describe('segment registration refusals', () => {
  it('refuses a registration whose SHA-256 is not that of the stored object (HASH_MISMATCH)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const stored = segmentBytes('stored bytes');
    const claimed = segmentBytes('other bytes of the same size');
    // The chain links correctly, but over SHA-256 "B" while the store holds "A".
    const segment = writer.segment(stored, { sha256: sha256Hex(claimed) });
    await upload(t.backends.objects, segment.key, stored);
    await expectRefused(recorder, segment, 'HASH_MISMATCH');
    expect(await segmentRows(hearingId)).toEqual([]);
  });

  it('refuses a registration for a hearing that does not exist (HEARING_UNKNOWN)', async () => {
    const recorder = await connect();
    const writer = new TrackWriter('h-never-created', 'mix', T0);
    const bytes = segmentBytes('unknown hearing');
    const segment = writer.segment(bytes);
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'HEARING_UNKNOWN');
  });

  it('refuses a registration for a hearing that has not been started (HEARING_NOT_STARTED)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing(NODE.courtroomId, 'scheduled');
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('not started');
    const segment = writer.segment(bytes);
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'HEARING_NOT_STARTED');
  });

  it('refuses a seq that skips one (SEQ_GAP)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    await registerOk(recorder, writer, 'gap 0');
    const bytes = segmentBytes('gap 2');
    // Seq 2 with a chain that links to seq 0's value: only the seq is wrong.
    const segment = writer.segment(bytes, { seq: 2 });
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'SEQ_GAP');
    expect((await segmentRows(hearingId)).map((s) => s.seq)).toEqual([0]);
  });

  it('refuses a seq registered again with other content (SEQ_REPEATED)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const first = await registerOk(recorder, writer, 'repeated 0');
    const other = segmentBytes('repeated 0, other content');
    const segment = writer.segment(other, { seq: 0, prevChain: chainGenesis(hearingId, 'mix') });
    expect(segment.key).toBe(first.key);
    await expectRefused(recorder, segment, 'SEQ_REPEATED');
    expect(await segmentRows(hearingId)).toEqual([
      expect.objectContaining({ seq: 0, sha256: first.sha256, chain: first.chain }),
    ]);
  });

  it('acknowledges an identical repeat as SEGMENT_DUPLICATE and stores no second row', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const first = await registerOk(recorder, writer, 'duplicate 0');
    const before = await t.snapshot();
    // The ack of the first registration was "lost": the node sends exactly the same again.
    const ack = await recorder.register(first, [MIX_TRACK]);
    expect(ack).toMatchObject({ type: 'ack', ok: true, code: 'SEGMENT_DUPLICATE' });
    expect(await t.snapshot()).toEqual(before);
    expect(await segmentRows(hearingId)).toHaveLength(1);
  });

  it('refuses a chain value that does not link to the previous one (CHAIN_MISMATCH)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    await registerOk(recorder, writer, 'chain 0');
    const bytes = segmentBytes('chain 1');
    // Linked to the genesis instead of seq 0: a segment spliced in from elsewhere.
    const segment = writer.segment(bytes, { prevChain: chainGenesis(hearingId, 'mix') });
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'CHAIN_MISMATCH');
  });

  it("refuses the first segment of a track replayed from another hearing's chain (CHAIN_MISMATCH)", async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('replayed');
    const segment = writer.segment(bytes, { prevChain: chainGenesis('h-some-other-hearing', 'mix') });
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'CHAIN_MISMATCH');
  });

  it("refuses a key that is not the layout's (KEY_MISMATCH)", async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('wrong key');
    const key = `hearings/${hearingId}/mix/000000.mp4`;
    await upload(t.backends.objects, key, bytes);
    await expectRefused(recorder, writer.segment(bytes, { key }), 'KEY_MISMATCH');
  });

  it('refuses a registration whose object is not in the store (OBJECT_MISSING)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const segment = writer.segment(segmentBytes('never uploaded'));
    expect(await t.backends.objects.stat(segment.key)).toBeNull();
    await expectRefused(recorder, segment, 'OBJECT_MISSING');
  });

  it('refuses a registration whose size is not that of the stored object (SIZE_MISMATCH)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('size');
    const segment = writer.segment(bytes, { size: bytes.length + 1 });
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'SIZE_MISMATCH');
  });

  it('refuses the first segment of a track that the registration does not describe (TRACK_UNKNOWN)', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('undescribed track');
    const segment = writer.segment(bytes);
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'TRACK_UNKNOWN', []);
  });

  it("refuses a node registering for another courtroom's hearing (NODE_NOT_ASSIGNED)", async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing(OTHER_NODE.courtroomId);
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const bytes = segmentBytes('other courtroom');
    const segment = writer.segment(bytes);
    await upload(t.backends.objects, segment.key, bytes);
    await expectRefused(recorder, segment, 'NODE_NOT_ASSIGNED');
  });
});

describe('malformed frames', () => {
  it.each([
    ['a frame that is not JSON', '{"type":"register", this is not json'],
    [
      'JSON of the wrong shape',
      JSON.stringify({ type: 'register', id: 'r-1', tracks: [], segment: { seq: -1 } }),
    ],
    ['a binary frame', Buffer.from([0x7b, 0x00, 0xff, 0x10])],
  ])('answers %s with MALFORMED_FRAME and keeps the connection', async (_what, frame) => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const before = await t.snapshot();
    const mark = t.logs.mark();
    recorder.sendRaw(frame);
    expect(await recorder.next()).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    expect(await t.snapshot()).toEqual(before);
    expect(t.logs.since(mark)).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'refused a malformed frame from a recorder',
        recorderId: NODE.id,
      }),
    );
    expect(recorder.open).toBe(true);
    // The same socket still works.
    const segment = await registerOk(
      recorder,
      new TrackWriter(hearingId, 'mix', T0),
      `after malformed ${hearingId}`,
    );
    expect(await segmentRows(hearingId)).toEqual([expect.objectContaining({ seq: 0, chain: segment.chain })]);
  });

  it('closes the socket with 1009 on a frame over MAX_FRAME_BYTES', async () => {
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const before = await t.snapshot();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const segment = writer.segment(segmentBytes('oversized'));
    recorder.send({
      type: 'register',
      id: 'r-big',
      tracks: [MIX_TRACK],
      segment,
      padding: 'x'.repeat(MAX_FRAME_BYTES),
    });
    expect((await recorder.closed).code).toBe(1009);
    await vi.waitFor(() => expect(t.hub.gateway.isOnline(NODE.id)).toBe(false));
    expect(await t.snapshot()).toEqual(before);
  });
});

describe('integrity verification', () => {
  async function startWorker(): Promise<void> {
    if (workerStarted) return;
    await t.backends.queue.start(jobHandlers(t.backends, t.logger), { concurrency: 1 });
    workerStarted = true;
  }

  // Runs first in this block, before the worker starts, so the job cannot run before the tampering.
  it('marks a segment whose object was tampered with after registration as failed', async () => {
    expect(workerStarted).toBe(false);
    const recorder = await connect();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const segment = await registerOk(recorder, writer, 'to be tampered with');
    const jobId = `verify-${segment.key}`;
    expect(await t.backends.queue.getJob(jobId)).toMatchObject({ name: 'object.verify', state: 'waiting' });

    // An attacker with disk access rewrites the bytes in place, keeping their size.
    const file = t.objectDataFile(segment.key);
    const original = fs.readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[100] = tampered[100]! ^ 0xff;
    fs.writeFileSync(file, tampered);

    const mark = t.logs.mark();
    await startWorker();
    expect(await t.backends.queue.waitFor(jobId, 20_000)).toBe('completed');
    expect(await t.backends.repos.segments.find(hearingId, 'mix', 0)).toMatchObject({
      verify_state: 'failed',
      verified_at: expect.any(Number),
    });
    expect(t.logs.since(mark)).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'stored object does not match its registration',
        key: segment.key,
      }),
    );
    const view = (await (await secretary.api(`/api/hearings/${hearingId}`)).json()) as { tracks: unknown[] };
    expect(view.tracks).toEqual([
      expect.objectContaining({ name: 'mix', segments: 1, verified: 0, failedVerification: [0] }),
    ]);
  });

  it('accepts five registrations in order, each verified ok by its object.verify job', async () => {
    const recorder = await connect();
    await startWorker();
    const hearingId = await recordingHearing();
    const writer = new TrackWriter(hearingId, 'mix', T0);
    const segments: SegmentRegistration[] = [];
    for (let i = 0; i < 5; i++) {
      const segment = await registerOk(recorder, writer, `five ${i}`);
      expect(await t.backends.queue.getJob(`verify-${segment.key}`)).toMatchObject({ name: 'object.verify' });
      segments.push(segment);
    }
    for (const s of segments)
      expect(await t.backends.queue.waitFor(`verify-${s.key}`, 20_000)).toBe('completed');

    const rows = await segmentRows(hearingId);
    expect(rows.map((r) => [r.seq, r.chain, r.verify_state])).toEqual(
      segments.map((s) => [s.seq, s.chain, 'ok']),
    );
    expect(rows.every((r) => r.recorder_id === NODE.id && r.verified_at !== null)).toBe(true);
    expect(await t.backends.repos.hearings.listTracks(hearingId)).toEqual([
      expect.objectContaining({ name: 'mix', kind: 'audio', codec: 'aac', sample_rate: 48_000, channels: 1 }),
    ]);
    const view = (await (await secretary.api(`/api/hearings/${hearingId}`)).json()) as { tracks: unknown[] };
    expect(view.tracks).toEqual([
      expect.objectContaining({
        name: 'mix',
        segments: 5,
        durationMs: 5 * 4000,
        verified: 5,
        failedVerification: [],
      }),
    ]);
  });
});
