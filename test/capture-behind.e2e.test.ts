/**
 * A recorder ffmpeg that falls behind real time raises `capture-behind`, and clears it
 * once it has caught up. The microphones' ffmpeg (tones paced by -re) is frozen for 7 s:
 * on waking it is 7 s behind and catches up in a burst, as an overloaded node would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { waitForFfmpegNaming } from './support/processes.ts';
import { startSession, type RunningSession } from './support/session-harness.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const sessions: RunningSession[] = [];
afterAll(() => {
  for (const s of sessions) s.cleanup();
});

describe('capture pace', () => {
  it('raises capture-behind while ffmpeg records seconds behind real time, and clears it when caught up', async () => {
    const running = await startSession({
      sources: { camera: null, microphones: { kind: 'tone', frequencies: [440, 880] } },
      segmentSeconds: 2,
    });
    sessions.push(running);
    const pid = await waitForFfmpegNaming(running.spoolDir);
    expect(pid, 'the recorder started ffmpeg').toBeDefined();
    // In time at first: two segments close without an alarm.
    while (running.track('mix').length < 2) await sleep(50);
    expect(running.alarms.filter((a) => a.kind === 'capture-behind')).toEqual([]);

    process.kill(pid!, 'SIGSTOP');
    try {
      await sleep(7000);
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    const woke = Date.now();
    while (Date.now() - woke < 8000 && running.alarms.filter((a) => a.kind === 'capture-behind').length < 2)
      await sleep(100);
    await running.stop();

    const behind = running.alarms.filter((a) => a.kind === 'capture-behind');
    expect(behind.map((a) => a.active)).toEqual([true, false]);
    expect(behind[0]!.track).toBeNull();
    expect(behind[0]!.message).toMatch(/sound is recorded \d+\.\d s behind real time/);
    // Nothing was lost: the burst after waking filled the media up to the wall clock.
    expect(running.markers).toEqual([]);
  }, 60_000);
});
