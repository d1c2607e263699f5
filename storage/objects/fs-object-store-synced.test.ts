/**
 * A handed-over file its caller hashed and fsync'd (a spool's committed segment) is
 * linked without a second fsync of its bytes while it keeps its stamp; any other file is
 * fsync'd before it is published. fsyncFd is wrapped to count the store's own calls (the
 * meta file and directories go through writeSynced and fsyncPath, which are not counted).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as DurableFs from '../../core/durable-fs.ts';
import { sha256File } from '../../core/index.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { UrlSigner } from './url-signer.ts';

const fsyncFd = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../core/durable-fs.ts', async (importOriginal) => {
  const original = await importOriginal<typeof DurableFs>();
  return {
    ...original,
    fsyncFd: (fd: number) => {
      fsyncFd.calls++;
      return original.fsyncFd(fd);
    },
  };
});

let root: string;
let store: FsObjectStore;

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-fs-synced-'));
  store = new FsObjectStore({
    root: path.join(root, 'store'),
    signer: new UrlSigner('fs-object-store-synced-test-secret-0123456789'),
  });
  await store.init();
  fsyncFd.calls = 0;
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function hashedFile(name: string) {
  const file = path.join(root, name);
  await fsp.writeFile(file, crypto.randomBytes(64 * 1024));
  const { sha256, size, stamp } = await sha256File(file);
  return { file, sha256, size, stamp: stamp! };
}

describe('FsObjectStore and a file its caller made durable', () => {
  it('links a synced file that keeps its stamp without fsyncing its bytes again', async () => {
    const f = await hashedFile('synced.ts');
    await store.put(
      'k/synced',
      { file: f.file, handOver: true, hashed: f.stamp, synced: true },
      { sha256: f.sha256, size: f.size },
    );
    expect(fsyncFd.calls).toBe(0);
    expect((await store.stat('k/synced'))?.sha256).toBe(f.sha256);
    expect((await fsp.stat(f.file)).nlink, 'linked, not copied').toBe(2);
  });

  it('fsyncs a file that is not declared synced, or whose stamp changed', async () => {
    const plain = await hashedFile('plain.ts');
    await store.put(
      'k/plain',
      { file: plain.file, handOver: true, hashed: plain.stamp },
      { sha256: plain.sha256, size: plain.size },
    );
    expect(fsyncFd.calls, 'hashed but not declared synced').toBe(1);

    const changed = await hashedFile('changed.ts');
    await new Promise((r) => setTimeout(r, 20));
    await fsp.appendFile(changed.file, 'more');
    const after = await sha256File(changed.file);
    await store.put(
      'k/changed',
      { file: changed.file, handOver: true, hashed: changed.stamp, synced: true },
      { sha256: after.sha256, size: after.size },
    );
    expect(fsyncFd.calls, 'written to since it was synced').toBe(2);
    expect((await store.stat('k/changed'))?.sha256).toBe(after.sha256);
  });
});
