/**
 * One capture group of a hearing being recorded on this node (hearing-capture.ts splits
 * a courtroom into picture and sound). Each start or resume is a *run*: one ffmpeg
 * process writing the group's tracks into <runsDir>/<n>/. Closed segments are committed
 * to the spool as ffmpeg lists them. When a run ends — stopped, paused, or dead — its
 * leftovers are recovered: listed segments are committed, a segment ffmpeg was still
 * writing keeps its whole packets. A run that died is restarted, and the gap becomes a
 * `recorder-restart` marker with exact start and end times, naming what was interrupted.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HattamaError, type AlarmKind, type Clock, type Logger } from '../core/index.ts';
import {
  AUDIO_SAMPLE_RATE,
  buildCaptureSpec,
  flushesEachPacket,
  levelsFile,
  planTracks,
  trackDir,
  type TrackPlan,
} from './ffmpeg/capture-args.ts';
import { FfmpegProcess, type FfmpegExit } from '../media/index.ts';
import { needsPadding, padShortSegment, ptsRange, truncateTornTail } from '../media/index.ts';
import { watchAppends, type AppendWatch } from './append-watch.ts';
import { DEFAULT_LEVEL_ALARMS, LevelAlarmState, LevelsReader, type LevelAlarmOptions } from './levels.ts';
import { SegmentListReader, mediaMs, type ClosedSegment } from './segment-list.ts';
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

export interface SessionEvents {
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
  /**
   * Directory under the hearing's spool dir holding this session's runs. Two sessions of
   * one hearing (picture and sound) need their own, or each would finish the other's runs.
   */
  runsDir?: string;
}

/** Longest wait between restarts of an ffmpeg that keeps failing (a camera still away). */
const MAX_RESTART_DELAY_MS = 5000;

/** What a group of tracks records, as the protocol and the operator read it. */
export function captureSubject(tracks: readonly TrackPlan[]): 'picture' | 'sound' | 'picture and sound' {
  const video = tracks.some((t) => t.kind === 'video');
  const audio = tracks.some((t) => t.kind === 'audio');
  return video && audio ? 'picture and sound' : video ? 'picture' : 'sound';
}

export class RecordingSession extends EventEmitter<SessionEvents> {
  readonly hearingId: string;
  readonly tracks: TrackPlan[];
  private run: {
    record: RunRecord;
    ffmpeg: FfmpegProcess;
    timer: NodeJS.Timeout;
    watch: AppendWatch;
    /** Closed segments waiting for their successor's first time stamp (video only). */
    held: Map<string, { entries: ClosedSegment[]; sinceMs: number }>;
    readers: Map<string, SegmentListReader>;
    levels: Map<string, LevelsReader>;
    /** Stopped by the camera watchdog: restarted like a crash. */
    stalled: boolean;
  } | null = null;
  private scanning: Promise<void> = Promise.resolve();
  /** A scan is queued and has not begun: further wake-ups until then are the same scan. */
  private scanQueued = false;
  /** A start or restart between deciding to run ffmpeg and the run existing. */
  private starting: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Watches the camera while recording is wanted, also between failed restarts. */
  private watchdog: NodeJS.Timeout | null = null;
  private wantRecording = false;
  private restartAttempts = 0;
  private pendingGap: { atMs: number } | null = null;
  private alarms = new Map<string, LevelAlarmState>();
  private lastVideoCommitMs = 0;
  private cameraLost = false;
  /** The run's media is more than BEHIND_ALARM_MS behind the wall clock (alarm raised). */
  private behind = false;
  private closed = false;
  private readonly log: Logger;
  private speechFiles: readonly string[] | undefined;
  /**
   * Whether a video segment ends where the next begins (videoSegmentEnd). Only when each
   * packet is written as muxed: a stream-copied camera's next segment is not on disk
   * when the list line appears, so its segments end at ffmpeg's listed end.
   */
  private readonly videoEndsAtNext: boolean;
  /** What this session records: picture, sound, or both. */
  readonly subject: ReturnType<typeof captureSubject>;
  private readonly runsDir: string;

  constructor(private readonly o: SessionOptions) {
    super();
    this.hearingId = o.hearingId;
    this.speechFiles = o.speechFiles;
    this.tracks = planTracks(o.sources);
    this.videoEndsAtNext = flushesEachPacket('video', o.sources.camera);
    this.subject = captureSubject(this.tracks);
    this.runsDir = o.runsDir ?? 'runs';
    this.log = o.logger.child({ hearingId: o.hearingId, capture: this.runsDir });
  }

  private get hearingDir(): string {
    return this.o.spool.hearingDir(this.hearingId);
  }
  private runDir(n: number): string {
    return path.join(this.hearingDir, this.runsDir, String(n).padStart(4, '0'));
  }

  get recording(): boolean {
    return this.run !== null;
  }

  /** Starts (or resumes) recording; a no-op when already recording. */
  async start(): Promise<void> {
    this.wantRecording = true;
    if (this.run) return;
    if (this.starting) return this.starting;
    this.clearRestartTimer();
    if (!this.watchdog && this.tracks.some((t) => t.name === 'video')) {
      this.lastVideoCommitMs = this.o.clock.now();
      this.armWatchdog(this.cameraLimitMs + TIMER_SLACK_MS);
    }
    await this.trackStart(async () => {
      await this.prepareSources();
      await this.recoverRuns();
      await this.startRun();
    });
  }

  /** Runs a start so that halt() can wait for it: a run must never appear after halt returned. */
  private trackStart(starting: () => Promise<void>): Promise<void> {
    const p = starting().finally(() => {
      if (this.starting === p) this.starting = null;
    });
    this.starting = p;
    return p;
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
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
    this.clearRestartTimer();
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    await this.starting?.catch(() => undefined);
    const run = this.run;
    if (run) {
      await run.ffmpeg.stop();
      // The exit handler finishes the run; wait for it.
      await this.scanning;
      while (this.run) await new Promise((r) => setTimeout(r, 20));
    }
    // Stopped while ffmpeg could not record (a camera still away): the gap lasted until now.
    this.markGap(this.o.clock.now());
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

  /**
   * Where a crashed run's media ended, when its gap is not yet marked: a session that
   * only recovers (the legacy single-run dir) hands it to the sessions that resume.
   */
  takePendingGap(): number | null {
    const atMs = this.pendingGap?.atMs ?? null;
    this.pendingGap = null;
    return atMs;
  }

  /** Marks a gap that began at `atMs` once this session's next run has media. */
  addPendingGap(atMs: number): void {
    this.pendingGap = { atMs: Math.min(atMs, this.pendingGap?.atMs ?? atMs) };
  }

  private async listRuns(): Promise<RunRecord[]> {
    const dir = path.join(this.hearingDir, this.runsDir);
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
   * taken. It is asked first with SIGINT, as a running ffmpeg is stopped, so it writes out
   * what it holds (a stream-copied camera's last 256 KiB block, decision 0012) and lists
   * its last segment; SIGKILL follows if it has not exited in ORPHAN_GRACE_MS. The
   * recorded pid may be missing (the node died before writing it), so every process whose
   * command line names the run's directory is stopped. Throws when one survives, leaving
   * the run unfinished for the next start.
   */
  private async killOrphan(record: RunRecord): Promise<void> {
    const runDir = `${this.runDir(record.n)}${path.sep}`;
    const orphans = await processesNaming(runDir, record.pid);
    if (orphans.length === 0) return;
    const signalAll = (signal: NodeJS.Signals) => {
      for (const pid of orphans) {
        try {
          process.kill(pid, signal);
        } catch {
          // Already gone.
        }
      }
    };
    const goneWithin = async (ms: number): Promise<boolean> => {
      for (const until = Date.now() + ms; Date.now() < until;) {
        if ((await processesNaming(runDir, null)).length === 0) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return (await processesNaming(runDir, null)).length === 0;
    };
    signalAll('SIGINT');
    if (await goneWithin(ORPHAN_GRACE_MS)) {
      this.log.warn({ pids: orphans }, 'stopped an orphaned ffmpeg of a crashed node');
      return;
    }
    signalAll('SIGKILL');
    if (await goneWithin(5000)) {
      this.log.warn({ pids: orphans }, 'killed an orphaned ffmpeg of a crashed node that ignored SIGINT');
      return;
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
    const readers = new Map(
      this.tracks.map((t) => [t.name, new SegmentListReader(`${trackDir(runDir, t.name)}/segments.csv`)]),
    );
    const levels = new Map(
      this.tracks
        .filter((t) => t.name.startsWith('mic-'))
        .map((t) => [t.name, new LevelsReader(levelsFile(runDir, t.name))]),
    );
    // Closed segments wake the scan; the poll is for the levels, read about once a second,
    // and otherwise only a safety net for a watch that misses.
    const watch = watchAppends(
      [...readers.values()].map((r) => r.file),
      () => this.requestScan(),
      (file, error) => this.log.warn({ err: error, file }, 'cannot watch a segment list; polling it'),
    );
    const pollMs =
      levels.size > 0 || !watch.complete
        ? (this.o.pollMs ?? 250)
        : Math.max(this.o.pollMs ?? 250, this.o.segmentSeconds * 1000);
    const ffmpeg = FfmpegProcess.start({
      spec,
      ffmpegPath: this.o.ffmpegPath,
      logger: this.log.child({ run: n }),
    });
    const timer = setInterval(() => this.requestScan(), pollMs);
    this.run = { record, ffmpeg, timer, watch, held: new Map(), readers, levels, stalled: false };
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

  /** Scans soon, once however many wake-ups arrive before the scan begins. */
  private requestScan(): void {
    if (this.scanQueued) return;
    this.scanQueued = true;
    this.scanning = this.scanning
      .then(() => {
        this.scanQueued = false;
        return this.scan();
      })
      .catch((error: unknown) => this.log.error({ err: error }, 'scanning the run output failed'));
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
      const held = run.held.get(track);
      const entries = [...(held?.entries ?? []), ...(await reader.readNew())];
      const heldSince = held?.sinceMs ?? this.o.clock.now();
      run.held.delete(track);
      for (const [i, closed] of entries.entries()) {
        const nextStart =
          track === 'video' && this.videoEndsAtNext
            ? nextSegmentStart(path.join(trackDir(this.runDir(run.record.n), track), closed.file))
            : undefined;
        if (nextStart === null && i === entries.length - 1 && this.mayWaitForNext(run, heldSince)) {
          // Its end is where the next segment begins, which ffmpeg writes just after the
          // list line: wait a moment for it rather than commit the listed end.
          run.held.set(track, { entries: entries.slice(i), sinceMs: heldSince });
          setTimeout(() => this.requestScan(), NEXT_SEGMENT_RETRY_MS).unref();
          break;
        }
        if (run.record.t0Ms === null) {
          // Media time 0 happened `end` seconds before this segment closed. The list's
          // mtime says when ffmpeg wrote the line, free of our polling delay.
          const written = await fs.stat(reader.file).then(
            (st) => st.mtimeMs,
            () => this.o.clock.now(),
          );
          run.record.t0Ms =
            Math.round(Math.min(written, this.o.clock.now()) - encoderLookaheadMs(track)) -
            mediaMs(closed.endSeconds);
          await this.writeRun(run.record);
          this.onRunT0(run.record.t0Ms);
        }
        const endSeconds = await this.commit(
          run.record,
          track,
          closed.file,
          closed.startSeconds,
          closed.endSeconds,
          nextStart,
        );
        this.checkPace(run.record, endSeconds);
      }
    }
    await this.scanLevels(run);
    this.checkCamera();
  }

  /**
   * Whether a closed video segment may still wait for its successor's first time stamp:
   * not once the run ended (finishRun commits what is held), nor after a segment's length
   * (a camera that stopped sending).
   */
  private mayWaitForNext(run: NonNullable<RecordingSession['run']>, heldSince: number): boolean {
    return this.run === run && this.o.clock.now() - heldSince < this.o.segmentSeconds * 1000;
  }

  private onRunT0(t0Ms: number): void {
    this.restartAttempts = 0;
    this.markGap(t0Ms);
  }

  /** The pending gap, if any, ended at `endMs`: it goes on the record as a marker. */
  private markGap(endMs: number): void {
    if (this.pendingGap) {
      const gap = { atMs: this.pendingGap.atMs, endMs: Math.max(endMs, this.pendingGap.atMs) };
      this.pendingGap = null;
      const seconds = ((gap.endMs - gap.atMs) / 1000).toFixed(3);
      const what = this.subject === 'picture and sound' ? 'nothing' : `no ${this.subject}`;
      this.emit('marker', {
        markerId: crypto.randomUUID(),
        kind: 'recorder-restart',
        ...gap,
        text: `Recording of the ${this.subject} interrupted and restarted; ${what} was recorded for ${seconds} s.`,
      });
    }
  }

  private async commit(
    record: RunRecord,
    track: string,
    file: string,
    startSeconds: number,
    endSeconds: number,
    /** The next video segment's first time stamp, when the caller has read it already. */
    nextStart?: number | null,
  ): Promise<number> {
    const t0 = record.t0Ms ?? record.spawnedAtMs;
    const sourceFile = path.join(trackDir(this.runDir(record.n), track), file);
    if (track === 'video' && this.videoEndsAtNext)
      endSeconds = segmentEndFrom(
        endSeconds,
        nextStart === undefined ? nextSegmentStart(sourceFile) : nextStart,
        this.o.segmentSeconds,
      );
    const stat = fsSync.statSync(sourceFile, { throwIfNoEntry: false });
    if (!stat) return endSeconds; // committed before a crash; the journal has it
    // A run stopped just after a boundary leaves a segment of a few packets that ffprobe
    // and ffmpeg would not know for MPEG-TS: padded before it is hashed, and never once
    // committed (a crash between its commit and its removal here): its hash is taken.
    if (
      needsPadding(stat.size) &&
      !(await this.o.spool.isCommitted(this.hearingId, track, path.relative(this.hearingDir, sourceFile)))
    )
      padShortSegment(sourceFile, stat.size);
    const startMs = t0 + mediaMs(startSeconds);
    const durationMs = Math.max(0, mediaMs(endSeconds) - mediaMs(startSeconds));
    const segment = await this.o.spool.commit({
      hearingId: this.hearingId,
      track,
      sourceFile,
      startMs,
      durationMs,
    });
    if (track === 'video') {
      this.lastVideoCommitMs = this.o.clock.now();
      if (this.watchdog) this.armWatchdog(this.cameraLimitMs + TIMER_SLACK_MS);
    }
    this.emit('segment', segment);
    return endSeconds;
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

  /**
   * A segment that closes long after its media ended means this ffmpeg records behind
   * real time: the machine cannot keep up (too many streams, a camera encoded at too high
   * a resolution), and what it has not written yet is lost if it stops. Slow drift of a
   * camera's own clock stays well under the threshold for hours.
   */
  private checkPace(record: RunRecord, endSeconds: number): void {
    const lagMs = this.o.clock.now() - ((record.t0Ms ?? record.spawnedAtMs) + mediaMs(endSeconds));
    if (!this.behind && lagMs > BEHIND_ALARM_MS) this.setBehind(true, lagMs);
    else if (this.behind && lagMs < BEHIND_CLEAR_MS) this.setBehind(false, lagMs);
  }

  private setBehind(behind: boolean, lagMs: number): void {
    this.behind = behind;
    const seconds = (lagMs / 1000).toFixed(1);
    if (behind) this.log.warn({ lagMs }, 'recording behind real time');
    this.emit('alarm', {
      kind: 'capture-behind',
      track: null,
      active: behind,
      message: behind
        ? `the ${this.subject} is recorded ${seconds} s behind real time: this machine cannot keep up; record fewer streams or encode the camera smaller`
        : `the ${this.subject} is recorded in real time again`,
    });
  }

  /** How long the camera may send nothing before it counts as lost: three segments. */
  private get cameraLimitMs(): number {
    return 3 * this.o.segmentSeconds * 1000;
  }

  /**
   * The camera watchdog wakes when the camera has been silent for its limit (each video
   * commit puts it off again) and then once a second while the camera stays away, rather
   * than waking the process every second for every camera. A run's scans also look, so
   * its own part is the time between runs, when a camera that never answers leaves no run.
   */
  private armWatchdog(delayMs: number): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.checkCamera();
      if (this.watchdog) this.armWatchdog(WATCHDOG_MS);
    }, delayMs);
    this.watchdog.unref();
  }

  private checkCamera(): void {
    if (!this.tracks.some((t) => t.name === 'video') || !this.wantRecording) return;
    const now = this.o.clock.now();
    const silentFor = now - this.lastVideoCommitMs;
    const limitMs = this.cameraLimitMs;
    const lost = silentFor > limitMs;
    const run = this.run;
    // A camera that stops sending without closing its connection leaves ffmpeg waiting
    // for ever. A picture-only ffmpeg is stopped and restarted like a crashed one; one that
    // also records sound is left alone, for its sound matters more than the picture.
    if (
      lost &&
      run &&
      !run.stalled &&
      this.subject === 'picture' &&
      now - Math.max(run.record.spawnedAtMs, this.lastVideoCommitMs) > limitMs
    ) {
      run.stalled = true;
      this.log.warn({ run: run.record.n }, 'no video from a running ffmpeg; restarting it');
      void run.ffmpeg.stop();
    }
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
    run.watch.close();
    await this.scheduleScan();
    const crashed = !exit.requested || run.stalled;
    // The next run has a clock of its own.
    if (this.behind) this.setBehind(false, 0);
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
      for (const reader of [...run.readers.values(), ...run.levels.values()]) reader.close();
    }
    if (crashed) {
      this.log.error({ code: exit.code, signal: exit.signal, stderr: exit.stderrTail }, 'ffmpeg died');
      this.emit('alarm', {
        kind: 'ffmpeg-restarted',
        track: null,
        active: true,
        message: run.stalled
          ? `the ${this.subject} ffmpeg got no video and was stopped; its recording restarts`
          : `the ${this.subject} ffmpeg stopped unexpectedly (code ${exit.code}, signal ${exit.signal}); its recording restarts`,
      });
    }
    if (crashed && this.wantRecording && !this.closed) {
      // Back off when ffmpeg cannot even start (a missing device, a camera still away):
      // 0.5 s, 1 s, … 5 s, so a camera that is back is recorded again within seconds.
      const delay = Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** Math.min(this.restartAttempts++, 16));
      this.clearRestartTimer();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.wantRecording && !this.run && !this.starting && !this.closed)
          void this.trackStart(() => this.startRun()).catch((e: unknown) =>
            this.log.error({ err: e }, 'could not restart ffmpeg'),
          );
      }, delay);
      this.restartTimer.unref();
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
      const list = new SegmentListReader(`${dir}/segments.csv`);
      const listed = await list.readNew().finally(() => list.close());
      let lastEndSeconds: number | null = null;
      for (const c of listed) {
        if (record.t0Ms === null) record.t0Ms = record.spawnedAtMs;
        lastEndSeconds = await this.commit(record, t.name, c.file, c.startSeconds, c.endSeconds);
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
        lastEndSeconds = await this.commit(record, t.name, f, startSeconds, range.endSeconds);
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
    // Media this run kept ends an earlier gap where the run began (its first segment may
    // have closed only now, so the scan never saw its T0); a failed restart that kept no
    // media does not, and the gap begun by the earlier crash runs on.
    if (endMs !== null) this.markGap(record.t0Ms ?? record.spawnedAtMs);
    if (crashed && !(endMs === null && this.pendingGap))
      this.pendingGap = { atMs: endMs ?? record.t0Ms ?? record.spawnedAtMs };
  }

  /** Stops recording if it runs; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.halt();
    this.closed = true;
  }
}

/** How long an orphaned ffmpeg gets to close its files after SIGINT before SIGKILL. */
const ORPHAN_GRACE_MS = 3000;

/** How soon a video segment held for its successor's first time stamp is looked at again. */
const NEXT_SEGMENT_RETRY_MS = 50;

/**
 * Added to a deadline timer's delay: a timer may fire a millisecond before Date.now() says
 * its delay has passed, and a watchdog that found the camera silent for exactly its limit
 * would not count it lost until a second later.
 */
const TIMER_SLACK_MS = 20;

/** How often the camera watchdog looks while the camera is away; its limit is three segments, at least 6 s. */
const WATCHDOG_MS = 1000;

/** Media this far behind the wall clock raises `capture-behind`; under the second it clears. */
const BEHIND_ALARM_MS = 5000;
const BEHIND_CLEAR_MS = 2000;

/** Bytes of the next segment read for its first time stamp: its tables (PAT, PMT) and first PES start are its first few 188-byte packets. */
const NEXT_SEGMENT_HEAD = 4096;

/**
 * Where a video segment really ends: where the next one begins, when ffmpeg has begun
 * it. ffmpeg lists a segment's end as its last frame plus one frame; a camera (or a
 * starved test pattern) that missed frames just before the cut leaves a hole between
 * that and the next segment's first frame, during which the last frame stays on screen.
 * The segment owns that time, so the track stays contiguous. Kept to within one segment
 * length of the listed end, as a guard against a file that is not the next one.
 */
export function videoSegmentEnd(file: string, listedEnd: number, segmentSeconds: number): number {
  return segmentEndFrom(listedEnd, nextSegmentStart(file), segmentSeconds);
}

/** The end `videoSegmentEnd` gives, from the next segment's first time stamp (null: none yet). */
function segmentEndFrom(listedEnd: number, nextStart: number | null, segmentSeconds: number): number {
  if (nextStart === null || nextStart <= listedEnd || nextStart - listedEnd > segmentSeconds)
    return listedEnd;
  return nextStart;
}

/**
 * The first time stamp of the segment after `file` in ffmpeg's numbering; null when that
 * is not written yet (or `file` is not so named, or is its run's last).
 */
export function nextSegmentStart(file: string): number | null {
  const m = /^(.*?)(\d{6})\.ts$/.exec(file);
  if (!m) return null;
  const next = `${m[1]}${String(Number(m[2]) + 1).padStart(6, '0')}.ts`;
  let head: Buffer;
  try {
    // In place: 4 KiB of the page cache on every video commit (core/durable-fs.ts).
    const fd = fsSync.openSync(next, 'r');
    try {
      const buffer = Buffer.allocUnsafe(NEXT_SEGMENT_HEAD);
      head = buffer.subarray(0, fsSync.readSync(fd, buffer, 0, NEXT_SEGMENT_HEAD, 0));
    } finally {
      fsSync.closeSync(fd);
    }
  } catch {
    return null;
  }
  return ptsRange(head)?.firstSeconds ?? null;
}

/**
 * How late ffmpeg lists a segment of this track after its media ended, beyond the
 * pipeline's common delay. The AAC encoder hands out a frame's packet only once it has
 * the next frame (1024 samples of look-ahead), so an audio segment closes a frame late;
 * measured in one ffmpeg, mix lines come ~30 ms after video lines of the same media
 * time. Without this, separately captured sound would sit a frame later than the picture.
 */
function encoderLookaheadMs(track: string): number {
  return track === 'video' ? 0 : (1024 / AUDIO_SAMPLE_RATE) * 1000;
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
