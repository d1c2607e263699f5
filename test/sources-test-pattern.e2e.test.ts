/**
 * The `test-pattern` camera behaves as a live camera does when the machine cannot keep
 * up: it misses frames, never time. Its recorder ffmpeg is throttled here (stopped for
 * three quarters of every 200 ms) while it encodes a 1080p60 pattern; the media the
 * session commits must still span the wall-clock time it recorded for. Paced with -re
 * alone, an encoder that falls behind leaves the picture seconds shorter than the sound.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FFPROBE, requireFfprobe } from './support/media.ts';
import { waitForFfmpegNaming } from './support/processes.ts';
import { joinSegments, startSession, type RunningSession } from './support/session-harness.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const sessions: RunningSession[] = [];
afterAll(() => {
  for (const s of sessions) s.cleanup();
});

const hasFfprobe = requireFfprobe('test-pattern camera');

describe.skipIf(!hasFfprobe)('test-pattern camera', () => {
  it('keeps the wall clock when its encoder is starved: frames are missed, not seconds', async () => {
    const SECONDS = 8;
    const running = await startSession({
      sources: { camera: { kind: 'test-pattern', width: 1920, height: 1080, fps: 60 }, microphones: null },
      segmentSeconds: 2,
    });
    sessions.push(running);
    const startedAt = Date.now();
    const pid = await waitForFfmpegNaming(running.spoolDir);
    expect(pid, 'the recorder started ffmpeg').toBeDefined();
    // A quarter of the wall clock for ffmpeg: far too little to encode 1080p60 in time.
    let exited = false;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid!, name);
      } catch {
        exited = true; // restarted by the recorder, for it got no picture: checked below
      }
    };
    while (!exited && Date.now() - startedAt < SECONDS * 1000) {
      signal('SIGSTOP');
      await sleep(150);
      signal('SIGCONT');
      await sleep(50);
    }
    signal('SIGCONT');
    const stoppedAt = Date.now();
    await running.stop();
    expect(exited, 'the throttled ffmpeg kept running').toBe(false);
    expect(running.markers).toEqual([]);
    // Its media kept up with the clock throughout: no capture-behind alarm.
    expect(running.alarms.filter((a) => a.kind === 'capture-behind')).toEqual([]);

    const video = running.track('video');
    expect(video.length).toBeGreaterThan(0);
    const mediaMs = video.reduce((sum, s) => sum + s.durationMs, 0);
    const wallMs = stoppedAt - startedAt;
    // ffmpeg's start (well under a second) is the only wall time without media.
    expect(mediaMs, `${mediaMs} ms of picture in ${wallMs} ms`).toBeGreaterThanOrEqual(wallMs - 1000);
    expect(mediaMs).toBeLessThanOrEqual(wallMs + 200);
    // The segments' own clocks agree with the wall clock, one after the other.
    const first = video[0]!;
    const last = video[video.length - 1]!;
    expect(last.startMs + last.durationMs - first.startMs).toBe(mediaMs);
    expect(Math.abs(last.startMs + last.durationMs - stoppedAt)).toBeLessThanOrEqual(1000);

    // Frames the starved encoder could not make are missing, not made up later.
    const joined = joinSegments(video, path.join(running.dir, 'video.ts'));
    const { stdout } = await run(FFPROBE, [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      joined,
    ]);
    const frames = Number(stdout.trim().split('\n')[0]);
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThanOrEqual(Math.ceil((mediaMs / 1000) * 60) + 1);
  }, 60_000);
});
