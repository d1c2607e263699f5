/**
 * Builds one viewer's HLS playlists for one hearing, after the access-policy check (which
 * is the caller's: this service only renders what it is given). Segment URIs are
 * short-lived object URLs (S3 presigned, or hub-signed `/objects/...` for the local
 * store); playlist URIs point to the hub's own routes:
 *
 *   <hubBase>/api/hearings/<id>/hls/master.m3u8
 *   <hubBase>/api/hearings/<id>/hls/<track>.m3u8
 *
 * Signing speed. A two-hour hearing has ~1,800 segments per track, so a media playlist
 * needs ~1,800 URLs. Signing them afresh on every request costs an HMAC each on the local
 * store and a SigV4 signature each on S3; instead a URL is reused while it still has at
 * least (expiry − refresh window) of its life left, so a URL handed out is always valid
 * for 80–100 % of the configured expiry and never longer.
 *
 * Bound URLs. With `signBound` and a request's `binding` (the viewer's session id), every
 * segment URL is the hub's `/objects/...&bound=1` URL signed for that session alone, on
 * either object store (docs/decisions/0016): the /objects route re-checks the session and
 * the policy on every fetch. URLs and playlists are then cached per binding.
 */
import { NotFoundError } from '../../core/index.ts';
import type { HearingState, ObjectStore, Segment, Track } from '../../storage/index.ts';
import {
  buildTimeline,
  masterPlaylist,
  positionInTimeline,
  renderMediaPlaylist,
  sharedTimeline,
  wallClockInTimeline,
  type MasterTrack,
  type SharedTimeline,
  type Timeline,
  type TimeRange,
} from './hls-playlists.ts';

export type PlaylistSegment = Pick<
  Segment,
  'track' | 'seq' | 'start_ms' | 'duration_ms' | 'object_key' | 'size'
>;
export type PlaylistTrack = Pick<Track, 'name' | 'kind' | 'codec' | 'channels'> & { speaker?: string | null };

/** What the hub looked up for one request: the hearing, its tracks and all their segments. */
export interface HearingMedia {
  hearing: { id: string; state: HearingState; language: string };
  tracks: readonly PlaylistTrack[];
  /**
   * Every segment of every track (catalog rows), in any order. Treated as immutable: pass a
   * new array when rows are added (a catalog query does), never a mutated one.
   */
  segments: readonly PlaylistSegment[];
  /** What this viewer may not see (sealed ranges), UTC epoch ms, half-open. */
  excludeRanges: readonly TimeRange[];
}

export interface PlaylistServiceOptions {
  objects: Pick<ObjectStore, 'presignGet'>;
  /** Lifetime of a segment URL (configuration: HATTAMA_PRESIGN_EXPIRY_SECONDS). */
  expirySeconds: number;
  /** Prefix of hub URLs: '' for root-relative ones, or e.g. 'https://hub.court.kz'. */
  hubBase?: string;
  clock?: { now(): number };
  /** A URL is re-signed once it is older than this; default a fifth of the expiry, at most 60 s. */
  refreshAfterMs?: number;
  /** Signs a URL for one session (UrlSigner.signBound); used when a request names its binding. */
  signBound?: (key: string, options: { expirySeconds: number; binding: string }) => string;
  /** Bound on remembered URLs (about 300 bytes each); default 100,000. */
  maxCachedUrls?: number;
  /**
   * Bound on remembered media playlists (one per hearing, track and set of exclusions):
   * a two-hour track's is ~260 kB with hub-signed URLs, ~600 kB with S3 ones; default 64.
   */
  maxCachedPlaylists?: number;
}

export interface HearingTimeline {
  /** The track whose playing time the player shows: the video, else the main audio. */
  mainTrack: string;
  durationSeconds: number;
  /** Playlist time (s) showing wall-clock `atMs` (for `?t=` deep links). */
  positionFor(atMs: number): number;
  /** Wall-clock time (UTC ms) at playlist time `offsetSeconds`; null when nothing is playable. */
  wallClockAt(offsetSeconds: number): number | null;
}

interface CachedUrl {
  url: string;
  signedAt: number;
}

interface CachedPlaylist {
  fingerprint: string;
  /** The UTF-8 bytes, ready to send: a two-hour track's is ~270 kB, not re-encoded per request. */
  body: Buffer;
  /** When the oldest URL in it was signed: the text is reused while that URL is fresh enough. */
  oldestSignedAt: number;
}

export class PlaylistService {
  private readonly objects: Pick<ObjectStore, 'presignGet'>;
  private readonly signBound: PlaylistServiceOptions['signBound'];
  private readonly expirySeconds: number;
  private readonly hubBase: string;
  private readonly clock: { now(): number };
  private readonly refreshAfterMs: number;
  private readonly maxCachedUrls: number;
  private readonly maxCachedPlaylists: number;
  private readonly urls = new Map<string, CachedUrl>();
  private readonly playlists = new Map<string, CachedPlaylist>();
  private readonly masters = new Map<string, { fingerprint: string; body: Buffer }>();
  private readonly timelines = new Map<string, { fingerprint: string; shared: SharedTimeline }>();

  constructor(options: PlaylistServiceOptions) {
    if (!Number.isSafeInteger(options.expirySeconds) || options.expirySeconds < 1) {
      throw new RangeError('expirySeconds must be a positive integer');
    }
    this.objects = options.objects;
    this.signBound = options.signBound;
    this.expirySeconds = options.expirySeconds;
    this.hubBase = (options.hubBase ?? '').replace(/\/+$/, '');
    this.clock = options.clock ?? Date;
    this.refreshAfterMs =
      options.refreshAfterMs ?? Math.min(60_000, Math.floor((options.expirySeconds * 1000) / 5));
    this.maxCachedUrls = options.maxCachedUrls ?? 100_000;
    this.maxCachedPlaylists = options.maxCachedPlaylists ?? 64;
  }

  masterUri(hearingId: string): string {
    return `${this.hubBase}/api/hearings/${encodeURIComponent(hearingId)}/hls/master.m3u8`;
  }

  mediaUri(hearingId: string, track: string): string {
    return `${this.hubBase}/api/hearings/${encodeURIComponent(hearingId)}/hls/${encodeURIComponent(track)}.m3u8`;
  }

  /**
   * The master playlist. Signs nothing; bit rates come from the catalog's segment sizes.
   * NotFoundError while nothing has been recorded (a scheduled hearing).
   */
  master(media: HearingMedia): string {
    return this.masterBody(media).toString('utf8');
  }

  /** The master playlist as the bytes to send (cached while the hearing's rows are the same). */
  masterBody(media: HearingMedia): Buffer {
    if (!media.tracks.some((t) => t.kind === 'video' || t.kind === 'audio'))
      throw new NotFoundError(`hearing ${media.hearing.id} has no recording to play yet`, {
        hearingId: media.hearing.id,
      });
    const fingerprint = fingerprintOf(media);
    const cacheKey = `${media.hearing.id}\nmaster`;
    const cached = this.masters.get(cacheKey);
    if (cached && cached.fingerprint === fingerprint) return cached.body;
    const body = Buffer.from(this.renderMaster(media), 'utf8');
    boundedSet(this.masters, cacheKey, { fingerprint, body }, this.maxCachedPlaylists);
    return body;
  }

  private renderMaster(media: HearingMedia): string {
    const stats = bitrates(media.segments);
    const tracks: MasterTrack[] = media.tracks.map((t) => ({
      name: t.name,
      kind: t.kind,
      codec: t.codec,
      channels: t.channels,
      speaker: t.speaker ?? null,
      ...stats.get(t.name),
    }));
    return masterPlaylist({
      hearingId: media.hearing.id,
      tracks,
      language: media.hearing.language,
      uriFor: (track) => this.mediaUri(media.hearing.id, track),
    });
  }

  /** One track's media playlist with fresh (or fresh enough) segment URLs. NotFoundError for an unknown track. */
  async media(media: HearingMedia & { track: string; binding?: string }): Promise<string> {
    return (await this.mediaBody(media)).toString('utf8');
  }

  /**
   * The media playlist as the bytes to send. Reused while every URL in it keeps at least
   * (expiry − refresh window) of its life and the segment set, state and exclusions are
   * the same; otherwise rendered again (re-signing only the URLs that aged out).
   */
  async mediaBody(media: HearingMedia & { track: string; binding?: string }): Promise<Buffer> {
    if (!media.tracks.some((t) => t.name === media.track)) {
      throw new NotFoundError(`hearing ${media.hearing.id} has no track ${media.track}`, {
        hearingId: media.hearing.id,
        track: media.track,
      });
    }
    // Catalog rows are never changed once registered, only added, so counts and sums per
    // track identify the segment set; the state decides VOD or EVENT.
    const fingerprint = fingerprintOf(media);
    const binding = this.signBound ? media.binding : undefined;
    const cacheKey = `${media.hearing.id}\n${media.track}\n${rangesKey(media.excludeRanges)}\n${binding ?? ''}`;
    const cached = this.playlists.get(cacheKey);
    if (cached && cached.fingerprint === fingerprint && this.fresh(cached.oldestSignedAt, this.clock.now())) {
      return cached.body;
    }
    const shared = this.shared(media, fingerprint);
    const timeline = this.timelineOf(media, media.track, shared);
    const signed = await this.signAll(
      timeline.entries.map((e) => e.segment.object_key),
      binding,
    );
    const body = Buffer.from(
      renderMediaPlaylist({
        timeline,
        uris: signed.urls,
        ended: media.hearing.state === 'stopped',
      }),
      'utf8',
    );
    boundedSet(
      this.playlists,
      cacheKey,
      { fingerprint, body, oldestSignedAt: signed.oldestSignedAt },
      this.maxCachedPlaylists,
    );
    return body;
  }

  /** Maps wall-clock time to the main track's playing time and back. */
  timeline(media: HearingMedia): HearingTimeline {
    const mainTrack = mainTrackOf(media.tracks);
    const timeline: Timeline =
      mainTrack === null
        ? { entries: [], durationMs: 0 }
        : this.timelineOf(media, mainTrack, this.shared(media, fingerprintOf(media)));
    return {
      mainTrack: mainTrack ?? '',
      durationSeconds: timeline.durationMs / 1000,
      positionFor: (atMs) => positionInTimeline(timeline, atMs),
      wallClockAt: (offsetSeconds) => wallClockInTimeline(timeline, offsetSeconds),
    };
  }

  /** How many URLs are remembered (for health pages and tests). */
  get cachedUrls(): number {
    return this.urls.size;
  }

  private fresh(signedAt: number, now: number): boolean {
    return now >= signedAt && now - signedAt <= this.refreshAfterMs;
  }

  private shared(media: HearingMedia, fingerprint: string): SharedTimeline {
    const cacheKey = `${media.hearing.id}\n${rangesKey(media.excludeRanges)}`;
    const cached = this.timelines.get(cacheKey);
    if (cached && cached.fingerprint === fingerprint) return cached.shared;
    const byTrack = new Map<string, PlaylistSegment[]>();
    for (const t of media.tracks) byTrack.set(t.name, []);
    for (const s of media.segments) byTrack.get(s.track)?.push(s);
    const shared = sharedTimeline({ tracks: [...byTrack.values()], excludeRanges: media.excludeRanges });
    boundedSet(this.timelines, cacheKey, { fingerprint, shared }, this.maxCachedPlaylists);
    return shared;
  }

  private timelineOf(media: HearingMedia, track: string, shared: SharedTimeline): Timeline {
    return buildTimeline({
      segments: media.segments.filter((s) => s.track === track),
      excludeRanges: shared.excludeRanges,
      breaksMs: shared.breaksMs,
    });
  }

  private async signAll(
    keys: readonly string[],
    binding: string | undefined,
  ): Promise<{ urls: string[]; oldestSignedAt: number }> {
    const now = this.clock.now();
    const out = new Array<string>(keys.length);
    const misses: Promise<void>[] = [];
    let oldestSignedAt = now;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const urlKey = binding === undefined ? key : `${binding}\n${key}`;
      const cached = this.urls.get(urlKey);
      if (cached && this.fresh(cached.signedAt, now)) {
        out[i] = cached.url;
        if (cached.signedAt < oldestSignedAt) oldestSignedAt = cached.signedAt;
        continue;
      }
      if (binding !== undefined && this.signBound) {
        // An HMAC: synchronous and cheap, so no promise per URL.
        const url = `${this.hubBase}${this.signBound(key, { expirySeconds: this.expirySeconds, binding })}`;
        this.remember(urlKey, { url, signedAt: now });
        out[i] = url;
        continue;
      }
      misses.push(
        this.objects.presignGet(key, { expirySeconds: this.expirySeconds }).then((signed) => {
          const url = signed.startsWith('/') ? `${this.hubBase}${signed}` : signed;
          this.remember(key, { url, signedAt: now });
          out[i] = url;
        }),
      );
    }
    if (misses.length > 0) await Promise.all(misses);
    return { urls: out, oldestSignedAt };
  }

  private remember(key: string, entry: CachedUrl): void {
    boundedSet(this.urls, key, entry, this.maxCachedUrls);
  }
}

/** Sets a key last in Map order; drops the oldest entries past `max`. */
function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  let excess = map.size - max;
  if (excess <= 0) return;
  for (const oldest of map.keys()) {
    if (excess-- <= 0) break;
    map.delete(oldest);
  }
}

function rangesKey(ranges: readonly TimeRange[]): string {
  return ranges.map((r) => `${r.startMs}-${r.endMs}`).join(',');
}

/** Segment sums by array: the same (cached, final) array of rows is summed once. */
const segmentSums = new WeakMap<readonly PlaylistSegment[], string>();

/** Identifies the segment set of every track and the hearing's state. */
function fingerprintOf(media: HearingMedia): string {
  let sums = segmentSums.get(media.segments);
  if (sums === undefined) {
    sums = sumSegments(media.segments);
    segmentSums.set(media.segments, sums);
  }
  const h = media.hearing;
  return `${h.state}|${h.language}|${media.tracks.map((t) => `${t.name}:${t.codec}:${t.channels}`).join(',')}|${sums}`;
}

function sumSegments(segments: readonly PlaylistSegment[]): string {
  const acc = new Map<string, [number, number, number, number]>();
  for (const s of segments) {
    let a = acc.get(s.track);
    if (!a) acc.set(s.track, (a = [0, 0, 0, 0]));
    a[0] += 1;
    a[1] += s.seq;
    a[2] = Math.max(a[2], s.start_ms); // a sum of epoch ms would outgrow exact doubles
    a[3] += s.duration_ms;
  }
  return [...acc]
    .sort((x, y) => (x[0] < y[0] ? -1 : 1))
    .map(([track, a]) => `${track}:${a.join(':')}`)
    .join('|');
}

/** The video, or for an audio-only hearing the mix (else the first audio track). */
export function mainTrackOf(tracks: readonly PlaylistTrack[]): string | null {
  const video = tracks.find((t) => t.name === 'video') ?? tracks.find((t) => t.kind === 'video');
  if (video) return video.name;
  const audio = tracks.filter((t) => t.kind === 'audio');
  return (audio.find((t) => t.name === 'mix') ?? audio[0])?.name ?? null;
}

/** Peak and average bit rate of each track from segment sizes (MPEG-TS overhead included, as HLS wants). */
function bitrates(
  segments: readonly PlaylistSegment[],
): Map<string, { peakBitrate: number; averageBitrate: number }> {
  const acc = new Map<string, { peak: number; bytes: number; ms: number }>();
  for (const s of segments) {
    const a = acc.get(s.track) ?? { peak: 0, bytes: 0, ms: 0 };
    // A last segment of a few frames says little about the rate; count it in the average only.
    if (s.duration_ms >= 1000) a.peak = Math.max(a.peak, (s.size * 8000) / s.duration_ms);
    a.bytes += s.size;
    a.ms += s.duration_ms;
    acc.set(s.track, a);
  }
  const out = new Map<string, { peakBitrate: number; averageBitrate: number }>();
  for (const [track, a] of acc) {
    if (a.ms <= 0) continue;
    const average = (a.bytes * 8000) / a.ms;
    out.set(track, { peakBitrate: Math.max(a.peak, average), averageBitrate: average });
  }
  return out;
}

/** Everything at once, for one request or a test: the master and every track's media playlist. */
export async function buildHearingPlaylists(
  input: HearingMedia &
    Omit<PlaylistServiceOptions, 'objects'> & { objects: Pick<ObjectStore, 'presignGet'> },
): Promise<{ master: string; media: Map<string, string>; timeline: HearingTimeline }> {
  const service = new PlaylistService(input);
  const media = new Map<string, string>();
  for (const t of input.tracks) media.set(t.name, await service.media({ ...input, track: t.name }));
  return { master: service.master(input), media, timeline: service.timeline(input) };
}
