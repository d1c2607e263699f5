/**
 * Wall-clock time ranges and the one rule for leaving sealed parts out, shared by the
 * review player (web/player), copies (media/copy) and the access policy (court/policy):
 * a segment that overlaps a sealed range by even a millisecond is left out whole — never
 * cut, because a re-encoded segment no longer matches the hash chain that proves the
 * recording — and every track of a hearing loses the same stretch of time, so alternate
 * audio stays in sync with the picture (decision 0007).
 */

/** A half-open span of wall-clock time, UTC epoch milliseconds: startMs ≤ t < endMs. */
export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** What the rule needs of a catalog segment row. */
export interface TimedSegment {
  /** Wall-clock start, UTC epoch ms. */
  start_ms: number;
  /** From media timestamps, ms. */
  duration_ms: number;
}

/** Sorts and merges overlapping or touching ranges; drops empty and invalid ones. */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges
    .filter((r) => Number.isFinite(r.startMs) && Number.isFinite(r.endMs) && r.endMs > r.startMs)
    .map((r) => ({ startMs: r.startMs, endMs: r.endMs }))
    .sort((a, b) => a.startMs - b.startMs);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.startMs <= last.endMs) last.endMs = Math.max(last.endMs, r.endMs);
    else out.push(r);
  }
  return out;
}

/** Whether a segment meets any of the sorted, merged ranges; a zero-length segment counts as 1 ms. */
export function overlapsAny(s: TimedSegment, ranges: readonly TimeRange[]): boolean {
  const start = s.start_ms;
  const end = Math.max(s.start_ms + s.duration_ms, start + 1);
  // Ranges are few (a judge seals a handful), so a linear scan is fine.
  for (const r of ranges) {
    if (r.startMs >= end) return false;
    if (r.endMs > start) return true;
  }
  return false;
}

/** The parts of `ranges` inside `limits`; both sorted and merged. */
function intersectRanges(ranges: readonly TimeRange[], limits: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  for (const r of ranges)
    for (const l of limits) {
      const startMs = Math.max(r.startMs, l.startMs);
      const endMs = Math.min(r.endMs, l.endMs);
      if (endMs > startMs) out.push({ startMs, endMs });
    }
  return mergeRanges(out);
}

export function sameRanges(a: readonly TimeRange[], b: readonly TimeRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.startMs === b[i]!.startMs && r.endMs === b[i]!.endMs);
}

/**
 * The sealed ranges widened so that every track loses about the same stretch of
 * wall-clock time. A sealed range removes, in each track, the segments that overlap it
 * (by even a millisecond: that part is never served). Their union is then removed from
 * every track too, but only where a segment lies mostly inside it: the union is trimmed
 * by half the longest segment at each edge (and by at least `toleranceMs`), repeated until
 * nothing changes. The result still contains every sealed range, so a segment is left out
 * exactly when it overlaps one of the returned ranges.
 *
 * Why half a segment: tracks cut by different ffmpegs — a camera stream-copied at its own
 * key frames beside the microphones (decision 0010) — have boundaries that never meet.
 * Trimmed only by a tolerance, each round took the segments that reached into another
 * track's removal and the removal crept along the tracks until the whole hearing was
 * gone. Taking a segment only when most of it is inside stops that after one round, and
 * the tracks then lose stretches that differ by at most half a segment at each edge.
 * Tracks cut together (one ffmpeg, or boundaries within the tolerance) lose exactly the
 * same segments, as before. As a last guard, widening never reaches further than the
 * longest segment beyond a sealed range.
 */
export function widenAcrossTracks(
  tracks: readonly (readonly TimedSegment[])[],
  excludeRanges: readonly TimeRange[],
  toleranceMs: number,
): TimeRange[] {
  const sealed = mergeRanges(excludeRanges);
  let longest = 0;
  for (const segments of tracks) for (const s of segments) longest = Math.max(longest, s.duration_ms);
  const trim = Math.max(toleranceMs, longest / 2);
  const limits = mergeRanges(sealed.map((r) => ({ startMs: r.startMs - longest, endMs: r.endMs + longest })));
  let ranges = sealed;
  // Each round removes at least one more segment or stops, so this ends.
  for (;;) {
    const removed: TimeRange[] = [...ranges];
    for (const segments of tracks)
      for (const s of segments)
        if (overlapsAny(s, ranges))
          removed.push({ startMs: s.start_ms, endMs: Math.max(s.start_ms + s.duration_ms, s.start_ms + 1) });
    const trimmed = mergeRanges(removed).map((h) => ({ startMs: h.startMs + trim, endMs: h.endMs - trim }));
    const next = mergeRanges([...sealed, ...intersectRanges(trimmed, limits)]);
    if (sameRanges(next, ranges)) return ranges;
    ranges = next;
  }
}
