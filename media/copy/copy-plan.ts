/**
 * Which recorded segments a copy needs, and where in them the wanted range lies: a pure
 * function of the catalog's segment rows.
 *
 * Sealed parts are left out the way the review player leaves them out
 * (web/player/hls-playlists.ts): a segment that overlaps a sealed range is dropped whole,
 * never cut, and the kept segments play back to back. The same stretch of wall-clock time
 * is dropped from the `video` and the `mix` track even though their segments end a few ms
 * apart, so sound and picture stay together. The rule itself lives in core
 * (core/time-ranges.ts), shared with the player, so a copy never shows more than the
 * player would.
 */
import {
  NotFoundError,
  ValidationError,
  overlapsAny,
  widenAcrossTracks,
  type TimeRange,
} from '../../core/index.ts';

export type { TimeRange };

/** The parts of a catalog `segments` row a copy needs. */
export interface PlanSegment {
  track: string;
  seq: number;
  /** Wall-clock start, UTC epoch ms. */
  start_ms: number;
  /** From media timestamps, ms. */
  duration_ms: number;
  object_key: string;
  sha256: string;
  size: number;
}

/** The range asked for is malformed (not finite, or empty). */
export class CopyRangeError extends ValidationError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details);
  }
}

/** Nothing of the hearing's video or mix lies in the range once sealed parts are left out. */
export class NothingToCopyError extends NotFoundError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details);
  }
}

export interface CopyPlanInput<S extends PlanSegment = PlanSegment> {
  /** All of the hearing's segment rows (any track; only `video` and `mix` are used). */
  segments: readonly S[];
  /** Wall-clock range, UTC epoch ms; a missing end means that edge of the recording. */
  range?: { fromMs?: number; toMs?: number } | null;
  /** Sealed parts this viewer may not see. */
  excludeRanges?: readonly TimeRange[];
  /** A gap larger than this between tracks' segments is a real gap (player's GAP_TOLERANCE_MS). */
  toleranceMs?: number;
}

export interface CopyPlan<S extends PlanSegment = PlanSegment> {
  /** The `video` segments to list, in order; null when the hearing has none in the range. */
  video: S[] | null;
  /** The `mix` segments to list, in order; null when none. */
  audio: S[] | null;
  /** Where the range starts in each list's back-to-back timeline, and how long it plays. */
  trim: { startSeconds: number; durationSeconds: number; audioStartSeconds: number };
  /** The wall-clock range actually covered (the request clamped to the recording). */
  fromMs: number;
  toMs: number;
  /** Whether the request was for the whole recording (no range edge given). */
  whole: boolean;
  /** Whether a sealed part within the range was left out. */
  sealedPartsLeftOut: boolean;
}

export const COPY_GAP_TOLERANCE_MS = 100;
/** Less than one video frame of material is not a copy. */
const MIN_DURATION_MS = 40;

const endOf = (s: PlanSegment) => s.start_ms + s.duration_ms;

/**
 * The sealed ranges widened so that every track loses the same stretch (core's
 * `widenAcrossTracks`, the player's rule), for the two tracks a copy uses.
 */
export function sharedHoles(
  tracks: readonly (readonly PlanSegment[])[],
  excludeRanges: readonly TimeRange[],
  toleranceMs = COPY_GAP_TOLERANCE_MS,
): TimeRange[] {
  return widenAcrossTracks(tracks, excludeRanges, toleranceMs);
}

interface Entry<S> {
  segment: S;
  offsetMs: number;
}

function timeline<S extends PlanSegment>(segments: readonly S[]): Entry<S>[] {
  let offsetMs = 0;
  return segments.map((segment) => {
    const e = { segment, offsetMs };
    offsetMs += segment.duration_ms;
    return e;
  });
}

/**
 * Where wall-clock `atMs` falls in a back-to-back timeline, ms: inside a segment, its
 * offset; in a gap, the next kept segment's start; after the end, the end. Before the
 * first segment: negative (how long before it) — the caller clamps where it must.
 */
function positionOf<S extends PlanSegment>(entries: readonly Entry<S>[], atMs: number): number {
  const first = entries[0]!;
  if (atMs < first.segment.start_ms) return atMs - first.segment.start_ms;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.segment.start_ms > atMs) continue;
    const into = atMs - e.segment.start_ms;
    if (into < e.segment.duration_ms) return e.offsetMs + into;
    const next = entries[i + 1];
    return next ? next.offsetMs : e.offsetMs + e.segment.duration_ms;
  }
  return 0;
}

/** The wall-clock time shown at a timeline position (the inverse of positionOf inside segments). */
function wallClockAt<S extends PlanSegment>(entries: readonly Entry<S>[], offsetMs: number): number {
  for (const e of entries)
    if (offsetMs < e.offsetMs + e.segment.duration_ms)
      return e.segment.start_ms + Math.max(0, offsetMs - e.offsetMs);
  const last = entries.at(-1)!;
  return endOf(last.segment);
}

function byStart<S extends PlanSegment>(segments: readonly S[], track: string): S[] {
  return segments.filter((s) => s.track === track).sort((a, b) => a.start_ms - b.start_ms || a.seq - b.seq);
}

export function planCopy<S extends PlanSegment>(input: CopyPlanInput<S>): CopyPlan<S> {
  const tolerance = input.toleranceMs ?? COPY_GAP_TOLERANCE_MS;
  const video = byStart(input.segments, 'video');
  const mix = byStart(input.segments, 'mix');
  for (const s of [...video, ...mix])
    if (!Number.isFinite(s.start_ms) || !Number.isFinite(s.duration_ms) || s.duration_ms < 0)
      throw new RangeError(`segment ${s.object_key} has an invalid start or duration`);
  const all = [...video, ...mix];
  if (all.length === 0) throw new NothingToCopyError('the hearing has no recorded video or sound to copy');
  const recStart = Math.min(...all.map((s) => s.start_ms));
  const recEnd = Math.max(...all.map(endOf));

  const asked = { fromMs: input.range?.fromMs, toMs: input.range?.toMs };
  for (const edge of [asked.fromMs, asked.toMs])
    if (edge !== undefined && !Number.isFinite(edge))
      throw new CopyRangeError('the copy range must be given as finite times', { range: asked });
  if (asked.fromMs !== undefined && asked.toMs !== undefined && asked.toMs <= asked.fromMs)
    throw new CopyRangeError('the copy range must end after it starts', { range: asked });
  const fromMs = Math.max(asked.fromMs ?? recStart, recStart);
  const toMs = Math.min(asked.toMs ?? recEnd, recEnd);
  if (toMs <= fromMs)
    throw new NothingToCopyError('the copy range lies outside the recording', {
      range: asked,
      recStart,
      recEnd,
    });

  const holes = sharedHoles([video, mix], input.excludeRanges ?? [], tolerance);
  const inRange = (s: S) => endOf(s) > fromMs && s.start_ms < toMs;
  const keep = (segments: S[]) => segments.filter((s) => inRange(s) && !overlapsAny(s, holes));
  const keptVideo = keep(video);
  const keptAudio = keep(mix);
  const main = keptVideo.length > 0 ? keptVideo : keptAudio;
  if (main.length === 0)
    throw new NothingToCopyError('everything in the copy range is sealed or unrecorded', { fromMs, toMs });

  const mainLine = timeline(main);
  const startMs = Math.max(0, positionOf(mainLine, fromMs));
  const endMs = positionOf(mainLine, toMs);
  const durationMs = endMs - startMs;
  if (durationMs < MIN_DURATION_MS)
    throw new NothingToCopyError('less than one frame of the copy range is recorded and open', {
      fromMs,
      toMs,
    });

  // The audio list reaches the video's first shown moment at its own offset: its segments
  // start a few ms from the video's. Negative = the audio starts later (it is delayed).
  let audioStartMs = startMs;
  if (main === keptVideo && keptAudio.length > 0)
    audioStartMs = positionOf(timeline(keptAudio), wallClockAt(mainLine, startMs));

  const sealedPartsLeftOut = holes.some((h) => h.startMs < toMs && h.endMs > fromMs);
  return {
    video: keptVideo.length > 0 ? keptVideo : null,
    audio: keptAudio.length > 0 ? keptAudio : null,
    trim: {
      startSeconds: startMs / 1000,
      durationSeconds: durationMs / 1000,
      audioStartSeconds: audioStartMs / 1000,
    },
    fromMs,
    toMs,
    whole: asked.fromMs === undefined && asked.toMs === undefined,
    sealedPartsLeftOut,
  };
}
