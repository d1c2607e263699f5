/**
 * `rtsp` cameras: an IP camera is played over RTSP (TCP-interleaved, the recorder's
 * default). Here the "camera" is ffmpeg publishing into a small RTSP relay on
 * 127.0.0.1 (./support/rtsp-server.ts says why not ffmpeg alone or an npm server).
 * H.264 must be stream-copied, never re-encoded; another codec (MPEG-4 part 2 here) is
 * encoded to H.264; a camera that goes away and comes back costs a restart, not the
 * recording.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireFfprobe } from './support/media.ts';
import { H264_CAMERA, RtspRelay, publishFakeCamera } from './support/rtsp-server.ts';
import {
  probeFile,
  recordFor,
  startSession,
  startsWithKeyFrame,
  type RunningSession,
} from './support/session-harness.ts';

const SEGMENT_SECONDS = 2;

let relay: RtspRelay;
const publishers = new Set<ChildProcess>();
const sessions: RunningSession[] = [];

/** Starts a fake camera publishing `name` until killed. */
async function publish(name: string, codec: string[], size: string): Promise<ChildProcess> {
  const child = await publishFakeCamera(relay, name, { codec, size });
  publishers.add(child);
  child.on('exit', () => publishers.delete(child));
  return child;
}

beforeAll(async () => {
  relay = await RtspRelay.start();
});

afterAll(async () => {
  for (const p of publishers) p.kill('SIGKILL');
  await relay?.close();
  for (const s of sessions) s.cleanup();
});

const hasFfprobe = requireFfprobe('rtsp cameras');

describe.skipIf(!hasFfprobe)('rtsp cameras (a local RTSP relay, real ffmpeg)', () => {
  it('stream-copies an H.264 camera: its own profile and resolution, cut at its key frames', async () => {
    await publish('h264', H264_CAMERA, '352x288');
    const rec = await recordFor({
      sources: { camera: { kind: 'rtsp', url: relay.url('h264') }, microphones: null },
      segmentSeconds: SEGMENT_SECONDS,
      seconds: 7,
    });
    sessions.push(rec);
    const command = rec.commandLines()[0]!;
    expect(command).toContain(`-rtsp_transport tcp -i ${relay.url('h264')}`);
    expect(command).toContain('-c:v copy');
    expect(command).not.toContain('libx264');

    const video = rec.track('video');
    expect(video.length).toBeGreaterThanOrEqual(2);
    for (const [i, seg] of video.entries()) {
      const probe = await probeFile(seg.file);
      expect(probe.streams).toHaveLength(1);
      // Main, as the camera sent it: the recorder's own encoder would have written High.
      expect(probe.streams[0]).toMatchObject({
        codecType: 'video',
        codecName: 'h264',
        profile: 'Main',
        width: 352,
        height: 288,
      });
      expect(await startsWithKeyFrame(seg.file)).toBe(true);
      expect(Math.abs(probe.durationSeconds * 1000 - seg.durationMs)).toBeLessThan(100);
      // A copied stream is cut at the first key frame at or after each boundary: within
      // one camera GOP (1 s) after it.
      if (i < video.length - 1) {
        expect(seg.durationMs).toBeGreaterThanOrEqual(SEGMENT_SECONDS * 1000 - 50);
        expect(seg.durationMs).toBeLessThanOrEqual(SEGMENT_SECONDS * 1000 + 1050);
      }
    }
  });

  it('encodes a camera that streams another codec (MPEG-4 part 2) to H.264 at its resolution', async () => {
    await publish('mpeg4', ['-c:v', 'mpeg4', '-q:v', '5', '-g', '25'], '320x240');
    const rec = await recordFor({
      sources: { camera: { kind: 'rtsp', url: relay.url('mpeg4'), codec: 'other' }, microphones: null },
      segmentSeconds: SEGMENT_SECONDS,
      seconds: 7,
    });
    sessions.push(rec);
    expect(rec.commandLines()[0]).toContain('-c:v libx264');

    const video = rec.track('video');
    expect(video.length).toBeGreaterThanOrEqual(2);
    for (const [i, seg] of video.entries()) {
      const probe = await probeFile(seg.file);
      expect(probe.streams[0]).toMatchObject({
        codecType: 'video',
        codecName: 'h264',
        profile: 'High',
        width: 320,
        height: 240,
      });
      expect(await startsWithKeyFrame(seg.file)).toBe(true);
      if (i < video.length - 1) expect(seg.durationMs).toBeCloseTo(SEGMENT_SECONDS * 1000, -2);
    }
  });

  it('restarts ffmpeg with an alarm when the camera of a camera-only node goes away, and records again when it is back', async () => {
    let camera = await publish('flaky', H264_CAMERA, '320x240');
    const rec = await startSession({
      sources: { camera: { kind: 'rtsp', url: relay.url('flaky') }, microphones: null },
      segmentSeconds: SEGMENT_SECONDS,
    });
    sessions.push(rec);
    try {
      const waitFor = async (what: string, ok: () => boolean, ms: number) => {
        for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 100)))
          if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}\n${rec.log.slice(-20).join('')}`);
      };
      await waitFor('the first video segment', () => rec.track('video').length >= 1, 10_000);

      // The camera loses power: its connection closes and ffmpeg's input ends.
      camera.kill('SIGKILL');
      await waitFor(
        'the ffmpeg-restarted alarm',
        () => rec.alarms.some((a) => a.kind === 'ffmpeg-restarted' && a.active),
        10_000,
      );
      await new Promise((r) => setTimeout(r, 2000)); // restarts fail while the camera is away
      const lostAt = Date.now();
      camera = await publish('flaky', H264_CAMERA, '320x240');
      const backAt = Date.now();

      await waitFor(
        'video recorded after the camera came back',
        () => rec.track('video').filter((s) => s.startMs >= backAt).length >= 2,
        30_000,
      );
      await rec.stop();
      const video = rec.track('video');
      expect(rec.commandLines().length).toBeGreaterThanOrEqual(2);
      // The gap is on the record, and no segment claims the time the camera was away.
      expect(
        rec.markers.some((m) => m.kind === 'recorder-restart' && m.atMs <= lostAt && m.endMs >= lostAt),
      ).toBe(true);
      expect(video.some((s) => s.startMs < lostAt && s.startMs + s.durationMs > lostAt)).toBe(false);
      for (const seg of video.filter((s) => s.startMs >= backAt)) {
        const probe = await probeFile(seg.file);
        expect(probe.streams[0]).toMatchObject({ codecName: 'h264', width: 320, height: 240 });
      }
    } finally {
      camera.kill('SIGKILL');
      await rec.stop();
    }
  });

  it('raises camera-lost on time for a camera that never answers, while ffmpeg keeps failing between restarts', async () => {
    // Between runs no scan looks at the camera: only the watchdog does, at the limit of
    // three segments. ffmpeg's exits (after restart delays of 0.5, 1, 2, 4 s) would be
    // seconds late.
    const startedAt = Date.now();
    const rec = await startSession({
      sources: { camera: { kind: 'rtsp', url: relay.url('never-published') }, microphones: null },
      segmentSeconds: SEGMENT_SECONDS,
    });
    sessions.push(rec);
    try {
      const limitMs = 3 * SEGMENT_SECONDS * 1000;
      await vi.waitFor(
        () => expect(rec.alarms.some((a) => a.kind === 'camera-lost' && a.active)).toBe(true),
        { timeout: limitMs + 10_000, interval: 100 },
      );
      const lost = rec.alarms.find((a) => a.kind === 'camera-lost' && a.active)!;
      expect(lost.track).toBe('video');
      expect(lost.atMs - startedAt).toBeGreaterThanOrEqual(limitMs);
      expect(lost.atMs - startedAt, 'raised within 0.8 s of the limit').toBeLessThanOrEqual(limitMs + 800);
      expect(rec.segments).toEqual([]);
    } finally {
      await rec.stop();
    }
  });

  it('keeps recording the microphones, with a camera-lost alarm, when the camera of a courtroom goes away', async () => {
    const camera = await publish('room', H264_CAMERA, '320x240');
    const rec = await startSession({
      sources: {
        camera: { kind: 'rtsp', url: relay.url('room') },
        microphones: { kind: 'tone', frequencies: [440] },
      },
      segmentSeconds: SEGMENT_SECONDS,
    });
    sessions.push(rec);
    try {
      const waitFor = async (what: string, ok: () => boolean, ms: number) => {
        for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 100)))
          if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}\n${rec.log.slice(-20).join('')}`);
      };
      await waitFor('the first microphone segment', () => rec.track('mic-1').length >= 1, 10_000);
      camera.kill('SIGKILL');
      const lostAt = Date.now();
      // Lost after 3 segment lengths without video (recorder/session.ts checkCamera).
      await waitFor(
        'the camera-lost alarm',
        () => rec.alarms.some((a) => a.kind === 'camera-lost' && a.active),
        12_000,
      );
      await waitFor(
        'microphone segments after the camera went away',
        () => rec.track('mic-1').filter((s) => s.committedAtMs! > lostAt).length >= 3,
        12_000,
      );
      await rec.stop();
      const alarm = rec.alarms.find((a) => a.kind === 'camera-lost' && a.active)!;
      expect(alarm).toMatchObject({ track: 'video' });
      // The microphones' timeline never broke: each segment starts where the previous ended.
      const mic = rec.track('mic-1');
      for (let i = 1; i < mic.length; i++)
        expect(
          Math.abs(mic[i]!.startMs - (mic[i - 1]!.startMs + mic[i - 1]!.durationMs)),
        ).toBeLessThanOrEqual(50);
      expect(rec.markers).toEqual([]);
    } finally {
      camera.kill('SIGKILL');
      await rec.stop();
    }
  });
});
