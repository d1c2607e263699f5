/**
 * The hearing's manifest: the facts of the hearing, every track with every segment
 * (key, seq, start, duration, size, SHA-256, chain value), each track's final chain
 * value, and the markers. Written as canonical JSON next to the segments when the
 * hearing stops, so its own SHA-256 is stable and the brief protocol can cite it.
 *
 * Markers commit to their text by hash (`textSha256`, v2) instead of carrying it: a
 * marker inside a part sealed later may hold what the sealing protects, and a manifest
 * must verify against the catalog's SHA-256 of its bytes for every viewer. The text is
 * in the catalog, for those the access policy lets read it; anyone holding it checks it
 * against `textSha256` (`markerTextSha256`). Manifests written before (v1) carry the
 * text; a viewer kept from a sealed part gets a v1 manifest with those texts replaced by
 * their commitment (`redactManifest`). See docs/decisions/0015-hearing-lists-and-redaction.md.
 */
import { z } from 'zod';
import {
  CHAIN_VERSION,
  canonicalJson,
  chainGenesis,
  isoTime,
  sha256Hex,
  sha256Schema,
  trackNameSchema,
} from '../core/index.ts';
import type { Court, Courtroom, Hearing, Marker, Segment, Track } from './catalog/index.ts';

export const MANIFEST_FORMAT = 'hattama-manifest-v2';
/** Manifests written before markers committed to their text by hash: they carry the text. */
export const MANIFEST_FORMAT_V1 = 'hattama-manifest-v1';

const isoSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be UTC ISO 8601 with milliseconds');

export const manifestSegmentSchema = z.object({
  seq: z.number().int().min(0),
  key: z.string().min(1),
  start: isoSchema,
  durationMs: z.number().int().min(0),
  size: z.number().int().min(0),
  sha256: sha256Schema,
  chain: sha256Schema,
});

export const manifestTrackSchema = z.object({
  name: trackNameSchema,
  kind: z.enum(['video', 'audio']),
  codec: z.string().nullable(),
  sampleRate: z.number().int().nullable(),
  channels: z.number().int().nullable(),
  speaker: z.string().nullable(),
  genesis: sha256Schema,
  segmentCount: z.number().int().min(0),
  durationMs: z.number().int().min(0),
  /** The chain value of the last segment (the genesis when there is none). */
  finalChain: sha256Schema,
  segments: z.array(manifestSegmentSchema),
});

const manifestMarkerBase = z.strictObject({
  id: z.string(),
  kind: z.string(),
  at: isoSchema,
  end: isoSchema.nullable(),
  author: z.string(),
});

export const manifestSchema = z.object({
  format: z.enum([MANIFEST_FORMAT, MANIFEST_FORMAT_V1]),
  chain: z.object({
    version: z.literal(CHAIN_VERSION),
    genesis: z.string(),
    link: z.string(),
  }),
  hearing: z.object({
    id: z.string(),
    caseNumber: z.string(),
    title: z.string(),
    judge: z.string(),
    visibility: z.enum(['open', 'closed']),
    language: z.enum(['ru', 'kk']),
    court: z.object({ id: z.string(), name: z.string() }),
    courtroom: z.object({ id: z.string(), name: z.string() }),
    startedAt: isoSchema.nullable(),
    stoppedAt: isoSchema.nullable(),
  }),
  tracks: z.array(manifestTrackSchema),
  markers: z.array(
    z.union([
      // v2: the text's commitment only.
      manifestMarkerBase.extend({ textSha256: sha256Schema }),
      // v1 as stored: the text itself.
      manifestMarkerBase.extend({ text: z.string() }),
      // v1 handed to a viewer kept from the marker's part: the text replaced by its commitment.
      manifestMarkerBase.extend({ redacted: z.literal(true), textSha256: sha256Schema }),
    ]),
  ),
  createdAt: isoSchema,
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestTrack = z.infer<typeof manifestTrackSchema>;

export interface ManifestInput {
  hearing: Hearing;
  court: Court;
  courtroom: Courtroom;
  tracks: Track[];
  segments: Segment[];
  markers: Marker[];
  createdAtMs: number;
}

/** Assembles the manifest from catalog rows (pure). */
export function buildManifest(input: ManifestInput): Manifest {
  const { hearing } = input;
  const tracks = [...input.tracks]
    .sort((a, b) => trackOrder(a.name) - trackOrder(b.name) || a.name.localeCompare(b.name))
    .map((t): ManifestTrack => {
      const segments = input.segments.filter((s) => s.track === t.name).sort((a, b) => a.seq - b.seq);
      const genesis = chainGenesis(hearing.id, t.name);
      return {
        name: t.name,
        kind: t.kind,
        codec: t.codec,
        sampleRate: t.sample_rate,
        channels: t.channels,
        speaker: t.speaker,
        genesis,
        segmentCount: segments.length,
        durationMs: segments.reduce((sum, s) => sum + s.duration_ms, 0),
        finalChain: segments[segments.length - 1]?.chain ?? genesis,
        segments: segments.map((s) => ({
          seq: s.seq,
          key: s.object_key,
          start: isoTime(s.start_ms),
          durationMs: s.duration_ms,
          size: s.size,
          sha256: s.sha256,
          chain: s.chain,
        })),
      };
    });
  return {
    format: MANIFEST_FORMAT,
    chain: {
      version: CHAIN_VERSION,
      genesis: `sha256("${CHAIN_VERSION}|" + hearing id + "|" + track name)`,
      link: 'sha256(previous chain + "|" + seq + "|" + start + "|" + durationMs + "|" + sha256 of the segment), as UTF-8 text, lower-case hex',
    },
    hearing: {
      id: hearing.id,
      caseNumber: hearing.case_number,
      title: hearing.title,
      judge: hearing.judge,
      visibility: hearing.visibility,
      language: hearing.language,
      court: { id: input.court.id, name: input.court.name },
      courtroom: { id: input.courtroom.id, name: input.courtroom.name },
      startedAt: hearing.started_at === null ? null : isoTime(hearing.started_at),
      stoppedAt: hearing.stopped_at === null ? null : isoTime(hearing.stopped_at),
    },
    tracks,
    markers: [...input.markers]
      .sort((a, b) => a.at_ms - b.at_ms || a.id.localeCompare(b.id))
      .map((m) => ({
        id: m.id,
        kind: m.kind,
        at: isoTime(m.at_ms),
        end: m.end_ms === null ? null : isoTime(m.end_ms),
        author: m.author,
        textSha256: markerTextSha256(m),
      })),
    createdAt: isoTime(input.createdAtMs),
  };
}

/**
 * A marker text's commitment: SHA-256 of the canonical JSON `{"id":…,"text":…}` (UTF-8,
 * lower-case hex). The marker's id (a random UUID) is in it, so equal texts of two
 * markers commit differently; a short, guessable text (an empty one, "recess") can still
 * be confirmed by whoever guesses it, which is why sealed parts' markers should say what
 * matters in words no one guesses (see the decision).
 */
export function markerTextSha256(m: { id: string; text: string }): string {
  return sha256Hex(canonicalJson({ id: m.id, text: m.text }));
}

export type ManifestMarker = Manifest['markers'][number];

/**
 * The manifest as handed to a viewer kept from some of its markers (`hide` says which):
 * a v1 manifest's hidden markers lose their text for its commitment and say `redacted`.
 * A v2 manifest carries no text, so it is returned as it is. `changed` says whether the
 * copy differs from the stored one (then its bytes no longer hash to the catalog's
 * SHA-256: a v1 manifest cannot be both redacted and verified whole, which is why v2
 * commits to texts instead of carrying them).
 */
export function redactManifest(
  manifest: Manifest,
  hide: (m: ManifestMarker) => boolean,
): { manifest: Manifest; changed: boolean } {
  let changed = false;
  const markers = manifest.markers.map((m): ManifestMarker => {
    if (!('text' in m) || !hide(m)) return m;
    changed = true;
    const { text, ...rest } = m;
    return { ...rest, redacted: true, textSha256: markerTextSha256({ id: m.id, text }) };
  });
  return { manifest: changed ? { ...manifest, markers } : manifest, changed };
}

function trackOrder(name: string): number {
  if (name === 'video') return 0;
  if (name === 'mix') return 1;
  const mic = /^mic-(\d+)$/.exec(name);
  return mic ? 10 + Number(mic[1]) : 1000;
}

/** The manifest's bytes (canonical JSON) and their SHA-256. */
export function serializeManifest(manifest: Manifest): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(canonicalJson(manifest), 'utf8');
  return { bytes, sha256: sha256Hex(bytes) };
}
