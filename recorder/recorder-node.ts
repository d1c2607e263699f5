/**
 * A recorder node: its sources, its spool, its link to the hub, and one capture (picture
 * and sound apart, see hearing-capture.ts) per hearing it was told to record. Commands
 * from the hub are idempotent; recording never depends on the hub or the object store
 * being reachable.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  HATTAMA_VERSION,
  type AlarmKind,
  type Clock,
  type Logger,
  type RecorderCommand,
  type TrackInfo,
} from '../core/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { HubAgent } from './agent.ts';
import { planTracks } from './ffmpeg/capture-args.ts';
import { checkFfmpeg, ffmpegNeeds } from './ffmpeg/ffmpeg-check.ts';
import { HearingCapture } from './hearing-capture.ts';
import type { LevelAlarmOptions } from './levels.ts';
import type { SessionMarker } from './session.ts';
import type { NodeSources } from './sources/sources.ts';
import { prepareSpeechFiles, speechCacheDir } from './sources/speech.ts';
import { writeFileDurably, Spool, type SpooledSegment } from './spool.ts';
import { Uploader } from './uploader.ts';

export interface RecorderNodeOptions {
  nodeId: string;
  token: string;
  hubUrl: string;
  spoolDir: string;
  sources: NodeSources;
  segmentSeconds: number;
  ffmpegPath: string;
  objects: ObjectStore;
  clock: Clock;
  logger: Logger;
  /** Raise disk-low before ffmpeg would fail for lack of space. */
  diskFloorBytes?: number;
  levelAlarms?: LevelAlarmOptions;
  onSegmentDone?: (
    segment: SpooledSegment,
    timings: { uploadedAtMs: number; registeredAtMs: number },
  ) => void;
  statusIntervalMs?: number;
}

export class RecorderNode {
  private readonly spool: Spool;
  private readonly agent: HubAgent;
  private readonly uploader: Uploader;
  private readonly sessions = new Map<string, HearingCapture>();
  private readonly tracks: TrackInfo[];
  private statusTimer: NodeJS.Timeout | null = null;
  private diskLow = false;
  private closed = false;
  private readonly log: Logger;
  private readonly fontAvailable: boolean;
  /** espeak-ng files of speech microphones, made once when the node starts. */
  private speechFiles: readonly string[] | undefined;

  private constructor(private readonly o: RecorderNodeOptions) {
    this.log = o.logger.child({ recorderId: o.nodeId });
    this.spool = new Spool(o.spoolDir, this.log, o.clock);
    this.tracks = planTracks(o.sources).map((t) => ({
      name: t.name,
      kind: t.kind,
      codec: t.codec,
      sampleRate: t.sampleRate,
      channels: t.channels,
    }));
    this.fontAvailable =
      o.sources.camera?.kind === 'test-pattern' ? fs.existsSync(o.sources.camera.font) : false;
    this.agent = new HubAgent({
      hubUrl: o.hubUrl,
      nodeId: o.nodeId,
      token: o.token,
      logger: this.log,
      hello: async () => ({
        type: 'hello',
        nodeId: o.nodeId,
        versions: { hattama: HATTAMA_VERSION, node: process.versions.node },
        tracks: this.tracks,
        hearings: await Promise.all(
          (await this.spool.listHearings()).map(async (hearingId) => ({
            hearingId,
            state: (await this.spool.readHearing(hearingId))?.state ?? 'stopped',
          })),
        ),
      }),
    });
    this.uploader = new Uploader({
      spool: this.spool,
      objects: o.objects,
      agent: this.agent,
      clock: o.clock,
      logger: this.log,
      tracksOf: () => this.tracks,
      onAlarm: (a) => this.alarm(a.kind, a.hearingId, a.track, a.active, a.message),
      onDone: (segment, timings) => {
        o.onSegmentDone?.(segment, timings);
        void this.maybeDrained(segment.hearingId);
      },
    });
  }

  /** Starts the node: recovers the spool, resumes interrupted recordings, dials the hub. */
  static async create(options: RecorderNodeOptions): Promise<RecorderNode> {
    await checkFfmpeg(options.ffmpegPath, ffmpegNeeds(options.sources));
    const mics = options.sources.microphones;
    // Fail at start, with one clear line, when espeak-ng is missing.
    const speechFiles =
      mics?.kind === 'speech'
        ? await prepareSpeechFiles({ phrases: mics.phrases, dir: speechCacheDir(options.spoolDir) })
        : undefined;
    const node = new RecorderNode(options);
    node.speechFiles = speechFiles;
    await fsp.mkdir(options.spoolDir, { recursive: true });
    node.agent.on('command', (command) => void node.onCommand(command));
    node.agent.on('connected', () => void node.onConnected());
    await node.recover();
    node.agent.start();
    node.statusTimer = setInterval(() => void node.reportStatus(), options.statusIntervalMs ?? 5000);
    node.statusTimer.unref();
    return node;
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  get hubConnected(): boolean {
    return this.agent.connected;
  }

  /** Hearings found in the spool: finish crashed runs, resume recording, upload leftovers. */
  private async recover(): Promise<void> {
    for (const hearingId of await this.spool.listHearings()) {
      const state = await this.spool.readHearing(hearingId);
      if (!state) continue;
      const session = this.session(hearingId, state.segmentSeconds);
      await session.recoverRuns();
      if (state.state === 'recording') {
        this.log.warn({ hearingId }, 'resuming a recording interrupted by a restart');
        await session.start();
      }
      this.uploader.kick(hearingId);
    }
  }

  private session(hearingId: string, segmentSeconds: number): HearingCapture {
    let s = this.sessions.get(hearingId);
    if (s) return s;
    s = new HearingCapture({
      hearingId,
      spool: this.spool,
      sources: this.o.sources,
      segmentSeconds,
      ffmpegPath: this.o.ffmpegPath,
      clock: this.o.clock,
      logger: this.log,
      levelAlarms: this.o.levelAlarms,
      fontAvailable: this.fontAvailable,
      speechFiles: this.speechFiles,
    });
    s.on('segment', (seg) => this.uploader.kick(seg.hearingId, seg.track));
    s.on('levels', (l) => this.agent.send({ type: 'levels', atMs: l.atMs, hearingId, channels: l.channels }));
    s.on('alarm', (a) => this.alarm(a.kind, hearingId, a.track, a.active, a.message));
    s.on('marker', (m) => void this.queueMarker(hearingId, m));
    this.sessions.set(hearingId, s);
    return s;
  }

  private alarm(
    kind: AlarmKind,
    hearingId: string | null,
    track: string | null,
    active: boolean,
    message: string,
  ): void {
    (active ? this.log.warn.bind(this.log) : this.log.info.bind(this.log))(
      { kind, hearingId, track, active },
      message,
    );
    this.agent.send({ type: 'alarm', atMs: this.o.clock.now(), kind, hearingId, track, active, message });
  }

  /** Markers are evidence too: kept in the spool's outbox until the hub acknowledges them. */
  private async queueMarker(hearingId: string, marker: SessionMarker): Promise<void> {
    const dir = path.join(this.spool.hearingDir(hearingId), 'outbox');
    await fsp.mkdir(dir, { recursive: true });
    await writeFileDurably(
      path.join(dir, `${marker.markerId}.json`),
      JSON.stringify({ hearingId, ...marker }),
    );
    await this.flushOutbox();
  }

  private flushing: Promise<void> | null = null;
  /** A marker queued while a flush was under way, perhaps after it listed the outbox. */
  private flushAgain = false;
  private flushOutbox(): Promise<void> {
    if (this.flushing) {
      // Picture and sound mark their gaps within moments of each other: look again after
      // this pass, or the later marker would wait for the next reconnect.
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.flushAgain = false;
          if (!(await this.flushOnce())) return;
        } while (this.flushAgain);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** One pass over every outbox; false when the hub is away or refused a marker (retried later). */
  private async flushOnce(): Promise<boolean> {
    for (const hearingId of await this.spool.listHearings()) {
      const dir = path.join(this.spool.hearingDir(hearingId), 'outbox');
      let files: string[] = [];
      try {
        files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.json'));
      } catch {
        continue;
      }
      for (const f of files) {
        const m = JSON.parse(await fsp.readFile(path.join(dir, f), 'utf8')) as SessionMarker & {
          hearingId: string;
        };
        if (!this.agent.connected) return false;
        try {
          await this.agent.request({
            type: 'marker',
            hearingId,
            markerId: m.markerId,
            kind: m.kind,
            atMs: m.atMs,
            endMs: m.endMs,
            text: m.text,
          });
          await fsp.rm(path.join(dir, f), { force: true });
        } catch (error) {
          this.log.warn({ err: error, hearingId }, 'marker not delivered yet; will retry');
          return false;
        }
      }
    }
    return true;
  }

  private async onCommand(command: RecorderCommand): Promise<void> {
    const log = this.log.child({ hearingId: command.hearingId, command: command.action });
    try {
      await this.apply(command);
      this.agent.send({ type: 'command-result', commandId: command.commandId, ok: true });
    } catch (error) {
      log.error({ err: error }, 'command failed');
      this.agent.send({
        type: 'command-result',
        commandId: command.commandId,
        ok: false,
        code: (error as { code?: string }).code ?? 'RECORDER_FAILED',
        message: (error as Error).message,
      });
    }
  }

  /** Applies a command; each is idempotent (a repeated start while recording is a no-op). */
  async apply(command: Pick<RecorderCommand, 'action' | 'hearingId' | 'segmentSeconds'>): Promise<void> {
    const { hearingId } = command;
    const existing = await this.spool.readHearing(hearingId);
    const segmentSeconds = existing?.segmentSeconds ?? command.segmentSeconds ?? this.o.segmentSeconds;
    const session = this.session(hearingId, segmentSeconds);
    const write = (state: 'recording' | 'paused' | 'stopped') =>
      this.spool.writeHearing({ hearingId, state, segmentSeconds, updatedAtMs: this.o.clock.now() });
    switch (command.action) {
      case 'start':
      case 'resume':
        if (existing?.state === 'stopped') return; // a stopped hearing is never reopened
        await write('recording');
        await session.start();
        return;
      case 'pause':
        if (existing?.state !== 'recording') return;
        await write('paused');
        await session.halt();
        return;
      case 'stop':
        if (existing?.state === 'stopped') {
          void this.maybeDrained(hearingId);
          return;
        }
        await write('stopped');
        await session.halt();
        this.uploader.kick(hearingId);
        void this.maybeDrained(hearingId);
        return;
      default:
        return command.action satisfies never;
    }
  }

  /** When a stopped hearing has nothing left in the spool, tell the hub so it writes the manifest. */
  private draining = new Set<string>();
  private async maybeDrained(hearingId: string): Promise<void> {
    if (this.draining.has(hearingId)) return;
    this.draining.add(hearingId);
    try {
      await this.drainedOnce(hearingId);
    } finally {
      this.draining.delete(hearingId);
    }
  }

  private async drainedOnce(hearingId: string): Promise<void> {
    // 'stopped' is written before the run halts: until ffmpeg has exited and its last
    // segments are committed, an empty spool does not mean delivered (an upload finishing
    // meanwhile would otherwise close the manifest early and remove the spool mid-commit).
    if (this.sessions.get(hearingId)?.recording) return;
    const state = await this.spool.readHearing(hearingId);
    if (state?.state !== 'stopped' || !this.agent.connected) return;
    if ((await this.spool.pending(hearingId)).length > 0) return;
    const outbox = path.join(this.spool.hearingDir(hearingId), 'outbox');
    if (fs.existsSync(outbox) && (await fsp.readdir(outbox)).length > 0) return;
    const lastSeq: Record<string, number> = {};
    for (const track of await this.spool.tracks(hearingId)) {
      const journal = await this.spool.journal(hearingId, track);
      lastSeq[track] = journal[journal.length - 1]?.seq ?? -1;
    }
    try {
      await this.agent.request({ type: 'drained', hearingId, lastSeq });
      this.log.info({ hearingId }, 'hearing fully delivered; removing it from the spool');
      this.sessions.delete(hearingId);
      await this.spool.removeHearing(hearingId);
    } catch (error) {
      this.log.warn({ err: error, hearingId }, 'the hub has not confirmed the hearing yet; will retry');
      setTimeout(() => void this.maybeDrained(hearingId), 2000).unref();
    }
  }

  /**
   * Back on the hub: first a status, so the hub sees at once the backlog the node is about
   * to catch up on (on a fast link the catch-up can drain before the next periodic status),
   * then the catch-up itself. The status also looks for hearings already drained.
   */
  private async onConnected(): Promise<void> {
    await this.reportStatus();
    for (const id of this.sessions.keys()) this.uploader.kick(id);
    void this.flushOutbox();
  }

  private async reportStatus(): Promise<void> {
    try {
      const usage = await this.spool.usage();
      this.agent.send({
        type: 'status',
        atMs: this.o.clock.now(),
        spoolBytes: usage.bytes,
        spoolFreeBytes: usage.freeBytes,
        pendingSegments: usage.pendingSegments,
      });
      const floor = this.o.diskFloorBytes ?? 1024 ** 3;
      const low = usage.freeBytes < floor;
      if (low !== this.diskLow) {
        this.diskLow = low;
        this.alarm(
          'disk-low',
          null,
          null,
          low,
          low
            ? `spool disk has ${Math.round(usage.freeBytes / 1024 ** 2)} MiB free, below the ${Math.round(floor / 1024 ** 2)} MiB floor: free space or recording will stop`
            : 'spool disk has room again',
        );
      }
      for (const id of await this.spool.listHearings()) void this.maybeDrained(id);
    } catch (error) {
      this.log.warn({ err: error }, 'could not report status');
    }
  }

  /** Stops recording (runs end cleanly) and closes the hub link. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const s of this.sessions.values()) await s.close();
    await this.uploader.close();
    await this.agent.close();
  }

  /** Stops without finishing anything, as a crash would (for tests of recovery). */
  async abandonForTest(): Promise<void> {
    this.closed = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.uploader.close();
    await this.agent.close();
  }
}
