/**
 * Levels from real ffmpeg output: the same astats/ametadata chain the capture uses
 * (capture-args.ts), over lavfi test sources whose levels are known in advance.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegPath } from '../media/ffmpeg/ffmpeg-binary.ts';
import {
  DEFAULT_LEVEL_ALARMS,
  LevelAlarmState,
  LevelsReader,
  parseLevels,
  type LevelReading,
} from './levels.ts';

const run = promisify(execFile);
let dir: string;

/** Runs a lavfi source through one-second astats blocks and returns the printed metadata. */
async function levelsOf(name: string, input: string[]): Promise<{ file: string; text: string }> {
  const file = path.join(dir, `${name}.txt`);
  await run(resolveFfmpegPath(undefined), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    ...input,
    '-af',
    `asetnsamples=n=48000:p=0,astats=metadata=1:reset=1,ametadata=mode=print:file=${file}`,
    '-f',
    'null',
    '-',
  ]);
  return { file, text: fs.readFileSync(file, 'utf8') };
}

/** Every block of a finished file: the held-back last one is released by a following frame line. */
function allReadings(text: string): LevelReading[] {
  return parseLevels(`${text}frame:999 pts:0 pts_time:999\n`).readings;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-levels-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseLevels on ffmpeg output', () => {
  it('reads one RMS and peak per second of a 3 s sine, holding back the last block', async () => {
    // lavfi's sine has amplitude 1/8: peak -18.06 dBFS, RMS 3 dB below.
    const { text } = await levelsOf('sine', ['-i', 'sine=frequency=440:sample_rate=48000:duration=3']);
    const { readings, consumed } = parseLevels(text);
    expect(readings.map((r) => r.ptsSeconds)).toEqual([0, 1]);
    for (const r of readings) {
      expect(r.peakDb).toBeCloseTo(-18.06, 1);
      expect(r.rmsDb).toBeCloseTo(-21.07, 1);
    }
    // The third block may still be being written while ffmpeg runs: it is not consumed yet.
    expect(text.slice(consumed)).toMatch(/^frame:2\s+pts:96000\s+pts_time:2\n/);
    const rest = parseLevels(`${text.slice(consumed)}frame:3 pts:144000 pts_time:3\n`);
    expect(rest.readings).toEqual([
      { ptsSeconds: 2, peakDb: expect.closeTo(-18.06, 1), rmsDb: expect.closeTo(-21.07, 1) },
    ]);
  });

  it('reads digital silence as a null RMS', async () => {
    const { text } = await levelsOf('silence', ['-t', '3', '-i', 'anullsrc=r=48000:cl=mono']);
    const readings = allReadings(text);
    expect(readings.map((r) => r.ptsSeconds)).toEqual([0, 1, 2]);
    for (const r of readings) {
      expect(r.rmsDb).toBeNull();
      // ffmpeg prints -inf (null) or a huge negative number for a zero peak, depending on its version.
      if (r.peakDb !== null) expect(r.peakDb).toBeLessThan(-200);
    }
  });

  it('keeps its place in a growing file and returns each block once', async () => {
    const { text } = await levelsOf('growing', ['-i', 'sine=frequency=440:sample_rate=48000:duration=4']);
    const file = path.join(dir, 'growing-copy.txt');
    const cut = text.indexOf('lavfi.astats.Overall.RMS_level', text.indexOf('pts_time:1'));
    fs.writeFileSync(file, text.slice(0, cut + 10)); // stops in the middle of block 1
    const reader = new LevelsReader(file);
    expect((await reader.readNew()).map((r) => r.ptsSeconds)).toEqual([0]);
    expect(await reader.readNew()).toEqual([]);
    fs.appendFileSync(file, text.slice(cut + 10));
    expect((await reader.readNew()).map((r) => r.ptsSeconds)).toEqual([1, 2]);
    fs.appendFileSync(file, 'frame:4 pts:192000 pts_time:4\n');
    expect((await reader.readNew()).map((r) => r.ptsSeconds)).toEqual([3]);
    expect(await new LevelsReader(path.join(dir, 'missing.txt')).readNew()).toEqual([]);
  });
});

describe('LevelAlarmState', () => {
  it('raises microphone-silent after N silent seconds and clears it when the signal returns', async () => {
    // 4 s of digital silence, then a sine at half scale (peak -6 dBFS).
    const { text } = await levelsOf('silence-then-signal', [
      '-i',
      "aevalsrc=exprs='if(lt(t,4),0,0.5*sin(2*PI*440*t))':s=48000:d=7",
    ]);
    const readings = allReadings(text);
    expect(readings).toHaveLength(7);
    const state = new LevelAlarmState({ ...DEFAULT_LEVEL_ALARMS, silenceSeconds: 3 });
    const changes = readings.map((r) => state.update(r));
    expect(changes).toEqual([
      [],
      [],
      [{ kind: 'microphone-silent', active: true }],
      [],
      [{ kind: 'microphone-silent', active: false }],
      [],
      [],
    ]);
    expect(state.silent).toBe(false);
    expect(state.clipping).toBe(false);
  });

  it('raises microphone-clipping on a full-scale signal and clears it when the level drops', async () => {
    // 2 s at full scale (peak 0 dBFS), then 2 s at a quarter (peak -12 dBFS).
    const { text } = await levelsOf('clipping', [
      '-i',
      "aevalsrc=exprs='if(lt(t,2),1,0.25)*sin(2*PI*440*t)':s=48000:d=4",
    ]);
    const readings = allReadings(text);
    expect(readings.map((r) => r.peakDb)).toEqual([
      expect.closeTo(0, 2),
      expect.closeTo(0, 2),
      expect.closeTo(-12.04, 1),
      expect.closeTo(-12.04, 1),
    ]);
    const state = new LevelAlarmState(DEFAULT_LEVEL_ALARMS);
    expect(readings.map((r) => state.update(r))).toEqual([
      [{ kind: 'microphone-clipping', active: true }],
      [],
      [{ kind: 'microphone-clipping', active: false }],
      [],
    ]);
  });

  it('counts clipping from a peak of -0.1 dBFS, not below', () => {
    const state = new LevelAlarmState(DEFAULT_LEVEL_ALARMS);
    const at = (peakDb: number | null) => state.update({ ptsSeconds: 0, rmsDb: -20, peakDb });
    expect(at(-0.11)).toEqual([]);
    expect(at(-0.1)).toEqual([{ kind: 'microphone-clipping', active: true }]);
    expect(at(0)).toEqual([]);
    expect(at(null)).toEqual([{ kind: 'microphone-clipping', active: false }]);
  });

  it('counts a quiet microphone below the silence threshold as silent, and any signal above it resets the count', () => {
    const state = new LevelAlarmState({ silenceDb: -70, silenceSeconds: 2, clipDb: -0.1 });
    const rms = (rmsDb: number | null) => state.update({ ptsSeconds: 0, rmsDb, peakDb: -60 });
    expect(rms(-75)).toEqual([]);
    expect(rms(-69)).toEqual([]); // one second of signal: the count starts over
    expect(rms(-80)).toEqual([]);
    expect(rms(null)).toEqual([{ kind: 'microphone-silent', active: true }]);
    expect(rms(-90)).toEqual([]);
    expect(rms(-30)).toEqual([{ kind: 'microphone-silent', active: false }]);
  });
});
