/**
 * Just enough MPEG-TS (ISO/IEC 13818-1) to recover a segment that ffmpeg was writing
 * when it or the node died: keep the whole 188-byte packets from the start, cut the
 * torn tail, and read the presentation timestamps of the PES packets to learn how much
 * media the kept part holds. And to pad a very short segment so that tools know it.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';

export const TS_PACKET = 188;
const SYNC = 0x47;
const PTS_HZ = 90_000;

/** Bytes of the longest prefix made of whole packets that all start with the sync byte. */
export function wholePacketPrefix(data: Uint8Array): number {
  let n = 0;
  while (n + TS_PACKET <= data.length && data[n] === SYNC) n += TS_PACKET;
  return n;
}

export interface PtsRange {
  /** Seconds, from the first PES start seen. */
  firstSeconds: number;
  /** Seconds, from the last PES start seen, plus the typical spacing between PES starts. */
  endSeconds: number;
  packets: number;
}

/** The media time span of the PES packets in whole TS packets; null when none has a PTS. */
export function ptsRange(data: Uint8Array): PtsRange | null {
  const starts = new Map<number, number[]>();
  const limit = wholePacketPrefix(data);
  for (let off = 0; off < limit; off += TS_PACKET) {
    const b1 = data[off + 1]!;
    if ((b1 & 0x40) === 0) continue; // not the start of a PES
    const pid = ((b1 & 0x1f) << 8) | data[off + 2]!;
    const afc = (data[off + 3]! >> 4) & 3;
    let p = off + 4;
    if (afc === 2) continue; // adaptation field only
    if (afc === 3) p += 1 + data[off + 4]!;
    if (p + 14 > off + TS_PACKET) continue;
    if (data[p] !== 0 || data[p + 1] !== 0 || data[p + 2] !== 1) continue;
    const streamId = data[p + 3]!;
    const isMedia = (streamId >= 0xc0 && streamId <= 0xdf) || (streamId >= 0xe0 && streamId <= 0xef);
    if (!isMedia || (data[p + 7]! & 0x80) === 0) continue;
    const q = p + 9;
    // 33-bit PTS in five bytes with marker bits; multiply rather than shift past 32 bits.
    const pts =
      ((data[q]! >> 1) & 0x07) * 2 ** 30 +
      data[q + 1]! * 2 ** 22 +
      (data[q + 2]! >> 1) * 2 ** 15 +
      data[q + 3]! * 2 ** 7 +
      (data[q + 4]! >> 1);
    const list = starts.get(pid) ?? [];
    list.push(pts);
    starts.set(pid, list);
  }
  let best: number[] | undefined;
  for (const list of starts.values()) if (!best || list.length > best.length) best = list;
  if (!best || best.length === 0) return null;
  const sorted = [...best].sort((a, b) => a - b);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const step = sorted.length > 1 ? (last - first) / (sorted.length - 1) : 0;
  return { firstSeconds: first / PTS_HZ, endSeconds: (last + step) / PTS_HZ, packets: limit / TS_PACKET };
}

/** Truncates a file to its whole-packet prefix; returns the kept length. */
export async function truncateTornTail(file: string): Promise<number> {
  const data = await fs.readFile(file);
  const keep = wholePacketPrefix(data);
  if (keep !== data.length) {
    const handle = await fs.open(file, 'r+');
    try {
      await handle.truncate(keep);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return keep;
}

/**
 * Packets a segment holds at least. ffprobe and ffmpeg guess a file's format from its
 * bytes and take an MPEG-TS file of a few packets (a run stopped a few AAC frames into a
 * segment) for an MPEG program stream, then fail to decode it ("mp2: Header missing").
 * From about eleven packets on they know it; sixteen leaves a margin.
 */
export const MIN_SEGMENT_PACKETS = 16;

/** A null packet (PID 0x1FFF): stuffing, which every demuxer skips (ISO/IEC 13818-1, 2.4.3.3). */
const NULL_PACKET = Buffer.concat([Buffer.from([SYNC, 0x1f, 0xff, 0x10]), Buffer.alloc(TS_PACKET - 4, 0xff)]);

/** Whether a segment of `size` bytes is whole packets, but too few of them for tools to know it. */
export function needsPadding(size: number): boolean {
  return size < MIN_SEGMENT_PACKETS * TS_PACKET && size % TS_PACKET === 0;
}

/**
 * Appends null packets to a segment that `needsPadding`, so that every stored segment
 * reads as MPEG-TS. Before the segment is hashed; the spool's commit fsyncs it. Any other
 * file is left alone. Returns the packets added. `size` saves a stat when the caller has one.
 */
export function padShortSegment(file: string, size = fsSync.statSync(file).size): number {
  if (!needsPadding(size)) return 0;
  const missing = MIN_SEGMENT_PACKETS - size / TS_PACKET;
  fsSync.appendFileSync(file, Buffer.concat(Array.from({ length: missing }, () => NULL_PACKET)));
  return missing;
}
