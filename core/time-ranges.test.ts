import { describe, expect, it } from 'vitest';
import { mergeRanges, overlapsAny, widenAcrossTracks } from './index.ts';

const seg = (start_ms: number, duration_ms: number) => ({ start_ms, duration_ms });

describe('time ranges', () => {
  it('merges overlapping and touching ranges and drops empty or invalid ones', () => {
    expect(
      mergeRanges([
        { startMs: 50, endMs: 60 },
        { startMs: 0, endMs: 10 },
        { startMs: 10, endMs: 20 },
        { startMs: 30, endMs: 30 },
        { startMs: Number.NaN, endMs: 5 },
      ]),
    ).toEqual([
      { startMs: 0, endMs: 20 },
      { startMs: 50, endMs: 60 },
    ]);
  });

  it('leaves out a segment touched by a sealed range by one millisecond, not one that only abuts it', () => {
    const sealed = [{ startMs: 4000, endMs: 5000 }];
    expect(overlapsAny(seg(0, 4000), sealed)).toBe(false); // ends where the range starts
    expect(overlapsAny(seg(0, 4001), sealed)).toBe(true);
    expect(overlapsAny(seg(5000, 4000), sealed)).toBe(false); // starts where it ends
    expect(overlapsAny(seg(4999, 0), sealed)).toBe(true); // zero length counts as 1 ms
  });

  it('takes a segment of another track that lies mostly inside what one track loses, and none that does not', () => {
    // Sound cut 10 ms later than the picture; the sealed range touches the picture's boundary.
    const video = [seg(0, 4000), seg(4000, 4000), seg(8000, 4000), seg(12000, 4000)];
    const audio = [seg(0, 4010), seg(4010, 4000), seg(8010, 3990), seg(12000, 4000)];
    const ranges = widenAcrossTracks([video, audio], [{ startMs: 7995, endMs: 8005 }], 100);
    for (const track of [video, audio])
      expect(track.map((s) => overlapsAny(s, ranges))).toEqual([false, true, true, false]);
  });

  it('widens a sealed range to whole segments of every track, within the tolerance', () => {
    const video = [seg(0, 4000), seg(4000, 4000), seg(8000, 4000)];
    const audio = [seg(0, 4010), seg(4010, 3990), seg(8000, 4000)];
    const ranges = widenAcrossTracks([video, audio], [{ startMs: 5000, endMs: 5100 }], 100);
    for (const track of [video, audio])
      expect(track.map((s) => overlapsAny(s, ranges))).toEqual([false, true, false]);
  });

  it('stops widening a segment beyond the sealed range when the tracks are cut at different times', () => {
    // Picture cut at its own key frames, 1.3 s after the sound's boundaries (two ffmpegs).
    const video = Array.from({ length: 30 }, (_, i) => seg(1300 + i * 4000, 4000));
    const audio = Array.from({ length: 30 }, (_, i) => seg(i * 4000, 4000));
    const sealed = { startMs: 60_500, endMs: 61_000 };
    const ranges = widenAcrossTracks([video, audio], [sealed], 100);
    for (const track of [video, audio]) {
      const left = track.filter((s) => overlapsAny(s, ranges));
      // The sealed part is gone from each track, and little else: not the whole hearing.
      expect(left[0]!.start_ms).toBeLessThanOrEqual(sealed.startMs);
      expect(left.at(-1)!.start_ms + left.at(-1)!.duration_ms).toBeGreaterThanOrEqual(sealed.endMs);
      expect(left.length).toBeLessThanOrEqual(2);
    }
    // Each track loses a stretch within half a segment of the other's, at either edge.
    const lost = (track: typeof video) => {
      const left = track.filter((s) => overlapsAny(s, ranges));
      return { from: left[0]!.start_ms, to: left.at(-1)!.start_ms + left.at(-1)!.duration_ms };
    };
    expect(Math.abs(lost(video).from - lost(audio).from)).toBeLessThanOrEqual(2000);
    expect(Math.abs(lost(video).to - lost(audio).to)).toBeLessThanOrEqual(2000);
  });
});
