/**
 * `speech` microphones: each microphone loops one phrase spoken by espeak-ng (ru, kk,
 * en), so speech recognition and per-participant listening have real speech to work
 * on. The WAV files are made once into a cache in the spool; a real RecordingSession
 * records them and each microphone track must carry speech — its own phrase, not the
 * other one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SpeechUnavailableError,
  prepareSpeechFiles,
  speechCacheDir,
  speechFileName,
} from '../recorder/sources/speech.ts';
import { decodePcm, requireFfprobe } from './support/media.ts';
import { probeFile, recordFor, rmsDb, trackPcm } from './support/session-harness.ts';
import { commandWorks, requireTool } from './support/tools.ts';

const SUITE = 'speech microphones';
const espeak =
  requireTool(
    await commandWorks('espeak-ng', ['--version']),
    SUITE,
    'espeak-ng is not installed',
    'run "apt-get install espeak-ng"',
  ) && requireFfprobe(SUITE);

const PHRASES = [
  { text: 'Судебное заседание объявляется открытым. Слушается гражданское дело.', voice: 'ru' },
  { text: 'Сот отырысы ашық деп жарияланады.', voice: 'kk' },
] as const;
const PCM_RATE = 16000;
/** Envelope frames of 20 ms: syllables are 100–300 ms, so their rhythm stands out. */
const FRAME = PCM_RATE / 50;

function envelope(samples: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + FRAME <= samples.length; i += FRAME) {
    let sum = 0;
    for (let j = i; j < i + FRAME; j++) sum += samples[j]! * samples[j]!;
    out.push(Math.sqrt(sum / FRAME));
  }
  return out;
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * How well a recorded track matches a phrase looped from its start: the best
 * correlation of their loudness envelopes over every shift within one loop (the
 * encoder's delay and the loop's start are not known to the frame).
 */
function matchPhrase(recorded: readonly number[], phrase: readonly number[]): number {
  let best = -1;
  for (let shift = 0; shift < phrase.length; shift++) {
    const looped = recorded.map((_, i) => phrase[(i + shift) % phrase.length]!);
    best = Math.max(best, correlation(recorded, looped));
  }
  return best;
}

describe.skipIf(!espeak)('speech microphones: espeak-ng phrases', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-speech-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes one WAV per phrase, named by voice and text, and reuses it on the next start', async () => {
    const cache = path.join(dir, 'cache');
    const files = await prepareSpeechFiles({ phrases: PHRASES, dir: cache });
    expect(files.map((f) => path.basename(f))).toEqual(PHRASES.map(speechFileName));
    expect(new Set(files).size).toBe(2);
    for (const f of files) {
      const probe = await probeFile(f);
      expect(probe.streams[0]).toMatchObject({ codecName: 'pcm_s16le', channels: 1 });
      expect(probe.durationSeconds).toBeGreaterThan(1);
    }
    const before = files.map((f) => fs.statSync(f).mtimeMs);
    // A second start finds the files and does not speak again (espeak-ng is not even run).
    const again = await prepareSpeechFiles({
      phrases: PHRASES,
      dir: cache,
      espeakPath: '/nonexistent/espeak-ng',
    });
    expect(again).toEqual(files);
    expect(again.map((f) => fs.statSync(f).mtimeMs)).toEqual(before);
    // The same text in another voice is another file.
    expect(speechFileName({ text: PHRASES[0].text, voice: 'kk' })).not.toBe(speechFileName(PHRASES[0]));
  });

  it('records each phrase on its own microphone track, as speech', async () => {
    const rec = await recordFor({
      sources: { camera: null, microphones: { kind: 'speech', phrases: PHRASES } },
      segmentSeconds: 2,
      seconds: 8,
    });
    try {
      // The session made the phrases into the spool's cache before starting ffmpeg.
      const cached = fs.readdirSync(speechCacheDir(rec.spoolDir)).sort();
      expect(cached).toEqual(PHRASES.map(speechFileName).sort());
      expect(rec.commandLines()[0]).toContain(speechFileName(PHRASES[0]));

      const phraseEnvelopes = await Promise.all(
        PHRASES.map(async (p) =>
          envelope(await decodePcm(path.join(speechCacheDir(rec.spoolDir), speechFileName(p)), PCM_RATE)),
        ),
      );
      const matches: number[][] = [];
      for (const [i, track] of ['mic-1', 'mic-2'].entries()) {
        const segs = rec.track(track);
        expect(segs.length).toBeGreaterThanOrEqual(3);
        for (const [j, seg] of segs.entries()) {
          // The tail written at stop can hold a few AAC frames only; ffprobe cannot tell
          // their codec from so little and guesses (mp2, 0 channels). Whole segments only.
          if (j === segs.length - 1 && seg.durationMs < 500) continue;
          const probe = await probeFile(seg.file);
          expect(probe.streams[0]).toMatchObject({
            codecType: 'audio',
            codecName: 'aac',
            sampleRate: 48000,
            channels: 1,
          });
          expect(Math.abs(probe.durationSeconds * 1000 - seg.durationMs)).toBeLessThan(100);
          if (j < segs.length - 1) expect(seg.durationMs).toBeCloseTo(2000, -2);
        }
        const pcm = await trackPcm(segs, path.join(rec.dir, `${track}.ts`), PCM_RATE);
        // Speech, not silence: loud overall, and sound in most 2 s stretches.
        expect(rmsDb(pcm)).toBeGreaterThan(-35);
        for (let at = 0; at + 2 * PCM_RATE <= pcm.length; at += 2 * PCM_RATE)
          expect(rmsDb(pcm.subarray(at, at + 2 * PCM_RATE))).toBeGreaterThan(-40);
        const env = envelope(pcm);
        matches.push(phraseEnvelopes.map((p) => matchPhrase(env, p)));
        // Its own phrase's rhythm, clearly better than the other's.
        expect(matches[i]![i]).toBeGreaterThan(0.6);
        expect(matches[i]![i]).toBeGreaterThan(matches[i]![1 - i]! + 0.3);
      }
    } finally {
      rec.cleanup();
    }
  });
});

describe('speech microphones without espeak-ng', () => {
  it('refuses with a typed error that says how to install espeak-ng', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-speech-missing-'));
    try {
      const attempt = prepareSpeechFiles({
        phrases: [{ text: 'Тест', voice: 'ru' }],
        dir,
        espeakPath: path.join(dir, 'espeak-ng'),
      });
      await expect(attempt).rejects.toBeInstanceOf(SpeechUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message: expect.stringContaining('apt-get install espeak-ng'),
      });
      expect(fs.readdirSync(dir)).toEqual([]); // no half-made file left behind
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
