/**
 * `GET /objects/<key>?expires=…&sig=…[&filename=…]`: the local object store's counterpart of
 * S3 presigned URLs (storage/objects/url-signer.ts). The hub hands these URLs out only
 * after the access-policy check. An unbound URL (a copy's download link) works for whoever
 * holds it until it expires, as on S3. A bound one (`&bound=1`, every playlist's segment
 * URL, on either object store: docs/decisions/0016) was signed for one session: it is
 * verified against the session the fetch presents (`bound.sessionOf`), and then
 * `bound.authorize` re-checks the policy for that viewer from the fetching address.
 *
 * Requests without a valid credential (bad or expired signature, a bound URL without its
 * live session, a malformed key) go to the `guard` when there is one: counted per address,
 * audited in aggregate, and answered 429 past a burst (valid URLs are never limited).
 *
 * Order of checks: the key's shape (400 OBJECT_KEY_INVALID: a key with `..` is refused
 * before anything else looks at it), the signature (403 URL_SIGNATURE_INVALID), the expiry
 * (403 URL_EXPIRED; UrlSigner checks the MAC first, so a forged URL never reads as merely
 * expired), the object (404 OBJECT_NOT_FOUND), and the Range (416). Every refusal goes to
 * `onRefused` and every answer with bytes to `onServed` before a byte is sent, so the
 * audit log sees each one; if a hook throws, nothing is served.
 *
 * Ranges (RFC 9110 14): one `bytes=` range gets 206 with Content-Range; a range starting
 * past the end gets 416 with `Content-Range: bytes *\/<size>`; a header we do not
 * understand or several ranges are ignored (a server MAY ignore Range) and the whole
 * object is sent. MPEG-TS segments are immutable and content-addressed, so the SHA-256 is
 * a strong ETag and If-Range works against it.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { HattamaError } from '../../core/index.ts';
import {
  contentDisposition,
  objectKeyProblem,
  type ObjectStore,
  type UrlSigner,
} from '../../storage/index.ts';
import { problemFor, sendProblem } from '../middlewares/problem.ts';

export type ObjectRefusal = 'invalid-key' | 'bad-signature' | 'expired' | 'no-session' | 'not-found';

/** What a bound URL's fetch needs of its session: the binding its URLs were signed with. */
export interface BoundSession {
  binding: string;
}

/** Counts refusals of requests that carry no valid credential, and limits their rate per address. */
export interface ObjectGuard {
  /** Seconds until the address may try again; null when under the limit. */
  retryAfter(address: string | null): number | null;
  refused(address: string | null, reason: string, options?: { limited?: boolean }): Promise<void>;
}

export interface ServedObject {
  status: 200 | 206;
  /** First and last byte sent (inclusive), and the object's size. */
  start: number;
  end: number;
  size: number;
}

export interface SignedObjectsOptions<S extends BoundSession = BoundSession> {
  objects: Pick<ObjectStore, 'get' | 'stat'>;
  signer: Pick<UrlSigner, 'verify'>;
  /** Called before the bytes of a verified URL are sent (the audit log's "read"); `session` for a bound URL. */
  onServed?: (key: string, req: Request, served: ServedObject, session: S | null) => void | Promise<void>;
  /** Called before a refusal is sent; `key` is as requested, which may be malformed. */
  onRefused?: (key: string, reason: ObjectRefusal, req: Request) => void | Promise<void>;
  /** For Cache-Control; the signer has its own clock for the expiry check itself. */
  clock?: { now(): number };
  /** URLs signed for one session; without this, bound URLs are refused as badly signed. */
  bound?: {
    sessionOf(req: Request): Promise<S | null>;
    /** Re-checks the policy for this fetch; throws (a HattamaError) to refuse. */
    authorize(key: string, req: Request, session: S): Promise<void>;
  };
  /**
   * Re-checks an unbound URL (a copy's download link) before its bytes go out; throws (a
   * HattamaError, audited by the checker) to refuse. Without it, unbound URLs are served
   * while their signature holds.
   */
  unbound?: { authorize(key: string, req: Request): Promise<void> };
  /** Takes the credential-less refusals (instead of `onRefused`) and limits them per address. */
  guard?: ObjectGuard;
}

const CONTENT_TYPES: Record<string, string> = {
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  aac: 'audio/aac',
  m3u8: 'application/vnd.apple.mpegurl',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  pdf: 'application/pdf',
  p7s: 'application/pkcs7-signature',
};

const REFUSALS: Record<ObjectRefusal, { status: number; code: string; title: string }> = {
  'invalid-key': { status: 400, code: 'OBJECT_KEY_INVALID', title: 'The object key is not valid' },
  'bad-signature': { status: 403, code: 'URL_SIGNATURE_INVALID', title: 'The URL signature is not valid' },
  expired: { status: 403, code: 'URL_EXPIRED', title: 'The URL has expired' },
  'no-session': {
    status: 401,
    code: 'UNAUTHENTICATED',
    title: 'This URL plays only with the live session it was issued to',
  },
  'not-found': { status: 404, code: 'OBJECT_NOT_FOUND', title: 'The object does not exist' },
};

function problemType(code: string): string {
  return `https://hattama.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export function contentTypeFor(key: string, stored?: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? stored ?? 'application/octet-stream';
}

export type RangeVerdict = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * One `bytes=` range of an object of `size` bytes (RFC 9110 14.1.2): null means serve the
 * whole object (no header, another unit, several ranges, bad syntax).
 */
export function parseRange(header: string | undefined, size: number): RangeVerdict {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return null;
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** Exactly one value of a query parameter, undefined if absent, null if repeated. */
function single(params: URLSearchParams, name: string): string | undefined | null {
  const all = params.getAll(name);
  if (all.length === 0) return undefined;
  return all.length === 1 ? all[0]! : null;
}

function keyOf(req: Request): string {
  const raw = (req.params as Record<string, unknown>).key;
  return Array.isArray(raw) ? raw.join('/') : String(raw ?? '');
}

export function signedObjectsRoutes<S extends BoundSession = BoundSession>(
  options: SignedObjectsOptions<S>,
): Router {
  const { objects, signer } = options;
  const clock = options.clock ?? Date;
  const r = Router();

  async function refuse(res: Response, req: Request, key: string, reason: ObjectRefusal, detail: string) {
    if (options.guard && reason !== 'not-found') {
      const address = req.socket.remoteAddress ?? null;
      const wait = options.guard.retryAfter(address);
      if (wait !== null) {
        // Past the burst, a refusal is only counted and answered 429. A valid URL from the
        // same address (a viewer behind the same NAT) still plays: only failures are limited.
        await options.guard.refused(address, 'rate-limited', { limited: true });
        res.setHeader('Retry-After', String(wait));
        sendProblem(res, {
          type: problemType('RATE_LIMITED'),
          title: 'Too many requests without a valid credential',
          status: 429,
          code: 'RATE_LIMITED',
          detail: `too many object URLs without a valid credential from this address; retry in ${wait} s`,
        });
        return;
      }
      await options.guard.refused(address, reason);
    } else await options.onRefused?.(key, reason, req);
    const { status, code, title } = REFUSALS[reason];
    sendProblem(res, { type: problemType(code), title, status, code, detail });
  }

  const serve: RequestHandler = async (req, res) => {
    const key = keyOf(req);
    const keyProblem = objectKeyProblem(key);
    if (keyProblem !== null) {
      await refuse(res, req, key, 'invalid-key', `invalid object key: ${keyProblem}`);
      return;
    }
    const params = new URL(req.originalUrl, 'http://hub.invalid').searchParams;
    const expires = single(params, 'expires');
    const sig = single(params, 'sig');
    const filename = single(params, 'filename');
    const boundParam = single(params, 'bound');
    if (
      typeof expires !== 'string' ||
      typeof sig !== 'string' ||
      filename === null ||
      boundParam === null ||
      (boundParam !== undefined && (boundParam !== '1' || filename !== undefined || !options.bound))
    ) {
      await refuse(res, req, key, 'bad-signature', 'the URL must carry one expires and one sig parameter');
      return;
    }
    let session: S | null = null;
    if (boundParam === '1') {
      session = (await options.bound!.sessionOf(req)) ?? null;
      if (!session) {
        await refuse(res, req, key, 'no-session', 'log in again and reload the playlist for fresh URLs');
        return;
      }
    }
    const verdict = signer.verify({ key, expires, sig, filename, binding: session?.binding });
    if (verdict === 'bad-signature') {
      await refuse(res, req, key, 'bad-signature', 'the URL was not signed by this hub or has been altered');
      return;
    }
    if (verdict === 'expired') {
      await refuse(res, req, key, 'expired', 'the URL has expired; reload the playlist for a fresh one');
      return;
    }
    // The URL is this session's: the policy is asked again (the viewer may have moved off
    // site, lost the case or had the part sealed since the playlist was given).
    if (session) await options.bound!.authorize(key, req, session);
    else await options.unbound?.authorize(key, req);
    const info = await objects.stat(key);
    if (!info) {
      await refuse(res, req, key, 'not-found', `object ${key} does not exist`);
      return;
    }
    const etag = info.sha256 ? `"${info.sha256}"` : undefined;
    const lastModified = info.lastModified.toUTCString();
    let range = parseRange(req.get('range'), info.size);
    const ifRange = req.get('if-range');
    // If-Range (RFC 9110 13.1.5): the range applies only to the representation named.
    if (range !== null && ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) range = null;
    if (range === 'unsatisfiable') {
      // Not a refusal of access: the URL was good, the bytes asked for do not exist.
      res.setHeader('Content-Range', `bytes */${info.size}`);
      sendProblem(res, {
        type: problemType('RANGE_NOT_SATISFIABLE'),
        title: 'The requested range is not satisfiable',
        status: 416,
        code: 'RANGE_NOT_SATISFIABLE',
        detail: `object ${key} has ${info.size} bytes`,
      });
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    const served: ServedObject = { status: range ? 206 : 200, start, end, size: info.size };
    const head = req.method === 'HEAD';
    // Open before anything is promised: a vanished object is still a clean 404 problem.
    let body: Readable | null = null;
    try {
      if (!head && info.size > 0) body = await objects.get(key, range ?? undefined);
    } catch (error) {
      if (!(error instanceof HattamaError && error.code === 'OBJECT_NOT_FOUND')) throw error;
      await refuse(res, req, key, 'not-found', `object ${key} does not exist`);
      return;
    }
    try {
      await options.onServed?.(key, req, served, session);
    } catch (error) {
      body?.destroy();
      throw error;
    }
    const remaining = Math.max(0, Number(expires) - Math.floor(clock.now() / 1000));
    res.status(served.status);
    res.setHeader('Content-Type', contentTypeFor(key, info.contentType));
    res.setHeader('Content-Length', String(info.size === 0 ? 0 : end - start + 1));
    res.setHeader('Accept-Ranges', 'bytes');
    // Never cached past the URL's own life; private: a shared cache must not serve it to others.
    res.setHeader('Cache-Control', `private, max-age=${remaining}`);
    res.setHeader('Last-Modified', lastModified);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (etag) res.setHeader('ETag', etag);
    if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
    if (filename !== undefined) res.setHeader('Content-Disposition', contentDisposition(filename));
    if (!body) {
      res.end();
      return;
    }
    try {
      await pipeline(body, res);
    } catch {
      // The viewer went away or the disk failed mid-stream: the status is already sent.
      res.destroy();
    }
  };

  r.get('/objects/*key', async (req, res, next) => {
    try {
      await serve(req, res, next);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HattamaError) sendProblem(res, problemFor(error));
      else next(error);
    }
  });
  return r;
}
