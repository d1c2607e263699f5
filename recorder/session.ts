/**
 * One hearing being recorded on this node. Each start or resume is a *run*: one ffmpeg
 * process writing every track into runs/<n>/. Closed segments are committed to the
 * spool as ffmpeg lists them. When a run ends — stopped, paused, or dead — its
 * leftovers are recovered: listed segments are committed, a segment ffmpeg was still
 * writing keeps its whole packets. A run that died is restarted, and the gap becomes a
 * `recorder-restart` marker with exact start and end times.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HattamaError, type AlarmKind, type Clock, type Logger } from '../core/index.ts';
import { buildCaptureSpec, levelsFile, planTracks, trackDir, type TrackPlan } from './ffmpeg/capture-args.ts';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg/ffmpeg-runner.ts';
import { ptsRange, truncateTornTail } from './ffmpeg/mpegts.ts';
import { DEFAULT_LEVEL_ALARMS, LevelAlarmState, LevelsReader, type LevelAlarmOptions } from './levels.ts';
import { SegmentListReader, mediaMs } from './segment-list.ts';
import type { NodeSources } from './sources/sources.ts';
import { prepareSpeechFiles, speechCacheDir } from './sources/speech.ts';
import { writeFileDurably, type Spool, type SpooledSegment } from './spool.ts';

export interface RunRecord {
  n: number;
  spawnedAtMs: number;
  /** Wall-clock time of media time 0, learned from the first closed segment. */
  t0Ms: number | null;
  pid: number | null;
  finished: boolean;
  /** Set when the run ended without being asked to. */
  crashed?: boolean;
  /** Wall-clock end of the last media this run kept, once finished. */
  endMs?: number | null;
}

export interface SessionMarker {
  markerId: string;
  kind: 'recorder-restart';
  atMs: number;
  endMs: number;
  text: string;
}

interface SessionEvents {
  segment: [SpooledSegment];
  levels: [{ atMs: number; channels: { track: string; rmsDb: number | null; peakDb: number | null }[] }];
  alarm: [{ kind: AlarmKind; track: string | null; active: boolean; message: string }];
  marker: [SessionMarker];
}

export interface SessionOptions {
  hearingId: string;
  spool: Spool;
  sources: NodeSources;
  segmentSeconds: number;
  ffmpegPath: string;
  clock: Clock;
  logger: Logger;
  levelAlarms?: LevelAlarmOptions;
  /** How often the run's output is scanned for closed segments. */
  pollMs?: number;
  fontAvailable?: boolean;
  speechFiles?: readonly string[];
}

export class RecordingSession extends EventEmitter<SessionEvents> {
  readonly hearingId: string;
  readonly tracks: TrackPlan[];
  private run: {
    record: RunRecord;
    ffmpeg: FfmpegProcess;
    timer: NodeJS.Timeout;
    readers: Map<string, SegmentListReader>;
    levels: Map<string, LevelsReader>;
  } | null = null;
  private scanning: Promise<void> = Promise.resolve();
  private wantRecording = false;
  private restartAttempts = 0;
  private pendingGap: { atMs: number } | null = null;
  private alarms = new Map<string, LevelAlarmState>();
  private lastVideoCommitMs = 0;
  private cameraLost = false;
  private closed = false;
  private readonly log: Logger;
  private speechFiles: readonly string[] | undefined;

  constructor(private readonly o: SessionOptions) {
    super();
    this.hearingId = o.hearingId;
    this.speechFiles = o.speechFiles;
    this.tracks = planTracks(o.sources);
    this.log = o.logger.child({ hearingId: o.hearingId });
  }

  private get hearingDir(): string {
    return this.o.spool.hearingDir(this.hearingId);
  }
  private runDir(n: number): string {
    return path.join(this.hearingDir, 'runs', String(n).padStart(4, '0'));
  }

  get recording(): boolean {
    return this.run !== null;
  }

  /** Starts (or resumes) recording; a no-op when already recording. */
  async start(): Promise<void> {
    this.wantRecording = true;
    if (this.run) return;
    await this.prepareSources();
    await this.recoverRuns();
    await this.startRun();
  }

  /** Speech microphones loop espeak-ng files: made once, cached in the spool, before ffmpeg starts. */
  private async prepareSources(): Promise<void> {
    const mics = this.o.sources.microphones;
    if (mics?.kind !== 'speech' || this.speechFiles) return;
    this.speechFiles = await prepareSpeechFiles({
      phrases: mics.phrases,
      dir: speechCacheDir(this.o.spool.root),
    });
  }

  /** Stops the current run (pause or stop); its last segment is committed. Idempotent. */
  async halt(): Promise<void> {
    this.wantRecording = false;
    const run = this.run;
    if (!run) return;
    await run.ffmpeg.stop();
    // The exit handler finishes the run; wait for it.
    await this.scanning;
    while (this.run) await new Promise((r) => setTimeout(r, 20));
  }

  /** Finishes every run left behind by a crash of this node or of ffmpeg. */
  async recoverRuns(): Promise<void> {
    const runs = await this.listRuns();
    for (const record of runs.filter((r) => !r.finished)) {
      try {
        await this.killOrphan(record);
      } catch (error) {
        // Recording matters more than tidying up: start anyway, recover this run next time.
        this.log.error({ err: error, run: record.n }, 'could not stop the ffmpeg of an unfinished run');
        continue;
      }
      this.log.warn({ run: record.n }, 'recovering a run left unfinished by a crash');
      await this.finishRun(record, true);
    }
  }

  private async listRuns(): Promise<RunRecord[]> {
    const dir = path.join(this.hearingDir, 'runs');
    let names: string[] = [];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const out: RunRecord[] = [];
    for (const name of names.sort()) {
      try {
        out.push(JSON.parse(await fs.readFile(path.join(dir, name, 'run.json'), 'utf8')) as RunRecord);
      } catch {
        // A run dir without a readable run.json never started ffmpeg: nothing to keep.
      }
    }
    return out.sort((a, b) => a.n - b.n);
  }

  /**
   * An ffmpeg left running by a node killed with -9 still writes into the run: stop it
   * before anything of the run is committed, or a segment would grow after its hash was
   * taken. The recorded pid may be missing (the node died before writing it), so every
   * process whose command line names the run's directory is stopped. Throws when one
   * survives, leaving the run unfinished for the next start.
   */
  private async killOrphan(record: RunRecord): Promise<void> {
    const runDir = `${this.runDir(record.n)}${path.sep}`;
    const orphans = await processesNaming(runDir, record.pid);
    if (orphans.length === 0) return;
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (let i = 0; i < 250; i++) {
      if ((await processesNaming(runDir, null)).length === 0) {
        this.log.warn({ pids: orphans }, 'killed an orphaned ffmpeg of a crashed node');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new HattamaError(
      'FFMPEG_FAILED',
      `an orphaned ffmpeg still writes into ${runDir}; the run is left for the next start`,
      { details: { pids: orphans } },
    );
  }

  private async writeRun(record: RunRecord): Promise<void> {
    await writeFileDurably(path.join(this.runDir(record.n), 'run.json'), JSON.stringify(record));
  }

  private async startRun(): Promise<void> {
    const runs = await this.listRuns();
    const n = (runs[runs.length - 1]?.n ?? 0) + 1;
    const runDir = this.runDir(n);
    for (const t of this.tracks) await fs.mkdir(trackDir(runDir, t.name), { recursive: true });
    await fs.mkdir(path.join(runDir, 'levels'), { recursive: true });
    const record: RunRecord = { n, spawnedAtMs: this.o.clock.now(), t0Ms: null, pid: null, finished: false };
    await this.writeRun(record);

    const spec = buildCaptureSpec({
      sources: this.o.sources,
      segmentSeconds: this.o.segmentSeconds,
      runDir,
      fontAvailable: this.o.fontAvailable,
      speechFiles: this.speechFiles,
    });
    const ffmpeg = FfmpegProcess.start({
      spec,
      ffmpegPath: this.o.ffmpegPath,
      logger: this.log.child({ run: n }),
    });
    const readers = new Map(
      this.tracks.map((t) => [t.name, new SegmentListReader(`${trackDir(runDir, t.name)}/segments.csv`)]),
    );
    const levels = new Map(
      this.tracks
        .filter((t) => t.name.startsWith('mic-'))
        .map((t) => [t.name, new LevelsReader(levelsFile(runDir, t.name))]),
    );
    const timer = setInterval(() => this.scheduleScan(), this.o.pollMs ?? 250);
    this.run = { record, ffmpeg, timer, readers, levels };
    this.lastVideoCommitMs = this.o.clock.now();
    // Wait a moment for the pid, then record it so a restarted node can stop an orphan.
    setTimeout(() => {
      if (this.run?.record === record && ffmpeg.pid) {
        record.pid = ffmpeg.pid;
        void this.writeRun(record).catch((e: unknown) =>
          this.log.warn({ err: e }, 'could not record the ffmpeg pid'),
        );
      }
    }, 100).unref();
    this.log.info({ run: n }, 'recording run started');
    void ffmpeg.wait().then((exit) => this.onExit(exit));
  }

  private scheduleScan(): Promise<void> {
    this.scanning = this.scanning
      .then(() => this.scan())
      .catch((error: unknown) => this.log.error({ err: error }, 'scanning the run output failed'));
    return this.scanning;
  }

  /** Commits newly closed segments and reads new level blocks. */
  private async scan(): Promise<void> {
    const run = this.run;
    if (!run) return;
    for (const [track, reader] of run.readers) {
      for (const closed of await reader.readNew()) {
        if (run.record.t0Ms === null) {
          // Media time 0 happened `end` seconds before this segment closed. The list's
          // mtime says when ffmpeg wrote the line, free of our polling delay.
          const written = await fs.stat(reader.file).then(
            (st) => st.mtimeMs,
            () => this.o.clock.now(),
          );
          run.record.t0Ms = Math.round(Math.min(written, this.o.clock.now())) - mediaMs(closed.endSeconds);
          await this.writeRun(run.record);
          this.onRunT0(run.record.t0Ms);
        }
        await this.commit(run.record, track, closed.file, closed.startSeconds, closed.endSeconds);
      }
    }
    await this.scanLevels(run);
    this.checkCamera();
  }

  private onRunT0(t0Ms: number): void {
    this.restartAttempts = 0;
    if (this.pendingGap) {
      const gap = { atMs: this.pendingGap.atMs, endMs: Math.max(t0Ms, this.pendingGap.atMs) };
      this.pendingGap = null;
      this.emit('marker', {
        markerId: crypto.randomUUID(),
        kind: 'recorder-restart',
        ...gap,
        text: `Recording interrupted and restarted; nothing was recorded for ${((gap.endMs - gap.atMs) / 1000).toFixed(3)} s.`,
      });
    }
  }

  private async commit(
    record: RunRecord,
    track: string,
    file: string,
    startSeconds: number,
    endSeconds: number,
  ): Promise<void> {
    const t0 = record.t0Ms ?? record.spawnedAtMs;
    const sourceFile = path.join(trackDir(this.runDir(record.n), track), file);
    try {
      await fs.access(sourceFile);
    } catch {
      return; // committed before a crash; the journal has it
    }
    const startMs = t0 + mediaMs(startSeconds);
    const durationMs = Math.max(0, mediaMs(endSeconds) - mediaMs(startSeconds));
    const segment = await this.o.spool.commit({
      hearingId: this.hearingId,
      track,
      sourceFile,
      startMs,
      durationMs,
    });
    if (track === 'video') this.lastVideoCommitMs = this.o.clock.now();
    this.emit('segment', segment);
  }

  private async scanLevels(run: NonNullable<RecordingSession['run']>): Promise<void> {
    const latest: { track: string; rmsDb: number | null; peakDb: number | null }[] = [];
    for (const [track, reader] of run.levels) {
      const readings = await reader.readNew();
      if (readings.length === 0) continue;
      let state = this.alarms.get(track);
      if (!state)
        this.alarms.set(track, (state = new LevelAlarmState(this.o.levelAlarms ?? DEFAULT_LEVEL_ALARMS)));
      for (const r of readings) {
        for (const change of state.update(r)) {
          this.emit('alarm', {
            kind: change.kind,
            track,
            active: change.active,
            message:
              change.kind === 'microphone-silent'
                ? change.active
                  ? `${track} has been silent for ${(this.o.levelAlarms ?? DEFAULT_LEVEL_ALARMS).silenceSeconds} s: check the microphone`
                  : `${track} has signal again`
                : change.active
                  ? `${track} is clipping: lower its gain`
                  : `${track} no longer clips`,
          });
        }
      }
      const last = readings[readings.length - 1]!;
      latest.push({ track, rmsDb: last.rmsDb, peakDb: last.peakDb });
    }
    if (latest.length > 0) this.emit('levels', { atMs: this.o.clock.now(), channels: latest });
  }

  private checkCamera(): void {
    if (!this.tracks.some((t) => t.name === 'video') || !this.run) return;
    const silentFor = this.o.clock.now() - this.lastVideoCommitMs;
    const lost = silentFor > 3 * this.o.segmentSeconds * 1000;
    if (lost !== this.cameraLost) {
      this.cameraLost = lost;
      this.emit('alarm', {
        kind: 'camera-lost',
        track: 'video',
        active: lost,
        message: lost ? `no video for ${Math.round(silentFor / 1000)} s: check the camera` : 'video is back',
      });
    }
  }

  private async onExit(exit: FfmpegExit): Promise<void> {
    const run = this.run;
    if (!run) return;
    clearInterval(run.timer);
    await this.scheduleScan();
    const crashed = !exit.requested;
    try {
      await this.finishRun(run.record, crashed);
    } catch (error) {
      // The run stays unfinished on disk and is recovered at the next start; the session
      // must not hang waiting for it.
      this.log.error(
        { err: error, run: run.record.n },
        'could not finish the run; it will be recovered later',
      );
    } finally {
      this.run = null;
    }
    if (crashed) {
      this.log.error({ code: exit.code, signal: exit.signal, stderr: exit.stderrTail }, 'ffmpeg died');
      this.emit('alarm', {
        kind: 'ffmpeg-restarted',
        track: null,
        active: true,
        message: `ffmpeg stopped unexpectedly (code ${exit.code}, signal ${exit.signal}); recording restarts`,
      });
    }
    if (crashed && this.wantRecording && !this.closed) {
      // Back off when ffmpeg cannot even start (a missing device): 0.5 s, 1 s, … 30 s.
      const delay = Math.min(30_000, 500 * 2 ** this.restartAttempts++);
      setTimeout(() => {
        if (this.wantRecording && !this.run && !this.closed)
          void this.startRun().catch((e: unknown) => this.log.error({ err: e }, 'could not restart ffmpeg'));
      }, delay).unref();
    }
  }

  /**
   * Commits what a finished run left: listed segments, then segments ffmpeg was still
   * writing (whole packets kept, torn tail cut). Marks the run finished.
   */
  private async finishRun(record: RunRecord, crashed: boolean): Promise<void> {
    const runDir = this.runDir(record.n);
    let endMs: number | null = null;
    for (const t of this.tracks) {
      const dir = trackDir(runDir, t.name);
      const listed = await new SegmentListReader(`${dir}/segments.csv`).readNew();
      let lastEndSeconds: number | null = null;
      for (const c of listed) {
        if (record.t0Ms === null) record.t0Ms = record.spawnedAtMs;
        await this.commit(record, t.name, c.file, c.startSeconds, c.endSeconds);
        lastEndSeconds = c.endSeconds;
      }
      const listedFiles = new Set(listed.map((c) => c.file));
      let files: string[] = [];
      try {
        files = (await fs.readdir(dir)).filter((f) => /^\d{6}\.ts$/.test(f) && !listedFiles.has(f)).sort();
      } catch {
        files = [];
      }
      for (const f of files) {
        const file = path.join(dir, f);
        if (await this.o.spool.isCommitted(this.hearingId, t.name, path.relative(this.hearingDir, file)))
          continue;
        const kept = await truncateTornTail(file);
        const range = kept > 0 ? ptsRange(await fs.readFile(file)) : null;
        if (!range || range.endSeconds <= (lastEndSeconds ?? range.firstSeconds)) {
          await fs.rm(file, { force: true }); // nothing playable was written
          continue;
        }
        const startSeconds = lastEndSeconds ?? range.firstSeconds;
        this.log.warn(
          { track: t.name, file: f, keptBytes: kept },
          'kept the whole packets of an unfinished segment',
        );
        await this.commit(record, t.name, f, startSeconds, range.endSeconds);
        lastEndSeconds = range.endSeconds;
      }
      if (lastEndSeconds !== null) {
        const t0 = record.t0Ms ?? record.spawnedAtMs;
        endMs = Math.max(endMs ?? 0, t0 + mediaMs(lastEndSeconds));
      }
    }
    record.finished = true;
    record.crashed = crashed;
    record.endMs = endMs;
    await this.writeRun(record);
    if (crashed) this.pendingGap = { atMs: endMs ?? record.t0Ms ?? record.spawnedAtMs };
  }

  /** Stops recording if it runs; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.halt();
    this.closed = true;
  }
}

/** Live processes whose command line names `dir` (Linux /proc), plus `pid` if it still does. */
async function processesNaming(dir: string, pid: number | null): Promise<number[]> {
  let entries: string[] = [];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const found = new Set<number>();
  const candidates = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  if (pid) candidates.push(pid);
  for (const p of candidates) {
    if (p === process.pid || found.has(p)) continue;
    try {
      const cmdline = await fs.readFile(`/proc/${p}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) found.add(p);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return [...found];
}
