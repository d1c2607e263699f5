/**
 * HLS playlists for the review player, as pure functions of the catalog's segment rows
 * (RFC 8216 and its draft successor 8216bis). Nothing here touches I/O; the playlist
 * service signs the URLs and feeds them in through `uriFor`.
 *
 * The timeline. Every track is cut by the recorder into segments with a wall-clock start
 * (`start_ms`) and a duration from media timestamps (`duration_ms`). Within one recorder
 * run the media timestamps run on across segments; a pause or a recorder restart starts
 * a new run, which shows in the catalog as a wall-clock gap. A playlist lists the kept
 * segments back to back, so a pause takes no playing time: the player jumps from the
 * last frame before it to the first frame after it, and the clock shown to the viewer
 * (EXT-X-PROGRAM-DATE-TIME) jumps with it. Where the run changes the playlist says
 * #EXT-X-DISCONTINUITY, which tells the player that timestamps restart there (RFC 8216
 * 4.3.2.3); without it, hls.js would try to play the new run's timestamps as if they
 * continued the old one and would stall or show silent video across the gap.
 *
 * Sealed ranges. A judge may seal a time range of an open hearing; for a viewer who may not
 * see it, the range must be absent. A segment that overlaps a sealed range is left out
 * whole rather than cut: cutting means re-encoding (video can only start at a key frame,
 * so a cut inside a segment is a new file), which would make a copy that is not the
 * recorded, hashed object, break its integrity proof, and cost ffmpeg time on every
 * request. Leaving it out loses at most one segment's length (a few seconds) of open
 * material at each edge of the range, and never shows a sealed second. A discontinuity
 * marks where the removed segments were.
 *
 * One timeline for all tracks. The video and each audio rendition are separate playlists,
 * and hls.js keeps an alternate audio in step with the video by matching their
 * discontinuity counts and program date-times. So every track must have its
 * discontinuities at the same moments, and a sealed range must remove the same stretch of
 * wall-clock time from every track even though audio and video segments do not end at the
 * same millisecond (AAC frames are 21.3 ms, video frames 40 ms). `sharedTimeline` works
 * that out once for the whole hearing; the service passes its result to every track.
 */
import { mergeRanges, overlapsAny, widenAcrossTracks, type TimeRange } from '../../core/index.ts';

// The sealed-part rule lives in core (media/copy applies it too); re-exported for this module's users.
export { mergeRanges, type TimeRange };

/** The parts of a catalog segment row (storage `segments` table) the player needs. */
export interface TimelineSegment {
  seq: number;
  /** Wall-clock start, UTC epoch milliseconds (the recorder's clock). */
  start_ms: number;
  /** Length from the media timestamps, milliseconds. */
  duration_ms: number;
  object_key: string;
}

/** A wall-clock jump larger than this between two segments is a new run (pause, restart). */
export const GAP_TOLERANCE_MS = 100;

export const HLS_VERSION = 6;
export const HLS_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
/** The EXT-X-MEDIA group every audio rendition belongs to. */
export const AUDIO_GROUP = 'aud';

// ------------------------------------------------------------------ timeline

export interface TimelineEntry {
  segment: TimelineSegment;
  /** Where the segment starts in the playlist's (playing) time, milliseconds. */
  offsetMs: number;
  /** A discontinuity precedes this segment (never the first one). */
  discontinuity: boolean;
}

export interface Timeline {
  entries: TimelineEntry[];
  /** Total playing time, milliseconds. */
  durationMs: number;
}

export interface TimelineInput {
  /** One track's segments, in any order. */
  segments: readonly TimelineSegment[];
  /** Ranges to leave out (sealed parts); a segment overlapping one is left out whole. */
  excludeRanges?: readonly TimeRange[];
  /**
   * Wall-clock moments at which every track starts a new discontinuity block, from
   * `sharedTimeline`: the first segment starting at or after each gets a discontinuity,
   * so all tracks count discontinuities alike even if one of them lacks a segment.
   */
  breaksMs?: readonly number[];
  toleranceMs?: number;
}

function endOf(s: TimelineSegment): number {
  return s.start_ms + s.duration_ms;
}

function checkSegment(s: TimelineSegment): void {
  if (!Number.isFinite(s.start_ms) || !Number.isFinite(s.duration_ms) || s.duration_ms < 0) {
    throw new RangeError(`segment ${s.object_key} has an invalid start or duration`);
  }
}

function bySeq(segments: readonly TimelineSegment[]): TimelineSegment[] {
  for (const s of segments) checkSegment(s);
  return [...segments].sort((a, b) => a.start_ms - b.start_ms || a.seq - b.seq);
}

/** The segments a playlist keeps, in order, with their playing-time offsets and discontinuities. */
export function buildTimeline(input: TimelineInput): Timeline {
  const tolerance = input.toleranceMs ?? GAP_TOLERANCE_MS;
  const excluded = mergeRanges(input.excludeRanges ?? []);
  const breaks = [...(input.breaksMs ?? [])].sort((a, b) => a - b);
  const entries: TimelineEntry[] = [];
  let offsetMs = 0;
  let prev: TimelineSegment | null = null;
  let removedSincePrev = false;
  let b = 0;
  for (const s of bySeq(input.segments)) {
    if (overlapsAny(s, excluded)) {
      removedSincePrev = true;
      continue;
    }
    let discontinuity = false;
    if (prev) {
      const jump = s.start_ms - endOf(prev);
      discontinuity = removedSincePrev || Math.abs(jump) > tolerance;
      // A shared break between the previous segment's start and this one's start.
      while (b < breaks.length && breaks[b]! <= prev.start_ms + tolerance) b++;
      if (b < breaks.length && breaks[b]! <= s.start_ms + tolerance) {
        discontinuity = true;
        while (b < breaks.length && breaks[b]! <= s.start_ms + tolerance) b++;
      }
    }
    entries.push({ segment: s, offsetMs, discontinuity });
    offsetMs += s.duration_ms;
    prev = s;
    removedSincePrev = false;
  }
  return { entries, durationMs: offsetMs };
}

export interface SharedTimeline {
  /** The sealed ranges widened so that every track loses the same stretch of wall-clock time. */
  excludeRanges: TimeRange[];
  /** Where any track's run changes (a gap of more than the tolerance): every track breaks there. */
  breaksMs: number[];
}

/**
 * What every track of one hearing must agree on. A sealed range removes, in each track, the
 * segments that overlap it; their union is then removed from every track (a segment that
 * reaches into it by no more than the tolerance stays, or the removal would creep along a
 * track whose boundaries sit a few milliseconds from another's), until nothing changes.
 * The result is returned as plain ranges that still contain every sealed range, so the
 * per-track functions stay simple: a segment is left out exactly when it overlaps one.
 */
export function sharedTimeline(input: {
  tracks: readonly (readonly TimelineSegment[])[];
  excludeRanges: readonly TimeRange[];
  toleranceMs?: number;
}): SharedTimeline {
  const tolerance = input.toleranceMs ?? GAP_TOLERANCE_MS;
  const tracks = input.tracks.map(bySeq);
  const breaks = new Set<number>();
  for (const segments of tracks) {
    for (let i = 1; i < segments.length; i++) {
      const s = segments[i]!;
      if (Math.abs(s.start_ms - endOf(segments[i - 1]!)) > tolerance) breaks.add(s.start_ms);
    }
  }

  const ranges = widenAcrossTracks(tracks, input.excludeRanges, tolerance);
  return { excludeRanges: ranges, breaksMs: [...breaks].sort((a, b) => a - b) };
}

// ------------------------------------------------------------------ positions

export interface PositionInput extends TimelineInput {
  /** A wall-clock time, UTC epoch milliseconds. */
  atMs: number;
}

function lastStartingAtOrBefore(entries: readonly TimelineEntry[], atMs: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.segment.start_ms <= atMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The playlist time (seconds) that shows wall-clock time `atMs`, for `?t=` deep links.
 * A time inside a pause, a restart's gap or a removed (sealed) range maps to the first
 * moment played after it; a time before the recording to 0, after it to its end.
 */
export function positionInTimeline(timeline: Timeline, atMs: number): number {
  const { entries } = timeline;
  const i = lastStartingAtOrBefore(entries, atMs);
  if (i < 0) return 0;
  const e = entries[i]!;
  const into = atMs - e.segment.start_ms;
  if (into < e.segment.duration_ms) return (e.offsetMs + into) / 1000;
  const next = entries[i + 1];
  return (next ? next.offsetMs : timeline.durationMs) / 1000;
}

/** The wall-clock time (UTC epoch ms) shown at playlist time `offsetSeconds`; the inverse of positionFor. */
export function wallClockInTimeline(timeline: Timeline, offsetSeconds: number): number | null {
  const { entries } = timeline;
  if (entries.length === 0) return null;
  const offsetMs = Math.max(0, offsetSeconds * 1000);
  let lo = 0;
  let hi = entries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (entries[mid]!.offsetMs <= offsetMs) lo = mid;
    else hi = mid - 1;
  }
  const e = entries[lo]!;
  const into = Math.min(offsetMs - e.offsetMs, e.segment.duration_ms);
  return Math.round(e.segment.start_ms + into);
}

export function positionFor(input: PositionInput): number {
  return positionInTimeline(buildTimeline(input), input.atMs);
}

/** The wall-clock time (UTC epoch ms) at a playlist offset; null for an empty playlist. */
export function wallClockAt(input: TimelineInput & { offsetSeconds: number }): number | null {
  return wallClockInTimeline(buildTimeline(input), input.offsetSeconds);
}

// ------------------------------------------------------------------ playlists

/** A URI inside a playlist line or a quoted attribute: no line breaks, no quotes (RFC 8216 4.2). */
function safeUri(uri: string): string {
  if (/[\r\n"]/.test(uri))
    throw new RangeError(`a playlist URI may not contain quotes or line breaks: ${uri}`);
  return uri;
}

export interface MediaPlaylistInput extends TimelineInput {
  uriFor: (segment: TimelineSegment) => string;
  /** At least this many seconds; raised to the longest segment when one is longer. */
  targetDuration?: number;
  /**
   * The hearing is stopped: the playlist is complete (VOD with EXT-X-ENDLIST). While it is
   * still recording the playlist grows, which VOD forbids (RFC 8216 4.3.3.5), so it is an
   * EVENT playlist that players reload.
   */
  ended?: boolean;
}

/** A media playlist with precomputed timeline, so the service can sign only what it lists. */
export function renderMediaPlaylist(input: {
  timeline: Timeline;
  uris: readonly string[];
  targetDuration?: number;
  ended: boolean;
}): string {
  const { entries } = input.timeline;
  let longest = 0;
  for (const e of entries) longest = Math.max(longest, e.segment.duration_ms);
  // EXTINF rounded must not exceed the target (8216bis 4.4.3.1); ceil is safe under both readings.
  const target = Math.max(1, Math.ceil(input.targetDuration ?? 1), Math.ceil(longest / 1000));
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-PLAYLIST-TYPE:${input.ended ? 'VOD' : 'EVENT'}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-DISCONTINUITY-SEQUENCE:0',
  ];
  entries.forEach((e, i) => {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    // The wall clock on the first segment and wherever the timestamps restart; players
    // derive the rest from the durations (8216bis 4.4.4.6).
    if (i === 0 || e.discontinuity)
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(e.segment.start_ms).toISOString()}`);
    lines.push(`#EXTINF:${(e.segment.duration_ms / 1000).toFixed(3)},`, safeUri(input.uris[i]!));
  });
  if (input.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export function mediaPlaylist(input: MediaPlaylistInput): string {
  const timeline = buildTimeline(input);
  return renderMediaPlaylist({
    timeline,
    uris: timeline.entries.map((e) => input.uriFor(e.segment)),
    targetDuration: input.targetDuration,
    ended: input.ended ?? true,
  });
}

export interface MasterTrack {
  /** `video`, `mix`, `mic-N`, `remote-<id>-audio|video`. */
  name: string;
  kind: 'video' | 'audio';
  /** RFC 6381 codec string; defaults from `codec` (h264, aac). */
  codecs?: string;
  /** Catalog codec name, used when `codecs` is absent. */
  codec?: string | null;
  channels?: number | null;
  /** Peak segment bit rate, bits/s (BANDWIDTH is the peak, 8216bis 4.4.6.2). */
  peakBitrate?: number;
  averageBitrate?: number;
  /** Who speaks into this microphone; not shown in the playlist (NAME stays the track name). */
  speaker?: string | null;
}

export interface MasterPlaylistInput {
  hearingId: string;
  tracks: readonly MasterTrack[];
  uriFor: (track: string) => string;
  /** BCP 47 language of the hearing (ru, kk). */
  language?: string;
}

/**
 * The hint players use to pick source buffers before they parse the media. hls.js takes
 * the codec it parses from the segments over this one, so a camera streamed without
 * re-encoding in another H.264 profile still plays; High 4.0 is what browsers accept.
 */
export function codecsOf(track: MasterTrack): string {
  if (track.codecs) return track.codecs;
  const codec = (track.codec ?? (track.kind === 'video' ? 'h264' : 'aac')).toLowerCase();
  if (codec === 'h264' || codec === 'avc1') return 'avc1.640028';
  if (codec === 'aac') return 'mp4a.40.2';
  if (codec === 'opus') return 'opus';
  if (codec === 'mp3') return 'mp4a.40.34';
  return codec;
}

const FALLBACK_BITRATE = { video: 2_000_000, audio: 128_000 } as const;

function quoted(value: string): string {
  if (/[\r\n"]/.test(value))
    throw new RangeError(`a quoted playlist attribute may not contain quotes: ${value}`);
  return `"${value}"`;
}

/** Audio tracks in the order a reviewer expects: mix first, then mic-1, mic-2, …, then remote ones. */
function audioOrder(a: MasterTrack, b: MasterTrack): number {
  const rank = (t: MasterTrack) => {
    if (t.name === 'mix') return [0, 0] as const;
    const mic = /^mic-(\d+)$/.exec(t.name);
    if (mic) return [1, Number(mic[1])] as const;
    return [2, 0] as const;
  };
  const [ra, na] = rank(a);
  const [rb, nb] = rank(b);
  return ra - rb || na - nb || a.name.localeCompare(b.name);
}

/**
 * The master playlist: one variant (the video, or for an audio-only hearing the main audio)
 * and an audio group with the `mix` as the default rendition and every microphone as an
 * alternate that is never chosen automatically, so a reviewer can listen to one participant
 * alone. In an audio-only hearing the main audio is the variant itself, so its rendition has
 * no URI (RFC 8216 4.3.4.1: the media is in the variant); hls.js then plays a microphone
 * instead of the variant's audio when one is picked.
 */
export function masterPlaylist(input: MasterPlaylistInput): string {
  const video =
    input.tracks.find((t) => t.kind === 'video' && t.name === 'video') ??
    input.tracks.find((t) => t.kind === 'video');
  const audio = input.tracks.filter((t) => t.kind === 'audio').sort(audioOrder);
  const main = audio.find((t) => t.name === 'mix') ?? audio[0];
  if (!video && !main) throw new RangeError(`hearing ${input.hearingId} has no track to play`);
  const lang = input.language ? `,LANGUAGE=${quoted(input.language)}` : '';
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const t of audio) {
    const isDefault = t === main;
    const uri = !video && isDefault ? '' : `,URI=${quoted(safeUri(input.uriFor(t.name)))}`;
    const channels = t.channels ? `,CHANNELS=${quoted(String(t.channels))}` : '';
    const yes = isDefault ? 'YES' : 'NO';
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=${quoted(AUDIO_GROUP)},NAME=${quoted(t.name)}${lang},` +
        `AUTOSELECT=${yes},DEFAULT=${yes}${channels}${uri}`,
    );
  }
  const bitrate = (t: MasterTrack | undefined, which: 'peakBitrate' | 'averageBitrate') =>
    t ? Math.ceil(t[which] ?? t.peakBitrate ?? FALLBACK_BITRATE[t.kind]) : 0;
  // The largest sum of peak rates of any playable combination (8216bis 4.4.6.2).
  const loudest = (which: 'peakBitrate' | 'averageBitrate') =>
    audio.reduce((max, t) => Math.max(max, bitrate(t, which)), 0);
  const peak = bitrate(video, 'peakBitrate') + loudest('peakBitrate');
  const average = bitrate(video, 'averageBitrate') + loudest('averageBitrate');
  const codecs = [video, main].filter((t): t is MasterTrack => t !== undefined).map(codecsOf);
  const group = audio.length > 0 ? `,AUDIO=${quoted(AUDIO_GROUP)}` : '';
  lines.push(
    `#EXT-X-STREAM-INF:BANDWIDTH=${peak},AVERAGE-BANDWIDTH=${average},CODECS=${quoted(codecs.join(','))}${group}`,
    safeUri(input.uriFor((video ?? main)!.name)),
  );
  return `${lines.join('\n')}\n`;
}
