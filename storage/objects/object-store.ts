/**
 * The object store: where recordings, manifests and copies live. Two drivers, chosen by
 * configuration alone (docs/architecture.md): a local directory for the embedded default, S3
 * (MinIO, RADOS Gateway) when scaled out. Both keep the same promises:
 *
 * - every key passes validateObjectKey before the backend is touched;
 * - a put stores exactly the bytes whose SHA-256 (and size) the caller declared, or
 *   nothing at all (ObjectIntegrityError);
 * - a recording is never modified after upload: the same content again is a no-op,
 *   different content under an existing key is a ConflictError;
 * - delete is refused (ObjectLockedError) while retention or a legal hold applies.
 */
import type { Readable } from 'node:stream';
import { ValidationError, type FileStamp } from '../../core/index.ts';

export type PutSource =
  | {
      file: string;
      /**
       * The caller hands the file over and never writes to it again (a recorder's
       * committed segment): a store on the same file system may link it rather than copy it.
       */
      handOver?: boolean;
      /**
       * The file as the caller hashed it for `sha256` (core/sha256-file.ts). A store that
       * links a handed-over file takes the declared digest when the link still has this
       * stamp, instead of reading the bytes again; any other store ignores it. The hub's
       * integrity job hashes every registered object in any case.
       */
      hashed?: FileStamp;
      /**
       * The caller fsync'd the file after hashing it (a spool's committed segment): a
       * store that links it, and finds the `hashed` stamp unchanged, need not fsync the
       * same bytes again; it still makes the new name durable.
       */
      synced?: boolean;
    }
  | { stream: NodeJS.ReadableStream | Readable }
  | { bytes: Uint8Array };

export interface PutOptions {
  /** Hex SHA-256 of the content, lower-case, 64 characters; verified while writing. */
  sha256: string;
  /** Byte length; if given, also verified. */
  size?: number;
  contentType?: string;
  /** Object-lock retention (COMPLIANCE) until this time, where the backend supports it. */
  retainUntil?: Date;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** Stored as metadata where possible (not in S3 listings, which carry no metadata). */
  sha256?: string;
  lastModified: Date;
  contentType?: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in an HTTP Range header; clamped to the object's end. */
  end?: number;
}

export interface ObjectStoreCapabilities {
  objectLock: boolean;
  presignedUrls: 'native' | 'hub-signed';
}

export interface PresignOptions {
  expirySeconds: number;
  /** Offered to the browser as the download name (Content-Disposition: attachment). */
  filename?: string;
}

export interface ObjectStore {
  readonly driver: 'fs' | 's3';
  readonly capabilities: ObjectStoreCapabilities;
  /** Creates the directory or bucket (a new bucket gets object locking). */
  init(): Promise<void>;
  put(key: string, source: PutSource, options: PutOptions): Promise<ObjectInfo>;
  /** ObjectNotFoundError if missing. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, once each, sorted by key. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** ObjectLockedError under retention or legal hold; a missing key is a no-op. */
  delete(key: string): Promise<void>;
  presignGet(key: string, options: PresignOptions): Promise<string>;
  setLegalHold?(key: string, on: boolean): Promise<void>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** SigV4 presigned URLs are valid for at most 7 days; the hub-signed ones follow suit. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks what the caller declared before any byte is read. */
export function validatePutOptions(options: PutOptions, now: number): void {
  if (typeof options?.sha256 !== 'string' || !SHA256_HEX.test(options.sha256)) {
    throw new ValidationError('sha256 must be 64 lower-case hex characters', { field: 'sha256' });
  }
  if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
    throw new ValidationError('size must be a non-negative integer', { field: 'size' });
  }
  if (options.contentType !== undefined && !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(options.contentType)) {
    throw new ValidationError('contentType must be printable ASCII', { field: 'contentType' });
  }
  if (options.retainUntil !== undefined) {
    const t = options.retainUntil instanceof Date ? options.retainUntil.getTime() : NaN;
    if (Number.isNaN(t))
      throw new ValidationError('retainUntil must be a valid Date', { field: 'retainUntil' });
    if (t <= now) throw new ValidationError('retainUntil must be in the future', { field: 'retainUntil' });
  }
}

export function validatePresign(options: PresignOptions): void {
  const s = options?.expirySeconds;
  if (!Number.isSafeInteger(s) || s < 1 || s > MAX_PRESIGN_SECONDS) {
    throw new ValidationError(`expirySeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`, {
      field: 'expirySeconds',
    });
  }
  if (options.filename !== undefined && (options.filename.length === 0 || options.filename.length > 255)) {
    throw new ValidationError('filename must be 1 to 255 characters', { field: 'filename' });
  }
}

export function validateRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new ValidationError('range start must be a non-negative integer', { field: 'range' });
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new ValidationError('range end must be an integer not before start', { field: 'range' });
  }
}

/** For a range past the end of the object (HTTP 416 Range Not Satisfiable). */
export function rangeNotSatisfiable(key: string, range: ByteRange, size: number): ValidationError {
  return new ValidationError(`range starting at ${range.start} is past the end of ${key} (${size} bytes)`, {
    field: 'range',
    key,
    size,
  });
}
