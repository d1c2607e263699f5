/**
 * Durable small writes for the spool and the local object store, which do them for every
 * segment of every track.
 *
 * Only fsync leaves the event loop: it waits for the device. Opening, closing, linking,
 * renaming and writing a few bytes into the page cache are done in place. Each call
 * through fs/promises costs about 120 µs of CPU here in thread-pool hand-offs against
 * 5 µs done in place, and a committed segment makes some fifty of them (decision 0011);
 * a call in place holds the event loop for those few microseconds only.
 */
import fs from 'node:fs';

/** fsync through the thread pool: the one call here that waits for the disk. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Flushes a file's or directory's data and metadata to disk (POSIX: a new entry needs its directory's). */
export async function fsyncPath(file: string): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `text` to `file` opened with `flags` ('w', 'wx' or 'a') and fsyncs it. */
export async function writeSynced(file: string, text: string, flags: 'w' | 'wx' | 'a'): Promise<void> {
  const fd = fs.openSync(file, flags);
  try {
    fs.writeFileSync(fd, text, 'utf8');
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes a file if it is there: one unlink, no stat first (fs.rmSync stats, then unlinks). */
export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Hard-links `from` as `to`, replacing a file already there (one left by a crash). */
export function linkReplacing(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    fs.unlinkSync(to);
    fs.linkSync(from, to);
  }
}
