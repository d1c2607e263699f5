/**
 * `file` sources: a media file looped forever as a fake camera, and WAV files looped as
 * microphones. A real RecordingSession records them for a few seconds; the committed
 * segments are checked with ffprobe and by decoding them: codec, resolution, sample rate,
 * channels, durations, and that the content is the file's own — a stream-copied camera
 * bit for bit, an encoded one by colour, each microphone by its tone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goertzelAmplitude, requireFfprobe } from './support/media.ts';
import {
  averageColour,
  frameMd5s,
  makeMedia,
  probeFile,
  recordFor,
  startsWithKeyFrame,
  trackPcm,
  type RunningSession,
} from './support/session-harness.ts';

const SEGMENT_SECONDS = 2;
/** The camera file's GOP: 3 s, so stream-copied segments can only be cut every 3 s. */
const GOP_SECONDS = 3;
const TONES = { 'mic-1': 500, 'mic-2': 1300 } as const;
/** The left half of the picture is this colour (drawbox), so an encoded copy can be recognised. */
const BOX_RGB: [number, number, number] = [0xc0, 0x20, 0x60];

let dir: string;
let cameraFile: string;
let micFiles: string[];
let sourceFrames: Set<string>;
const sessions: RunningSession[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-file-sources-'));
  cameraFile = path.join(dir, 'camera.mp4');
  // Constrained Baseline at level 2.1: the recorder's libx264 would write High, so a
  // segment with this profile and level can only be the file's own stream.
  await makeMedia([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=25:duration=6,drawbox=x=0:y=0:w=160:h=240:t=fill:color=0x${BOX_RGB.map((c) => c.toString(16).padStart(2, '0')).join('')}`,
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-level',
    '2.1',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(25 * GOP_SECONDS),
    '-keyint_min',
    String(25 * GOP_SECONDS),
    '-sc_threshold',
    '0',
    cameraFile,
  ]);
  micFiles = [];
  for (const [track, f] of Object.entries(TONES)) {
    const file = path.join(dir, `${track}.wav`);
    // 44.1 kHz on purpose: the recorder resamples every microphone to 48 kHz.
    await makeMedia([
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${f}:sample_rate=44100:duration=3`,
      '-c:a',
      'pcm_s16le',
      file,
    ]);
    micFiles.push(file);
  }
  sourceFrames = new Set(await frameMd5s(cameraFile));
});

afterAll(() => {
  for (const s of sessions) s.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Descriptors of this process open on files under `dir`: a stopped session must hold none. */
function descriptorsUnder(dir: string): string[] {
  const held: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) held.push(target);
    } catch {
      // closed while listed
    }
  }
  return held;
}

async function record(copy: boolean): Promise<RunningSession> {
  const running = await recordFor({
    sources: {
      camera: { kind: 'file', path: cameraFile, copy },
      microphones: { kind: 'file', paths: micFiles },
    },
    segmentSeconds: SEGMENT_SECONDS,
    seconds: 8,
  });
  sessions.push(running);
  return running;
}

const hasFfprobe = requireFfprobe('file sources');

describe.skipIf(!hasFfprobe)('file sources (real ffmpeg, real segments)', () => {
  it('encodes a looped camera file to H.264 cut every segment length, and loops each microphone file on its own track', async () => {
    const rec = await record(false);
    expect(rec.commandLines()[0]).toContain('-c:v libx264');
    // The segment lists and levels files followed during the run are closed with it.
    expect(descriptorsUnder(rec.dir)).toEqual([]);

    const video = rec.track('video');
    expect(video.length).toBeGreaterThanOrEqual(3);
    for (const [i, seg] of video.entries()) {
      const probe = await probeFile(seg.file);
      expect(probe.streams).toHaveLength(1);
      expect(probe.streams[0]).toMatchObject({
        codecType: 'video',
        codecName: 'h264',
        profile: 'High',
        width: 320,
        height: 240,
      });
      expect(await startsWithKeyFrame(seg.file)).toBe(true);
      expect(Math.abs(probe.durationSeconds * 1000 - seg.durationMs)).toBeLessThan(100);
      if (i < video.length - 1) expect(seg.durationMs).toBeCloseTo(SEGMENT_SECONDS * 1000, -2);
      // Re-encoded, so not the file's frames bit for bit, but still the file's picture.
      const [r, g, b] = await averageColour(seg.file, '160:240:0:0');
      expect(Math.abs(r - BOX_RGB[0]) + Math.abs(g - BOX_RGB[1]) + Math.abs(b - BOX_RGB[2])).toBeLessThan(40);
    }

    for (const [track, tone] of Object.entries(TONES)) {
      const segs = rec.track(track);
      expect(segs.length).toBeGreaterThanOrEqual(3);
      for (const seg of segs) {
        const probe = await probeFile(seg.file);
        expect(probe.streams[0]).toMatchObject({
          codecType: 'audio',
          codecName: 'aac',
          sampleRate: 48000,
          channels: 1,
        });
        expect(Math.abs(probe.durationSeconds * 1000 - seg.durationMs)).toBeLessThan(100);
      }
      const pcm = await trackPcm(segs, path.join(rec.dir, `${track}.ts`), 8000);
      const other = Object.values(TONES).find((f) => f !== tone)!;
      const own = goertzelAmplitude(pcm, 8000, tone);
      expect(own).toBeGreaterThan(0.08); // lavfi sine: amplitude 1/8
      expect(own).toBeGreaterThan(20 * goertzelAmplitude(pcm, 8000, other));
    }
    const mix = await trackPcm(rec.track('mix'), path.join(rec.dir, 'mix.ts'), 8000);
    for (const tone of Object.values(TONES)) expect(goertzelAmplitude(mix, 8000, tone)).toBeGreaterThan(0.03); // amix halves each of two inputs
  });

  it('stream-copies an H.264 camera file: the file’s own frames, cut only at its key frames', async () => {
    const rec = await record(true);
    expect(descriptorsUnder(rec.dir)).toEqual([]);
    const command = rec.commandLines()[0]!;
    expect(command).toContain('-c:v copy');
    expect(command).not.toContain('libx264');

    const video = rec.track('video');
    expect(video.length).toBeGreaterThanOrEqual(2);
    for (const [i, seg] of video.entries()) {
      const probe = await probeFile(seg.file);
      // Same profile and level as the file: the recorder's encoder would have written High.
      expect(probe.streams[0]).toMatchObject({
        codecName: 'h264',
        profile: 'Constrained Baseline',
        level: 21,
        width: 320,
        height: 240,
      });
      expect(await startsWithKeyFrame(seg.file)).toBe(true);
      // The segment muxer may cut only at a key frame: every 3 s here, never at 2 s.
      if (i < video.length - 1) expect((seg.durationMs / 1000) % GOP_SECONDS).toBeCloseTo(0, 1);
      // Every decoded frame is bit-identical to a frame of the file: nothing was re-encoded.
      const frames = await frameMd5s(seg.file);
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.filter((f) => !sourceFrames.has(f))).toEqual([]);
    }
    const total = video.reduce((sum, s) => sum + s.durationMs, 0);
    expect(total).toBeGreaterThan(5000);
  });
});
