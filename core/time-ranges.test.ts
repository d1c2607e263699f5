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

  it('widens a sealed range to whole segments of every track, within the tolerance', () => {
    const video = [seg(0, 4000), seg(4000, 4000), seg(8000, 4000)];
    const audio = [seg(0, 4010), seg(4010, 3990), seg(8000, 4000)];
    const ranges = widenAcrossTracks([video, audio], [{ startMs: 5000, endMs: 5100 }], 100);
    for (const track of [video, audio])
      expect(track.map((s) => overlapsAny(s, ranges))).toEqual([false, true, false]);
  });
});
