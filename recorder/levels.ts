/**
 * Audio levels per microphone, from ffmpeg's astats/ametadata output (one block per
 * second), and the alarms they raise: a dead microphone (digital silence or no signal
 * for a configured time) and clipping.
 */
import { FileTail } from './file-tail.ts';

export interface LevelReading {
  /** Media seconds of the block. */
  ptsSeconds: number;
  /** dBFS; null for digital silence (-inf). */
  rmsDb: number | null;
  peakDb: number | null;
}

function parseDb(value: string): number | null {
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function parseLevels(text: string): { readings: LevelReading[]; consumed: number } {
  const readings: LevelReading[] = [];
  let current: LevelReading | null = null;
  let consumed = 0;
  let lastComplete = 0;
  for (;;) {
    const nl = text.indexOf('\n', consumed);
    if (nl < 0) break;
    const line = text.slice(consumed, nl);
    consumed = nl + 1;
    const frame = /pts_time:(-?[\d.]+)/.exec(line);
    if (frame) {
      if (current) readings.push(current);
      current = { ptsSeconds: Number(frame[1]), rmsDb: null, peakDb: null };
      lastComplete = consumed - line.length - 1;
      continue;
    }
    if (!current) continue;
    const kv = /^lavfi\.astats\.Overall\.(RMS_level|Peak_level)=(.*)$/.exec(line.trim());
    if (kv) {
      if (kv[1] === 'RMS_level') current.rmsDb = parseDb(kv[2]!);
      else current.peakDb = parseDb(kv[2]!);
    }
  }
  // The last block may still be being written: hand it back for the next read.
  return { readings, consumed: current ? lastComplete : consumed };
}

export class LevelsReader {
  private readonly tail: FileTail;
  constructor(readonly file: string) {
    this.tail = new FileTail(file);
  }

  /** Closes the file; later reads find nothing. */
  close(): void {
    this.tail.close();
  }

  async readNew(): Promise<LevelReading[]> {
    return this.tail.read((text) => {
      const { readings, consumed } = parseLevels(text);
      return { items: readings, consumed };
    });
  }
}

export interface LevelAlarmOptions {
  /** Below this RMS a microphone counts as silent. */
  silenceDb: number;
  /** Seconds of silence before the alarm. */
  silenceSeconds: number;
  /** At or above this peak a block counts as clipped. */
  clipDb: number;
}

export const DEFAULT_LEVEL_ALARMS: LevelAlarmOptions = { silenceDb: -70, silenceSeconds: 10, clipDb: -0.1 };

/** Tracks one microphone's silence and clipping and says when an alarm turns on or off. */
export class LevelAlarmState {
  private silentFor = 0;
  silent = false;
  clipping = false;

  constructor(private readonly options: LevelAlarmOptions) {}

  /** Feeds one one-second reading; returns the alarms that changed. */
  update(r: LevelReading): { kind: 'microphone-silent' | 'microphone-clipping'; active: boolean }[] {
    const changes: { kind: 'microphone-silent' | 'microphone-clipping'; active: boolean }[] = [];
    const isSilent = r.rmsDb === null || r.rmsDb < this.options.silenceDb;
    this.silentFor = isSilent ? this.silentFor + 1 : 0;
    const silentNow = this.silentFor >= this.options.silenceSeconds;
    if (silentNow !== this.silent) {
      this.silent = silentNow;
      changes.push({ kind: 'microphone-silent', active: silentNow });
    }
    const clipNow = r.peakDb !== null && r.peakDb >= this.options.clipDb;
    if (clipNow !== this.clipping) {
      this.clipping = clipNow;
      changes.push({ kind: 'microphone-clipping', active: clipNow });
    }
    return changes;
  }
}
