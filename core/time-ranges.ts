/**
 * Wall-clock time ranges and the one rule for leaving sealed parts out, shared by the
 * review player (web/player), copies (recorder/copy) and the access policy (web/policy):
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

export function sameRanges(a: readonly TimeRange[], b: readonly TimeRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.startMs === b[i]!.startMs && r.endMs === b[i]!.endMs);
}

/**
 * The sealed ranges widened so that every track loses the same stretch of wall-clock time.
 * A sealed range removes, in each track, the segments that overlap it; their union is then
 * removed from every track — less `toleranceMs` at each edge, or the removal would creep
 * along a track whose boundaries sit a few milliseconds from another's — until nothing
 * changes. The result still contains every sealed range, so a segment is left out exactly
 * when it overlaps one of the returned ranges.
 */
export function widenAcrossTracks(
  tracks: readonly (readonly TimedSegment[])[],
  excludeRanges: readonly TimeRange[],
  toleranceMs: number,
): TimeRange[] {
  const sealed = mergeRanges(excludeRanges);
  let ranges = sealed;
  // Each round removes at least one more segment or stops, so this ends.
  for (;;) {
    const removed: TimeRange[] = [...ranges];
    for (const segments of tracks)
      for (const s of segments)
        if (overlapsAny(s, ranges))
          removed.push({ startMs: s.start_ms, endMs: Math.max(s.start_ms + s.duration_ms, s.start_ms + 1) });
    const trimmed = mergeRanges(removed).map((h) => ({
      startMs: h.startMs + toleranceMs,
      endMs: h.endMs - toleranceMs,
    }));
    const next = mergeRanges([...sealed, ...trimmed]);
    if (sameRanges(next, ranges)) return ranges;
    ranges = next;
  }
}
