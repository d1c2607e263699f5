/**
 * Hub-signed object URLs for the filesystem driver, the counterpart of S3 presigned URLs:
 * `/objects/<key>?expires=<unix s>&sig=<hex HMAC-SHA256>[&filename=...]`. The hub hands
 * one out only after the access-policy check (docs/architecture.md: presigned URLs are short-lived),
 * and its /objects route serves the bytes only if verify() says 'ok'.
 */
import crypto from 'node:crypto';
import { ValidationError } from '../../core/index.ts';
import { isValidObjectKey, validateObjectKey } from './keys.ts';

export type UrlVerdict = 'ok' | 'expired' | 'bad-signature';

export interface SignedUrlParts {
  key: string;
  expires: number | string;
  sig: string;
  filename?: string | undefined;
  /**
   * For a URL signed for one viewer (`signBound`): the binding it was signed with (the
   * session's id, which the fetch must carry again). Absent for an unbound URL.
   */
  binding?: string | undefined;
}

/** Below this the HMAC key is guessable; 32 random bytes in base64 is 44 characters. */
export const MIN_SECRET_LENGTH = 32;
/**
 * The tag is HMAC-SHA-256 truncated to 128 bits (RFC 2104 §5, as IPsec's
 * HMAC-SHA-256-128, RFC 4868), base64url: 22 characters. A two-hour playlist carries
 * 1,800 of them per track, and they are its incompressible part: at 64 hex characters
 * they were two thirds of its gzip size (docs/decisions/0007).
 */
const SIG_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const TAG_BYTES = 16;

export class UrlSigner {
  private readonly secret: Buffer;
  private readonly clock: { now(): number };

  constructor(secret: string, clock: { now(): number } = Date) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ValidationError(`the URL signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.secret = Buffer.from(secret, 'utf8');
    this.clock = clock;
  }

  /** A relative URL valid for `expirySeconds` from now. */
  sign(key: string, expirySeconds: number, filename?: string): string {
    validateObjectKey(key);
    const expires = Math.floor(this.clock.now() / 1000) + expirySeconds;
    const query = new URLSearchParams({ expires: String(expires), sig: this.mac(key, expires, filename) });
    if (filename !== undefined) query.set('filename', filename);
    // Keys are [A-Za-z0-9._/-] only (keys.ts), so they need no escaping in a path.
    return `/objects/${key}?${query.toString()}`;
  }

  /**
   * A relative URL valid for `expirySeconds` and only together with `binding` (the
   * viewer's session id): `/objects/<key>?expires=…&bound=1&sig=…`. The MAC covers the
   * binding, which the URL does not carry: the hub recomputes it from the session the
   * fetch presents, so the URL plays for that session and nobody else.
   */
  signBound(key: string, options: { expirySeconds: number; binding: string }): string {
    validateObjectKey(key);
    if (options.binding === '' || options.binding.includes('\n'))
      throw new ValidationError('a URL binding must be a non-empty single line');
    const expires = Math.floor(this.clock.now() / 1000) + options.expirySeconds;
    const sig = this.mac(key, expires, undefined, options.binding);
    return `/objects/${key}?expires=${expires}&bound=1&sig=${sig}`;
  }

  /** The signature is checked before expiry, so a forged URL never reads as merely 'expired'. */
  verify(parts: SignedUrlParts): UrlVerdict {
    const expires = typeof parts.expires === 'string' ? Number(parts.expires) : parts.expires;
    if (!Number.isSafeInteger(expires) || typeof parts.sig !== 'string' || !SIG_PATTERN.test(parts.sig)) {
      return 'bad-signature';
    }
    if (!isValidObjectKey(parts.key)) return 'bad-signature';
    // Compared as text, not as decoded bytes: the last base64url character carries four
    // unused bits, and a decoder would take several spellings of one tag as equal.
    const expected = Buffer.from(this.mac(parts.key, expires, parts.filename, parts.binding), 'latin1');
    // timingSafeEqual: comparing MACs in constant time leaks nothing about the right one.
    if (!crypto.timingSafeEqual(expected, Buffer.from(parts.sig, 'latin1'))) return 'bad-signature';
    return Math.floor(this.clock.now() / 1000) > expires ? 'expired' : 'ok';
  }

  private mac(key: string, expires: number, filename: string | undefined, binding?: string): string {
    // Newline framing is unambiguous: valid keys never contain "\n" and the filename comes
    // last. A bound URL has its own version tag, so an unbound URL's MAC never checks out
    // as a bound one's (or the reverse) whatever the binding.
    const payload =
      binding === undefined
        ? `hattama-object-url-v1\n${key}\n${expires}\n${filename ?? ''}`
        : `hattama-object-url-v2-bound\n${key}\n${expires}\n${binding}`;
    return crypto
      .createHmac('sha256', this.secret)
      .update(payload, 'utf8')
      .digest()
      .subarray(0, TAG_BYTES)
      .toString('base64url');
  }
}

/**
 * Content-Disposition for a download name (RFC 6266): an ASCII fallback plus the exact
 * UTF-8 name in filename*, so Cyrillic and Kazakh names survive.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
