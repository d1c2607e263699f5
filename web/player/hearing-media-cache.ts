/**
 * The catalog rows a playlist needs, remembered for finished hearings. A playlist needs
 * every track's segments (the tracks share one timeline), which for a two-hour hearing is
 * ~10,800 rows: reading them costs far more than rendering the playlist. Once a hearing is
 * stopped and its manifest written, its segments are final (docs/architecture.md: a recording is
 * never modified after upload; the manifest is written when every segment is delivered),
 * so they are kept keyed by the manifest's SHA-256 and read again only if that changes.
 * A hearing still recording is read afresh on every request.
 */
import type { HearingState } from '../../storage/index.ts';
import type { PlaylistSegment, PlaylistTrack } from './playlist.service.ts';

export interface HearingRows {
  tracks: readonly PlaylistTrack[];
  segments: readonly PlaylistSegment[];
}

export interface CacheableHearing {
  id: string;
  state: HearingState;
  manifest_sha256: string | null;
}

export class HearingMediaCache {
  private readonly entries = new Map<string, { manifest: string; rows: HearingRows }>();

  /** @param maxHearings finished hearings kept (about 1.5 MB each for two hours of six tracks). */
  constructor(private readonly maxHearings = 16) {}

  async get(hearing: CacheableHearing, load: () => Promise<HearingRows>): Promise<HearingRows> {
    const final = hearing.state === 'stopped' && hearing.manifest_sha256 !== null;
    const cached = this.entries.get(hearing.id);
    if (final && cached && cached.manifest === hearing.manifest_sha256) {
      // Most recently used last, so the least used goes first.
      this.entries.delete(hearing.id);
      this.entries.set(hearing.id, cached);
      return cached.rows;
    }
    const loaded = await load();
    if (!final) return loaded;
    // Keep only what playlists read: a catalog row carries hashes and chain values too.
    const rows: HearingRows = {
      tracks: loaded.tracks.map((t) => ({
        name: t.name,
        kind: t.kind,
        codec: t.codec,
        channels: t.channels,
        speaker: t.speaker ?? null,
      })),
      segments: loaded.segments.map((s) => ({
        track: s.track,
        seq: s.seq,
        start_ms: s.start_ms,
        duration_ms: s.duration_ms,
        object_key: s.object_key,
        size: s.size,
      })),
    };
    this.entries.delete(hearing.id);
    this.entries.set(hearing.id, { manifest: hearing.manifest_sha256!, rows });
    while (this.entries.size > this.maxHearings) this.entries.delete(this.entries.keys().next().value!);
    return rows;
  }

  /** Forgets a hearing (e.g. after a retention deletion). */
  forget(hearingId: string): void {
    this.entries.delete(hearingId);
  }
}
