/**
 * The embedded default: objects in a local directory.
 *
 *   <root>/objects/<key>@/data        the bytes
 *   <root>/objects/<key>@/meta.json   sha256, size, content type, retention, legal hold
 *   <root>/.tmp/                      staging; never listed, stale entries removed by init()
 *
 * An object is a directory so that its bytes and metadata appear in one step: both are
 * written and fsynced in a staging directory, which is then renamed into place. POSIX
 * rename(2) onto an existing non-empty directory fails (ENOTEMPTY/EEXIST), so two writers
 * never clobber each other and a crash leaves either the whole object or none of it. The
 * "@" suffix cannot occur in a key (keys.ts), so `a@` (the object "a") never collides with
 * the directory `a/` holding "a/b", just as S3 lets both keys exist.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ConflictError,
  HattamaError,
  ObjectLockedError,
  ObjectNotFoundError,
  errorMessage,
  fileStamp,
  fsyncFd,
  fsyncPath,
  sameStamp,
  sha256File,
  silentLogger,
  type Logger,
  writeSynced,
} from '../../core/index.ts';
import { DigestStream, asReadable, checkDigest, sourceKind, type Digest } from './digest.ts';
import { validateObjectKey, validatePrefix } from './keys.ts';
import {
  DEFAULT_CONTENT_TYPE,
  rangeNotSatisfiable,
  validatePresign,
  validatePutOptions,
  validateRange,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type PresignOptions,
  type PutOptions,
  type PutSource,
} from './object-store.ts';
import type { UrlSigner } from './url-signer.ts';

export interface FsObjectStoreOptions {
  root: string;
  signer: UrlSigner;
  logger?: Logger;
  /** For retention checks; tests pass a fake. */
  clock?: { now(): number };
}

interface FsMeta {
  v: 1;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  storedAt: string;
  retainUntil?: string;
  legalHold?: boolean;
}

const OBJECT_SUFFIX = '@';
const DATA_FILE = 'data';

/** Where the store rooted at `root` keeps the bytes of `key` (for people reading it with ordinary tools). */
export function fsObjectDataFile(root: string, key: string): string {
  validateObjectKey(key);
  return path.join(root, 'objects', ...key.split('/')) + OBJECT_SUFFIX + path.sep + DATA_FILE;
}
const META_FILE = 'meta.json';
/** Staging younger than this may belong to a put still running in another process. */
const STALE_STAGING_MS = 60 * 60 * 1000;
/** Parent directories remembered as existing; beyond this many the hint starts afresh. */
const KNOWN_DIRS_MAX = 4096;

export class FsObjectStore implements ObjectStore {
  readonly driver = 'fs' as const;
  /** Retention and legal hold are enforced by this driver, not by the filesystem. */
  readonly capabilities: ObjectStoreCapabilities = Object.freeze({
    objectLock: true,
    presignedUrls: 'hub-signed',
  });
  readonly root: string;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly signer: UrlSigner;
  private readonly logger: Logger;
  private readonly clock: { now(): number };
  private readonly locks = new KeyedMutex();
  /** Parent directories this store made or published into (a hint: a rename's ENOENT clears it). */
  private readonly knownDirs = new Set<string>();
  /** Staging names: this instance's prefix and a counter, made with one mkdir (mkdtemp's random name costs more). */
  private readonly stagePrefix = `put-${process.pid}-${crypto.randomBytes(4).toString('hex')}-`;
  private stageCount = 0;

  constructor(options: FsObjectStoreOptions) {
    this.root = path.resolve(options.root);
    this.objectsDir = path.join(this.root, 'objects');
    this.tmpDir = path.join(this.root, '.tmp');
    this.signer = options.signer;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'object-store', driver: 'fs' });
    this.clock = options.clock ?? Date;
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.objectsDir, { recursive: true });
    await fsp.mkdir(this.tmpDir, { recursive: true });
    await this.removeStaleStaging();
  }

  async put(key: string, source: PutSource, options: PutOptions): Promise<ObjectInfo> {
    validateObjectKey(key);
    sourceKind(source);
    validatePutOptions(options, this.clock.now());
    // File-system calls of a put are made in place, fsync through the pool (core/durable-fs.ts).
    const stage = this.makeStage();
    try {
      const digest = await this.writeStaged(path.join(stage, DATA_FILE), {
        key,
        source,
        size: options.size,
        declared: options.sha256,
      });
      checkDigest(key, options, digest);
      const meta: FsMeta = {
        v: 1,
        key,
        size: digest.size,
        sha256: digest.sha256,
        contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
        storedAt: new Date(this.clock.now()).toISOString(),
        ...(options.retainUntil ? { retainUntil: options.retainUntil.toISOString() } : {}),
      };
      // Both before the rename publishes them, at once: the metadata's bytes and the stage's
      // entries (writeSynced creates the file before its first await, so the entry is there).
      await Promise.all([
        writeSynced(path.join(stage, META_FILE), JSON.stringify(meta), 'wx'),
        fsyncPath(stage),
      ]);
      return await this.locks.run(key, () => this.publish(stage, meta));
    } catch (error) {
      // Nothing else refers to the stage of a put that failed.
      fs.rmSync(stage, { recursive: true, force: true });
      throw error;
    }
  }

  private makeStage(): string {
    for (;;) {
      const stage = path.join(this.tmpDir, `${this.stagePrefix}${this.stageCount++}`);
      try {
        fs.mkdirSync(stage);
        return stage;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error; // else left by an earlier instance: next name
      }
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    validateObjectKey(key);
    validateRange(range);
    const meta = await this.readMeta(key);
    if (!meta) throw new ObjectNotFoundError(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path.join(this.objectDir(key), DATA_FILE), 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key, { cause: error });
      throw fsError('read', key, error);
    }
    if (!range) return handle.createReadStream();
    if (range.start >= meta.size) {
      await handle.close();
      throw rangeNotSatisfiable(key, range, meta.size);
    }
    const end = Math.min(range.end ?? meta.size - 1, meta.size - 1);
    return handle.createReadStream({ start: range.start, end });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    validateObjectKey(key);
    const meta = await this.readMeta(key);
    return meta ? toInfo(meta) : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    const keys: string[] = [];
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    await this.collectKeys({ rel: base, prefix, into: keys });
    // Plain code-unit order equals S3's UTF-8 byte order for the ASCII keys we allow.
    keys.sort();
    for (const key of keys) {
      const meta = await this.readMeta(key);
      if (meta) yield toInfo(meta); // deleted while we listed: skip it, as S3 would
    }
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    await this.locks.run(key, async () => {
      const meta = await this.readMeta(key);
      if (!meta) return;
      if (this.isLocked(meta)) throw new ObjectLockedError(key);
      const dir = this.objectDir(key);
      // Rename away first so readers see the object vanish in one step, then remove it.
      const grave = path.join(this.tmpDir, `del-${crypto.randomBytes(8).toString('hex')}`);
      try {
        await fsp.rename(dir, grave);
      } catch (error) {
        if (isMissing(error)) return;
        throw fsError('delete', key, error);
      }
      await fsyncPath(path.dirname(dir));
      await fsp.rm(grave, { recursive: true, force: true });
      await this.pruneEmptyDirs(path.dirname(dir));
      this.logger.debug({ key }, 'object deleted');
    });
  }

  async presignGet(key: string, options: PresignOptions): Promise<string> {
    validateObjectKey(key);
    validatePresign(options);
    return this.signer.sign(key, options.expirySeconds, options.filename);
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    validateObjectKey(key);
    await this.locks.run(key, async () => {
      const meta = await this.readMeta(key);
      if (!meta) throw new ObjectNotFoundError(key);
      const next: FsMeta = { ...meta, legalHold: on };
      const dir = this.objectDir(key);
      const tmp = path.join(dir, `${META_FILE}.${crypto.randomBytes(6).toString('hex')}`);
      await writeSynced(tmp, JSON.stringify(next), 'wx');
      await fsp.rename(tmp, path.join(dir, META_FILE)); // atomic replace of metadata only
      await fsyncPath(dir);
      this.logger.info({ key, legalHold: on }, 'legal hold changed');
    });
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await fsp.access(this.objectsDir, fs.constants.R_OK | fs.constants.W_OK);
      await fsp.access(this.tmpDir, fs.constants.W_OK);
      const s = await fsp.statfs(this.root);
      const freeMb = Math.floor((s.bavail * s.bsize) / 1024 / 1024);
      return { ok: true, detail: `directory ${this.root}, ${freeMb} MB free` };
    } catch (error) {
      return { ok: false, detail: `directory ${this.root}: ${errorMessage(error)}` };
    }
  }

  async close(): Promise<void> {
    // Nothing is held open between calls; safe to call any number of times.
  }

  // ------------------------------------------------------------------ internals

  private objectDir(key: string): string {
    const dir = path.join(this.objectsDir, ...key.split('/')) + OBJECT_SUFFIX;
    // validateObjectKey already rules out escapes; this is the belt to its braces.
    if (!dir.startsWith(this.objectsDir + path.sep)) throw fsError('resolve', key, 'path escapes the store');
    return dir;
  }

  private isLocked(meta: FsMeta): boolean {
    if (meta.legalHold) return true;
    return meta.retainUntil !== undefined && Date.parse(meta.retainUntil) > this.clock.now();
  }

  /** Writes the source into a new file (O_EXCL), hashing on the way, fsync on close. */
  private async writeStaged(
    file: string,
    input: { key: string; source: PutSource; size: number | undefined; declared: string },
  ): Promise<Digest> {
    const { key, source } = input;
    if ('file' in source) return this.copyStaged(file, key, source, input.declared);
    const hasher = new DigestStream({ key, maxBytes: input.size });
    const from =
      'bytes' in source
        ? Readable.from([Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength)])
        : asReadable(source.stream);
    try {
      // flush: fsync before close, so the bytes are on disk before the rename publishes them.
      await pipeline(from, hasher, fs.createWriteStream(file, { flags: 'wx', flush: true }));
    } catch (error) {
      if (error instanceof HattamaError) throw error;
      throw fsError('write', key, error);
    }
    return hasher.digest();
  }

  /**
   * A file source is copied by the kernel (copy_file_range, or a reflink where the file
   * system has them) and the copy is then hashed: the digest checked is that of the bytes
   * stored, and a recorder's segment costs a fraction of the CPU a streamed copy does. A
   * file handed over is linked when it is on the same file system: its bytes are written
   * (and, for a spool, already fsync'd) once. A link that still has the stamp its caller
   * hashed it with holds the very bytes of the declared digest, so they are not read again.
   */
  private async copyStaged(
    file: string,
    key: string,
    source: Extract<PutSource, { file: string }>,
    declared: string,
  ): Promise<Digest> {
    const sourceFile = source.file;
    let linked = false;
    try {
      if (source.handOver === true) {
        try {
          fs.linkSync(sourceFile, file);
          linked = true;
        } catch (error) {
          if (errorCode(error) !== 'EXDEV' && errorCode(error) !== 'EPERM') throw error; // else copy
        }
      }
      if (!linked) await fsp.copyFile(sourceFile, file, fs.constants.COPYFILE_EXCL);
    } catch (error) {
      if (isMissing(error)) {
        throw new HattamaError('VALIDATION_FAILED', `source file ${sourceFile} does not exist`, {
          expected: true,
          status: 400,
          details: { key },
          cause: error,
        });
      }
      throw fsError('write', key, error);
    }
    try {
      // A link that still has its caller's stamp holds the bytes hashed (and, when synced,
      // made durable) by the caller: one stat decides.
      let unchanged: number | null = null;
      if (linked && source.hashed) {
        const st = fs.statSync(file, { bigint: true });
        if (sameStamp(fileStamp(st), source.hashed)) unchanged = Number(st.size);
      }
      // On disk before the rename publishes it, unless the caller made these very bytes
      // durable itself; the stage directory's fsync makes the link durable.
      if (unchanged === null || source.synced !== true) {
        const fd = fs.openSync(file, 'r');
        try {
          await fsyncFd(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      if (unchanged !== null) return { sha256: declared, size: unchanged };
      return await sha256File(file);
    } catch (error) {
      throw fsError('write', key, error);
    }
  }

  private async publish(stage: string, meta: FsMeta): Promise<ObjectInfo> {
    const { key } = meta;
    const final = this.objectDir(key);
    const parent = path.dirname(final);
    for (let attempt = 1; ; attempt++) {
      // Segments of a track share a parent: mkdir -p once, not on every put.
      const firstCreated = this.knownDirs.has(parent) ? undefined : fs.mkdirSync(parent, { recursive: true });
      try {
        fs.renameSync(stage, final);
      } catch (error) {
        const code = errorCode(error);
        this.knownDirs.delete(parent);
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          const existing = await this.readMeta(key);
          if (existing) {
            // The object is there already: this stage is not needed, whatever the answer.
            fs.rmSync(stage, { recursive: true, force: true });
            return this.sameOrConflict(existing, meta);
          }
        }
        // A concurrent delete pruned the parent (ENOENT) or removed the existing object: retry.
        if ((code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST') && attempt < 5) continue;
        throw fsError('publish', key, error);
      }
      await fsyncPath(parent);
      if (firstCreated) await this.fsyncCreatedDirs(firstCreated, parent);
      this.rememberDir(parent);
      this.logger.debug({ key, size: meta.size, sha256: meta.sha256 }, 'object stored');
      return toInfo(meta);
    }
  }

  /** Recordings are never modified after upload: same bytes again is fine, other bytes are not. */
  private sameOrConflict(existing: FsMeta, wanted: FsMeta): ObjectInfo {
    if (existing.sha256 === wanted.sha256 && existing.size === wanted.size) {
      this.logger.debug({ key: existing.key }, 'object already stored with the same content');
      return toInfo(existing);
    }
    throw new ConflictError(`object ${existing.key} already exists with different content`, {
      key: existing.key,
      existingSha256: existing.sha256,
      sha256: wanted.sha256,
    });
  }

  /** mkdir -p made new directories: their entries live in their parents, up to the first that existed. */
  private async fsyncCreatedDirs(firstCreated: string, deepest: string): Promise<void> {
    let dir = deepest;
    while (dir.startsWith(firstCreated)) {
      await fsyncPath(path.dirname(dir));
      if (dir === firstCreated) break;
      dir = path.dirname(dir);
    }
  }

  private async readMeta(key: string): Promise<FsMeta | null> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(this.objectDir(key), META_FILE), 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw fsError('read metadata of', key, error);
    }
    try {
      return JSON.parse(text) as FsMeta;
    } catch (error) {
      throw fsError('parse metadata of', key, error);
    }
  }

  private async collectKeys(walk: { rel: string; prefix: string; into: string[] }): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(path.join(this.objectsDir, ...walk.rel.split('/')), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isMissing(error)) return;
      throw fsError('list', walk.rel, error);
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      if (entry.name.endsWith(OBJECT_SUFFIX)) {
        const key = walk.rel + entry.name.slice(0, -OBJECT_SUFFIX.length);
        if (key.startsWith(walk.prefix)) walk.into.push(key);
        continue;
      }
      const sub = `${walk.rel}${entry.name}/`;
      if (sub.startsWith(walk.prefix) || walk.prefix.startsWith(sub)) {
        await this.collectKeys({ rel: sub, prefix: walk.prefix, into: walk.into });
      }
    }
  }

  private rememberDir(dir: string): void {
    if (this.knownDirs.size >= KNOWN_DIRS_MAX) this.knownDirs.clear();
    this.knownDirs.add(dir);
  }

  /** Removes directories a delete left empty, up to objects/; rmdir refuses non-empty ones. */
  private async pruneEmptyDirs(from: string): Promise<void> {
    let dir = from;
    while (dir.startsWith(this.objectsDir + path.sep)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      this.knownDirs.delete(dir);
      dir = path.dirname(dir);
    }
  }

  private async removeStaleStaging(): Promise<void> {
    const cutoff = Date.now() - STALE_STAGING_MS;
    for (const name of await fsp.readdir(this.tmpDir)) {
      const entry = path.join(this.tmpDir, name);
      try {
        const s = await fsp.stat(entry);
        if (s.mtimeMs < cutoff) {
          await fsp.rm(entry, { recursive: true, force: true });
          this.logger.info({ entry: name }, 'removed staging left by an interrupted write');
        }
      } catch {
        // removed concurrently; nothing to do
      }
    }
  }
}

function toInfo(meta: FsMeta): ObjectInfo {
  return {
    key: meta.key,
    size: meta.size,
    sha256: meta.sha256,
    lastModified: new Date(meta.storedAt),
    contentType: meta.contentType,
  };
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function fsError(action: string, key: string, error: unknown): HattamaError {
  const code = errorCode(error);
  // A full or read-only disk is the backend being unavailable, not a bug.
  const unavailable =
    code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' || code === 'EIO' || code === 'EDQUOT';
  return new HattamaError(
    unavailable ? 'BACKEND_UNAVAILABLE' : 'INTERNAL',
    `object store could not ${action} ${key}: ${errorMessage(error)}`,
    { expected: unavailable, status: unavailable ? 503 : 500, details: { key, backend: 'fs' }, cause: error },
  );
}

/** Serialises work per key within this process (delete vs. legal hold vs. publish). */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
