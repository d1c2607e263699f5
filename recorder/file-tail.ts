/**
 * Reads what ffmpeg has appended to a file it keeps writing (a segment list, a levels
 * log): only the new bytes are read. Reading the whole file on each poll would cost more
 * with every hour of a hearing.
 */
import fs from 'node:fs';

/** Bytes asked for per read: a segment list gains one short line per segment. */
const READ_BYTES = 4096;

export class FileTail {
  private offset = 0;
  /** Held open while the file is followed: a scan is then one read, not a stat, an open, a read and a close. */
  private fd: number | null = null;
  private closed = false;
  constructor(readonly file: string) {}

  /**
   * The text after what was consumed so far, parsed by `parse`, which says how many
   * characters it used (whole lines only; a line being written is left for the next call).
   */
  async read<T>(parse: (text: string) => { items: T[]; consumed: number }): Promise<T[]> {
    const bytes = this.appended();
    if (bytes.length === 0) return [];
    const text = bytes.toString('utf8');
    const { items, consumed } = parse(text);
    this.offset += Buffer.byteLength(text.slice(0, consumed));
    return items;
  }

  /**
   * Stops following the file: its descriptor is closed and later reads find nothing, so
   * a scan still under way when a run ends cannot open it again. Safe to call twice.
   */
  close(): void {
    this.closed = true;
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  /** In place (core/durable-fs.ts): reads from the offset until a read comes back short. */
  private appended(): Buffer {
    if (this.closed) return Buffer.alloc(0);
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
        throw error;
      }
    }
    const chunks: Buffer[] = [];
    let position = this.offset;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const bytesRead = fs.readSync(this.fd, chunk, 0, READ_BYTES, position);
      if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
      position += bytesRead;
      if (bytesRead < READ_BYTES) break;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
}
