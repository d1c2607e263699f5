/**
 * gzip of a cached response body, made once per body. Playlists are cached as Buffers
 * (playlist.service.ts) and the same Buffer is sent until the playlist changes, so the
 * compressed copy is remembered by the Buffer's identity and goes with it.
 *
 * A two-hour media playlist is ~270 kB of signed URLs; gzip takes it to ~80 kB (the
 * signatures do not compress, the rest does), which is what every browser asks for
 * (hls.js fetches playlists with the browser's Accept-Encoding). No BREACH exposure: a
 * playlist reflects nothing the requester chose — its lines come from the catalog and the
 * signer, the hearing id and track name are looked up, never echoed unchecked.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

/** Below this, compressing saves less than it costs. */
export const MIN_COMPRESSED_BYTES = 1024;

const gzipped = new WeakMap<Buffer, Promise<Buffer>>();

/** The gzip of `body` (compressed off the event loop, once per Buffer). */
export function gzipOnce(body: Buffer): Promise<Buffer> {
  let done = gzipped.get(body);
  if (done === undefined) {
    done = gzip(body, { level: 6 });
    gzipped.set(body, done);
    // A failure is not remembered: the next request tries again.
    done.catch(() => gzipped.delete(body));
  }
  return done;
}

/** Accept-Encoding values seen (clients send the same few over and over): whether gzip is acceptable. */
const acceptsGzipMemo = new Map<string, boolean>();

/**
 * Whether an Accept-Encoding header accepts gzip (RFC 9110 12.5.3): `gzip` or `*` with a
 * non-zero weight, unless `gzip` itself is refused with q=0. A missing header: no.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  const known = acceptsGzipMemo.get(header);
  if (known !== undefined) return known;
  let gzip: number | null = null;
  let any: number | null = null;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    const w = Number.isFinite(weight) ? weight : 0;
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, w);
    else if (name === '*') any = Math.max(any ?? 0, w);
  }
  const accepts = gzip !== null ? gzip > 0 : any !== null && any > 0;
  if (header.length <= 200) {
    if (acceptsGzipMemo.size >= 256) acceptsGzipMemo.clear();
    acceptsGzipMemo.set(header, accepts);
  }
  return accepts;
}
