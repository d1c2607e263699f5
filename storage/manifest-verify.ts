/**
 * Recording integrity: recomputes what a hearing's manifest claims from the stored
 * objects themselves. Every segment is streamed and hashed again (the object store's
 * own metadata is not trusted: it is written by the same hands that wrote the bytes),
 * each track's hash chain is recomputed from its genesis with the hashes actually
 * found, and objects under a track's prefix that the manifest does not list are
 * reported. The manifest's own SHA-256 is checked against the catalog's record when
 * one is given, so an edited manifest cannot vouch for edited segments.
 *
 * Nothing here throws for a failed check: every finding is one problem in the report,
 * naming the track and seq, so an auditor sees all of them at once.
 */
import {
  ObjectNotFoundError,
  ValidationError,
  chainGenesis,
  errorMessage,
  idSchema,
  isoTime,
  nextChain,
  sha256Hex,
  trackNameSchema,
} from '../core/index.ts';
import { manifestSchema, serializeManifest, type Manifest, type ManifestTrack } from './manifest.ts';
import { digestObject, type ObjectDigest } from './object-verify.job.ts';
import { hearingPrefix, type ObjectStore } from './objects/index.ts';

export type VerifyProblemKind =
  /** The object is gone, or the manifest skips a seq. */
  | 'missing'
  /** The object's bytes differ from what the manifest lists. */
  | 'altered'
  /** The object's length differs from the manifest's size. */
  | 'size-mismatch'
  /** The object holds the content the manifest lists for another seq of the same track. */
  | 'reordered'
  /** An object under the track's prefix that the manifest does not list. */
  | 'extra'
  /** A chain value (or genesis, or final chain) that does not follow from the listed segments. */
  | 'chain-mismatch'
  /** The manifest's own SHA-256 differs from the catalog's record of it. */
  | 'manifest-mismatch'
  /** The manifest contradicts itself (a track's segment count or duration). */
  | 'manifest-inconsistent';

export interface VerifyProblem {
  /** null for the manifest as a whole. */
  track: string | null;
  /** null for a whole track (genesis, final chain, totals) or the manifest. */
  seq: number | null;
  problem: VerifyProblemKind;
  detail: string;
}

export interface VerifyTrackSummary {
  name: string;
  /** Segments the manifest lists. */
  segments: number;
  durationMs: number;
  /** The manifest's final chain value: what the brief protocol cites. */
  finalChain: string;
  /** The chain recomputed from the genesis over the objects found; null if one is missing. */
  recomputedFinalChain: string | null;
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  hearingId: string;
  /** SHA-256 of the manifest's bytes (as given, or its canonical serialisation). */
  manifestSha256: string;
  /** The record it was checked against (the catalog's), or null when none was given. */
  expectedManifestSha256: string | null;
  tracks: VerifyTrackSummary[];
  problems: VerifyProblem[];
  /** What was actually read from the store. */
  checked: { segments: number; bytes: number };
}

export interface VerifyRecordingOptions {
  manifest: Manifest;
  objects: ObjectStore;
  /** The catalog's record of the manifest's SHA-256. */
  expectedManifestSha256?: string;
  /** The manifest's bytes as stored; without them its canonical serialisation is hashed. */
  manifestBytes?: Uint8Array;
  /** Called after each segment is hashed; a long hearing has hundreds of thousands. */
  onProgress?: (done: number, total: number) => void;
  /** Objects hashed at once; more hides S3 round trips, the local disk gains little. */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 4;

export async function verifyRecording(options: VerifyRecordingOptions): Promise<VerifyReport> {
  const { manifest, objects } = options;
  const hearingId = manifest.hearing.id;
  const prefix = hearingPrefix(hearingId);
  const problems: VerifyProblem[] = [];

  const manifestSha256 = options.manifestBytes
    ? sha256Hex(options.manifestBytes)
    : serializeManifest(manifest).sha256;
  const expected = options.expectedManifestSha256 ?? null;
  if (expected !== null && expected !== manifestSha256) {
    problems.push({
      track: null,
      seq: null,
      problem: 'manifest-mismatch',
      detail: manifest.markers.some((m) => 'redacted' in m)
        ? // A v1 manifest carried marker texts; the copy handed to a viewer kept from
          // sealed parts lacks some, so it cannot hash to the catalog's record. Manifests
          // written since (v2) commit to texts by hash and verify whole for everyone.
          `manifest sha256 ${manifestSha256}, catalog says ${expected}: this is a redacted copy of a v1 manifest (some marker texts replaced by their SHA-256), which cannot match; its segments and chains are checked all the same`
        : `manifest sha256 ${manifestSha256}, catalog says ${expected}`,
    });
  }

  const keys = [...new Set(manifest.tracks.flatMap((t) => t.segments.map((s) => s.key)))];
  const digests = await digestAll({
    objects,
    keys,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    onProgress: options.onProgress,
  });

  const owners = contentOwners(manifest.tracks);
  const tracks: VerifyTrackSummary[] = [];
  for (const track of manifest.tracks) {
    const checked = checkTrack({ hearingId, track, digests, owners });
    problems.push(...checked.problems);
    tracks.push({
      name: track.name,
      segments: track.segments.length,
      durationMs: track.durationMs,
      finalChain: track.finalChain,
      recomputedFinalChain: checked.recomputedFinalChain,
      ok: checked.problems.length === 0,
    });
  }
  problems.push(...(await findExtras({ objects, prefix, manifest })));

  // Manifest-level first, then track by track in the manifest's order, then by seq.
  const order = new Map(manifest.tracks.map((t, i) => [t.name, i]));
  const rank = (p: VerifyProblem) => (p.track === null ? -1 : (order.get(p.track) ?? order.size));
  problems.sort((a, b) => rank(a) - rank(b) || (a.seq ?? -1) - (b.seq ?? -1));
  for (const t of tracks) t.ok = !problems.some((p) => p.track === t.name);

  let bytes = 0;
  for (const d of digests.values()) bytes += d?.size ?? 0;
  return {
    ok: problems.length === 0,
    hearingId,
    manifestSha256,
    expectedManifestSha256: expected,
    tracks,
    problems,
    checked: { segments: [...digests.values()].filter((d) => d !== null).length, bytes },
  };
}

/**
 * Parses a manifest's bytes, throwing a ValidationError that says what is wrong. The
 * hearing id is checked as an id because it becomes an object key prefix.
 */
export function parseManifest(bytes: Uint8Array | string, source = 'the manifest'): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ValidationError(`${source} is not JSON: ${errorMessage(error)}`, { source });
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new ValidationError(`${source} is not a Hattama manifest (${issues})`, { source });
  }
  if (!idSchema.safeParse(parsed.data.hearing.id).success) {
    throw new ValidationError(
      `${source} names an invalid hearing id ${JSON.stringify(parsed.data.hearing.id)}`,
      {
        source,
      },
    );
  }
  return parsed.data;
}

// ------------------------------------------------------------------ internals

type Digests = Map<string, ObjectDigest | null>;

/** Hashes every key with a few in flight; a missing object is null, other errors propagate. */
async function digestAll(input: {
  objects: ObjectStore;
  keys: string[];
  concurrency: number;
  onProgress: ((done: number, total: number) => void) | undefined;
}): Promise<Digests> {
  const { objects, keys, onProgress } = input;
  const digests: Digests = new Map();
  let next = 0;
  let done = 0;
  onProgress?.(0, keys.length);
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      try {
        digests.set(key, await digestObject(objects, key));
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
        digests.set(key, null);
      }
      onProgress?.(++done, keys.length);
    }
  };
  const workers = Math.max(1, Math.min(input.concurrency, keys.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return digests;
}

interface Owner {
  track: string;
  seq: number;
}

/** Which (track, seq) the manifest lists for each content hash: tells a swap from an edit. */
function contentOwners(tracks: readonly ManifestTrack[]): Map<string, Owner[]> {
  const owners = new Map<string, Owner[]>();
  for (const t of tracks) {
    for (const s of t.segments) {
      const list = owners.get(s.sha256) ?? [];
      list.push({ track: t.name, seq: s.seq });
      owners.set(s.sha256, list);
    }
  }
  return owners;
}

function checkTrack(input: {
  hearingId: string;
  track: ManifestTrack;
  digests: Digests;
  owners: Map<string, Owner[]>;
}): { problems: VerifyProblem[]; recomputedFinalChain: string | null } {
  const { track, digests } = input;
  const name = track.name;
  const problems: VerifyProblem[] = [];
  const add = (seq: number | null, problem: VerifyProblemKind, detail: string) =>
    problems.push({ track: name, seq, problem, detail });

  // The genesis binds the chain to this hearing and track, so it is recomputed, not read.
  const genesis = chainGenesis(input.hearingId, name);
  if (track.genesis !== genesis)
    add(null, 'chain-mismatch', `genesis ${track.genesis}, recomputed ${genesis}`);
  if (track.segmentCount !== track.segments.length) {
    add(
      null,
      'manifest-inconsistent',
      `segmentCount ${track.segmentCount}, but ${track.segments.length} listed`,
    );
  }
  const listedMs = track.segments.reduce((sum, s) => sum + s.durationMs, 0);
  if (track.durationMs !== listedMs) {
    add(
      null,
      'manifest-inconsistent',
      `durationMs ${track.durationMs}, but the segments add up to ${listedMs}`,
    );
  }

  // `running` is the chain from the genesis over the hashes actually found. Each link is
  // also checked on its own, from the manifest's previous chain value, so that every
  // independent break is named once instead of every seq after the first. After a break
  // the next link may follow from the listed value (the edit was in this segment's facts)
  // or from the recomputed one (the edit was in this chain value). With the genesis and
  // final-chain checks, an unbroken run of links proves the chain from its genesis.
  let running: string | null = genesis;
  let prevChains = [genesis];
  let prevSeq = -1;
  for (const s of track.segments) {
    if (s.seq <= prevSeq) add(s.seq, 'reordered', `the manifest lists seq ${s.seq} after seq ${prevSeq}`);
    else if (s.seq > prevSeq + 1) {
      const gap = s.seq - 1 === prevSeq + 1 ? `seq ${prevSeq + 1}` : `seq ${prevSeq + 1} to ${s.seq - 1}`;
      add(prevSeq + 1, 'missing', `the manifest lists no segment for ${gap}`);
    }
    prevSeq = Math.max(prevSeq, s.seq);

    const actual = digests.get(s.key) ?? null;
    const content = contentProblem({ track: name, segment: s, actual, owners: input.owners });
    if (content) add(s.seq, content.problem, content.detail);

    const startMs = Date.parse(s.start);
    // The chain hashes the time as text: only a real instant that prints back identically counts.
    const startOk = Number.isFinite(startMs) && isoTime(startMs) === s.start;
    if (!startOk) add(s.seq, 'chain-mismatch', `start ${s.start} is not a real UTC time`);

    const link = (sha256: string) => ({ seq: s.seq, startMs, durationMs: s.durationMs, sha256 });
    running = running !== null && actual !== null && startOk ? nextChain(running, link(actual.sha256)) : null;
    const next = [s.chain];
    // A content problem already explains this link's break; report only breaks it does not.
    if (!content && actual !== null && startOk) {
      const candidates = prevChains.map((prev) => nextChain(prev, link(actual.sha256)));
      if (!candidates.includes(s.chain)) {
        add(s.seq, 'chain-mismatch', `chain ${s.chain}, recomputed ${candidates[0]}`);
        next.push(candidates[0]!);
      }
    }
    prevChains = next;
  }
  if (!prevChains.includes(track.finalChain)) {
    add(
      null,
      'chain-mismatch',
      `finalChain ${track.finalChain}, but the chain of the listed segments ends in ${prevChains[0]}`,
    );
  }
  return { problems, recomputedFinalChain: running };
}

function contentProblem(input: {
  track: string;
  segment: ManifestTrack['segments'][number];
  actual: ObjectDigest | null;
  owners: Map<string, Owner[]>;
}): { problem: VerifyProblemKind; detail: string } | null {
  const { segment: s, actual } = input;
  if (actual === null) return { problem: 'missing', detail: `object ${s.key} does not exist` };
  if (actual.sha256 === s.sha256) {
    if (actual.size === s.size) return null;
    return { problem: 'size-mismatch', detail: `${actual.size} bytes, manifest says ${s.size}` };
  }
  const elsewhere = (input.owners.get(actual.sha256) ?? []).filter(
    (o) => !(o.track === input.track && o.seq === s.seq),
  );
  const sameTrack = elsewhere.filter((o) => o.track === input.track);
  if (sameTrack.length > 0) {
    return {
      problem: 'reordered',
      detail: `holds the content of seq ${sameTrack.map((o) => o.seq).join(', ')}, sha256 ${actual.sha256}`,
    };
  }
  const hashes = `sha256 ${actual.sha256}, manifest says ${s.sha256}`;
  if (actual.size !== s.size) {
    return { problem: 'size-mismatch', detail: `${actual.size} bytes, manifest says ${s.size}; ${hashes}` };
  }
  const other = elsewhere[0];
  const copied = other ? `; holds the content of ${other.track} seq ${other.seq}` : '';
  return { problem: 'altered', detail: `${hashes}${copied}` };
}

/**
 * Objects under `hearings/<id>/<track>/` that the manifest does not list. Other entries
 * under the hearing (the manifest itself, copies/) are not recordings and are skipped.
 */
async function findExtras(input: {
  objects: ObjectStore;
  prefix: string;
  manifest: Manifest;
}): Promise<VerifyProblem[]> {
  const listed = new Set(input.manifest.tracks.flatMap((t) => t.segments.map((s) => s.key)));
  const names = new Set(input.manifest.tracks.map((t) => t.name));
  const extras: VerifyProblem[] = [];
  for await (const info of input.objects.list(input.prefix)) {
    if (listed.has(info.key)) continue;
    const [track, ...rest] = info.key.slice(input.prefix.length).split('/');
    if (track === undefined || rest.length === 0) continue;
    if (!names.has(track) && !trackNameSchema.safeParse(track).success) continue;
    const seqMatch = /^(\d+)\./.exec(rest.join('/'));
    extras.push({
      track,
      seq: seqMatch ? Number(seqMatch[1]) : null,
      problem: 'extra',
      detail: `object ${info.key} (${info.size} bytes) is not listed in the manifest`,
    });
  }
  return extras;
}
