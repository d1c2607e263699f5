/**
 * What a node killed with -9 leaves behind: its ffmpeg, still recording into the run.
 * A stream-copied camera is written in ffmpeg's 256 KiB blocks (decision 0012), so the
 * restarted node must stop that orphan with SIGINT, as a running ffmpeg is stopped, for
 * it to write out what it holds: SIGKILL would lose everything since its last block.
 * The orphan here is ffmpeg started with exactly the recorder's arguments and a run.json
 * naming it, as a node writes them (test/recording-faults.e2e.test.ts kills a whole node).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SystemClock, createLogger } from '../core/index.ts';
import { buildCaptureSpec, specToArgs } from '../recorder/ffmpeg/capture-args.ts';
import { RecordingSession } from '../recorder/session.ts';
import { nodeSourcesSchema } from '../recorder/sources/sources.ts';
import { Spool } from '../recorder/spool.ts';
import { processRunning as running } from './support/processes.ts';
import { RECORDER_FFMPEG, makeMedia } from './support/session-harness.ts';

const HEARING = 'h-orphan';
const SEGMENT_SECONDS = 2;

let dir: string;
let cameraFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-orphan-'));
  cameraFile = path.join(dir, 'camera.ts');
  // 200 kbit/s with a key frame every half second: 256 KiB is ten seconds of it, so an
  // ffmpeg killed outright leaves its current segment empty.
  await makeMedia([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25:duration=10',
    '-c:v',
    'libx264',
    '-b:v',
    '200k',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '12',
    '-f',
    'mpegts',
    cameraFile,
  ]);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listedSegments(list: string): number {
  try {
    return fs.readFileSync(list, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

describe('an orphaned ffmpeg of a stream-copied camera', () => {
  it('is stopped with SIGINT by the restarted node, so its unwritten block is kept', async () => {
    const sources = nodeSourcesSchema.parse({
      camera: { kind: 'file', path: cameraFile, copy: true },
      microphones: null,
    });
    const logLines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (l: string) => void logLines.push(l) },
    });
    const clock = new SystemClock();
    const spool = new Spool(path.join(dir, 'spool'), logger, clock);
    const runDir = path.join(spool.hearingDir(HEARING), 'runs', '0001');
    const spec = buildCaptureSpec({ sources, segmentSeconds: SEGMENT_SECONDS, runDir });
    fs.mkdirSync(path.join(runDir, 'video'), { recursive: true });
    // No per-packet flush for a copied camera: that is what puts the block at stake.
    const args = specToArgs(spec);
    expect(args).not.toContain('-flush_packets');

    const spawnedAtMs = Date.now();
    const orphan = spawn(RECORDER_FFMPEG, args, { stdio: 'ignore', detached: true });
    orphan.unref();
    fs.writeFileSync(
      path.join(runDir, 'run.json'),
      JSON.stringify({ n: 1, spawnedAtMs, t0Ms: null, pid: orphan.pid, finished: false }),
    );
    try {
      // Three closed segments, then a second into the fourth: at 200 kbit/s none of it
      // has left ffmpeg's buffer.
      const list = path.join(runDir, 'video', 'segments.csv');
      await vi.waitFor(
        () => expect(listedSegments(list), 'segments the orphan closed').toBeGreaterThanOrEqual(3),
        {
          timeout: 30_000,
          interval: 50,
        },
      );
      await sleep(1200);
      const current = path.join(runDir, 'video', '000003.ts');
      expect(fs.statSync(current).size, 'the current segment is still in ffmpeg’s buffer').toBe(0);

      const restarted = new RecordingSession({
        hearingId: HEARING,
        spool,
        sources,
        segmentSeconds: SEGMENT_SECONDS,
        ffmpegPath: RECORDER_FFMPEG,
        clock,
        logger,
      });
      await restarted.recoverRuns();
      expect(running(orphan.pid!), 'the orphan is stopped').toBe(false);
      await restarted.close();

      const journal = await spool.journal(HEARING, 'video');
      expect(journal.length, 'the three closed segments and the one ffmpeg was writing').toBe(4);
      const last = journal[3]!;
      // What ffmpeg held when it was stopped (at least the 1.2 s waited) was written out.
      expect(last.durationMs, 'the segment being written is kept').toBeGreaterThanOrEqual(1000);
      expect(last.size).toBeGreaterThan(0);
      const lines = logLines.map((l) => JSON.parse(l) as { msg?: string });
      expect(lines.some((l) => l.msg === 'stopped an orphaned ffmpeg of a crashed node')).toBe(true);
    } finally {
      if (running(orphan.pid!)) process.kill(orphan.pid!, 'SIGKILL');
    }
  }, 60_000);
});
