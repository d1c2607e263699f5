/**
 * A lost camera never interrupts the sound (docs/decisions/0010): the embedded stack
 * records a courtroom with an RTSP camera (ffmpeg publishing into the local relay of
 * ./support/rtsp-server.ts) and two tone microphones; mid-hearing the camera goes away
 * for about 10 s and comes back. The sound tracks must run on without a gap, for the
 * whole hearing; the picture has its gap, on the record as a marker, with a camera-lost
 * alarm; and `hattama verify` passes over the stored objects.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing, type DemoSummary } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { SystemClock, createLogger, loadConfig } from '../core/index.ts';
import { HearingCapture } from '../recorder/hearing-capture.ts';
import type { SessionMarker } from '../recorder/session.ts';
import { nodeSourcesSchema } from '../recorder/sources/sources.ts';
import { Spool, type SpooledSegment } from '../recorder/spool.ts';
import type { Marker, Segment } from '../storage/index.ts';
import { H264_CAMERA, RtspRelay, publishFakeCamera } from './support/rtsp-server.ts';
import { RECORDER_FFMPEG } from './support/session-harness.ts';

const execFileAsync = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..');

const SECONDS = 32;
/** The camera goes away at this many seconds of recording and is back this much later. */
const LOSE_AT_S = 8;
const AWAY_S = 10;
const SEGMENT_SECONDS = 2;
const AUDIO = ['mix', 'mic-1', 'mic-2'] as const;
/** Adjacent segments of one track may differ by this much (media time rounding, AAC frames). */
const CONTIGUITY_MS = 50;
interface SeenAlarm {
  kind: string;
  track: string | null;
  active: boolean;
  message: string;
  atMs: number;
}

let relay: RtspRelay;
let camera: ChildProcess | null = null;
let tmp: string;
let env: Record<string, string>;
let running: Running | null = null;
let summary: DemoSummary;
let segments: Map<string, Segment[]>;
let markers: Marker[];
const alarms: SeenAlarm[] = [];
let lostAt = 0;
let backAt = 0;

/** Starts the fake camera publishing into the relay, as a camera that is switched on. */
function publishCamera(): Promise<ChildProcess> {
  return publishFakeCamera(relay, 'courtroom', { codec: H264_CAMERA, size: '320x240' });
}

/** `hattama verify` as a user runs it: a child process that opens the stored objects itself. */
async function verifyWithCli(hearingId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HATTAMA_')),
  );
  const args = ['bin/hattama.js', 'verify', hearingId, '--data-dir', env.HATTAMA_DATA_DIR!, '--json'];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: REPO,
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const endOf = (s: Segment) => s.start_ms + s.duration_ms;

beforeAll(async () => {
  relay = await RtspRelay.start();
  camera = await publishCamera();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-camera-loss-'));
  const sourcesFile = path.join(tmp, 'sources.json');
  fs.writeFileSync(
    sourcesFile,
    JSON.stringify({
      camera: { kind: 'rtsp', url: relay.url('courtroom') },
      microphones: { kind: 'tone', frequencies: [440, 660] },
    }),
  );
  env = {
    HATTAMA_DATA_DIR: path.join(tmp, 'data'),
    HATTAMA_PORT: '0',
    HATTAMA_LOG_LEVEL: process.env.HATTAMA_TEST_LOG_LEVEL ?? 'silent',
    HATTAMA_RECORDER_SOURCES: sourcesFile,
    // Short segments: the camera counts as lost after three segment lengths without video.
    HATTAMA_SEGMENT_SECONDS: String(SEGMENT_SECONDS),
  };
  const config = loadConfig(env);
  running = await startRole('all', config, createLogger({ level: config.logLevel }));
  running.hub!.gateway.on('live', ({ message }) => {
    if (message.type === 'alarm')
      alarms.push({
        kind: message.kind,
        track: message.track,
        active: message.active,
        message: message.message,
        atMs: Date.now(),
      });
  });
  summary = await recordHearing({
    running,
    config,
    seconds: SECONDS,
    during: async (elapsed) => {
      if (elapsed >= LOSE_AT_S && camera && !lostAt) {
        // The camera loses power: its connection closes and it answers no more.
        camera.kill('SIGKILL');
        camera = null;
        lostAt = Date.now();
      }
      if (lostAt && !backAt && Date.now() - lostAt >= AWAY_S * 1000) {
        camera = await publishCamera();
        backAt = Date.now();
      }
    },
  });
  const { repos } = running.backends!;
  const rows = await repos.segments.listByHearing(summary.hearingId);
  const tracks = await repos.hearings.listTracks(summary.hearingId);
  segments = new Map(
    tracks.map((t) => [t.name, rows.filter((s) => s.track === t.name).sort((a, b) => a.seq - b.seq)]),
  );
  markers = (await repos.markers.listByHearing(summary.hearingId)).filter(
    (m) => m.kind === 'recorder-restart',
  );
}, 180_000);

afterAll(async () => {
  camera?.kill('SIGKILL');
  await running?.close();
  await relay?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a courtroom whose camera is lost mid-hearing (RTSP camera, tone microphones, real ffmpeg)', () => {
  it('lost the camera for about 10 s while recording', () => {
    expect(lostAt).toBeGreaterThan(0);
    expect(backAt - lostAt).toBeGreaterThanOrEqual(AWAY_S * 1000);
    expect([...segments.keys()].sort()).toEqual(['mic-1', 'mic-2', 'mix', 'video']);
  });

  it('records the sound without a gap for the whole hearing', () => {
    for (const name of AUDIO) {
      const own = segments.get(name)!;
      expect(
        own.map((s) => s.seq),
        name,
      ).toEqual(own.map((_, i) => i));
      for (let i = 1; i < own.length; i++) {
        const jump = own[i]!.start_ms - endOf(own[i - 1]!);
        expect(Math.abs(jump), `${name}: gap of ${jump} ms before seq ${own[i]!.seq}`).toBeLessThanOrEqual(
          CONTIGUITY_MS,
        );
      }
      // recordHearing stops once SECONDS of media exist after the first segment's start.
      const total = own.reduce((sum, s) => sum + s.duration_ms, 0);
      expect(Math.abs(total - SECONDS * 1000), `${name}: ${total} ms`).toBeLessThanOrEqual(700);
      expect(own[0]!.start_ms, `${name} was recording before the camera went away`).toBeLessThan(lostAt);
      expect(endOf(own[own.length - 1]!), `${name} ran on after the camera came back`).toBeGreaterThan(
        backAt,
      );
    }
    expect(
      markers.filter((m) => !m.text.includes('of the picture ')),
      'no gap marked in the sound',
    ).toEqual([]);
    expect(
      alarms.filter((a) => a.kind === 'ffmpeg-restarted' && !a.message.includes('picture')),
      'the sound ffmpeg never restarted',
    ).toEqual([]);
  });

  it('has a gap in the picture while the camera was away, marked as an interruption of the picture', () => {
    const video = segments.get('video')!;
    expect(
      video.map((s) => s.seq),
      'video seqs run 0..n-1',
    ).toEqual(video.map((_, i) => i));
    expect(
      video.some((s) => endOf(s) <= lostAt + 1000),
      'video before the loss',
    ).toBe(true);
    expect(
      video.some((s) => s.start_ms >= backAt),
      'video after the camera came back',
    ).toBe(true);
    // No segment claims the time the camera was away.
    const away = { from: lostAt + 1000, to: backAt };
    expect(video.filter((s) => s.start_ms < away.to && endOf(s) > away.from)).toEqual([]);
    const jumps = video.slice(1).map((s, i) => ({ at: endOf(video[i]!), end: s.start_ms }));
    const gap = jumps.find((j) => j.end - j.at >= (AWAY_S - 1) * 1000);
    expect(gap, `a gap of about ${AWAY_S} s in ${JSON.stringify(jumps)}`).toBeDefined();
    // Every other step of the picture's timeline is contiguous.
    for (const j of jumps.filter((x) => x !== gap))
      expect(Math.abs(j.end - j.at)).toBeLessThanOrEqual(CONTIGUITY_MS);

    expect(markers, 'one recorder-restart marker').toHaveLength(1);
    const marker = markers[0]!;
    expect(marker.text).toMatch(
      /^Recording of the picture interrupted and restarted; no picture was recorded/,
    );
    expect(marker.at_ms).toBeLessThanOrEqual(gap!.at + CONTIGUITY_MS);
    expect(marker.end_ms!).toBeGreaterThanOrEqual(gap!.end - CONTIGUITY_MS);
    expect(marker.at_ms).toBeLessThanOrEqual(lostAt + 1000);
    expect(marker.end_ms!).toBeGreaterThanOrEqual(backAt);
  });

  it('raised a camera-lost alarm on the video track, and cleared it when the camera was back', () => {
    const raised = alarms.find((a) => a.kind === 'camera-lost' && a.active);
    expect(raised, JSON.stringify(alarms)).toMatchObject({ track: 'video' });
    expect(raised!.atMs).toBeGreaterThan(lostAt);
    expect(raised!.atMs).toBeLessThan(backAt);
    const cleared = alarms.find((a) => a.kind === 'camera-lost' && !a.active && a.atMs > raised!.atMs);
    expect(cleared, 'video is back').toBeDefined();
    const restarted = alarms.filter((a) => a.kind === 'ffmpeg-restarted');
    expect(restarted.length).toBeGreaterThan(0);
    for (const a of restarted) expect(a.message).toContain('picture');
  });

  it('passes "hattama verify" run as a separate process over the stored objects', async () => {
    const { code, stdout, stderr } = await verifyWithCli(summary.hearingId);
    expect(code, stderr || stdout).toBe(0);
    const report = JSON.parse(stdout) as { ok: boolean; problems: unknown[]; tracks: { name: string }[] };
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.tracks.map((t) => t.name).sort()).toEqual(['mic-1', 'mic-2', 'mix', 'video']);
  });
});

describe('a courtroom whose camera is unreachable when recording starts (real ffmpeg)', () => {
  it('records the sound from the start, and raises camera-lost instead of failing the hearing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-camera-away-'));
    const logger = createLogger({ level: 'silent' });
    const clock = new SystemClock();
    const capture = new HearingCapture({
      hearingId: 'h-camera-away',
      spool: new Spool(path.join(dir, 'spool'), logger, clock),
      // Nothing publishes this stream: the camera answers 404, as one still booting.
      sources: nodeSourcesSchema.parse({
        camera: { kind: 'rtsp', url: relay.url('switched-off') },
        microphones: { kind: 'tone', frequencies: [440] },
      }),
      segmentSeconds: SEGMENT_SECONDS,
      ffmpegPath: RECORDER_FFMPEG,
      clock,
      logger,
      pollMs: 100,
    });
    const committed: SpooledSegment[] = [];
    const seen: SeenAlarm[] = [];
    const gaps: SessionMarker[] = [];
    capture.on('segment', (seg) => committed.push(seg));
    capture.on('alarm', (a) => seen.push({ ...a, atMs: Date.now() }));
    capture.on('marker', (m) => gaps.push(m));
    const startedAt = Date.now();
    try {
      await capture.start();
      await new Promise((r) => setTimeout(r, 9000));
    } finally {
      await capture.close();
    }
    const stoppedAt = Date.now();
    expect(committed.filter((s) => s.track === 'video')).toEqual([]);
    for (const name of ['mix', 'mic-1']) {
      const own = committed.filter((s) => s.track === name).sort((a, b) => a.seq - b.seq);
      expect(own.length, name).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < own.length; i++)
        expect(
          Math.abs(own[i]!.startMs - (own[i - 1]!.startMs + own[i - 1]!.durationMs)),
        ).toBeLessThanOrEqual(CONTIGUITY_MS);
      const total = own.reduce((sum, s) => sum + s.durationMs, 0);
      // Sound from (nearly) the moment recording started until it stopped.
      expect(total, name).toBeGreaterThanOrEqual(stoppedAt - startedAt - 1500);
    }
    expect(seen.find((a) => a.kind === 'camera-lost' && a.active)).toMatchObject({ track: 'video' });
    const restarted = seen.filter((a) => a.kind === 'ffmpeg-restarted');
    expect(restarted.length).toBeGreaterThan(0);
    for (const a of restarted) expect(a.message).toContain('picture');
    // Stopped while the camera was still away: the picture's gap is on the record up to the stop.
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.text).toContain('no picture was recorded');
    expect(gaps[0]!.endMs).toBeGreaterThanOrEqual(stoppedAt - 1000);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
