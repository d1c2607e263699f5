/**
 * The node's local spool: every closed segment is committed here (hashed, chained,
 * fsync'd) before anything else happens to it, and stays until the object store and
 * the hub have both acknowledged it. A per-track journal (one JSON line per committed
 * segment, fsync'd) is the chain's memory across restarts.
 *
 * Layout under <root>/<hearingId>/:
 *   hearing.json                 what the node was asked to do (state, segment length)
 *   journal/<track>.jsonl        committed segments, in seq order
 *   pending/<track>/<seq>.ts     committed segments not yet acknowledged by both
 *   runs/<n>/run.json, <track>/  one ffmpeg run's raw output (see session.ts); a node with
 *                                a camera and microphones has runs-video/ and runs-audio/
 *                                instead, one per capture group (hearing-capture.ts)
 */
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  SystemClock,
  chainGenesis,
  fsyncPath,
  linkReplacing,
  nextChain,
  removeFile,
  sha256File,
  type Clock,
  type FileStamp,
  type Logger,
  writeSynced,
} from '../core/index.ts';

export { sha256File };

export interface JournalEntry {
  seq: number;
  startMs: number;
  durationMs: number;
  size: number;
  sha256: string;
  chain: string;
  /** The run file it came from, relative to the hearing dir, so recovery never commits it twice. */
  source: string;
  /** When the segment was committed (for the close → acknowledgement latency). */
  committedAtMs?: number;
}

export interface SpooledSegment extends JournalEntry {
  hearingId: string;
  track: string;
  /** Absolute path of the pending copy. */
  file: string;
  /**
   * The pending file as this process hashed it (core/sha256-file.ts) and then fsync'd
   * it, while it still holds those bytes: the object store then takes the digest without
   * reading the file again, nor fsyncs it again. Kept in memory only; after a restart
   * the store hashes.
   */
  stamp?: FileStamp;
}

/** A track's journal as this process holds it: its lines in order, and by run file. */
interface TrackJournal {
  entries: JournalEntry[];
  bySource: Map<string, JournalEntry>;
}

export interface HearingSpoolState {
  hearingId: string;
  state: 'recording' | 'paused' | 'stopped';
  segmentSeconds: number;
  updatedAtMs: number;
}

/** Writes a small file atomically: temp file, fsync, rename, fsync the directory. */
export async function writeFileDurably(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  await writeSynced(tmp, content, 'w');
  fsSync.renameSync(tmp, file);
  await fsyncPath(path.dirname(file));
}

export class Spool {
  /**
   * Per-track journal cache: loaded once, then appended in memory with the file. Indexed
   * by run file too: every commit asks whether its file is committed already, and a search
   * of the whole journal grew with the hearing (some 0.1 ms a commit at four hours of one
   * track).
   */
  private journals = new Map<string, TrackJournal>();
  private commitLocks = new Map<string, Promise<unknown>>();
  /** Stamps of pending files hashed by this process, by hearing/track/seq. */
  private stamps = new Map<string, FileStamp>();
  /** Directories this process made (or found) for a hearing's commits, by `hearing/dir`. */
  private madeDirs = new Set<string>();

  constructor(
    readonly root: string,
    private readonly logger: Logger,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  hearingDir(hearingId: string): string {
    return path.join(this.root, hearingId);
  }

  /** Hearings in the spool. Asked for every few seconds while recording: listed in place (core/durable-fs.ts). */
  async listHearings(): Promise<string[]> {
    try {
      const names = fsSync.readdirSync(this.root);
      return names.filter((n) => fsSync.existsSync(path.join(this.root, n, 'hearing.json'))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async readHearing(hearingId: string): Promise<HearingSpoolState | null> {
    try {
      return JSON.parse(
        await fs.readFile(path.join(this.hearingDir(hearingId), 'hearing.json'), 'utf8'),
      ) as HearingSpoolState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async writeHearing(state: HearingSpoolState): Promise<void> {
    const dir = this.hearingDir(state.hearingId);
    await fs.mkdir(dir, { recursive: true });
    await writeFileDurably(path.join(dir, 'hearing.json'), JSON.stringify(state));
  }

  private journalFile(hearingId: string, track: string): string {
    return path.join(this.hearingDir(hearingId), 'journal', `${track}.jsonl`);
  }

  /** The committed segments of a track; a torn last line (crash mid-append) is dropped. */
  async journal(hearingId: string, track: string): Promise<JournalEntry[]> {
    return (await this.loadJournal(hearingId, track)).entries;
  }

  private async loadJournal(hearingId: string, track: string): Promise<TrackJournal> {
    const key = `${hearingId}/${track}`;
    const cached = this.journals.get(key);
    if (cached) return cached;
    const file = this.journalFile(hearingId, track);
    let text = '';
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const entries: JournalEntry[] = [];
    let goodBytes = 0;
    const lines = text.split('\n');
    // What follows the last "\n" is empty, or a line whose newline never reached the disk:
    // torn even if it parses, and keeping it would glue the next append onto it.
    lines.pop();
    for (const line of lines) {
      if (line === '') break;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
        goodBytes += Buffer.byteLength(line) + 1;
      } catch {
        break;
      }
    }
    if (goodBytes < Buffer.byteLength(text)) {
      this.logger.warn({ hearingId, track, file }, 'dropping a torn journal line left by a crash');
      await fs.truncate(file, goodBytes);
    }
    const loaded = { entries, bySource: new Map(entries.map((e) => [e.source, e])) };
    this.journals.set(key, loaded);
    return loaded;
  }

  async tracks(hearingId: string): Promise<string[]> {
    try {
      return fsSync
        .readdirSync(path.join(this.hearingDir(hearingId), 'journal'))
        .filter((f) => f.endsWith('.jsonl'))
        .map((f) => f.slice(0, -'.jsonl'.length))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Whether a run file was already committed (recovery must not commit it twice). */
  async isCommitted(hearingId: string, track: string, source: string): Promise<boolean> {
    return (await this.loadJournal(hearingId, track)).bySource.has(source);
  }

  /**
   * Commits a closed segment: hashes it, links it into pending/, fsyncs, then appends
   * the journal line (the commit point). Serialised per track so seqs never race.
   */
  async commit(options: {
    hearingId: string;
    track: string;
    sourceFile: string;
    startMs: number;
    durationMs: number;
  }): Promise<SpooledSegment> {
    const lockKey = `${options.hearingId}/${options.track}`;
    const previous = this.commitLocks.get(lockKey) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.commitNow(options));
    this.commitLocks.set(lockKey, run);
    return run;
  }

  private async commitNow(options: {
    hearingId: string;
    track: string;
    sourceFile: string;
    startMs: number;
    durationMs: number;
  }): Promise<SpooledSegment> {
    const { hearingId, track } = options;
    const hearingDir = this.hearingDir(hearingId);
    const source = path.relative(hearingDir, options.sourceFile);
    const journal = await this.loadJournal(hearingId, track);
    const already = journal.bySource.get(source);
    if (already) return this.toSpooled(hearingId, track, already);

    const last = journal.entries[journal.entries.length - 1];
    const seq = last ? last.seq + 1 : 0;
    const { sha256, size, stamp } = await sha256File(options.sourceFile);
    const chain = nextChain(last?.chain ?? chainGenesis(hearingId, track), {
      seq,
      startMs: options.startMs,
      durationMs: options.durationMs,
      sha256,
    });
    const entry: JournalEntry = {
      seq,
      startMs: options.startMs,
      durationMs: options.durationMs,
      size,
      sha256,
      chain,
      source,
      committedAtMs: this.clock.now(),
    };

    // File-system calls in place, fsync through the pool (core/durable-fs.ts).
    const pendingDir = path.join(hearingDir, 'pending', track);
    this.makeDir(hearingId, pendingDir);
    const pendingFile = path.join(pendingDir, `${seq}.ts`);
    // A file already there is an orphan from a crash before its journal line.
    linkReplacing(options.sourceFile, pendingFile);
    // The bytes and the name, both before the journal line; at once, one wait for the two.
    await Promise.all([fsyncPath(pendingFile), fsyncPath(pendingDir)]);

    const journalFile = this.journalFile(hearingId, track);
    this.makeDir(hearingId, path.dirname(journalFile));
    await writeSynced(journalFile, `${JSON.stringify(entry)}\n`, 'a');
    journal.entries.push(entry);
    journal.bySource.set(source, entry);
    // A link changes no modification time: the pending file still has the stamp hashed.
    if (stamp) this.stamps.set(`${hearingId}/${track}/${seq}`, stamp);
    // The run file is no longer needed: the pending link holds the bytes.
    removeFile(options.sourceFile);
    return this.toSpooled(hearingId, track, entry);
  }

  /** mkdir -p once per directory and hearing, not on every commit. */
  private makeDir(hearingId: string, dir: string): void {
    const key = `${hearingId}/${dir}`;
    if (this.madeDirs.has(key)) return;
    fsSync.mkdirSync(dir, { recursive: true });
    this.madeDirs.add(key);
  }

  private toSpooled(hearingId: string, track: string, e: JournalEntry): SpooledSegment {
    const stamp = this.stamps.get(`${hearingId}/${track}/${e.seq}`);
    return {
      ...e,
      hearingId,
      track,
      file: path.join(this.hearingDir(hearingId), 'pending', track, `${e.seq}.ts`),
      ...(stamp ? { stamp } : {}),
    };
  }

  /** Committed segments still waiting for acknowledgement, in seq order per track. */
  async pending(hearingId: string): Promise<SpooledSegment[]> {
    const out: SpooledSegment[] = [];
    for (const track of await this.tracks(hearingId)) out.push(...(await this.pendingOf(hearingId, track)));
    return out;
  }

  /**
   * One track's committed segments still waiting for acknowledgement, in seq order. Each
   * track's uploader asks on every segment: it lists that track's pending files and looks
   * their lines up by seq, where scanning every track's whole journal grew with the
   * length of the hearing (six tracks of a four-hour hearing hold 21,600 lines).
   */
  async pendingOf(hearingId: string, track: string): Promise<SpooledSegment[]> {
    const journal = await this.journal(hearingId, track);
    const dir = path.join(this.hearingDir(hearingId), 'pending', track);
    let files: string[] = [];
    try {
      files = fsSync.readdirSync(dir); // asked for on every upload: in place (core/durable-fs.ts)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const seqs = files
      .filter((f) => /^\d+\.ts$/.test(f))
      .map((f) => Number(f.slice(0, -3)))
      .sort((a, b) => a - b);
    const out: SpooledSegment[] = [];
    for (const seq of seqs) {
      // Seqs start at 0 and go up by one, so a line's index is its seq; a pending file
      // without a line (a crash between link and append) is not committed.
      const entry = journal[seq]?.seq === seq ? journal[seq] : journal.find((e) => e.seq === seq);
      if (entry) out.push(this.toSpooled(hearingId, track, entry));
    }
    return out;
  }

  /** Both acknowledgements are in: the spool copy can go. */
  async release(segment: SpooledSegment): Promise<void> {
    removeFile(segment.file);
    this.stamps.delete(`${segment.hearingId}/${segment.track}/${segment.seq}`);
  }

  /** Removes a hearing whose every segment is acknowledged and whose manifest is written. */
  async removeHearing(hearingId: string): Promise<void> {
    await fs.rm(this.hearingDir(hearingId), { recursive: true, force: true });
    for (const map of [this.journals, this.stamps, this.madeDirs])
      for (const key of [...map.keys()]) if (key.startsWith(`${hearingId}/`)) map.delete(key);
  }

  /**
   * What the spool holds — its committed segments still waiting for acknowledgement (sizes
   * from the journal) and its journals — how many segments those are, and the free space on
   * its file system. Reported every few seconds while recording, so it lists directories in
   * place instead of stat'ing every file through the thread pool: that walk cost 2.8–2.9 ms
   * of CPU a report for one hearing of six tracks (now ~0.5 ms), a tenth of what copying a
   * camera costs (decision 0011), and grew with every segment of a backlog.
   */
  async usage(): Promise<{ bytes: number; freeBytes: number; pendingSegments: number }> {
    fsSync.mkdirSync(this.root, { recursive: true });
    let bytes = 0;
    let pendingSegments = 0;
    // Every hearing directory, also one whose hearing.json is missing: its bytes are held all the same.
    const hearingIds = fsSync
      .readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const hearingId of hearingIds) {
      for (const track of await this.tracks(hearingId)) {
        for (const segment of await this.pendingOf(hearingId, track)) {
          bytes += segment.size;
          pendingSegments++;
        }
        bytes += fileSize(this.journalFile(hearingId, track));
      }
    }
    const stat = fsSync.statfsSync(this.root);
    return { bytes, freeBytes: Number(stat.bavail) * Number(stat.bsize), pendingSegments };
  }
}

function fileSize(file: string): number {
  try {
    return fsSync.statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
