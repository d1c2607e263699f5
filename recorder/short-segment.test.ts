/**
 * A run left unfinished with a segment of a few packets (stopped just after a boundary):
 * the recovering session pads it before committing it, so that ffprobe reads it as
 * MPEG-TS, and never touches one that was committed already (its hash is taken).
 * Real ffmpeg makes the segment; the spool is real.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock, sha256Hex, silentLogger } from '../core/index.ts';
import { MIN_SEGMENT_PACKETS, TS_PACKET } from '../media/ffmpeg/mpegts.ts';
import { FFMPEG, FFPROBE, requireFfprobe } from '../test/support/media.ts';
import { RecordingSession } from './session.ts';
import { nodeSourcesSchema } from './sources/sources.ts';
import { Spool, type SpooledSegment } from './spool.ts';

/** The test that reads the committed file with ffprobe skips without it (decision 0023). */
const probed = it.skipIf(!requireFfprobe('a segment of a few packets'));
const HEARING = 'h-short-segment';
const TRACK = 'mic-1';
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);

let dir: string;
let spool: Spool;
let runTrackDir: string;

/** 10 ms of a tone as the recorder's ffmpeg writes a sound segment: 7 packets. */
function tinySegment(file: string): void {
  execFileSync(FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', 'sine=frequency=440:sample_rate=48000:duration=0.01'],
    ...['-c:a', 'aac', '-ac', '1', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', file],
  ]);
}

function session(): RecordingSession {
  return new RecordingSession({
    hearingId: HEARING,
    spool,
    sources: nodeSourcesSchema.parse({ camera: null, microphones: { kind: 'tone', frequencies: [440] } }),
    segmentSeconds: 6,
    ffmpegPath: FFMPEG,
    clock: new SystemClock(),
    logger: silentLogger(),
  });
}

function probeFormat(file: string): string {
  return execFileSync(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
    },
  ).trim();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-short-'));
  spool = new Spool(dir, silentLogger(), new SystemClock());
  // What a node killed mid-run leaves: run.json unfinished, a listed last segment.
  const runDir = path.join(spool.hearingDir(HEARING), 'runs', '0001');
  runTrackDir = path.join(runDir, TRACK);
  fs.mkdirSync(runTrackDir, { recursive: true });
  fs.writeFileSync(
    path.join(runDir, 'run.json'),
    JSON.stringify({ n: 1, spawnedAtMs: T0, t0Ms: T0, pid: null, finished: false }),
  );
  tinySegment(path.join(runTrackDir, '000000.ts'));
  fs.writeFileSync(path.join(runTrackDir, 'segments.csv'), '000000.ts,0.000000,0.010000\n');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a segment of a few packets', () => {
  probed('is padded before it is committed, and ffprobe reads the committed file as MPEG-TS', async () => {
    const source = path.join(runTrackDir, '000000.ts');
    expect(fs.statSync(source).size / TS_PACKET).toBeLessThan(MIN_SEGMENT_PACKETS);
    const committed: SpooledSegment[] = [];
    const s = session();
    s.on('segment', (seg) => committed.push(seg));
    await s.recoverRuns();

    expect(committed).toHaveLength(1);
    const [seg] = committed;
    expect(seg!.size).toBe(MIN_SEGMENT_PACKETS * TS_PACKET);
    const bytes = fs.readFileSync(seg!.file);
    expect(sha256Hex(bytes)).toBe(seg!.sha256);
    expect(probeFormat(seg!.file)).toBe('mpegts');
  });

  it('is left as committed when a crash came between its commit and its removal from the run', async () => {
    const source = path.join(runTrackDir, '000000.ts');
    const first = await spool.commit({
      hearingId: HEARING,
      track: TRACK,
      sourceFile: source,
      startMs: T0,
      durationMs: 10,
    });
    // The crash: the run's name for the file is still there, linked to the pending copy.
    fs.linkSync(first.file, source);
    const before = fs.readFileSync(first.file);

    const again: SpooledSegment[] = [];
    const s = session();
    s.on('segment', (seg) => again.push(seg));
    await s.recoverRuns();

    const after = fs.readFileSync(first.file);
    expect(after.equals(before), 'the committed bytes are unchanged').toBe(true);
    expect(sha256Hex(after)).toBe(first.sha256);
    expect(again.map((seg) => [seg.seq, seg.sha256])).toEqual([[first.seq, first.sha256]]);
  });
});
