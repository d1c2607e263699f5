/**
 * The filesystem driver's crash safety and concurrency, beyond the shared contract:
 * a write that dies (by error or by SIGKILL) leaves no object under its final name.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, HattamaError, sha256File } from '../../core/index.ts';
import { FsObjectStore } from './fs-object-store.ts';
import type { ObjectInfo } from './object-store.ts';
import { UrlSigner } from './url-signer.ts';

const signer = new UrlSigner('fs-object-store-test-secret-0123456789abcdef');
const sha256 = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex');

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of iterable) keys.push(info.key);
  return keys;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function settle<T>(promise: Promise<T>): Promise<T | HattamaError> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof HattamaError) return error;
    throw error;
  }
}

describe('filesystem object store: crash safety', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-fs-store-'));
    store = new FsObjectStore({ root, signer });
    await store.init();
  });
  afterEach(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('leaves no object and no staging behind when the source stream errors halfway', async () => {
    const bytes = crypto.randomBytes(64 * 1024);
    const failing = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 32 * 1024);
        throw new Error('camera disconnected (simulated)');
      })(),
    );
    await expect(
      store.put('hearings/h1/video/000001.m4s', { stream: failing }, { sha256: sha256(bytes) }),
    ).rejects.toThrow(/simulated/);
    expect(await store.stat('hearings/h1/video/000001.m4s')).toBeNull();
    expect(await collect(store.list(''))).toEqual([]);
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('shows nothing of a write killed with SIGKILL mid-stream, and the key can be written afterwards', async () => {
    const key = 'hearings/h1/mix/000007.m4s';
    const child = path.join(root, 'writer.mts'); // .mts: ESM wherever the temp dir is
    // The child streams forever; we kill it once its bytes are on disk in staging.
    await fsp.writeFile(
      child,
      `import { Readable } from 'node:stream';
       import { FsObjectStore } from ${JSON.stringify(pathToFileURL(path.resolve('storage/objects/fs-object-store.ts')).href)};
       import { UrlSigner } from ${JSON.stringify(pathToFileURL(path.resolve('storage/objects/url-signer.ts')).href)};
       const store = new FsObjectStore({ root: ${JSON.stringify(root)}, signer: new UrlSigner('x'.repeat(40)) });
       const endless = new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(16384, 7)), 5); } });
       await store.put(${JSON.stringify(key)}, { stream: endless }, { sha256: '0'.repeat(64) });`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      cwd: process.cwd(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    const staged = await waitFor(async () => {
      for (const entry of await fsp.readdir(path.join(root, '.tmp'))) {
        const size = await fsp
          .stat(path.join(root, '.tmp', entry, 'data'))
          .then((s) => s.size)
          .catch(() => 0);
        if (size > 0) return entry;
      }
      if (proc.exitCode !== null) throw new Error(`the writer exited early: ${stderr}`);
      return undefined;
    });
    proc.kill('SIGKILL');
    await exited;

    expect(await store.stat(key)).toBeNull();
    expect(await collect(store.list(''))).toEqual([]);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });

    const bytes = crypto.randomBytes(4096);
    await store.put(key, { bytes }, { sha256: sha256(bytes) });
    expect(await readAll(await store.get(key))).toEqual(bytes);

    // A fresh store's init() removes staging that is old enough to be abandoned, and only that.
    const stagedPath = path.join(root, '.tmp', staged);
    await fsp.mkdir(path.join(root, '.tmp', 'put-recent'));
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await fsp.utimes(stagedPath, old, old);
    await new FsObjectStore({ root, signer }).init();
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual(['put-recent']);
  }, 30_000);

  it('stages under the next name when one is taken, and leaves no staging behind', async () => {
    // Staging names are a per-store prefix and a counter; a name already there (another
    // process's, a crashed one's) is passed over rather than failing the put.
    const real = fs.mkdirSync;
    const taken: string[] = [];
    const spy = vi.spyOn(fs, 'mkdirSync').mockImplementation(((
      dir: fs.PathLike,
      options?: fs.MakeDirectoryOptions,
    ) => {
      if (taken.length < 2 && path.dirname(String(dir)) === path.join(root, '.tmp')) {
        taken.push(String(dir));
        throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${String(dir)}'`), {
          code: 'EEXIST',
        });
      }
      return real(dir, options);
    }) as typeof fs.mkdirSync);
    try {
      const bytes = crypto.randomBytes(4096);
      const key = 'hearings/h1/video/000003.ts';
      await store.put(key, { bytes }, { sha256: sha256(bytes) });
      expect(taken).toHaveLength(2);
      expect(new Set(taken).size).toBe(2);
      expect(await readAll(await store.get(key))).toEqual(bytes);
      expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('lets exactly one of several concurrent writers of different content win; the rest get CONFLICT', async () => {
    const key = 'hearings/h1/video/000002.m4s';
    const bodies = Array.from({ length: 8 }, () => crypto.randomBytes(32 * 1024));
    const results = await Promise.all(
      bodies.map((bytes) =>
        settle(store.put(key, { stream: Readable.from([bytes]) }, { sha256: sha256(bytes) })),
      ),
    );
    const winners = results.filter((r) => !(r instanceof HattamaError)) as ObjectInfo[];
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r instanceof HattamaError).map((r) => (r as HattamaError).code)).toEqual(
      Array(7).fill('CONFLICT'),
    );
    const stored = await readAll(await store.get(key));
    expect(sha256(stored)).toBe(winners[0]!.sha256);
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('lets concurrent writers of the same content all succeed with one object stored', async () => {
    const bytes = crypto.randomBytes(16 * 1024);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        store.put('hearings/h1/manifest.json', { bytes }, { sha256: sha256(bytes) }),
      ),
    );
    expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([sha256(bytes)]));
    expect(await collect(store.list(''))).toEqual(['hearings/h1/manifest.json']);
  });

  it('keeps a key and a longer key beneath it side by side, as S3 does', async () => {
    const a = Buffer.from('a');
    const ab = Buffer.from('a/b');
    await store.put('x/a', { bytes: a }, { sha256: sha256(a) });
    await store.put('x/a/b', { bytes: ab }, { sha256: sha256(ab) });
    expect(await collect(store.list('x/'))).toEqual(['x/a', 'x/a/b']);
    expect(await readAll(await store.get('x/a'))).toEqual(a);
    await store.delete('x/a');
    expect(await readAll(await store.get('x/a/b'))).toEqual(ab);
  });

  it('keeps the bytes as a plain file an auditor can hash, and prunes empty directories on delete', async () => {
    const bytes = crypto.randomBytes(1000);
    await store.put('hearings/h9/video/000001.m4s', { bytes }, { sha256: sha256(bytes) });
    const onDisk = await fsp.readFile(path.join(root, 'objects/hearings/h9/video/000001.m4s@/data'));
    expect(sha256(onDisk)).toBe(sha256(bytes));
    await store.delete('hearings/h9/video/000001.m4s');
    expect(await fsp.readdir(path.join(root, 'objects'))).toEqual([]);
  });

  it('lifts retention only once the clock passes retainUntil', async () => {
    const clock = new FakeClock(Date.now());
    const timed = new FsObjectStore({ root, signer, clock });
    const bytes = Buffer.from('evidence');
    await timed.put(
      'k/locked',
      { bytes },
      { sha256: sha256(bytes), retainUntil: new Date(clock.now() + 86_400_000) },
    );
    await expect(timed.delete('k/locked')).rejects.toMatchObject({ code: 'OBJECT_LOCKED' });
    clock.advance(86_400_000 - 1);
    await expect(timed.delete('k/locked')).rejects.toMatchObject({ code: 'OBJECT_LOCKED' });
    clock.advance(1);
    await timed.delete('k/locked');
    expect(await timed.stat('k/locked')).toBeNull();
  });

  it('refuses a source file that does not exist, storing nothing', async () => {
    await expect(
      store.put('k/none', { file: path.join(root, 'missing.bin') }, { sha256: sha256(Buffer.alloc(0)) }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await store.stat('k/none')).toBeNull();
  });

  it('links a handed-over file instead of copying it, and the object outlives the source name', async () => {
    const bytes = crypto.randomBytes(600 * 1024);
    const source = path.join(root, 'segment.ts');
    await fsp.writeFile(source, bytes);
    await store.put(
      'hearings/h1/video/000000.ts',
      { file: source, handOver: true },
      { sha256: sha256(bytes) },
    );
    const data = path.join(root, 'objects/hearings/h1/video/000000.ts@/data');
    expect((await fsp.stat(data)).ino).toBe((await fsp.stat(source)).ino);
    await fsp.rm(source); // the spool releases its copy
    expect(sha256(await readAll(await store.get('hearings/h1/video/000000.ts')))).toBe(sha256(bytes));
  });

  it('copies a file that is not handed over, and refuses a handed-over file with other bytes, storing nothing', async () => {
    const bytes = crypto.randomBytes(1000);
    const source = path.join(root, 'plain.bin');
    await fsp.writeFile(source, bytes);
    await store.put('k/copied', { file: source }, { sha256: sha256(bytes) });
    const data = path.join(root, 'objects/k/copied@/data');
    expect((await fsp.stat(data)).ino).not.toBe((await fsp.stat(source)).ino);

    await expect(
      store.put('k/wrong', { file: source, handOver: true }, { sha256: sha256(Buffer.from('other')) }),
    ).rejects.toMatchObject({ code: 'OBJECT_INTEGRITY' });
    expect(await store.stat('k/wrong')).toBeNull();
    expect(sha256(await fsp.readFile(source))).toBe(sha256(bytes)); // the source is untouched
    expect((await fsp.stat(source)).nlink).toBe(1); // no link left behind
  });

  it('takes the digest a caller hashed a handed-over file with while the link keeps that stamp, and reads it again once it changed', async () => {
    const bytes = crypto.randomBytes(300 * 1024);
    const source = path.join(root, 'stamped.ts');
    await fsp.writeFile(source, bytes);
    const { sha256: hashed, stamp } = await sha256File(source);
    expect(stamp).not.toBeNull();
    // The stamp vouches for the bytes: the store does not read them, so a declared digest
    // it would have refused is taken (the hub's integrity job hashes every segment).
    const other = sha256(Buffer.from('not these bytes'));
    await store.put('k/trusted', { file: source, handOver: true, hashed: stamp! }, { sha256: other });
    expect((await store.stat('k/trusted'))?.sha256).toBe(other);
    await store.put('k/trusted-right', { file: source, handOver: true, hashed: stamp! }, { sha256: hashed });
    expect(sha256(await readAll(await store.get('k/trusted-right')))).toBe(hashed);

    // Written to after it was hashed, in place and at the same size: the stamp no longer
    // matches, the bytes are read and the stale digest refused, storing nothing.
    await new Promise((r) => setTimeout(r, 20));
    const handle = await fsp.open(source, 'r+');
    await handle.write(Buffer.from([bytes[7]! ^ 0xff]), 0, 1, 7);
    await handle.close();
    await expect(
      store.put('k/changed', { file: source, handOver: true, hashed: stamp! }, { sha256: hashed }),
    ).rejects.toMatchObject({ code: 'OBJECT_INTEGRITY' });
    expect(await store.stat('k/changed')).toBeNull();
  });

  it('reads a file that is copied rather than linked, whatever stamp it comes with', async () => {
    const bytes = crypto.randomBytes(2000);
    const source = path.join(root, 'copied-stamped.bin');
    await fsp.writeFile(source, bytes);
    const { stamp } = await sha256File(source);
    await expect(
      store.put('k/copied-stamped', { file: source, hashed: stamp! }, { sha256: sha256(Buffer.from('x')) }),
    ).rejects.toMatchObject({ code: 'OBJECT_INTEGRITY' });
    expect(await store.stat('k/copied-stamped')).toBeNull();
  });

  it('puts into a directory another store instance emptied and pruned meanwhile', async () => {
    const bytes = crypto.randomBytes(1000);
    await store.put('h/p/video/000000.ts', { bytes }, { sha256: sha256(bytes) });
    // Another process on the same root deletes the only object: h/p/video/ and h/p/ go.
    const other = new FsObjectStore({ root, signer });
    await other.delete('h/p/video/000000.ts');
    await expect(fsp.stat(path.join(root, 'objects', 'h', 'p'))).rejects.toMatchObject({ code: 'ENOENT' });
    // This store remembered the directory; it makes it again.
    await store.put('h/p/video/000001.ts', { bytes }, { sha256: sha256(bytes) });
    expect((await store.stat('h/p/video/000001.ts'))?.size).toBe(1000);
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('keeps serving an object already being read while it is deleted', async () => {
    const bytes = crypto.randomBytes(256 * 1024);
    await store.put('k/reading', { bytes }, { sha256: sha256(bytes) });
    const stream = await store.get('k/reading');
    await store.delete('k/reading');
    expect(sha256(await readAll(stream))).toBe(sha256(bytes));
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
