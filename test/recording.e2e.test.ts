/**
 * Acceptance of "record a hearing end to end": the embedded stack (hub, worker and the
 * demo recorder with a test-pattern camera and four tone microphones) records a 30 s
 * hearing, and everything a court relies on is checked from the stored objects
 * themselves — with the local object directory and with the S3 server.
 *
 * Each backend records once, in beforeAll; the two recordings run at the same time
 * (they share nothing but the machine), so the file takes one recording's time.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing, type DemoSummary } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { createLogger, loadConfig, sha256Hex, type Config } from '../core/index.ts';
import { parseManifest, type Hearing, type ObjectStore, type Segment, type Track } from '../storage/index.ts';
import { decodePcm, ffprobe, goertzelAmplitude, requireFfprobe, type Probe } from './support/media.ts';
import { TEST_S3, runId, serviceAvailable } from './support/services.ts';

const execFileAsync = promisify(execFile);

const SECONDS = 30;
const TRACKS = ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4'] as const;
/** The demo's tone microphones (recorder/sources DEMO_SOURCES). */
const TONES: Record<string, number> = { 'mic-1': 440, 'mic-2': 660, 'mic-3': 880, 'mic-4': 1100 };
/** Enough for every tone to sit well below Nyquist and for the test to stay fast. */
const PCM_RATE = 8000;
const PROBE_CONCURRENCY = 4;
/** One frame of the demo camera (25 fps): the most two measures of one segment may differ. */
const FRAME_MS = 40;
const REPO = path.resolve(import.meta.dirname, '..');

type Backend = 'fs' | 's3';

interface Recording {
  backend: Backend;
  tmp: string;
  dataDir: string;
  config: Config;
  /** The settings a child process needs to open the same backends. */
  env: Record<string, string>;
  running: Running;
  summary: DemoSummary;
  hearing: Hearing;
  tracks: Track[];
  /** The catalog's segment rows, by track, in seq order. */
  segments: Map<string, Segment[]>;
  /** Every registered segment as read back through `objects.get`, written to a file for ffmpeg. */
  media: Map<string, { bytes: Buffer; file: string }>;
  /** ffprobe's reading of each segment, made once and shared by the tests. */
  probes: Promise<Map<string, Probe>> | null;
}

const endOfSegment = (s: Segment) => s.start_ms + s.duration_ms;

async function readObject(objects: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function envFor(backend: Backend, dataDir: string): Record<string, string> {
  const env: Record<string, string> = {
    HATTAMA_DATA_DIR: dataDir,
    HATTAMA_PORT: '0',
    // HATTAMA_TEST_LOG_LEVEL=info shows the stack's log when a run needs explaining.
    HATTAMA_LOG_LEVEL: process.env.HATTAMA_TEST_LOG_LEVEL ?? 'silent',
    HATTAMA_RECORDER_SOURCES: 'demo',
  };
  if (backend === 's3') {
    Object.assign(env, {
      HATTAMA_OBJECTS: 's3',
      HATTAMA_S3_ENDPOINT: TEST_S3.endpoint,
      HATTAMA_S3_ACCESS_KEY: TEST_S3.accessKey,
      HATTAMA_S3_SECRET_KEY: TEST_S3.secretKey,
      HATTAMA_S3_REGION: TEST_S3.region,
      // A bucket per run: the objects are locked (retention below), so runs never share one.
      HATTAMA_S3_BUCKET: runId('hattama-e2e-'),
      // Production-like: every recording object is written under COMPLIANCE retention.
      HATTAMA_RETENTION_DAYS: '1',
    });
  }
  return env;
}

/** Starts the embedded stack on `backend`, records a hearing and reads every segment back. */
async function record(backend: Backend): Promise<Recording> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `hattama-e2e-${backend}-`));
  const dataDir = path.join(tmp, 'data');
  const env = envFor(backend, dataDir);
  const config = loadConfig(env);
  const running = await startRole('all', config, createLogger({ level: config.logLevel }));
  const partial = { backend, tmp, dataDir, config, env, running };
  try {
    const summary = await recordHearing({ running, config, seconds: SECONDS });
    const { repos, objects } = running.backends!;
    const hearing = (await repos.hearings.find(summary.hearingId))!;
    const tracks = await repos.hearings.listTracks(summary.hearingId);
    const rows = await repos.segments.listByHearing(summary.hearingId);
    const segments = new Map<string, Segment[]>(
      tracks.map((t) => [t.name, rows.filter((s) => s.track === t.name).sort((a, b) => a.seq - b.seq)]),
    );
    const mediaDir = path.join(tmp, 'media');
    const media = new Map<string, { bytes: Buffer; file: string }>();
    for (const s of rows) {
      const bytes = await readObject(objects, s.object_key);
      const file = path.join(mediaDir, s.object_key.replaceAll('/', '_'));
      fs.mkdirSync(mediaDir, { recursive: true });
      fs.writeFileSync(file, bytes);
      media.set(s.object_key, { bytes, file });
    }
    return { ...partial, summary, hearing, tracks, segments, media, probes: null };
  } catch (error) {
    await running.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** ffprobe's reading of every registered segment, by object key; a few ffprobes at a time. */
function probeAll(rec: Recording): Promise<Map<string, Probe>> {
  rec.probes ??= (async () => {
    const keys = [...rec.media.keys()];
    const out = new Map<string, Probe>();
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        out.set(key, await ffprobe(rec.media.get(key)!.file));
      }
    };
    await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
    return out;
  })();
  return rec.probes;
}

/** `hattama verify` as a user runs it: a child process that opens the stored objects itself. */
async function verifyWithCli(rec: Recording): Promise<{ code: number; stdout: string; stderr: string }> {
  // This machine's HATTAMA_* settings must not leak into the child; the recording's must.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HATTAMA_')),
  );
  const args = ['bin/hattama.js', 'verify', rec.hearing.id, '--data-dir', rec.dataDir, '--json'];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: REPO,
      env: { ...inherited, ...rec.env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const hasFfprobe = requireFfprobe('recording end-to-end');
const s3 = hasFfprobe && (await serviceAvailable('s3', 'recording to S3'));

// Both recordings start together; each suite waits for its own.
const pending = new Map<Backend, Promise<Recording>>();
function start(backend: Backend): void {
  const p = record(backend);
  // Awaited by its suite; this only keeps a failure from counting as unhandled meanwhile.
  p.catch(() => undefined);
  pending.set(backend, p);
}

beforeAll(() => {
  start('fs');
  if (s3) start('s3');
});

afterAll(async () => {
  // A suite that never ran (filtered out) still owns a started stack.
  for (const p of pending.values()) {
    const rec = await p.catch(() => null);
    if (rec) await closeRecording(rec);
  }
});

async function closeRecording(rec: Recording): Promise<void> {
  await rec.running.close();
  // The S3 bucket stays: its objects are under object-lock retention, which refuses
  // deletion by design; the bucket name is unique to this run.
  fs.rmSync(rec.tmp, { recursive: true, force: true });
}

function recordingSuite(backend: Backend, title: string): void {
  describe.skipIf(!hasFfprobe || (backend === 's3' && !s3))(title, () => {
    let rec: Recording;

    beforeAll(async () => {
      rec = await pending.get(backend)!;
    }, 180_000);

    it('records every track of the demo courtroom', () => {
      expect(rec.tracks.map((t) => t.name).sort()).toEqual([...TRACKS].sort());
      for (const name of TRACKS) {
        const segments = rec.segments.get(name)!;
        // 30 s in segments of the default length, with a short last one.
        expect(segments.length, name).toBeGreaterThanOrEqual(Math.ceil(SECONDS / rec.config.segmentSeconds));
        // seq 0, 1, 2, … with none missing: MPEG-TS needs no init segment.
        expect(
          segments.map((s) => s.seq),
          name,
        ).toEqual(segments.map((_, i) => i));
      }
    });

    it('stores every segment of every track in the object store, with the size and SHA-256 registered', async () => {
      const { objects } = rec.running.backends!;
      expect(objects.driver).toBe(backend);
      for (const name of TRACKS) {
        for (const s of rec.segments.get(name)!) {
          const where = `${name} seq ${s.seq}`;
          const info = await objects.stat(s.object_key);
          expect(info, where).not.toBeNull();
          expect(info!.size, where).toBe(s.size);
          const { bytes } = rec.media.get(s.object_key)!;
          expect(bytes.length, where).toBe(s.size);
          expect(sha256Hex(bytes), where).toBe(s.sha256);
        }
      }
    });

    it('gives ffprobe segments it reads as H.264 video and as 48 kHz mono AAC audio', async () => {
      const probes = await probeAll(rec);
      for (const name of TRACKS) {
        for (const s of rec.segments.get(name)!) {
          const where = `${name} seq ${s.seq}`;
          const p = probes.get(s.object_key)!;
          expect(p.formatName, where).toBe('mpegts');
          expect(p.streams, where).toHaveLength(1);
          const [stream] = p.streams;
          if (name === 'video') {
            expect(stream, where).toMatchObject({ codecType: 'video', codecName: 'h264' });
          } else {
            expect(stream, where).toEqual({
              codecType: 'audio',
              codecName: 'aac',
              sampleRate: 48000,
              channels: 1,
            });
          }
        }
      }
    });

    it('records 30 s (± 0.5 s) on every track, and ffprobe measures the same', async () => {
      const probes = await probeAll(rec);
      for (const name of TRACKS) {
        const segments = rec.segments.get(name)!;
        const catalogMs = segments.reduce((sum, s) => sum + s.duration_ms, 0);
        expect(Math.abs(catalogMs - SECONDS * 1000), `${name}: ${catalogMs} ms`).toBeLessThanOrEqual(500);
        expect(rec.summary.tracks.find((t) => t.name === name)?.durationMs, name).toBe(catalogMs);

        let probedSeconds = 0;
        for (const s of segments) {
          const p = probes.get(s.object_key)!;
          // The catalog's duration comes from ffmpeg's segment list (media timestamps);
          // ffprobe measures the file itself. Allow one video frame (40 ms at 25 fps).
          expect(
            Math.abs(p.durationSeconds * 1000 - s.duration_ms),
            `${name} seq ${s.seq}: ffprobe ${p.durationSeconds} s`,
          ).toBeLessThanOrEqual(FRAME_MS);
          probedSeconds += p.durationSeconds;
        }
        expect(
          Math.abs(probedSeconds - catalogMs / 1000),
          `${name}: ffprobe ${probedSeconds} s`,
        ).toBeLessThanOrEqual(0.5);
      }
    });

    it('cuts each track into contiguous segments, each starting where the previous one ended', async () => {
      const probes = await probeAll(rec);
      for (const name of TRACKS) {
        const segments = rec.segments.get(name)!;
        for (let i = 1; i < segments.length; i++) {
          const prev = segments[i - 1]!;
          const next = segments[i]!;
          const gap = next.start_ms - (prev.start_ms + prev.duration_ms);
          expect(Math.abs(gap), `${name}: gap of ${gap} ms before seq ${next.seq}`).toBeLessThanOrEqual(50);
          // The media timeline agrees: ffprobe's first timestamps step by the catalog's durations.
          const step =
            (probes.get(next.object_key)!.startSeconds - probes.get(prev.object_key)!.startSeconds) * 1000;
          expect(
            Math.abs(step - prev.duration_ms),
            `${name}: media step of ${step} ms before seq ${next.seq}`,
          ).toBeLessThanOrEqual(FRAME_MS);
        }
      }
    });

    it('lines the sound up with the picture within 100 ms, though separate ffmpeg processes record them', () => {
      // Each capture group places its media time 0 on the wall clock from its own segment
      // list (recorder/session.ts). Both ffmpeg processes are stopped at the same moment, so
      // the wall-clock ends of their last segments differ only by the error between the two
      // placements (plus the last frame): that is the picture-to-sound offset a player sees.
      const video = rec.segments.get('video')!;
      const endOfLast = (rows: Segment[]) => endOfSegment(rows[rows.length - 1]!);
      for (const name of TRACKS.filter((t) => t !== 'video')) {
        const audio = rec.segments.get(name)!;
        const endSkew = endOfLast(audio) - endOfLast(video);
        expect(Math.abs(endSkew), `${name} ends ${endSkew} ms after the video`).toBeLessThanOrEqual(100);
        // The two processes start together but each needs its own moment to open its
        // inputs (about 15 to 210 ms apart on this machine); the catalog records each
        // start as it happened, so this is no offset in playback.
        const startSkew = audio[0]!.start_ms - video[0]!.start_ms;
        expect(Math.abs(startSkew), `${name} starts ${startSkew} ms after the video`).toBeLessThanOrEqual(
          400,
        );
      }
    });

    it('gives each microphone track its own tone, and the mix all four', async () => {
      const middle = (name: string) => {
        const segments = rec.segments.get(name)!;
        return rec.media.get(segments[Math.floor(segments.length / 2)]!.object_key)!.file;
      };
      const amplitudes = async (name: string) => {
        const pcm = await decodePcm(middle(name), PCM_RATE);
        expect(pcm.length, name).toBeGreaterThan(PCM_RATE); // more than a second of audio
        return Object.fromEntries(
          Object.values(TONES).map((f) => [f, goertzelAmplitude(pcm, PCM_RATE, f)] as const),
        ) as Record<number, number>;
      };
      for (const [name, tone] of Object.entries(TONES)) {
        const a = await amplitudes(name);
        const strongest = Number(Object.entries(a).sort((x, y) => y[1] - x[1])[0]![0]);
        expect(strongest, `${name}: ${JSON.stringify(a)}`).toBe(tone);
        // Its own tone, not a blend: every other tone at least 30 times (about 30 dB) weaker.
        for (const other of Object.values(TONES).filter((f) => f !== tone))
          expect(a[other]!, `${name} at ${other} Hz`).toBeLessThan(a[tone]! / 30);
      }
      const mix = await amplitudes('mix');
      // ffmpeg's sine source is 1/8 of full scale and amix divides by four: about 0.03 each.
      for (const tone of Object.values(TONES)) expect(mix[tone]!, `mix at ${tone} Hz`).toBeGreaterThan(0.01);
    });

    it('passes "hattama verify" run as a separate process over the stored objects', async () => {
      const { code, stdout, stderr } = await verifyWithCli(rec);
      expect(code, stderr || stdout).toBe(0);
      const report = JSON.parse(stdout) as {
        ok: boolean;
        hearingId: string;
        manifest: { sha256: string; catalogSha256: string };
        tracks: { name: string; segments: number; durationMs: number }[];
        problems: unknown[];
      };
      expect(report.ok).toBe(true);
      expect(report.problems).toEqual([]);
      expect(report.hearingId).toBe(rec.hearing.id);
      expect(report.manifest.sha256).toBe(rec.hearing.manifest_sha256);
      expect(report.manifest.catalogSha256).toBe(rec.hearing.manifest_sha256);
      expect(report.tracks.map((t) => [t.name, t.segments]).sort()).toEqual(
        TRACKS.map((name) => [name, rec.segments.get(name)!.length]).sort(),
      );
    });

    it('stores the manifest with the SHA-256 the catalog records, listing every registered segment', async () => {
      const { objects } = rec.running.backends!;
      expect(rec.hearing.manifest_key).toBe(rec.summary.manifest.key);
      const bytes = await readObject(objects, rec.hearing.manifest_key!);
      expect(sha256Hex(bytes)).toBe(rec.hearing.manifest_sha256);
      expect(rec.summary.manifest.sha256).toBe(rec.hearing.manifest_sha256);
      // The summary (`hattama demo --json`) names the file a person can open on the local store.
      if (rec.summary.manifest.file !== null)
        expect(sha256Hex(fs.readFileSync(rec.summary.manifest.file))).toBe(rec.hearing.manifest_sha256);
      const manifest = parseManifest(bytes);
      expect(manifest.hearing.id).toBe(rec.hearing.id);
      expect(manifest.tracks.map((t) => t.name).sort()).toEqual([...TRACKS].sort());
      for (const track of manifest.tracks) {
        const rows = rec.segments.get(track.name)!;
        expect(track.segments, track.name).toEqual(
          rows.map((s) => ({
            seq: s.seq,
            key: s.object_key,
            start: new Date(s.start_ms).toISOString(),
            durationMs: s.duration_ms,
            size: s.size,
            sha256: s.sha256,
            chain: s.chain,
          })),
        );
        expect(track.segmentCount, track.name).toBe(rows.length);
        expect(track.finalChain, track.name).toBe(rows[rows.length - 1]!.chain);
      }
    });
  });
}

recordingSuite('fs', 'recording a hearing end to end to the local object directory');
recordingSuite('s3', 'recording a hearing end to end to S3');
