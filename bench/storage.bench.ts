/**
 * Object store throughput on 4 MB objects (segment-sized and then some): the fs driver,
 * the S3 driver, and the raw minio client on the same objects in the same run, so
 * `s3PutRatio` shows what the driver's verification (local SHA-256 + MD5 pass, signed
 * payload hash checked by the server) costs against a plain putObject.
 * MB is 10^6 bytes. S3 settings: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { errorMessage } from '../core/index.ts';
import { FsObjectStore, UrlSigner, createObjectStore, type ObjectStore } from '../storage/objects/index.ts';
import { TEST_S3, runId } from '../test/support/services.ts';

const OBJECTS = 10;
const OBJECT_BYTES = 4 * 1000 * 1000;

interface Sample {
  key: string;
  file: string;
  sha256: string;
}

function log(message: string): void {
  process.stderr.write(`bench storage: ${message}\n`);
}

function mbps(bytes: number, ms: number): number {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 100) / 100;
}

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

async function makeSamples(dir: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const bytes = crypto.randomBytes(OBJECT_BYTES);
    const file = path.join(dir, `obj-${i}.bin`);
    await fsp.writeFile(file, bytes);
    const key = `bench/h1/video/${String(i).padStart(6, '0')}.m4s`;
    samples.push({ key, file, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
  }
  return samples;
}

async function putAll(store: ObjectStore, samples: Sample[]): Promise<number> {
  let ms = 0;
  for (const s of samples)
    ms += await timed(() => store.put(s.key, { file: s.file }, { sha256: s.sha256, size: OBJECT_BYTES }));
  return ms;
}

async function getAll(store: ObjectStore, samples: Sample[]): Promise<number> {
  let ms = 0;
  for (const s of samples) {
    ms += await timed(async () => {
      const n = await drain(await store.get(s.key));
      if (n !== OBJECT_BYTES) throw new Error(`read ${n} bytes of ${s.key}`);
    });
  }
  return ms;
}

async function benchFs(samples: Sample[], dir: string): Promise<Record<string, number>> {
  const store = new FsObjectStore({
    root: path.join(dir, 'store'),
    signer: new UrlSigner(crypto.randomBytes(32).toString('hex')),
  });
  await store.init();
  log('fs driver: put');
  const putMs = await putAll(store, samples);
  log('fs driver: get');
  const getMs = await getAll(store, samples);
  await store.close();
  const total = OBJECTS * OBJECT_BYTES;
  return { putMBps: mbps(total, putMs), getMBps: mbps(total, getMs) };
}

function rawClient(): Client {
  const url = new URL(TEST_S3.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: TEST_S3.accessKey,
    secretKey: TEST_S3.secretKey,
    region: TEST_S3.region,
    pathStyle: true,
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function benchS3(samples: Sample[]): Promise<Record<string, unknown>> {
  const bucket = `hattama-bench-${runId('')}`;
  const store = await createObjectStore({ driver: 's3', ...TEST_S3, bucket });
  try {
    await withTimeout(store.init(), 10_000, `S3 at ${TEST_S3.endpoint}`);
  } catch (error) {
    log(`S3 unavailable: ${errorMessage(error)}`);
    await store.close();
    return { s3: 'unavailable', s3Reason: errorMessage(error) };
  }
  const raw = rawClient();
  try {
    // Alternate driver and raw puts object by object, so drift in the server's speed
    // (RADOS Gateway flushes in bursts) falls on both alike.
    let driverMs = 0;
    let rawMs = 0;
    for (const s of samples) {
      log(`s3: put ${s.key} (driver, then raw minio)`);
      driverMs += await timed(() =>
        store.put(s.key, { file: s.file }, { sha256: s.sha256, size: OBJECT_BYTES }),
      );
      rawMs += await timed(() =>
        raw.putObject(bucket, `raw/${s.key}`, fs.createReadStream(s.file), OBJECT_BYTES),
      );
    }
    log('s3: get (driver)');
    const getMs = await getAll(store, samples);
    const total = OBJECTS * OBJECT_BYTES;
    const putMBps = mbps(total, driverMs);
    const minioPutMBps = mbps(total, rawMs);
    return {
      s3: { endpoint: TEST_S3.endpoint, putMBps, getMBps: mbps(total, getMs), minioPutMBps },
      s3PutRatio: Math.round((putMBps / minioPutMBps) * 1000) / 1000,
    };
  } finally {
    log(`s3: removing bucket ${bucket}`);
    for (const s of samples) {
      await store.delete(s.key).catch(() => undefined);
      await raw.removeObject(bucket, `raw/${s.key}`).catch(() => undefined);
    }
    // Raw puts into a versioned bucket: remove every version so the bucket can go.
    for await (const v of raw.listObjects(bucket, '', true, { IncludeVersion: true }) as AsyncIterable<{
      name: string;
      versionId?: string;
    }>) {
      await raw
        .removeObject(bucket, v.name, v.versionId ? { versionId: v.versionId } : undefined)
        .catch(() => undefined);
    }
    await raw
      .removeBucket(bucket)
      .catch((error: unknown) => log(`could not remove ${bucket}: ${errorMessage(error)}`));
    await store.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-bench-storage-'));
  try {
    log(`writing ${OBJECTS} random objects of ${OBJECT_BYTES / 1e6} MB`);
    const samples = await makeSamples(dir);
    const fsResult = await benchFs(samples, dir);
    const s3Result = await benchS3(samples);
    return {
      unit: 'MB/s (10^6 bytes)',
      objects: OBJECTS,
      objectBytes: OBJECT_BYTES,
      fs: fsResult,
      ...s3Result,
    };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
