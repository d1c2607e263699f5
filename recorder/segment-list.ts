/**
 * Reads ffmpeg's segment list (`-segment_list_type csv`): one line `file,start,end`
 * (media seconds) per closed segment. Only whole lines count; a line being written is
 * left for the next read.
 */
import { FileTail } from './file-tail.ts';

export interface ClosedSegment {
  file: string;
  startSeconds: number;
  endSeconds: number;
}

export function parseSegmentList(text: string): { entries: ClosedSegment[]; consumed: number } {
  const entries: ClosedSegment[] = [];
  let consumed = 0;
  for (;;) {
    const nl = text.indexOf('\n', consumed);
    if (nl < 0) break;
    const line = text.slice(consumed, nl).trim();
    consumed = nl + 1;
    if (line === '') continue;
    const m = /^([^,]+),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(line);
    if (!m) continue;
    entries.push({ file: m[1]!, startSeconds: Number(m[2]), endSeconds: Number(m[3]) });
  }
  return { entries, consumed };
}

/** Incremental reader of one list file. */
export class SegmentListReader {
  private readonly tail: FileTail;
  constructor(readonly file: string) {
    this.tail = new FileTail(file);
  }

  /** Closes the file; later reads find nothing. */
  close(): void {
    this.tail.close();
  }

  async readNew(): Promise<ClosedSegment[]> {
    return this.tail.read((text) => {
      const { entries, consumed } = parseSegmentList(text);
      return { items: entries, consumed };
    });
  }
}

/** Milliseconds for media seconds, rounded once so adjacent segments share their boundary. */
export function mediaMs(seconds: number): number {
  return Math.round(seconds * 1000);
}
