/**
 * The object store's public surface. The S3 driver is imported only when chosen, so the
 * embedded default never loads the minio client (docs/architecture.md habit 5).
 */
import type { Logger } from '../../core/index.ts';
import { FsObjectStore } from './fs-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import type { S3ObjectStoreOptions } from './s3-object-store.ts';
import type { UrlSigner } from './url-signer.ts';

export type {
  ByteRange,
  ObjectInfo,
  ObjectStore,
  ObjectStoreCapabilities,
  PresignOptions,
  PutOptions,
  PutSource,
} from './object-store.ts';
export { DEFAULT_CONTENT_TYPE, MAX_PRESIGN_SECONDS } from './object-store.ts';
export {
  MAX_KEY_LENGTH,
  MAX_SEQ,
  copyKey,
  hearingPrefix,
  isValidObjectKey,
  manifestKey,
  objectKeyProblem,
  segmentKey,
  validateId,
  validateObjectKey,
  validatePrefix,
  validateTrack,
  type CopyKeyParts,
  type SegmentKeyParts,
  type TrackName,
} from './keys.ts';
export { UrlSigner, contentDisposition, type SignedUrlParts, type UrlVerdict } from './url-signer.ts';
export { FsObjectStore, fsObjectDataFile, type FsObjectStoreOptions } from './fs-object-store.ts';
export type { S3ObjectStoreOptions } from './s3-object-store.ts';

export type ObjectStoreOptions =
  | { driver: 'fs'; root: string; signer: UrlSigner; logger?: Logger; clock?: { now(): number } }
  | ({ driver: 's3' } & S3ObjectStoreOptions);

/** Builds (but does not init) the configured driver. */
export async function createObjectStore(options: ObjectStoreOptions): Promise<ObjectStore> {
  if (options.driver === 'fs') {
    const { driver: _driver, ...fsOptions } = options;
    return new FsObjectStore(fsOptions);
  }
  const { S3ObjectStore } = await import('./s3-object-store.ts');
  const { driver: _driver, ...s3Options } = options;
  return new S3ObjectStore(s3Options);
}
