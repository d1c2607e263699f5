/**
 * The review player's playlists, played by a real HLS client: the embedded stack records a
 * 12 s demo hearing (test-pattern camera, four tone microphones), the playlist service
 * builds its playlists, a small express app serves them and the hub-signed objects on
 * 127.0.0.1, and ffprobe/ffmpeg read them over HTTP as a browser's hls.js would: the
 * playlist, then each segment through its short-lived URL.
 */
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing, type DemoSummary } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { loadConfig, silentLogger } from '../core/index.ts';
import type { Segment } from '../storage/index.ts';
import { HLS_CONTENT_TYPE, type TimeRange } from '../web/player/hls-playlists.ts';
import { PlaylistService, type HearingMedia } from '../web/player/playlist.service.ts';
import { signedObjectsRoutes } from '../web/player/signed-objects.routes.ts';
import { FFMPEG, FFPROBE, requireFfprobe } from './support/media.ts';

const run = promisify(execFile);
/** ffprobe is the HLS client here: without it the suite skips (decision 0023). */
const withFfprobe = describe.skipIf(!requireFfprobe('HLS playlists read by ffprobe'));
const SECONDS = 12;
/** The demo's tone microphones (recorder DEMO_SOURCES). */
const TONES: Record<string, number> = { 'mic-1': 440, 'mic-2': 660, 'mic-3': 880, 'mic-4': 1100 };
const PCM_RATE = 8000;
const FPS = 25;

let tmp: string;
let running: Running | null = null;
let summary: DemoSummary;
let media: HearingMedia;
let server: http.Server | null = null;
let base: string;
const served: string[] = [];
/** What the test app's playlist routes leave out, as a policy would for a sealed range. */
let sealed: TimeRange[] = [];

async function probe(url: string, entries: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', ...extra, '-show_entries', entries, '-of', 'json', url],
    {
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

/**
 * Frames in one stored segment, decoded from the object store. A test-pattern camera
 * misses frames on a loaded machine (decision 0003), so a playlist's frames are counted
 * against its segments' own, not against duration × frame rate.
 */
async function storedFrames(key: string): Promise<number> {
  const file = path.join(tmp, `frames-${key.replace(/[^a-z0-9]+/gi, '-')}.ts`);
  const chunks: Buffer[] = [];
  for await (const chunk of await running!.backends!.objects.get(key)) chunks.push(chunk as Buffer);
  await fsp.writeFile(file, Buffer.concat(chunks));
  const out = (await probe(file, 'stream=nb_read_frames', ['-count_frames', '-select_streams', 'v:0'])) as {
    streams: { nb_read_frames: string }[];
  };
  return Number(out.streams[0]!.nb_read_frames);
}

async function framesOf(segments: readonly { object_key: string }[]): Promise<number> {
  let total = 0;
  for (const s of segments) total += await storedFrames(s.object_key);
  return total;
}

/** One second of the playlist's audio, from `fromSeconds`, as mono samples at PCM_RATE. */
async function decodeSecond(url: string, fromSeconds: number): Promise<Float64Array> {
  const { stdout } = await run(
    FFMPEG,
    ['-v', 'error', '-nostdin', '-i', url, '-ss', String(fromSeconds), '-t', '1', '-map', '0:a:0'].concat([
      '-f',
      's16le',
      '-ac',
      '1',
      '-ar',
      String(PCM_RATE),
      '-',
    ]),
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
  );
  const samples = new Float64Array(Math.floor(stdout.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = stdout.readInt16LE(i * 2) / 32768;
  return samples;
}

/** Amplitude of one frequency (Goertzel, Hann-windowed so a neighbouring tone does not leak in). */
function goertzel(samples: Float64Array, frequency: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / PCM_RATE);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < samples.length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (samples.length - 1));
    windowSum += w;
    const s0 = samples[i]! * w + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / windowSum;
}

function dominantTone(samples: Float64Array): number {
  const levels = Object.values(TONES).map((f) => ({ f, a: goertzel(samples, f) }));
  return levels.reduce((best, l) => (l.a > best.a ? l : best)).f;
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-hls-'));
  const config = loadConfig({
    HATTAMA_DATA_DIR: tmp,
    HATTAMA_PORT: '0',
    HATTAMA_LOG_LEVEL: 'silent',
    // Three segments a track in SECONDS, so that a sealed second one has media after it.
    HATTAMA_SEGMENT_SECONDS: '4',
  });
  running = await startRole('all', config, silentLogger());
  summary = await recordHearing({ running, config, seconds: SECONDS });
  const backends = running.backends!;
  const hearing = (await backends.repos.hearings.find(summary.hearingId))!;
  const segments: Segment[] = await backends.repos.segments.listByHearing(hearing.id);
  media = {
    hearing,
    tracks: await backends.repos.hearings.listTracks(hearing.id),
    segments,
    excludeRanges: [],
  };

  const playlists = new PlaylistService({ objects: backends.objects, expirySeconds: 300 });
  const app = express();
  // Stand-ins for the hub's playlist routes (which add the access policy and the audit log).
  app.get('/api/hearings/:id/hls/:file', async (req, res) => {
    const input = { ...media, excludeRanges: sealed };
    const file = String(req.params.file);
    const text =
      file === 'master.m3u8'
        ? playlists.master(input)
        : await playlists.media({ ...input, track: file.replace(/\.m3u8$/, '') });
    res.type(HLS_CONTENT_TYPE).set('Cache-Control', 'private, no-store').send(text);
  });
  app.use(
    signedObjectsRoutes({
      objects: backends.objects,
      signer: backends.signer,
      onServed: (key) => void served.push(key),
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/hearings/${hearing.id}/hls`;
}, 240_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await running?.close();
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

withFfprobe('HLS playlists of a recorded hearing, read by ffprobe and ffmpeg over HTTP', () => {
  it('plays the video playlist for the whole recording, fetching every segment through its signed URL', async () => {
    const out = (await probe(`${base}/video.m3u8`, 'format=duration:stream=nb_read_frames', [
      '-count_frames',
      '-select_streams',
      'v:0',
    ])) as { format: { duration: string }; streams: { nb_read_frames: string }[] };
    const recordedMs = media.segments
      .filter((s) => s.track === 'video')
      .reduce((sum, s) => sum + s.duration_ms, 0);
    expect(Number(out.format.duration)).toBeCloseTo(SECONDS, 0);
    expect(Math.abs(Number(out.format.duration) * 1000 - recordedMs)).toBeLessThan(100);
    // Decoded frames, not just the playlist's arithmetic: every segment was fetched and read.
    const frames = await framesOf(media.segments.filter((s) => s.track === 'video'));
    expect(Number(out.streams[0]!.nb_read_frames)).toBe(frames);
    // All but a few frames at 25 fps: a missing segment would take 100.
    expect(frames).toBeGreaterThan((recordedMs / 1000) * FPS - 10);
    const videoKeys = media.segments.filter((s) => s.track === 'video').map((s) => s.object_key);
    for (const key of videoKeys) expect(served).toContain(key);
  });

  it('offers the video, the mix and every microphone through the master playlist', async () => {
    const out = (await probe(`${base}/master.m3u8`, 'format=duration:stream=codec_type,codec_name')) as {
      format: { duration: string };
      streams: { codec_type: string; codec_name: string }[];
    };
    expect(Number(out.format.duration)).toBeCloseTo(SECONDS, 0);
    const kinds = out.streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort();
    expect(kinds).toEqual(['audio/aac', 'audio/aac', 'audio/aac', 'audio/aac', 'audio/aac', 'video/h264']);
  });

  it('lets a reviewer listen to one microphone alone: mic-2.m3u8 carries the 660 Hz tone', async () => {
    expect(dominantTone(await decodeSecond(`${base}/mic-2.m3u8`, 5))).toBe(660);
  });

  it('keeps every microphone apart', async () => {
    for (const [track, tone] of Object.entries(TONES)) {
      expect(dominantTone(await decodeSecond(`${base}/${track}.m3u8`, 2)), track).toBe(tone);
    }
  });

  it('leaves a sealed range out of the video and every audio track alike', async () => {
    const video = media.segments.filter((s) => s.track === 'video').sort((a, b) => a.seq - b.seq);
    const second = video[1]!;
    sealed = [{ startMs: second.start_ms + 1000, endMs: second.start_ms + 2000 }];
    try {
      const out = (await probe(`${base}/video.m3u8`, 'stream=nb_read_frames', [
        '-count_frames',
        '-select_streams',
        'v:0',
      ])) as { streams: { nb_read_frames: string }[] };
      const kept = video.filter((s) => s !== second);
      const keptMs = kept.reduce((sum, s) => sum + s.duration_ms, 0);
      expect(Number(out.streams[0]!.nb_read_frames)).toBe(await framesOf(kept));
      // Sound is captured apart from the picture (decision 0010): its segments begin and end
      // a few tens of milliseconds elsewhere, so its playlist is checked against its own
      // segments: exactly the one the sealed range falls in is left out.
      const range = sealed[0]!;
      const micSegments = media.segments.filter((s) => s.track === 'mic-2');
      const micKept = micSegments.filter(
        (s) => s.start_ms >= range.endMs || s.start_ms + s.duration_ms <= range.startMs,
      );
      expect(micKept).toHaveLength(micSegments.length - 1);
      const micKeptMs = micKept.reduce((sum, s) => sum + s.duration_ms, 0);
      const mic = (await probe(`${base}/mic-2.m3u8`, 'format=duration')) as { format: { duration: string } };
      expect(Math.abs(Number(mic.format.duration) * 1000 - micKeptMs)).toBeLessThan(30);
      // And alike: the sound left out is about as long as the picture left out.
      expect(Math.abs(micKeptMs - keptMs)).toBeLessThan(500);
      const text = await (await fetch(`${base}/mic-2.m3u8`)).text();
      expect(text).toContain('#EXT-X-DISCONTINUITY\n');
      expect(text).not.toContain('/mic-2/000001.ts');
    } finally {
      sealed = [];
    }
  });
});
