/**
 * Password hashing with scrypt from node:crypto: memory-hard (RFC 7914), so guessing on
 * GPUs costs memory as well as time, and no native add-on is needed. The hash is stored as
 * `scrypt$N$r$p$salt$hash` (salt and hash in base64url), so parameters can be raised
 * later: a hash made with weaker ones still verifies and `needsRehash` says to replace it.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { ValidationError } from '../../core/index.ts';

const scryptAsync = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * N=2^15, r=8, p=1: 32 MiB and tens of milliseconds per hash on a court server, the
 * interactive-login setting of RFC 7914 §2 and above OWASP's scrypt minimum (N=2^17 at
 * r=8 costs 128 MiB per concurrent login, too much for a small embedded box).
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Node's default maxmem (32 MiB) is just below what N=2^15, r=8 needs (128·r·(N+p+2) bytes). */
const MAX_MEM = 256 * 1024 * 1024;
/** Refuse to run hashes from the catalog that would cost more than this (a tampered row). */
const MAX_N = 2 ** 20;

export const PASSWORD_MIN_LENGTH = 10;
/** Long enough for any passphrase; bounds the work one request can ask for. */
export const PASSWORD_MAX_LENGTH = 1024;

interface Decoded extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

function decode(encoded: string): Decoded | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x ?? '') ? Number(x) : NaN)) as [
    number,
    number,
    number,
  ];
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return null;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return null;
  if (128 * r * (N + p + 2) > MAX_MEM) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

function derive(password: string, salt: Buffer, params: ScryptParams, keylen: number): Promise<Buffer> {
  return scryptAsync(password.normalize('NFC'), salt, keylen, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: MAX_MEM,
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Whether `password` matches `encoded`, compared in constant time. A malformed hash
 * (never written by hashPassword) verifies nothing rather than throwing.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const d = decode(encoded);
  if (!d) return false;
  const candidate = await derive(password, d.salt, d, d.hash.length);
  return crypto.timingSafeEqual(candidate, d.hash);
}

/** Whether a stored hash was made with other parameters than `params` and should be replaced at the next log-in. */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const d = decode(encoded);
  if (!d) return true;
  return d.N !== params.N || d.r !== params.r || d.p !== params.p || d.hash.length !== KEY_BYTES;
}

let dummy: Promise<string> | null = null;
/**
 * A hash of nothing anyone knows, to verify against when the login does not exist, so an
 * unknown login takes as long to refuse as a wrong password.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomBytes(32).toString('base64url'));
  return dummy;
}

/** Refuses a password too short or too long to be set (ValidationError naming the rule). */
export function assertAcceptablePassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    throw new ValidationError(`the password must have at least ${PASSWORD_MIN_LENGTH} characters`, {
      field: 'password',
    });
  if (length > PASSWORD_MAX_LENGTH)
    throw new ValidationError(`the password must have at most ${PASSWORD_MAX_LENGTH} characters`, {
      field: 'password',
    });
}

/** Unambiguous letters and digits (no 0/O, 1/l/I): easy to read from a printout. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A random password of four groups of five characters (≈ 99 bits), e.g. `k7mzq-…`. */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += ALPHABET[crypto.randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}
