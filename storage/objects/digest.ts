/**
 * Hashing while bytes pass, shared by both drivers: a put is verified against the SHA-256
 * (and size) the caller declared before anything is stored under the key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectIntegrityError, ValidationError } from '../../core/index.ts';
import type { PutOptions, PutSource } from './object-store.ts';

export interface Digest {
  sha256: string;
  size: number;
  /** Base64 MD5, for S3's Content-MD5 (required by S3 for writes under object lock). */
  md5?: string;
}

/** A pass-through that hashes and counts, and fails as soon as more than `maxBytes` pass. */
export class DigestStream extends Transform {
  private readonly sha = crypto.createHash('sha256');
  private readonly md5Hash: crypto.Hash | undefined;
  private bytes = 0;
  private readonly key: string;
  private readonly maxBytes: number | undefined;

  constructor(options: { key: string; maxBytes?: number; md5?: boolean }) {
    super();
    this.key = options.key;
    this.maxBytes = options.maxBytes;
    this.md5Hash = options.md5 ? crypto.createHash('md5') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== undefined && this.bytes > this.maxBytes) {
      callback(
        new ObjectIntegrityError(this.key, `more than the declared ${this.maxBytes} bytes`, {
          declaredSize: this.maxBytes,
        }),
      );
      return;
    }
    this.sha.update(chunk);
    this.md5Hash?.update(chunk);
    callback(null, chunk);
  }

  digest(): Digest {
    const result: Digest = { sha256: this.sha.digest('hex'), size: this.bytes };
    if (this.md5Hash) result.md5 = this.md5Hash.digest('base64');
    return result;
  }
}

export function digestBytes(bytes: Uint8Array, options: { md5?: boolean } = {}): Digest {
  const result: Digest = {
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    size: bytes.byteLength,
  };
  if (options.md5) result.md5 = crypto.createHash('md5').update(bytes).digest('base64');
  return result;
}

/** Node streams and old-style ReadableStreams alike, as a modern Readable. */
export function asReadable(stream: NodeJS.ReadableStream | Readable): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>);
}

export async function digestFile(
  file: string,
  options: { key: string; maxBytes?: number; md5?: boolean },
): Promise<Digest> {
  const hasher = new DigestStream(options);
  await pipeline(fs.createReadStream(file), hasher, async function drain(source) {
    for await (const chunk of source) void chunk;
  });
  return hasher.digest();
}

/**
 * Reads a whole stream into memory while hashing it. Refuses more than `limit` bytes, so a
 * runaway source cannot exhaust memory; callers with bigger objects pass a file.
 */
export async function bufferStream(
  stream: NodeJS.ReadableStream | Readable,
  options: { key: string; limit: number; declaredSize?: number; md5?: boolean },
): Promise<{ buffer: Buffer; digest: Digest }> {
  const max = options.declaredSize ?? options.limit;
  if (max > options.limit) {
    throw new ValidationError(
      `objects from a stream are buffered and may be at most ${options.limit} bytes; pass a file instead`,
      { key: options.key, size: options.declaredSize },
    );
  }
  const hasher = new DigestStream({ key: options.key, maxBytes: max, md5: options.md5 });
  const chunks: Buffer[] = [];
  try {
    await pipeline(asReadable(stream), hasher, async function collect(source) {
      for await (const chunk of source) chunks.push(chunk as Buffer);
    });
  } catch (error) {
    // A declared size overrun is an integrity failure; beyond the buffer limit it is a usage error.
    if (error instanceof ObjectIntegrityError && options.declaredSize === undefined) {
      throw new ValidationError(
        `objects from a stream are buffered and may be at most ${options.limit} bytes; pass a file instead`,
        { key: options.key },
      );
    }
    throw error;
  }
  return { buffer: Buffer.concat(chunks), digest: hasher.digest() };
}

/** Throws ObjectIntegrityError unless the bytes seen are the bytes declared. */
export function checkDigest(key: string, options: PutOptions, actual: Digest): void {
  if (options.size !== undefined && actual.size !== options.size) {
    throw new ObjectIntegrityError(key, `size ${actual.size} does not match the declared ${options.size}`, {
      declaredSize: options.size,
      actualSize: actual.size,
    });
  }
  if (actual.sha256 !== options.sha256) {
    throw new ObjectIntegrityError(key, 'SHA-256 does not match the declared value', {
      declaredSha256: options.sha256,
      actualSha256: actual.sha256,
    });
  }
}

export function sourceKind(source: PutSource): 'file' | 'stream' | 'bytes' {
  if (source && typeof source === 'object') {
    if ('file' in source && typeof source.file === 'string') return 'file';
    if ('bytes' in source && source.bytes instanceof Uint8Array) return 'bytes';
    if ('stream' in source && source.stream && typeof source.stream === 'object') return 'stream';
  }
  throw new ValidationError('put source must be { file }, { stream } or { bytes }');
}
