/**
 * Reads what ffmpeg has appended to a file it keeps writing (a segment list, a levels
 * log): a stat per call, and only the new bytes are read. Reading the whole file on each
 * poll would cost more with every hour of a hearing.
 */
import fs from 'node:fs';

export class FileTail {
  private offset = 0;
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

  /** In place: a stat and one small read, on every scan of every list (core/durable-fs.ts). */
  private appended(): Buffer {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    }
    if (size <= this.offset) return Buffer.alloc(0);
    const fd = fs.openSync(this.file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(size - this.offset);
      const bytesRead = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      fs.closeSync(fd);
    }
  }
}
