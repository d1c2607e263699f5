/**
 * The scaled-out driver: an S3 bucket (MinIO, Ceph RADOS Gateway, AWS) through the
 * `minio` client. Loaded only when configured (index.ts imports it lazily).
 *
 * Integrity: every put is one signed PUT whose x-amz-content-sha256 is the caller's
 * declared SHA-256 and whose Content-MD5 is computed from the bytes we read. SigV4 makes
 * the server check the body against both and refuse a mismatch (XAmzContentSHA256Mismatch,
 * BadDigest) before anything is stored, so no half-verified object ever exists under a key,
 * even if we crash. We also verify locally first, so a wrong declaration costs no upload.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, type BucketItemStat } from 'minio';
import {
  BackendUnavailableError,
  ConflictError,
  HattamaError,
  ObjectIntegrityError,
  ObjectLockedError,
  ObjectNotFoundError,
  ValidationError,
  errorMessage,
  silentLogger,
  type Logger,
} from '../../core/index.ts';
import { bufferStream, checkDigest, digestBytes, digestFile, sourceKind, type Digest } from './digest.ts';
import { validateObjectKey, validatePrefix } from './keys.ts';
import {
  DEFAULT_CONTENT_TYPE,
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
import { contentDisposition } from './url-signer.ts';

export interface S3ObjectStoreOptions {
  /** e.g. http://127.0.0.1:7480; path-style addressing is always used. */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  logger?: Logger;
  /** Default COMPLIANCE retention for puts that give no retainUntil (needs object lock). */
  retentionDays?: number;
  /** Stream sources are buffered to learn their length; larger ones must come as files. */
  maxStreamBufferBytes?: number;
}

/** S3's limit for a single PUT. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
const DEFAULT_STREAM_BUFFER = 64 * 1024 ** 2;
const SHA256_METADATA = 'sha256';
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
const SERVER_BUSY_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout']);
const CREDENTIAL_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
]);

/** One row of a (version) listing, as the minio client yields it. */
interface ListedItem {
  name?: string;
  size?: number;
  lastModified?: Date;
  versionId?: string | null;
}

interface PreparedBody {
  body: Buffer | (() => Readable);
  digest: Required<Digest>;
}

export class S3ObjectStore implements ObjectStore {
  readonly driver = 's3' as const;
  readonly bucket: string;
  private readonly caps: ObjectStoreCapabilities = { objectLock: false, presignedUrls: 'native' };
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly region: string;
  private readonly logger: Logger;
  private readonly retentionDays: number | undefined;
  private readonly maxStreamBuffer: number;
  private warnedNoLock = false;

  constructor(options: S3ObjectStoreOptions) {
    const url = parseEndpoint(options.endpoint);
    const useSSL = url.protocol === 'https:';
    this.bucket = options.bucket;
    this.region = options.region;
    this.retentionDays = options.retentionDays;
    this.maxStreamBuffer = options.maxStreamBufferBytes ?? DEFAULT_STREAM_BUFFER;
    this.logger = (options.logger ?? silentLogger()).child({
      component: 'object-store',
      driver: 's3',
      bucket: options.bucket,
    });
    if (
      options.retentionDays !== undefined &&
      !(Number.isSafeInteger(options.retentionDays) && options.retentionDays > 0)
    ) {
      throw new ValidationError('retentionDays must be a positive integer', { field: 'retentionDays' });
    }
    // Our own agent, so close() can release its sockets.
    this.agent = useSSL ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
      transportAgent: this.agent,
      // A retried PUT would re-send a stream already consumed; callers (the recorder's
      // spool) retry whole operations instead.
      retryOptions: { disableRetry: true },
    });
    // Sign payload hashes over TLS too (minio only does so over plain HTTP by default):
    // the server then verifies the declared SHA-256 of every PUT.
    this.client.enableSHA256 = true;
  }

  get capabilities(): ObjectStoreCapabilities {
    return { ...this.caps };
  }

  async init(): Promise<void> {
    try {
      if (!(await this.client.bucketExists(this.bucket))) {
        try {
          // Object locking can only be enabled when a bucket is created (S3 rule); it turns on versioning.
          await this.client.makeBucket(this.bucket, this.region, { ObjectLocking: true });
          this.logger.info('bucket created with object locking');
        } catch (error) {
          if (s3Code(error) !== 'BucketAlreadyOwnedByYou') throw error;
        }
      }
      this.caps.objectLock = await this.detectObjectLock();
    } catch (error) {
      throw this.toError(error, { op: 'init' });
    }
    if (!this.caps.objectLock) {
      this.logger.warn('bucket has no object lock: retention and legal hold are not enforced');
    }
  }

  async put(key: string, source: PutSource, options: PutOptions): Promise<ObjectInfo> {
    validateObjectKey(key);
    const kind = sourceKind(source);
    validatePutOptions(options, Date.now());
    const prepared = await this.prepare(key, source, kind, options);
    checkDigest(key, options, prepared.digest);
    const existing = await this.statRaw(key);
    if (existing) return this.sameOrConflict(key, existing, options.sha256);
    return this.upload(key, prepared, options);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    validateObjectKey(key);
    validateRange(range);
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      const length = range.end === undefined ? undefined : range.end - range.start + 1;
      return await this.client.getPartialObject(this.bucket, key, range.start, length);
    } catch (error) {
      throw this.toError(error, { op: 'get', key });
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    validateObjectKey(key);
    const raw = await this.statRaw(key);
    return raw ? toInfo(key, raw) : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    // S3 lists keys in UTF-8 binary order, which is the order list() promises.
    const items = this.client.listObjects(this.bucket, prefix, true);
    try {
      for await (const item of items as AsyncIterable<ListedItem>) {
        if (item.name === undefined) continue; // a common prefix; none in a recursive listing
        yield { key: item.name, size: item.size ?? 0, lastModified: item.lastModified ?? new Date(0) };
      }
    } catch (error) {
      throw this.toError(error, { op: 'list', key: prefix });
    } finally {
      items.destroy();
    }
  }

  /**
   * Deletes every version of the key. A plain DELETE in a versioned bucket only adds a
   * delete marker, which S3 allows even under retention; deleting the version itself is
   * what object lock refuses (AccessDenied), and that refusal is what we report.
   */
  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    let versions: (string | undefined)[];
    try {
      versions = await this.versionsOf(key);
    } catch (error) {
      throw this.toError(error, { op: 'delete', key });
    }
    for (const versionId of versions) {
      try {
        await this.client.removeObject(this.bucket, key, versionId === undefined ? undefined : { versionId });
      } catch (error) {
        // We could just list the key with these credentials, so AccessDenied on removing one
        // version is the object lock (RADOS Gateway: "forbidden by object lock").
        const code = s3Code(error);
        if (code === 'AccessDenied' || code === 'ObjectLocked')
          throw new ObjectLockedError(key, { cause: error });
        throw this.toError(error, { op: 'delete', key });
      }
    }
  }

  async presignGet(key: string, options: PresignOptions): Promise<string> {
    validateObjectKey(key);
    validatePresign(options);
    const headers: Record<string, string> = {};
    if (options.filename !== undefined)
      headers['response-content-disposition'] = contentDisposition(options.filename);
    try {
      return await this.client.presignedGetObject(this.bucket, key, options.expirySeconds, headers);
    } catch (error) {
      throw this.toError(error, { op: 'presign', key });
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    validateObjectKey(key);
    if (!this.caps.objectLock) {
      throw new ValidationError(`bucket ${this.bucket} has no object lock, so it cannot hold ${key}`);
    }
    const raw = await this.statRaw(key);
    if (!raw) throw new ObjectNotFoundError(key);
    try {
      await (this.client.setObjectLegalHold(this.bucket, key, {
        status: on ? 'ON' : 'OFF',
        ...(raw.versionId ? { versionId: raw.versionId } : {}),
      }) as unknown as Promise<void>);
      this.logger.info({ key, legalHold: on }, 'legal hold changed');
    } catch (error) {
      throw this.toError(error, { op: 'legal hold', key });
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      const exists = await this.client.bucketExists(this.bucket);
      return exists
        ? { ok: true, detail: `bucket ${this.bucket} answers` }
        : { ok: false, detail: `bucket ${this.bucket} does not exist` };
    } catch (error) {
      return { ok: false, detail: errorMessage(this.toError(error, { op: 'health' })) };
    }
  }

  async close(): Promise<void> {
    this.agent.destroy(); // idempotent
  }

  // ------------------------------------------------------------------ internals

  private async detectObjectLock(): Promise<boolean> {
    try {
      const config = await (this.client.getObjectLockConfig(this.bucket) as unknown as Promise<{
        objectLockEnabled?: string;
      }>);
      return config?.objectLockEnabled === 'Enabled';
    } catch (error) {
      if (s3Code(error) === 'ObjectLockConfigurationNotFoundError') return false;
      throw error;
    }
  }

  /** Reads and hashes the source once, before any request, so bad input costs no upload. */
  private async prepare(
    key: string,
    source: PutSource,
    kind: 'file' | 'stream' | 'bytes',
    options: PutOptions,
  ): Promise<PreparedBody> {
    if (kind === 'bytes') {
      const bytes = (source as { bytes: Uint8Array }).bytes;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { body: buffer, digest: digestBytes(buffer, { md5: true }) as Required<Digest> };
    }
    if (kind === 'stream') {
      const { buffer, digest } = await bufferStream((source as { stream: NodeJS.ReadableStream }).stream, {
        key,
        limit: this.maxStreamBuffer,
        declaredSize: options.size,
        md5: true,
      });
      return { body: buffer, digest: digest as Required<Digest> };
    }
    const file = (source as { file: string }).file;
    let digest: Digest;
    try {
      digest = await digestFile(file, { key, maxBytes: options.size, md5: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ValidationError(`source file ${file} does not exist`, { key });
      }
      throw error;
    }
    if (digest.size > MAX_SINGLE_PUT_BYTES) {
      throw new ValidationError(`objects may be at most ${MAX_SINGLE_PUT_BYTES} bytes (one S3 PUT)`, { key });
    }
    // Send exactly the bytes we hashed; if the file changed since, the server's SHA-256 check refuses it.
    const body =
      digest.size === 0
        ? Buffer.alloc(0)
        : () => fs.createReadStream(file, { start: 0, end: digest.size - 1 });
    return { body, digest: digest as Required<Digest> };
  }

  private async upload(key: string, prepared: PreparedBody, options: PutOptions): Promise<ObjectInfo> {
    const { digest } = prepared;
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const headers: Record<string, string> = {
      'Content-Length': String(digest.size),
      'Content-Type': contentType,
      // Also required by S3 for any PUT that sets object-lock retention.
      'Content-MD5': digest.md5,
      [`x-amz-meta-${SHA256_METADATA}`]: digest.sha256,
      // Never overwrite: S3 and MinIO answer 412 if the key exists.
      'If-None-Match': '*',
    };
    const retainUntil = this.retainUntil(options);
    if (retainUntil) {
      // Retention set in the PUT itself, so the object is never stored unprotected.
      headers['x-amz-object-lock-mode'] = 'COMPLIANCE';
      headers['x-amz-object-lock-retain-until-date'] = retainUntil.toISOString();
    }
    const body = typeof prepared.body === 'function' ? prepared.body() : prepared.body;
    let res: http.IncomingMessage;
    try {
      res = await this.client.makeRequestStreamAsync(
        { method: 'PUT', bucketName: this.bucket, objectName: key, headers },
        body,
        digest.sha256,
        [200],
        this.region,
      );
    } catch (error) {
      // Conditional create lost a race (S3/MinIO honour If-None-Match; RADOS Gateway 16 ignores it).
      if (s3Code(error) === 'PreconditionFailed') {
        const winner = await this.statRaw(key);
        if (winner) return this.sameOrConflict(key, winner, digest.sha256);
      }
      throw this.toError(error, { op: 'put', key });
    }
    res.resume(); // drain the (empty) body so the socket returns to the pool
    const date = res.headers.date ? new Date(res.headers.date) : new Date();
    this.logger.debug({ key, size: digest.size, sha256: digest.sha256 }, 'object stored');
    return { key, size: digest.size, sha256: digest.sha256, lastModified: date, contentType };
  }

  private retainUntil(options: PutOptions): Date | undefined {
    const until =
      options.retainUntil ??
      (this.retentionDays === undefined ? undefined : new Date(Date.now() + this.retentionDays * 86_400_000));
    if (until && !this.caps.objectLock) {
      if (!this.warnedNoLock)
        this.logger.warn('retention requested but the bucket has no object lock; not enforced');
      this.warnedNoLock = true;
      return undefined;
    }
    return until;
  }

  /** Recordings are never modified after upload: same bytes again is fine, other bytes are not. */
  private sameOrConflict(key: string, existing: BucketItemStat, sha256: string): ObjectInfo {
    const info = toInfo(key, existing);
    if (info.sha256 === sha256) {
      this.logger.debug({ key }, 'object already stored with the same content');
      return info;
    }
    throw new ConflictError(`object ${key} already exists with different content`, {
      key,
      existingSha256: info.sha256 ?? null,
      sha256,
    });
  }

  private async statRaw(key: string): Promise<BucketItemStat | null> {
    try {
      return await this.client.statObject(this.bucket, key);
    } catch (error) {
      const code = s3Code(error);
      if (code === 'NotFound' || code === 'NoSuchKey') return null;
      throw this.toError(error, { op: 'stat', key });
    }
  }

  /** Version ids of the key, newest first; [undefined] for an unversioned bucket's object. */
  private async versionsOf(key: string): Promise<(string | undefined)[]> {
    const versions: (string | undefined)[] = [];
    const items = this.client.listObjects(this.bucket, key, true, { IncludeVersion: true });
    for await (const item of items as AsyncIterable<ListedItem>) {
      if (item.name !== key) continue; // the prefix also matches longer keys
      versions.push(item.versionId && item.versionId !== 'null' ? item.versionId : undefined);
    }
    return versions;
  }

  private toError(error: unknown, context: { op: string; key?: string }): HattamaError {
    if (error instanceof HattamaError) return error;
    const code = s3Code(error);
    const what = context.key === undefined ? context.op : `${context.op} ${context.key}`;
    const message = errorMessage(error);
    if (code !== undefined && NETWORK_CODES.has(code)) {
      return new BackendUnavailableError('s3', `${what}: ${message}`, { cause: error });
    }
    if ((code === 'NoSuchKey' || code === 'NotFound') && context.key !== undefined) {
      return new ObjectNotFoundError(context.key, { cause: error });
    }
    if (code === 'NoSuchBucket') {
      return new BackendUnavailableError('s3', `bucket ${this.bucket} does not exist`, { cause: error });
    }
    if (code !== undefined && CREDENTIAL_CODES.has(code)) {
      return new BackendUnavailableError('s3', `${what}: access denied (${code}); check the S3 credentials`, {
        cause: error,
      });
    }
    if ((code === 'XAmzContentSHA256Mismatch' || code === 'BadDigest') && context.key !== undefined) {
      return new ObjectIntegrityError(
        context.key,
        'the S3 server refused bytes that do not match the declared SHA-256',
        {
          s3Code: code,
        },
      );
    }
    if (code === 'InvalidRange' && context.key !== undefined) {
      return new ValidationError(`range is past the end of ${context.key}`, {
        field: 'range',
        key: context.key,
      });
    }
    if ((code !== undefined && SERVER_BUSY_CODES.has(code)) || /Retryable HTTP status/.test(message)) {
      return new BackendUnavailableError('s3', `${what}: ${message}`, { cause: error });
    }
    return new HattamaError('INTERNAL', `S3 ${what} failed: ${code ?? ''} ${message}`.trim(), {
      details: { backend: 's3', s3Code: code },
      cause: error,
    });
  }
}

function toInfo(key: string, stat: BucketItemStat): ObjectInfo {
  const meta = stat.metaData as Record<string, string | undefined>;
  const info: ObjectInfo = { key, size: stat.size, lastModified: stat.lastModified };
  const sha256 = meta[SHA256_METADATA];
  if (sha256) info.sha256 = sha256;
  const contentType = meta['content-type'];
  if (contentType) info.contentType = contentType;
  return info;
}

function s3Code(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ValidationError(`S3 endpoint ${JSON.stringify(endpoint)} is not a URL`, { field: 'endpoint' });
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new ValidationError(`S3 endpoint ${endpoint} must be http(s)://host[:port] with no path`, {
      field: 'endpoint',
    });
  }
  return url;
}
