/**
 * `hattama verify <manifest-file | hearing-id>`: recording integrity. Recomputes every
 * segment's SHA-256 and each track's hash chain from the object store and compares them
 * with the manifest, and the manifest with the catalog's record of its SHA-256.
 * Exit 0 intact, 1 with one line per problem naming track and seq, 2 bad usage.
 */
import fs from 'node:fs';
import { EXIT, UsageError } from '../run-command.ts';
import {
  ObjectNotFoundError,
  ValidationError,
  createLogger,
  idSchema,
  loadConfigWith,
  sha256Hex,
  type Config,
} from '../../core/index.ts';
import {
  parseManifest,
  verifyRecording,
  type Manifest,
  type ObjectStore,
  type VerifyProblem,
  type VerifyReport,
} from '../../storage/index.ts';
import { openBackends, type Backends } from '../backends.ts';

export interface VerifyCommandOptions {
  /** Sets HATTAMA_DATA_DIR for this run only. */
  dataDir?: string;
  json?: boolean;
}

/** Below this many segments a check takes a moment and progress would only be noise. */
const PROGRESS_MIN_SEGMENTS = 200;
const PROGRESS_EVERY_MS = 1000;

const USAGE_HINT =
  'give a manifest.json file, or the id of a hearing in the catalog (with --data-dir if it is not ./data)';

export async function verifyCommand(target: string, options: VerifyCommandOptions): Promise<number> {
  const config = loadConfigWith(options.dataDir === undefined ? {} : { HATTAMA_DATA_DIR: options.dataDir });
  const fromFile = readManifestFile(target);
  if (!fromFile && !idSchema.safeParse(target).success) {
    throw new UsageError(
      `"${target}" is neither a manifest file nor a hearing id (no such file); ${USAGE_HINT}`,
    );
  }
  requireLocalStores(config, { needCatalog: !fromFile });

  // Warnings and errors only: the verdict is the command's output, not log lines.
  const logger = createLogger({ level: 'warn' });
  const backends = await openBackends(config, logger);
  try {
    const source = fromFile ?? (await manifestFromCatalog(backends, target));
    if ('report' in source) return finish(source.report, options);
    const hearing = await backends.repos.hearings.find(source.manifest.hearing.id);
    const report = await verifyRecording({
      manifest: source.manifest,
      manifestBytes: source.bytes,
      objects: backends.objects,
      expectedManifestSha256: hearing?.manifest_sha256 ?? undefined,
      onProgress: progressReporter(),
    });
    if (!fromFile && source.manifest.hearing.id !== target) {
      report.problems.unshift({
        track: null,
        seq: null,
        problem: 'manifest-mismatch',
        detail: `the manifest is for hearing ${source.manifest.hearing.id}, not ${target}`,
      });
      report.ok = false;
    }
    return finish(report, options);
  } finally {
    await backends.close();
  }
}

interface LoadedManifest {
  manifest: Manifest;
  bytes: Buffer;
}

/** A manifest file given on the command line, or null when `target` names no file. */
function readManifestFile(target: string): LoadedManifest | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    return null;
  }
  if (!stat.isFile()) throw new UsageError(`${target} is not a file; ${USAGE_HINT}`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(target);
  } catch (error) {
    throw new UsageError(`cannot read ${target}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return { manifest: asUsage(() => parseManifest(bytes, target)), bytes };
}

/**
 * The manifest object the catalog names. A manifest that is gone, or unreadable and not
 * the one the catalog recorded, is evidence of tampering: a failed check, not bad usage.
 */
async function manifestFromCatalog(
  backends: Backends,
  hearingId: string,
): Promise<LoadedManifest | { report: VerifyReport }> {
  const hearing = await backends.repos.hearings.find(hearingId);
  if (!hearing) {
    throw new UsageError(
      `no hearing "${hearingId}" in the catalog at ${describeCatalog(backends.config)}; check the id, or pass --data-dir`,
    );
  }
  if (!hearing.manifest_key) {
    throw new UsageError(
      `hearing ${hearingId} has no manifest yet: it is written when the recording stops; stop the hearing, then verify`,
    );
  }
  const key = hearing.manifest_key;
  const failed = (problem: VerifyProblem) => ({
    report: {
      ok: false,
      hearingId,
      manifestSha256: '',
      expectedManifestSha256: hearing.manifest_sha256,
      tracks: [],
      problems: [problem],
      checked: { segments: 0, bytes: 0 },
    },
  });
  let bytes: Buffer;
  try {
    bytes = await readAll(backends.objects, key);
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
    return failed({
      track: null,
      seq: null,
      problem: 'missing',
      detail: `manifest object ${key} named by the catalog does not exist`,
    });
  }
  try {
    return { manifest: parseManifest(bytes, `manifest ${key}`), bytes };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const sha256 = sha256Hex(bytes);
    if (hearing.manifest_sha256 && sha256 !== hearing.manifest_sha256) {
      return failed({
        track: null,
        seq: null,
        problem: 'manifest-mismatch',
        detail: `manifest sha256 ${sha256}, catalog says ${hearing.manifest_sha256}; ${error.message}`,
      });
    }
    throw new UsageError(`${error.message}; it may come from a newer Hattama, upgrade to verify it`);
  }
}

/** A wrong --data-dir should say so, not report every segment missing or create an empty catalog. */
function requireLocalStores(config: Config, need: { needCatalog: boolean }): void {
  if (config.objects === 'fs' && !fs.existsSync(config.objectsDir)) {
    throw new UsageError(
      `no object store at ${config.objectsDir}; pass --data-dir (or set HATTAMA_DATA_DIR or HATTAMA_OBJECTS_DIR) to where Hattama records`,
    );
  }
  if (need.needCatalog && config.catalog === 'sqlite' && !fs.existsSync(config.sqlitePath)) {
    throw new UsageError(
      `no catalog at ${config.sqlitePath}; pass --data-dir (or set HATTAMA_DATA_DIR or HATTAMA_SQLITE_PATH), or give a manifest file`,
    );
  }
}

function describeCatalog(config: Config): string {
  return config.catalog === 'sqlite' ? config.sqlitePath : `PostgreSQL schema ${config.databaseSchema}`;
}

async function readAll(objects: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`${error.message}; ${USAGE_HINT}`);
    throw error;
  }
}

/** Progress on stderr for long hearings, at most once a second, so stdout stays the verdict. */
function progressReporter(): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    if (total < PROGRESS_MIN_SEGMENTS) return;
    const now = Date.now();
    if (done !== total && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    process.stderr.write(`verifying: ${done}/${total} segments hashed\n`);
  };
}

function finish(report: VerifyReport, options: VerifyCommandOptions): number {
  process.stdout.write(
    options.json ? `${JSON.stringify(jsonReport(report), null, 2)}\n` : textReport(report),
  );
  return report.ok ? EXIT.ok : EXIT.checkFailed;
}

function jsonReport(report: VerifyReport) {
  return {
    ok: report.ok,
    hearingId: report.hearingId,
    manifest: { sha256: report.manifestSha256 || null, catalogSha256: report.expectedManifestSha256 },
    tracks: report.tracks.map((t) => ({
      name: t.name,
      segments: t.segments,
      durationMs: t.durationMs,
      finalChain: t.finalChain,
    })),
    problems: report.problems,
  };
}

/** One line per problem: `mic-2 seq 7: altered (sha256 …, manifest says …)`. */
export function problemLine(p: VerifyProblem): string {
  const where = p.track === null ? 'manifest' : p.seq === null ? p.track : `${p.track} seq ${p.seq}`;
  return `${where}: ${p.problem} (${p.detail})`;
}

function textReport(report: VerifyReport): string {
  const lines: string[] = [];
  const against =
    report.expectedManifestSha256 === null
      ? 'not checked against a catalog'
      : report.manifestSha256 === report.expectedManifestSha256
        ? 'as recorded in the catalog'
        : `catalog says ${report.expectedManifestSha256}`;
  if (report.manifestSha256)
    lines.push(`hearing ${report.hearingId}: manifest sha256 ${report.manifestSha256} (${against})`);
  else lines.push(`hearing ${report.hearingId}`);
  const width = Math.max(0, ...report.tracks.map((t) => t.name.length));
  for (const t of report.tracks) {
    lines.push(
      `  ${t.name.padEnd(width)}  ${String(t.segments).padStart(6)} segments  ${(t.durationMs / 1000).toFixed(3).padStart(10)} s  final chain ${t.finalChain}`,
    );
  }
  for (const p of report.problems) lines.push(problemLine(p));
  const segments = report.tracks.reduce((sum, t) => sum + t.segments, 0);
  const scope = `${segments} segments in ${report.tracks.length} tracks`;
  lines.push(
    report.ok
      ? `OK: ${scope} intact`
      : `FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${scope}`,
  );
  return `${lines.join('\n')}\n`;
}
