/**
 * Where a video segment ends: at the next segment's first time stamp when ffmpeg has begun
 * it, else where ffmpeg listed it. The next files are real MPEG-TS written by ffmpeg, plus
 * the malformed and far-off ones the guard must pass over.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG } from '../test/support/media.ts';
import { nextSegmentStart, videoSegmentEnd } from './session.ts';

const run = promisify(execFile);
let dir: string;

/** A short H.264 MPEG-TS file whose first frame is at `startSeconds`, as a next segment would be. */
async function segmentStartingAt(file: string, startSeconds: number): Promise<void> {
  await run(FFMPEG, [
    ...['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=25:duration=0.2'],
    ...['-c:v', 'libx264', '-output_ts_offset', String(startSeconds), '-muxdelay', '0', '-muxpreload', '0'],
    ...['-f', 'mpegts', '-y', file],
  ]);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-segment-end-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('videoSegmentEnd', () => {
  it("moves the end to the next segment's first frame when frames were missed before the cut", async () => {
    await segmentStartingAt(path.join(dir, '000008.ts'), 8.12);
    expect(await videoSegmentEnd(path.join(dir, '000007.ts'), 7.96, 4)).toBeCloseTo(8.12, 3);
  });

  it("keeps ffmpeg's listed end when there is no next segment, it is not MPEG-TS, or it starts too far off", async () => {
    expect(await videoSegmentEnd(path.join(dir, '000020.ts'), 80, 4)).toBe(80);
    fs.writeFileSync(path.join(dir, '000031.ts'), 'not a transport stream at all');
    expect(await videoSegmentEnd(path.join(dir, '000030.ts'), 120, 4)).toBe(120);
    fs.writeFileSync(path.join(dir, '000041.ts'), Buffer.alloc(0));
    expect(await videoSegmentEnd(path.join(dir, '000040.ts'), 160, 4)).toBe(160);
    // More than a segment length after the listed end: not this segment's successor.
    await segmentStartingAt(path.join(dir, '000051.ts'), 210);
    expect(await videoSegmentEnd(path.join(dir, '000050.ts'), 200, 4)).toBe(200);
    // Earlier than the listed end: ffmpeg's own end stands.
    await segmentStartingAt(path.join(dir, '000061.ts'), 239.5);
    expect(await videoSegmentEnd(path.join(dir, '000060.ts'), 240, 4)).toBe(240);
  });

  it('reads nothing for a file not named as ffmpeg numbers segments', async () => {
    expect(await videoSegmentEnd(path.join(dir, 'camera.ts'), 12, 4)).toBe(12);
  });

  it('says the next segment has not begun while its file is missing or holds no time stamp yet, for the recorder to wait', async () => {
    const next = path.join(dir, '000071.ts');
    expect(nextSegmentStart(path.join(dir, '000070.ts'))).toBeNull();
    // ffmpeg opened the next file but has not written its first packet.
    fs.writeFileSync(next, Buffer.alloc(0));
    expect(nextSegmentStart(path.join(dir, '000070.ts'))).toBeNull();
    await segmentStartingAt(next, 283.44);
    expect(nextSegmentStart(path.join(dir, '000070.ts'))).toBeCloseTo(283.44, 3);
  });
});
