import { describe, expect, it } from 'vitest';
import { CopyRangeError, NothingToCopyError, planCopy, sharedHoles, type PlanSegment } from './copy-plan.ts';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');

/** A track of back-to-back segments with the given lengths, starting `offsetMs` after T0. */
function track(name: string, lengths: number[], offsetMs = 0): PlanSegment[] {
  let start = T0 + offsetMs;
  return lengths.map((duration, seq) => {
    const s = {
      track: name,
      seq,
      start_ms: start,
      duration_ms: duration,
      object_key: `hearings/h-1/${name}/${String(seq).padStart(6, '0')}.ts`,
      sha256: '0'.repeat(64),
      size: 1,
    };
    start += duration;
    return s;
  });
}

const VIDEO = track('video', [4000, 4000, 4000, 2240]);
// Audio segments end a few ms off the video's (AAC frames are 21.3 ms).
const MIX = track('mix', [4011, 3989, 4011, 2229]);
const MIC = track('mic-1', [4011, 3989, 4011, 2229]);
const ALL = [...MIC, ...MIX, ...VIDEO];

describe('planCopy', () => {
  it('copies the whole recording when no range is given, from video and mix only', () => {
    const plan = planCopy({ segments: ALL });
    expect(plan.video?.map((s) => s.seq)).toEqual([0, 1, 2, 3]);
    expect(plan.audio?.every((s) => s.track === 'mix')).toBe(true);
    expect(plan.trim).toEqual({ startSeconds: 0, durationSeconds: 14.24, audioStartSeconds: 0 });
    expect(plan).toMatchObject({ fromMs: T0, toMs: T0 + 14240, whole: true, sealedPartsLeftOut: false });
  });

  it('lists only the segments that overlap the range and trims inside them', () => {
    const plan = planCopy({ segments: ALL, range: { fromMs: T0 + 2000, toMs: T0 + 6000 } });
    expect(plan.video?.map((s) => s.seq)).toEqual([0, 1]);
    expect(plan.audio?.map((s) => s.seq)).toEqual([0, 1]);
    expect(plan.trim).toEqual({ startSeconds: 2, durationSeconds: 4, audioStartSeconds: 2 });
    expect(plan.whole).toBe(false);
  });

  it('starts the audio list at its own offset for the same wall-clock moment', () => {
    const plan = planCopy({ segments: ALL, range: { fromMs: T0 + 9000, toMs: T0 + 11000 } });
    expect(plan.video?.map((s) => s.seq)).toEqual([2]);
    expect(plan.audio?.map((s) => s.seq)).toEqual([2]);
    // Video seq 2 starts at +8000, mix seq 2 at +8000 as well (4011 + 3989).
    expect(plan.trim).toEqual({ startSeconds: 1, durationSeconds: 2, audioStartSeconds: 1 });
    const shifted = planCopy({
      segments: [...VIDEO, ...track('mix', [4000, 4000], 30)],
      range: { fromMs: T0, toMs: T0 + 2000 },
    });
    expect(shifted.trim.audioStartSeconds).toBeCloseTo(-0.03, 6);
  });

  it('leaves out whole segments that overlap a sealed part, in both tracks alike', () => {
    const plan = planCopy({ segments: ALL, excludeRanges: [{ startMs: T0 + 5000, endMs: T0 + 5500 }] });
    expect(plan.video?.map((s) => s.seq)).toEqual([0, 2, 3]);
    expect(plan.audio?.map((s) => s.seq)).toEqual([0, 2, 3]);
    expect(plan.trim.durationSeconds).toBeCloseTo(10.24, 6);
    expect(plan.sealedPartsLeftOut).toBe(true);
  });

  it('does not let a sealed part creep along tracks whose boundaries differ by a few ms', () => {
    const holes = sharedHoles([VIDEO, MIX], [{ startMs: T0 + 1000, endMs: T0 + 1500 }]);
    expect(holes).toHaveLength(1);
    expect(holes[0]!.endMs).toBeLessThan(T0 + 4100);
  });

  it('clamps a range reaching past the recording and reports what it covers', () => {
    const plan = planCopy({ segments: ALL, range: { fromMs: T0 - 60_000, toMs: T0 + 3000 } });
    expect(plan).toMatchObject({ fromMs: T0, toMs: T0 + 3000 });
    expect(plan.trim).toEqual({ startSeconds: 0, durationSeconds: 3, audioStartSeconds: 0 });
    expect(planCopy({ segments: ALL, range: { fromMs: T0 + 12_000 } }).trim.durationSeconds).toBeCloseTo(
      2.24,
      6,
    );
  });

  it('copies a hearing recorded without a camera from the mix alone', () => {
    const plan = planCopy({ segments: MIX, range: { fromMs: T0 + 1000, toMs: T0 + 3000 } });
    expect(plan.video).toBeNull();
    expect(plan.trim).toEqual({ startSeconds: 1, durationSeconds: 2, audioStartSeconds: 1 });
  });

  it('refuses a malformed range, and a range with nothing open in it', () => {
    expect(() => planCopy({ segments: ALL, range: { fromMs: T0 + 5000, toMs: T0 + 5000 } })).toThrow(
      CopyRangeError,
    );
    expect(() => planCopy({ segments: ALL, range: { fromMs: Number.NaN, toMs: T0 } })).toThrow(
      CopyRangeError,
    );
    expect(() => planCopy({ segments: ALL, range: { fromMs: T0 + 60_000, toMs: T0 + 70_000 } })).toThrow(
      NothingToCopyError,
    );
    expect(() =>
      planCopy({
        segments: ALL,
        range: { fromMs: T0 + 4500, toMs: T0 + 7000 },
        excludeRanges: [{ startMs: T0 + 5000, endMs: T0 + 5001 }],
      }),
    ).toThrow(NothingToCopyError);
    expect(() => planCopy({ segments: MIC })).toThrow(NothingToCopyError);
  });
});
