/**
 * One contract, two drivers: the filesystem driver always (in a temp dir), the S3 driver
 * against the real server from scripts/start-s3.sh (Ceph RADOS Gateway) with a bucket of
 * its own per run. The server manages ~17 MB/s, so objects stay small.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HattamaError } from '../../core/index.ts';
import { runId, serviceAvailable, TEST_S3 } from '../../test/support/services.ts';
import { FsObjectStore } from './fs-object-store.ts';
import type { ObjectInfo, ObjectStore, PutSource } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { UrlSigner } from './url-signer.ts';

const s3 = await serviceAvailable('s3', 'object store (S3 driver)');

interface Harness {
  store: ObjectStore;
  /** Same driver, backend unreachable: proves validation happens before any I/O. */
  unreachable: ObjectStore;
  /** Turns what presignGet returned into a URL that global fetch can follow. */
  absolute(url: string): string;
  teardown(): Promise<void>;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function payload(size: number): Buffer {
  return crypto.randomBytes(size);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

async function errorOf(promise: Promise<unknown>): Promise<HattamaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HattamaError);
    return error as HattamaError;
  }
  throw new Error('expected the call to fail');
}

/** A stream that yields `bytes` in small chunks, optionally failing after `failAfter` bytes. */
function chunked(bytes: Buffer, failAfter?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < bytes.length; i += 1024) {
        if (failAfter !== undefined && i >= failAfter) throw new Error('source failed (simulated)');
        yield bytes.subarray(i, i + 1024);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
  );
}

function describeObjectStoreContract(label: string, setup: () => Promise<Harness>, skip = false): void {
  describe.skipIf(skip)(`object store contract: ${label}`, { timeout: 30_000 }, () => {
    let h: Harness;
    let store: ObjectStore;
    let dir: string;
    let n = 0;
    /** A fresh prefix per test, so tests never see each other's objects. */
    const fresh = (): string => `t${++n}/`;

    beforeAll(async () => {
      h = await setup();
      store = h.store;
      dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-src-'));
    });
    afterAll(async () => {
      await h?.teardown();
      if (dir) await fsp.rm(dir, { recursive: true, force: true });
    });

    it('stores bytes from a file, a stream and memory and gives back the same bytes', async () => {
      const p = fresh();
      const fromFile = payload(4 * 1024 * 1024 + 17); // the one large object: several read chunks
      const file = path.join(dir, 'source.bin');
      await fsp.writeFile(file, fromFile);
      const fromStream = payload(20_000);
      const fromBytes = payload(3_000);
      const cases: [string, Buffer, PutSource][] = [
        [`${p}file.bin`, fromFile, { file }],
        [`${p}stream.bin`, fromStream, { stream: chunked(fromStream) }],
        [`${p}bytes.bin`, fromBytes, { bytes: new Uint8Array(fromBytes) }],
      ];
      for (const [key, bytes, source] of cases) {
        const info = await store.put(key, source, { sha256: sha256(bytes), size: bytes.length });
        expect(info).toMatchObject({ key, size: bytes.length, sha256: sha256(bytes) });
        const back = await readAll(await store.get(key));
        expect(back.length).toBe(bytes.length);
        expect(sha256(back)).toBe(sha256(bytes));
      }
    });

    it('stores and returns an empty object', async () => {
      const key = `${fresh()}empty`;
      const empty = new Uint8Array(0);
      await store.put(key, { bytes: empty }, { sha256: sha256(empty), size: 0 });
      expect((await store.stat(key))?.size).toBe(0);
      expect((await readAll(await store.get(key))).length).toBe(0);
    });

    it('returns a byte range with an inclusive end, an open end, and an end clamped to the object', async () => {
      const key = `${fresh()}range.bin`;
      const bytes = payload(10_000);
      await store.put(key, { bytes }, { sha256: sha256(bytes) });
      expect(await readAll(await store.get(key, { start: 100, end: 199 }))).toEqual(bytes.subarray(100, 200));
      expect(await readAll(await store.get(key, { start: 9_990 }))).toEqual(bytes.subarray(9_990));
      expect(await readAll(await store.get(key, { start: 9_000, end: 50_000 }))).toEqual(
        bytes.subarray(9_000),
      );
      expect(await readAll(await store.get(key, { start: 0, end: 0 }))).toEqual(bytes.subarray(0, 1));
    });

    it('refuses a range that starts past the end of the object', async () => {
      const key = `${fresh()}short.bin`;
      const bytes = payload(100);
      await store.put(key, { bytes }, { sha256: sha256(bytes) });
      expect((await errorOf(store.get(key, { start: 100 }))).code).toBe('VALIDATION_FAILED');
      expect((await errorOf(store.get(key, { start: 5, end: 4 }))).code).toBe('VALIDATION_FAILED');
    });

    it('reports size, SHA-256, content type and time in stat, and null for a missing key', async () => {
      const key = `${fresh()}manifest.json`;
      const bytes = Buffer.from('{"hearing":"h1"}');
      const before = Date.now();
      await store.put(key, { bytes }, { sha256: sha256(bytes), contentType: 'application/json' });
      const info = await store.stat(key);
      expect(info).toMatchObject({
        key,
        size: bytes.length,
        sha256: sha256(bytes),
        contentType: 'application/json',
      });
      // S3 keeps Last-Modified to the second; allow for that and for clock skew.
      expect(Math.abs(info!.lastModified.getTime() - before)).toBeLessThan(120_000);
      expect(await store.stat(`${key}.missing`)).toBeNull();
    });

    it('lists exactly the objects under a prefix, each once, sorted by key', async () => {
      const p = fresh();
      const keys = Array.from(
        { length: 25 },
        (_, i) => `${p}hearings/h1/mic-${(i % 3) + 1}/${String(i).padStart(6, '0')}.m4s`,
      );
      const decoys = [
        `${p}hearings/h10/video/000001.m4s`,
        `${p}hearings/h1.json`,
        `${p}hearings/h1-x/a`,
        `${p}hearings/h`,
      ];
      const shuffled = [...keys, ...decoys].sort(() => Math.random() - 0.5);
      // Five writers at a time: a driver that loses or doubles writes under concurrency fails here.
      for (let i = 0; i < shuffled.length; i += 5) {
        await Promise.all(
          shuffled.slice(i, i + 5).map((key) => {
            const bytes = Buffer.from(key);
            return store.put(key, { bytes }, { sha256: sha256(bytes) });
          }),
        );
      }
      const listed = await collect(store.list(`${p}hearings/h1/`));
      expect(listed.map((i) => i.key)).toEqual([...keys].sort());
      for (const info of listed) expect(info.size).toBe(Buffer.byteLength(info.key));
      // A partial last component matches as on S3, and the empty prefix sees everything.
      const partial = (await collect(store.list(`${p}hearings/h1`))).map((i) => i.key);
      expect(partial).toEqual([...keys, ...decoys.filter((k) => k !== `${p}hearings/h`)].sort());
      const all = (await collect(store.list(''))).map((i) => i.key).filter((k) => k.startsWith(p));
      expect(all).toEqual([...keys, ...decoys].sort());
      expect(await collect(store.list(`${p}nothing/`))).toEqual([]);
    });

    it('deletes an object, after which it is gone from get, stat and list, and deleting again is a no-op', async () => {
      const p = fresh();
      const bytes = payload(500);
      await store.put(`${p}a`, { bytes }, { sha256: sha256(bytes) });
      await store.put(`${p}b`, { bytes }, { sha256: sha256(bytes) });
      await store.delete(`${p}a`);
      expect(await store.stat(`${p}a`)).toBeNull();
      expect((await errorOf(store.get(`${p}a`))).code).toBe('OBJECT_NOT_FOUND');
      expect((await collect(store.list(p))).map((i) => i.key)).toEqual([`${p}b`]);
      await store.delete(`${p}a`);
      await store.delete(`${p}never-existed`);
      // The key is free again.
      const other = payload(10);
      await store.put(`${p}a`, { bytes: other }, { sha256: sha256(other) });
      expect(await readAll(await store.get(`${p}a`))).toEqual(other);
    });

    it('refuses a wrong SHA-256 from any source and stores nothing under the key', async () => {
      const p = fresh();
      const bytes = payload(5_000);
      const wrong = sha256(Buffer.from('something else'));
      const file = path.join(dir, 'wrong-sha.bin');
      await fsp.writeFile(file, bytes);
      const sources: [string, PutSource][] = [
        ['file', { file }],
        ['stream', { stream: chunked(bytes) }],
        ['bytes', { bytes }],
      ];
      for (const [kind, source] of sources) {
        const error = await errorOf(store.put(`${p}${kind}`, source, { sha256: wrong }));
        expect(error.code).toBe('OBJECT_INTEGRITY');
        expect(await store.stat(`${p}${kind}`)).toBeNull();
      }
      expect(await collect(store.list(p))).toEqual([]);
    });

    it('refuses a size that does not match, shorter or longer, and stores nothing', async () => {
      const p = fresh();
      const bytes = payload(2_048);
      for (const size of [2_047, 2_049, 0]) {
        const error = await errorOf(
          store.put(`${p}s${size}`, { stream: chunked(bytes) }, { sha256: sha256(bytes), size }),
        );
        expect(error.code).toBe('OBJECT_INTEGRITY');
      }
      expect(await collect(store.list(p))).toEqual([]);
    });

    it('stores nothing when the source stream fails halfway', async () => {
      const key = `${fresh()}broken.bin`;
      const bytes = payload(8_192);
      await expect(
        store.put(key, { stream: chunked(bytes, 4_096) }, { sha256: sha256(bytes) }),
      ).rejects.toThrow(/simulated/);
      expect(await store.stat(key)).toBeNull();
    });

    it('accepts the same content under the same key again without error', async () => {
      const p = fresh();
      const bytes = payload(1_000);
      const first = await store.put(`${p}seg`, { bytes }, { sha256: sha256(bytes) });
      const again = await store.put(
        `${p}seg`,
        { stream: chunked(bytes) },
        { sha256: sha256(bytes), size: 1_000 },
      );
      expect(again).toMatchObject({ key: first.key, size: first.size, sha256: first.sha256 });
      expect((await collect(store.list(p))).map((i) => i.key)).toEqual([`${p}seg`]);
    });

    it('refuses different content under an existing key with CONFLICT and keeps the original', async () => {
      const key = `${fresh()}seg`;
      const original = payload(1_000);
      const other = payload(1_000);
      await store.put(key, { bytes: original }, { sha256: sha256(original) });
      const error = await errorOf(store.put(key, { bytes: other }, { sha256: sha256(other) }));
      expect(error.code).toBe('CONFLICT');
      // A wrong declaration is an integrity failure even when the key exists.
      expect((await errorOf(store.put(key, { bytes: other }, { sha256: sha256(original) }))).code).toBe(
        'OBJECT_INTEGRITY',
      );
      expect(await readAll(await store.get(key))).toEqual(original);
    });

    it('refuses invalid keys with OBJECT_KEY_INVALID before touching the backend', async () => {
      const bytes = Buffer.from('x');
      const opts = { sha256: sha256(bytes) };
      for (const key of ['../escape', '/abs', 'a\0b', 'a//b', 'a/./b', 'a/', '', 'a\\b', 'ä']) {
        for (const target of [store, h.unreachable]) {
          expect((await errorOf(target.put(key, { bytes }, opts))).code).toBe('OBJECT_KEY_INVALID');
          expect((await errorOf(target.get(key))).code).toBe('OBJECT_KEY_INVALID');
          expect((await errorOf(target.stat(key))).code).toBe('OBJECT_KEY_INVALID');
          expect((await errorOf(target.delete(key))).code).toBe('OBJECT_KEY_INVALID');
          expect((await errorOf(target.presignGet(key, { expirySeconds: 60 }))).code).toBe(
            'OBJECT_KEY_INVALID',
          );
        }
      }
      expect((await errorOf(collect(h.unreachable.list('../')))).code).toBe('OBJECT_KEY_INVALID');
      // A malformed declaration is refused before any byte is read, too.
      expect((await errorOf(h.unreachable.put('ok', { bytes }, { sha256: 'ABC' }))).code).toBe(
        'VALIDATION_FAILED',
      );
    });

    it('answers OBJECT_NOT_FOUND for a missing key', async () => {
      const error = await errorOf(store.get(`${fresh()}missing.m4s`));
      expect(error.code).toBe('OBJECT_NOT_FOUND');
      expect(error.status).toBe(404);
      expect((await errorOf(store.get(`${fresh()}missing.m4s`, { start: 0, end: 10 }))).code).toBe(
        'OBJECT_NOT_FOUND',
      );
    });

    it('serves the bytes through a presigned URL, and refuses the URL once tampered with', async () => {
      const key = `${fresh()}clip.mp4`;
      const bytes = payload(3_000);
      await store.put(key, { bytes }, { sha256: sha256(bytes), contentType: 'video/mp4' });
      const url = h.absolute(await store.presignGet(key, { expirySeconds: 60, filename: 'заседание 1.mp4' }));
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
      expect(res.headers.get('content-disposition')).toContain("filename*=UTF-8''%D0%B7%D0%B0");
      const tampered = url.replace(
        /([?&](?:sig|X-Amz-Signature)=)([\w-])/,
        (_m, name: string, c: string) => `${name}${c === '0' ? '1' : '0'}`,
      );
      expect(tampered).not.toBe(url);
      const refused = await fetch(tampered);
      await refused.arrayBuffer();
      expect(refused.status).toBe(403);
    });

    it('refuses to delete an object under retention until it passes (RADOS Gateway and the fs driver support object lock; a server without it fails here)', async () => {
      expect(store.capabilities.objectLock).toBe(true);
      const key = `${fresh()}locked.m4s`;
      const bytes = payload(1_000);
      const retainUntil = new Date(Date.now() + 2_000);
      await store.put(key, { bytes }, { sha256: sha256(bytes), retainUntil });
      const error = await errorOf(store.delete(key));
      expect(error.code).toBe('OBJECT_LOCKED');
      expect(await readAll(await store.get(key))).toEqual(bytes);
      await new Promise((resolve) => setTimeout(resolve, retainUntil.getTime() - Date.now() + 1_100));
      await store.delete(key);
      expect(await store.stat(key)).toBeNull();
    });

    it('refuses to delete an object under legal hold until the hold is lifted', async () => {
      expect(store.setLegalHold).toBeTypeOf('function');
      const key = `${fresh()}held.m4s`;
      const bytes = payload(1_000);
      await store.put(key, { bytes }, { sha256: sha256(bytes) });
      await store.setLegalHold!(key, true);
      expect((await errorOf(store.delete(key))).code).toBe('OBJECT_LOCKED');
      expect(await store.stat(key)).not.toBeNull();
      await store.setLegalHold!(key, false);
      await store.delete(key);
      expect(await store.stat(key)).toBeNull();
      expect((await errorOf(store.setLegalHold!(key, true))).code).toBe('OBJECT_NOT_FOUND');
    });

    it('reports itself healthy', async () => {
      expect(await store.health()).toMatchObject({ ok: true });
      expect(await h.unreachable.health()).toMatchObject({ ok: false });
    });
  });
}

// ---------------------------------------------------------------- fs driver

/** What the hub's /objects route does with a hub-signed URL: verify, then stream. */
async function startHubEmulator(
  store: ObjectStore,
  signer: UrlSigner,
): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const key = url.pathname.replace(/^\/objects\//, '');
    const filename = url.searchParams.get('filename') ?? undefined;
    const verdict = signer.verify({
      key,
      expires: url.searchParams.get('expires') ?? '',
      sig: url.searchParams.get('sig') ?? '',
      filename,
    });
    if (verdict !== 'ok') {
      res.writeHead(403).end(verdict);
      return;
    }
    store.get(key).then(
      async (stream) => {
        const { contentDisposition } = await import('./url-signer.ts');
        res.writeHead(200, filename ? { 'content-disposition': contentDisposition(filename) } : {});
        stream.pipe(res);
      },
      (error: HattamaError) => res.writeHead(error.status ?? 500).end(error.code),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeObjectStoreContract('fs driver', async () => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-objects-'));
  const signer = new UrlSigner(crypto.randomBytes(32).toString('base64'));
  const store = new FsObjectStore({ root, signer });
  await store.init();
  const unreachable = new FsObjectStore({ root: path.join(root, 'does', 'not', 'exist'), signer });
  const hub = await startHubEmulator(store, signer);
  return {
    store,
    unreachable,
    absolute: (url) => `${hub.base}${url}`,
    teardown: async () => {
      await hub.close();
      await store.close();
      await fsp.rm(root, { recursive: true, force: true });
    },
  };
});

// ---------------------------------------------------------------- S3 driver

async function emptyAndRemoveBucket(bucket: string): Promise<void> {
  const url = new URL(TEST_S3.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port || 80),
    useSSL: url.protocol === 'https:',
    accessKey: TEST_S3.accessKey,
    secretKey: TEST_S3.secretKey,
    region: TEST_S3.region,
    pathStyle: true,
  });
  const versions: { name: string; versionId?: string }[] = [];
  for await (const item of client.listObjects(bucket, '', true, { IncludeVersion: true }) as AsyncIterable<{
    name: string;
    versionId?: string;
  }>) {
    versions.push(item);
  }
  for (const v of versions) {
    await client
      .removeObject(bucket, v.name, v.versionId ? { versionId: v.versionId } : undefined)
      .catch(() => undefined);
  }
  await client.removeBucket(bucket).catch((error: unknown) => {
    console.warn(`could not remove test bucket ${bucket}: ${String(error)}`);
  });
}

describeObjectStoreContract(
  'S3 driver',
  async () => {
    const bucket = `hattama-t-${runId('')}`;
    const options = { ...TEST_S3, bucket };
    const store = new S3ObjectStore(options);
    await store.init();
    const unreachable = new S3ObjectStore({ ...options, endpoint: 'http://127.0.0.1:9' });
    return {
      store,
      unreachable,
      absolute: (url) => url,
      teardown: async () => {
        await store.close();
        await unreachable.close();
        await emptyAndRemoveBucket(bucket);
      },
    };
  },
  !s3,
);

describe.skipIf(!s3)('S3 driver specifics', { timeout: 30_000 }, () => {
  const bucket = `hattama-t-${runId('')}`;
  let store: S3ObjectStore;
  beforeAll(async () => {
    store = new S3ObjectStore({ ...TEST_S3, bucket });
    await store.init();
  });
  afterAll(async () => {
    await store?.close();
    await emptyAndRemoveBucket(bucket);
  });

  it('creates its bucket with object locking, and init is safe to repeat', async () => {
    expect(store.capabilities).toEqual({ objectLock: true, presignedUrls: 'native' });
    await store.init();
    expect(store.capabilities.objectLock).toBe(true);
  });

  it('has the server itself refuse a body whose SHA-256 differs from the signed one, storing nothing', async () => {
    // What happens if a source file changes between hashing and upload: SigV4's
    // x-amz-content-sha256 makes the server check the body (RADOS Gateway: XAmzContentSHA256Mismatch).
    const bytes = payload(2_000);
    const forged = {
      sha256: sha256(Buffer.from('other')),
      size: bytes.length,
      md5: crypto.createHash('md5').update(bytes).digest('base64'),
    };
    const upload = (
      store as unknown as { upload(key: string, body: unknown, options: object): Promise<unknown> }
    ).upload.bind(store);
    const error = await errorOf(
      upload('forged.bin', { body: bytes, digest: forged }, { sha256: forged.sha256 }),
    );
    expect(error.code).toBe('OBJECT_INTEGRITY');
    expect(await store.stat('forged.bin')).toBeNull();
  });

  it('reports an unreachable server as BACKEND_UNAVAILABLE', async () => {
    const down = new S3ObjectStore({ ...TEST_S3, bucket, endpoint: 'http://127.0.0.1:9' });
    const bytes = Buffer.from('x');
    expect((await errorOf(down.put('a', { bytes }, { sha256: sha256(bytes) }))).code).toBe(
      'BACKEND_UNAVAILABLE',
    );
    expect((await errorOf(down.get('a'))).code).toBe('BACKEND_UNAVAILABLE');
    expect((await errorOf(down.init())).code).toBe('BACKEND_UNAVAILABLE');
    await down.close();
  });

  it('reports wrong credentials as BACKEND_UNAVAILABLE without leaking the secret', async () => {
    const wrong = new S3ObjectStore({ ...TEST_S3, bucket, secretKey: 'not-the-secret-key-at-all' });
    const error = await errorOf(wrong.stat('a'));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).not.toContain('not-the-secret-key-at-all');
    await wrong.close();
  });
});
