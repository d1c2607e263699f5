/**
 * The hub-signed /objects route against the real filesystem store and a real HTTP server.
 * Requests go through node:http, not fetch, so a path with `..` reaches the server as
 * written (WHATWG URL parsing would resolve it away first, as browsers do).
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../core/index.ts';
import { AccessRefusedError } from '../../court/index.ts';
import { FsObjectStore, UrlSigner } from '../../storage/index.ts';
import { errorHandler } from '../middlewares/problem.ts';
import {
  parseRange,
  signedObjectsRoutes,
  type ObjectRefusal,
  type ServedObject,
} from './signed-objects.routes.ts';

const KEY = 'hearings/h-signed-1/mic-2/000003.ts';
const BYTES = crypto.randomBytes(188 * 50);
const clock = new FakeClock('2026-03-02T09:00:00.000Z');
const signer = new UrlSigner('signed-objects-test-secret-0123456789abcdef', clock);

let tmp: string;
let objects: FsObjectStore;
let server: http.Server;
let base: string;
let served: { key: string; info: ServedObject }[] = [];
let refused: { key: string; reason: ObjectRefusal }[] = [];
let failAudit = false;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(pathAndQuery: string, options: { headers?: Record<string, string>; method?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = http.request(
      { hostname, port, path: pathAndQuery, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function problem(reply: Reply): {
  status: number;
  code: string;
  title: string;
  type: string;
  detail: string;
} {
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(reply.body.toString('utf8'));
}

async function signed(key = KEY, expirySeconds = 60, filename?: string): Promise<string> {
  return objects.presignGet(key, { expirySeconds, ...(filename ? { filename } : {}) });
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-signed-objects-'));
  objects = new FsObjectStore({ root: tmp, signer });
  await objects.init();
  const sha256 = crypto.createHash('sha256').update(BYTES).digest('hex');
  await objects.put(KEY, { bytes: BYTES }, { sha256, contentType: 'application/octet-stream' });
  const app = express();
  app.use(
    signedObjectsRoutes({
      objects,
      signer,
      clock,
      onServed: async (key, _req, info) => {
        if (failAudit) throw new Error('audit log unavailable');
        served.push({ key, info });
      },
      onRefused: (key, reason) => {
        refused.push({ key, reason });
      },
    }),
  );
  app.use(errorHandler(silentLogger()));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  served = [];
  refused = [];
  failAudit = false;
});

describe('GET /objects/<key> with a hub-signed URL', () => {
  it('serves the bytes of a signed URL as MPEG-TS, cacheable privately no longer than the URL lives', async () => {
    const url = await signed(KEY, 60);
    clock.advance(15_000);
    const reply = await request(url);
    expect(reply.status).toBe(200);
    expect(reply.body.equals(BYTES)).toBe(true);
    expect(reply.headers['content-type']).toBe('video/mp2t');
    expect(reply.headers['content-length']).toBe(String(BYTES.length));
    expect(reply.headers['accept-ranges']).toBe('bytes');
    expect(reply.headers['cache-control']).toBe('private, max-age=45');
    expect(reply.headers['etag']).toMatch(/^"[0-9a-f]{64}"$/);
    expect(served).toEqual([
      { key: KEY, info: { status: 200, start: 0, end: BYTES.length - 1, size: BYTES.length } },
    ]);
    expect(refused).toEqual([]);
  });

  it('answers a Range request with 206 and exactly that slice', async () => {
    const url = await signed();
    const reply = await request(url, { headers: { Range: 'bytes=188-563' } });
    expect(reply.status).toBe(206);
    expect(reply.headers['content-range']).toBe(`bytes 188-563/${BYTES.length}`);
    expect(reply.headers['content-length']).toBe('376');
    expect(reply.body.equals(BYTES.subarray(188, 564))).toBe(true);
    expect(served[0]!.info).toEqual({ status: 206, start: 188, end: 563, size: BYTES.length });

    const tail = await request(url, { headers: { Range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(BYTES.subarray(BYTES.length - 100))).toBe(true);

    const open = await request(url, { headers: { Range: `bytes=${BYTES.length - 10}-` } });
    expect(open.headers['content-range']).toBe(
      `bytes ${BYTES.length - 10}-${BYTES.length - 1}/${BYTES.length}`,
    );
    expect(open.body.equals(BYTES.subarray(BYTES.length - 10))).toBe(true);

    const beyond = await request(url, { headers: { Range: `bytes=100-${BYTES.length * 2}` } });
    expect(beyond.status).toBe(206);
    expect(beyond.body.equals(BYTES.subarray(100))).toBe(true);
  });

  it('answers 416 with the size for a range past the end', async () => {
    const reply = await request(await signed(), { headers: { Range: `bytes=${BYTES.length}-` } });
    expect(reply.status).toBe(416);
    expect(reply.headers['content-range']).toBe(`bytes */${BYTES.length}`);
    expect(problem(reply).code).toBe('RANGE_NOT_SATISFIABLE');
    expect(served).toEqual([]);
  });

  it('ignores a range for another version (If-Range) and one it does not understand', async () => {
    const url = await signed();
    const stale = await request(url, { headers: { Range: 'bytes=0-9', 'If-Range': '"0000"' } });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(BYTES.length);
    const many = await request(url, { headers: { Range: 'bytes=0-9,20-29' } });
    expect(many.status).toBe(200);
    const current = await request(url, { headers: { Range: 'bytes=0-9', 'If-Range': stale.headers.etag! } });
    expect(current.status).toBe(206);
  });

  it('refuses an expired URL with 403 URL_EXPIRED', async () => {
    const url = await signed(KEY, 30);
    clock.advance(31_000);
    const reply = await request(url);
    expect(reply.status).toBe(403);
    const p = problem(reply);
    expect(p).toMatchObject({
      status: 403,
      code: 'URL_EXPIRED',
      type: 'https://hattama.dev/problems/url-expired',
    });
    expect(typeof p.title).toBe('string');
    expect(typeof p.detail).toBe('string');
    expect(refused).toEqual([{ key: KEY, reason: 'expired' }]);
    expect(served).toEqual([]);
  });

  it('refuses a tampered signature, expiry or key, and a URL without a signature, with 403 URL_SIGNATURE_INVALID', async () => {
    const url = await signed();
    const u = new URL(url, base);
    const sig = u.searchParams.get('sig')!;
    const flipped = `${sig[0] === 'a' ? 'b' : 'a'}${sig.slice(1)}`;
    const other = 'hearings/h-signed-1/mic-1/000003.ts';
    const attempts = [
      url.replace(sig, flipped),
      url.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`),
      url.replace(KEY, other),
      url.replace(/&sig=[\w-]+/, ''),
      `${url}&sig=${sig}`,
      `${url}&filename=copy.ts`,
    ];
    for (const attempt of attempts) {
      const reply = await request(attempt);
      expect(reply.status, attempt).toBe(403);
      expect(problem(reply).code).toBe('URL_SIGNATURE_INVALID');
    }
    expect(refused.map((r) => r.reason)).toEqual(attempts.map(() => 'bad-signature'));
    expect(refused[2]!.key).toBe(other);
    expect(served).toEqual([]);
  });

  it('refuses a key with .. (as sent or percent-encoded) with 400 OBJECT_KEY_INVALID', async () => {
    const query = new URL(await signed(), base).search;
    for (const p of [
      `/objects/hearings/h-signed-1/../h-signed-1/mic-2/000003.ts${query}`,
      `/objects/hearings/h-signed-1/%2e%2e/h-signed-1/mic-2/000003.ts${query}`,
      `/objects/hearings//h-signed-1/mic-2/000003.ts${query}`,
      `/objects/hearings/h-signed-1/mic-2/000003.ts@/data${query}`,
    ]) {
      const reply = await request(p);
      expect(reply.status, p).toBe(400);
      expect(problem(reply).code).toBe('OBJECT_KEY_INVALID');
    }
    expect(refused).toHaveLength(4);
    expect(refused.every((r) => r.reason === 'invalid-key')).toBe(true);
    expect(refused[0]!.key).toBe('hearings/h-signed-1/../h-signed-1/mic-2/000003.ts');
  });

  it('answers 404 OBJECT_NOT_FOUND for a signed URL of an object that is not there', async () => {
    const reply = await request(await signed('hearings/h-signed-1/mic-2/000004.ts'));
    expect(reply.status).toBe(404);
    expect(problem(reply).code).toBe('OBJECT_NOT_FOUND');
    expect(refused).toEqual([{ key: 'hearings/h-signed-1/mic-2/000004.ts', reason: 'not-found' }]);
  });

  it('offers a signed download name as an attachment', async () => {
    const reply = await request(await signed(KEY, 60, 'Копия 2-1234.ts'));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-disposition']).toBe(
      `attachment; filename="_____ 2-1234.ts"; filename*=UTF-8''${encodeURIComponent('Копия 2-1234.ts')}`,
    );
  });

  it('answers HEAD with the headers only', async () => {
    const reply = await request(await signed(), { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe(String(BYTES.length));
    expect(reply.body.length).toBe(0);
  });

  it('serves nothing when the audit hook fails', async () => {
    failAudit = true;
    const reply = await request(await signed());
    expect(reply.status).toBe(500);
    expect(reply.body.includes(BYTES.subarray(0, 64))).toBe(false);
  });
});

describe('parseRange', () => {
  it('reads one bytes range and leaves everything else to a full answer', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes = 10 - 20', 100)).toEqual({ start: 10, end: 20 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-200', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=20-10', 100)).toBeNull();
    expect(parseRange('bytes=-', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});

describe('GET /objects/<key> with a URL bound to a session, behind a guard', () => {
  let boundServer: http.Server;
  let boundBase: string;
  let counted: { address: string | null; reason: string; limited: boolean }[] = [];
  const BURST = 5;
  const authorized: string[] = [];

  const get = (p: string, session?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const { hostname, port } = new URL(boundBase);
      const req = http.request(
        { hostname, port, path: p, headers: session ? { 'x-test-session': session } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    const app = express();
    app.use(
      signedObjectsRoutes({
        objects,
        signer,
        clock,
        bound: {
          sessionOf: async (req) => {
            const s = req.headers['x-test-session'];
            return typeof s === 'string' && s.startsWith('live-') ? { binding: s } : null;
          },
          authorize: async (key, _req, session) => {
            if (session.binding === 'live-off-site')
              throw new AccessRefusedError('closed-hearing-off-site', 'not from here');
            authorized.push(key);
          },
        },
        guard: {
          retryAfter: () => (counted.length >= BURST ? 30 : null),
          refused: async (address, reason, options) => {
            counted.push({ address, reason, limited: options?.limited ?? false });
          },
        },
      }),
    );
    app.use(errorHandler(silentLogger()));
    boundServer = http.createServer(app);
    await new Promise<void>((resolve) => boundServer.listen(0, '127.0.0.1', resolve));
    boundBase = `http://127.0.0.1:${(boundServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    boundServer?.closeAllConnections();
    await new Promise<void>((resolve) => (boundServer ? boundServer.close(() => resolve()) : resolve()));
  });

  beforeEach(() => {
    counted = [];
    authorized.length = 0;
  });

  it('serves a bound URL to its own live session only, after the re-check', async () => {
    const url = signer.signBound(KEY, { expirySeconds: 60, binding: 'live-a' });
    const own = await get(url, 'live-a');
    expect(own.status).toBe(200);
    expect(own.body.equals(BYTES)).toBe(true);
    expect(authorized).toEqual([KEY]);
    expect(problem(await get(url, 'live-b'))).toMatchObject({ status: 403, code: 'URL_SIGNATURE_INVALID' });
    expect(problem(await get(url))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    // `bound=1` added to an unbound URL, or dropped from a bound one, is a bad signature.
    expect(problem(await get(`${await signed()}&bound=1`, 'live-a'))).toMatchObject({
      code: 'URL_SIGNATURE_INVALID',
    });
    expect(problem(await get(url.replace('&bound=1', ''), 'live-a'))).toMatchObject({
      code: 'URL_SIGNATURE_INVALID',
    });
    expect(counted.map((c) => c.reason)).toEqual([
      'bad-signature',
      'no-session',
      'bad-signature',
      'bad-signature',
    ]);
  });

  it('refuses a bound URL the policy no longer allows, serving nothing and counting nothing', async () => {
    const url = signer.signBound(KEY, { expirySeconds: 60, binding: 'live-off-site' });
    const reply = await get(url, 'live-off-site');
    expect(problem(reply)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(counted).toEqual([]);
  });

  it('answers failing requests 429 past the burst, while a good URL from the same address still plays', async () => {
    const forged = `/objects/${KEY}?expires=${Math.floor(clock.now() / 1000) + 60}&bound=1&sig=${'A'.repeat(22)}`;
    const statuses: number[] = [];
    for (let i = 0; i < BURST + 3; i++) statuses.push((await get(forged, 'live-a')).status);
    expect(statuses).toEqual([...Array(BURST).fill(403), 429, 429, 429]);
    const limited = await get(forged, 'live-a');
    expect(problem(limited)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(limited.headers['retry-after']).toBe('30');
    const good = signer.signBound(KEY, { expirySeconds: 60, binding: 'live-a' });
    expect((await get(good, 'live-a')).status).toBe(200);
    expect(counted.filter((c) => c.limited)).toHaveLength(4);
  });
});
