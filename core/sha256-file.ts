/**
 * SHA-256 of a file, read through one reused buffer: no per-chunk allocations, so hashing
 * a segment makes no garbage and runs at OpenSSL's speed (bench/capture.bench.ts measures
 * it against `openssl dgst -sha256`). A 512 KiB read keeps the buffer in the CPU's cache.
 */
import crypto from 'node:crypto';
import fsSync from 'node:fs';

const READ_BYTES = 512 * 1024;
/** Read buffers handed back after use: hashing every segment allocates nothing new. */
const spare: Buffer[] = [];

/**
 * Which bytes a file held when it was hashed, as the file system tells it: the same
 * inode, size and modification time (to the nanosecond) mean no one has written to it
 * since. A store given a file it links rather than copies can then take the digest as
 * computed instead of reading the file a second time (the object store's hand-over).
 */
export interface FileStamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
}

export function fileStamp(st: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint }): FileStamp {
  return { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs) };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/**
 * The file's SHA-256 and size, and its stamp when nothing wrote to it while it was read
 * (the same stamp before and after, and as many bytes read as it holds); null otherwise.
 */
export async function sha256File(
  file: string,
): Promise<{ sha256: string; size: number; stamp: FileStamp | null }> {
  const hash = crypto.createHash('sha256');
  // A segment is read in place (core/durable-fs.ts): a few reads of the page cache, next
  // to hashing that holds the event loop longer anyway. A large file (a copy, a model)
  // goes through the thread pool so the loop turns between chunks.
  const fd = fsSync.openSync(file, 'r');
  const buffers = [spare.pop() ?? Buffer.allocUnsafe(READ_BYTES)];
  let size = 0;
  let stamp: FileStamp | null = null;
  let reading: Promise<number> | null = null;
  try {
    const before = fileStamp(fsSync.fstatSync(fd, { bigint: true }));
    let after: FileStamp | null = null;
    if (BigInt(before.size) <= READ_IN_PLACE_BYTES) {
      const buffer = buffers[0]!;
      const expected = Number(before.size);
      for (;;) {
        // At the size fstat gave, the closing fstat tells whether there is more: it
        // saves the read that would find the end. A file that grew is read on to its end.
        if (size === expected && after === null) {
          after = fileStamp(fsSync.fstatSync(fd, { bigint: true }));
          if (after.size === before.size) break;
        }
        const bytesRead = fsSync.readSync(fd, buffer, 0, READ_BYTES, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        size += bytesRead;
      }
    } else {
      // Two buffers: the pool reads the next chunk while this thread hashes the last.
      buffers.push(spare.pop() ?? Buffer.allocUnsafe(READ_BYTES));
      let current = 0;
      reading = readAsync(fd, buffers[current]!, 0);
      for (;;) {
        const bytesRead = await reading;
        reading = null;
        if (bytesRead === 0) break;
        size += bytesRead;
        reading = readAsync(fd, buffers[1 - current]!, size);
        hash.update(buffers[current]!.subarray(0, bytesRead));
        current = 1 - current;
      }
    }
    // A file that grew was read on to its end: its stamp changed, and none is given.
    after ??= fileStamp(fsSync.fstatSync(fd, { bigint: true }));
    if (sameStamp(before, after) && after.size === String(size)) stamp = after;
  } finally {
    // A read still in flight (an error while hashing) must end before its fd closes.
    if (reading) await reading.catch(() => undefined);
    for (const b of buffers) if (spare.length < 4) spare.push(b);
    fsSync.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size, stamp };
}

/** Files up to this size are read in place. */
const READ_IN_PLACE_BYTES = 16n * 1024n * 1024n;

function readAsync(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fsSync.read(fd, buffer, 0, READ_BYTES, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    ),
  );
}
