import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentListReader, mediaMs, parseSegmentList } from './segment-list.ts';

describe('parseSegmentList', () => {
  it('reads whole csv lines as closed segments', () => {
    const text = 'seg-000000.ts,0.000000,4.000000\nseg-000001.ts,4.000000,8.021333\n';
    expect(parseSegmentList(text)).toEqual({
      entries: [
        { file: 'seg-000000.ts', startSeconds: 0, endSeconds: 4 },
        { file: 'seg-000001.ts', startSeconds: 4, endSeconds: 8.021333 },
      ],
      consumed: text.length,
    });
  });

  it('holds back a partial last line for the next read', () => {
    const whole = 'seg-000000.ts,0.000000,4.000000\n';
    const text = `${whole}seg-000001.ts,4.000`;
    expect(parseSegmentList(text)).toEqual({
      entries: [{ file: 'seg-000000.ts', startSeconds: 0, endSeconds: 4 }],
      consumed: whole.length,
    });
  });

  it('holds back a line that looks complete until its newline arrives', () => {
    // ffmpeg may have written "…,8.0" of "…,8.021333\n": a number without its newline is not final.
    expect(parseSegmentList('seg-000001.ts,4.000000,8.0')).toEqual({ entries: [], consumed: 0 });
  });

  it('skips blank and malformed lines but consumes them', () => {
    const text = '\nnot a segment line\nseg-000002.ts,8.000000,12.000000\r\n';
    expect(parseSegmentList(text)).toEqual({
      entries: [{ file: 'seg-000002.ts', startSeconds: 8, endSeconds: 12 }],
      consumed: text.length,
    });
  });

  it('accepts negative start times, as ffmpeg reports before the first key frame', () => {
    expect(parseSegmentList('seg-000000.ts,-0.021333,3.978667\n').entries).toEqual([
      { file: 'seg-000000.ts', startSeconds: -0.021333, endSeconds: 3.978667 },
    ]);
  });
});

describe('mediaMs', () => {
  it('rounds once so adjacent segments share their boundary', () => {
    expect(mediaMs(8.021333)).toBe(8021);
    expect(mediaMs(12.9996)).toBe(13_000);
    expect(mediaMs(0)).toBe(0);
  });
});

describe('SegmentListReader', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-seglist-'));
    file = path.join(dir, 'list.csv');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('returns nothing while the list does not exist yet', async () => {
    expect(await new SegmentListReader(file).readNew()).toEqual([]);
  });

  it('returns each closed segment once, keeping its offset across reads', async () => {
    const reader = new SegmentListReader(file);
    fs.writeFileSync(file, 'seg-000000.ts,0.000000,4.000000\nseg-000001.ts,4.0');
    expect(await reader.readNew()).toEqual([{ file: 'seg-000000.ts', startSeconds: 0, endSeconds: 4 }]);
    // Nothing new yet: the partial line stays pending, nothing is returned twice.
    expect(await reader.readNew()).toEqual([]);

    fs.appendFileSync(file, '00000,8.000000\n');
    expect(await reader.readNew()).toEqual([{ file: 'seg-000001.ts', startSeconds: 4, endSeconds: 8 }]);
    expect(await reader.readNew()).toEqual([]);

    fs.appendFileSync(file, 'seg-000002.ts,8.000000,12.000000\nseg-000003.ts,12.000000,16.000000\n');
    expect((await reader.readNew()).map((e) => e.file)).toEqual(['seg-000002.ts', 'seg-000003.ts']);
    expect(await reader.readNew()).toEqual([]);
  });

  it('counts offsets in bytes, so a multi-byte file name does not shift later reads', async () => {
    const reader = new SegmentListReader(file);
    fs.writeFileSync(file, 'зал-1/сег-000000.ts,0.000000,4.000000\n');
    expect(await reader.readNew()).toEqual([{ file: 'зал-1/сег-000000.ts', startSeconds: 0, endSeconds: 4 }]);
    fs.appendFileSync(file, 'зал-1/сег-000001.ts,4.000000,8.000000\n');
    expect(await reader.readNew()).toEqual([{ file: 'зал-1/сег-000001.ts', startSeconds: 4, endSeconds: 8 }]);
  });

  it('survives a partial line cut inside a multi-byte character', async () => {
    const reader = new SegmentListReader(file);
    const line = Buffer.from('сег-000000.ts,0.000000,4.000000\n');
    // "с" is two bytes in UTF-8: stop after the first of them.
    fs.writeFileSync(file, line.subarray(0, 1));
    expect(await reader.readNew()).toEqual([]);
    fs.appendFileSync(file, line.subarray(1));
    expect(await reader.readNew()).toEqual([{ file: 'сег-000000.ts', startSeconds: 0, endSeconds: 4 }]);
  });
});
