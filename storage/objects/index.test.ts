import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UrlSigner, createObjectStore } from './index.ts';

// Counts imports of the minio client; the embedded default must never cause one.
const minio = vi.hoisted(() => ({ loads: 0 }));
vi.mock('minio', () => {
  minio.loads += 1;
  return { Client: class FakeClient {} };
});

describe('createObjectStore', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const root of roots) await fsp.rm(root, { recursive: true, force: true });
  });

  it('builds the embedded fs driver without loading the minio client', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-factory-'));
    roots.push(root);
    const store = await createObjectStore({ driver: 'fs', root, signer: new UrlSigner('s'.repeat(40)) });
    await store.init();
    expect(store.driver).toBe('fs');
    expect(store.capabilities).toEqual({ objectLock: true, presignedUrls: 'hub-signed' });
    expect(minio.loads).toBe(0);
  });

  it('loads the minio client only when the S3 driver is chosen', async () => {
    const store = await createObjectStore({
      driver: 's3',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      accessKey: 'a',
      secretKey: 'b',
      bucket: 'b-1',
    });
    expect(store.driver).toBe('s3');
    expect(minio.loads).toBe(1);
    await store.close();
  });
});
