/**
 * SHA-256 of a file, read through one reused buffer: no per-chunk allocations, so hashing
 * a segment makes no garbage and runs at OpenSSL's speed (bench/capture.bench.ts measures
 * it against `openssl dgst -sha256`). A 512 KiB read keeps the buffer in the CPU's cache.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';

const READ_BYTES = 512 * 1024;
/** Read buffers handed back after use: hashing every segment allocates nothing new. */
const spare: Buffer[] = [];

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = crypto.createHash('sha256');
  const handle = await fs.open(file, 'r');
  const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_BYTES);
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    if (spare.length < 4) spare.push(buffer);
    await handle.close();
  }
  return { sha256: hash.digest('hex'), size };
}
