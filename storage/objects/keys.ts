/**
 * Object key layout. This is the only place keys are built and validated: every driver
 * calls validateObjectKey before it touches a backend, so a key can never escape its
 * prefix on the filesystem (`..`, absolute paths) or mean two things on S3.
 *
 *   hearings/<hearingId>/<track>/<seq:6>.<ext>   one segment of one track (seq 0 = init segment)
 *   hearings/<hearingId>/manifest.json           the hearing's canonical manifest
 *   hearings/<hearingId>/copies/<copyId>.<ext>   a copy handed out (carries the lawful-use notice)
 */
import { InvalidObjectKeyError } from '../../core/index.ts';

/** Well under S3's 1024-byte limit, and short enough for any filesystem path. */
export const MAX_KEY_LENGTH = 512;
/** Six digits keep keys sorted by seq in S3's byte order: 999999 two-second segments = 23 days. */
export const MAX_SEQ = 999_999;

/** Characters safe as S3 keys, in URLs and as POSIX file names without escaping. */
const KEY_CHARS = /^[A-Za-z0-9._/-]+$/;
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const TRACK = /^(?:video|mix|mic-[1-9][0-9]{0,2}|remote-[a-z0-9][a-z0-9-]{0,63}-(?:audio|video))$/;
const EXT = /^[a-z0-9]{1,8}$/;

export type TrackName = 'video' | 'mix' | `mic-${number}` | `remote-${string}-${'audio' | 'video'}`;

/** The reason a key is invalid, or null when it is valid. */
export function objectKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return 'must be a string';
  if (key.length === 0) return 'must not be empty';
  if (key.length > MAX_KEY_LENGTH) return `must be at most ${MAX_KEY_LENGTH} characters`;
  if (key.includes('\0')) return 'must not contain a NUL byte';
  if (CONTROL_CHARS.test(key)) return 'must not contain control characters';
  if (key.includes('\\')) return 'must not contain a backslash';
  if (key.startsWith('/')) return 'must be relative (no leading "/")';
  if (key.endsWith('/')) return 'must not end with "/"';
  if (!KEY_CHARS.test(key)) return 'may only contain A-Z a-z 0-9 . _ - /';
  for (const part of key.split('/')) {
    if (part === '') return 'must not contain an empty path component ("//")';
    if (part === '.' || part === '..') return 'must not contain "." or ".." path components';
  }
  return null;
}

export function isValidObjectKey(key: unknown): key is string {
  return objectKeyProblem(key) === null;
}

/** Throws InvalidObjectKeyError unless `key` is a well-formed object key; returns it. */
export function validateObjectKey(key: string): string {
  const problem = objectKeyProblem(key);
  if (problem !== null) throw new InvalidObjectKeyError(String(key), problem);
  return key;
}

/**
 * A listing prefix: empty (everything), a key-like path that may end in "/", or a
 * partial last component ("hearings/abc" matches "hearings/abc-2/..." too, as on S3).
 */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new InvalidObjectKeyError(String(prefix), 'prefix must be a string');
  if (prefix === '') return prefix;
  const problem = objectKeyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem !== null) throw new InvalidObjectKeyError(prefix, `prefix ${problem}`);
  return prefix;
}

function check(value: unknown, pattern: RegExp, what: string, near: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InvalidObjectKeyError(near, `${what} ${JSON.stringify(value)} must match ${pattern.source}`);
  }
  return value;
}

export function validateId(id: string, what = 'id'): string {
  return check(id, ID, what, String(id));
}

export function validateTrack(track: string): TrackName {
  return check(track, TRACK, 'track', String(track)) as TrackName;
}

export function hearingPrefix(hearingId: string): string {
  return `hearings/${check(hearingId, ID, 'hearing id', `hearings/${String(hearingId)}/`)}/`;
}

export interface SegmentKeyParts {
  hearingId: string;
  track: string;
  /** 0 is the track's init segment (the head of its hash chain); media segments follow. */
  seq: number;
  ext: string;
}

export function segmentKey(parts: SegmentKeyParts): string {
  const near = `${hearingPrefix(parts.hearingId)}${String(parts.track)}/${String(parts.seq)}.${String(parts.ext)}`;
  check(parts.track, TRACK, 'track', near);
  check(parts.ext, EXT, 'extension', near);
  if (!Number.isSafeInteger(parts.seq) || parts.seq < 0 || parts.seq > MAX_SEQ) {
    throw new InvalidObjectKeyError(near, `seq must be an integer from 0 to ${MAX_SEQ}`);
  }
  const seq = String(parts.seq).padStart(6, '0');
  return validateObjectKey(`${hearingPrefix(parts.hearingId)}${parts.track}/${seq}.${parts.ext}`);
}

export function manifestKey(hearingId: string): string {
  return validateObjectKey(`${hearingPrefix(hearingId)}manifest.json`);
}

export interface CopyKeyParts {
  hearingId: string;
  copyId: string;
  ext: string;
}

/** A copy of a hearing handed out to a party; kept under the hearing so retention covers it. */
export function copyKey(parts: CopyKeyParts): string {
  const near = `${hearingPrefix(parts.hearingId)}copies/${String(parts.copyId)}.${String(parts.ext)}`;
  check(parts.copyId, ID, 'copy id', near);
  check(parts.ext, EXT, 'extension', near);
  return validateObjectKey(`${hearingPrefix(parts.hearingId)}copies/${parts.copyId}.${parts.ext}`);
}
