/**
 * The capture of one hearing on this node. A courtroom with a camera and microphones is
 * recorded by two sessions — one ffmpeg for the picture, one for the sound — each with
 * its own runs, media clock, crash recovery and restarts, so a camera that is unplugged
 * or unreachable never stalls or gaps the sound, which is the legal record.
 * docs/decisions/0010-separate-camera-and-audio-capture.md says why.
 */
import { EventEmitter } from 'node:events';
import { planTracks, type TrackPlan } from './ffmpeg/capture-args.ts';
import { RecordingSession, type SessionEvents, type SessionOptions } from './session.ts';
import type { NodeSources } from './sources/sources.ts';

/** Where runs lived before capture was split: one ffmpeg for every track. */
export const LEGACY_RUNS_DIR = 'runs';

export interface CaptureGroup {
  /** Directory of the group's runs under the hearing's spool dir. */
  runsDir: string;
  sources: NodeSources;
}

/**
 * The ffmpeg processes a node's sources need: picture and sound apart when it has
 * both, else one, in the runs dir a single capture always used.
 */
export function captureGroups(sources: NodeSources): CaptureGroup[] {
  if (sources.camera && sources.microphones)
    return [
      { runsDir: 'runs-video', sources: { camera: sources.camera, microphones: null } },
      { runsDir: 'runs-audio', sources: { camera: null, microphones: sources.microphones } },
    ];
  return [{ runsDir: LEGACY_RUNS_DIR, sources }];
}

export type HearingCaptureOptions = Omit<SessionOptions, 'runsDir'>;

export class HearingCapture extends EventEmitter<SessionEvents> {
  readonly hearingId: string;
  readonly tracks: TrackPlan[];
  private readonly groups: RecordingSession[];
  /** Recovers runs an older version left in the single runs dir; never records. */
  private readonly legacy: RecordingSession | null;
  private closed = false;

  constructor(o: HearingCaptureOptions) {
    super();
    this.hearingId = o.hearingId;
    this.tracks = planTracks(o.sources);
    const groups = captureGroups(o.sources);
    this.groups = groups.map((g) => this.forward(new RecordingSession({ ...o, ...g })));
    this.legacy = groups.some((g) => g.runsDir === LEGACY_RUNS_DIR)
      ? null
      : this.forward(new RecordingSession({ ...o, runsDir: LEGACY_RUNS_DIR }));
  }

  private forward(session: RecordingSession): RecordingSession {
    session.on('segment', (s) => this.emit('segment', s));
    session.on('levels', (l) => this.emit('levels', l));
    session.on('alarm', (a) => this.emit('alarm', a));
    session.on('marker', (m) => this.emit('marker', m));
    return session;
  }

  /** Whether any of the hearing's ffmpeg processes runs. */
  get recording(): boolean {
    return this.groups.some((g) => g.recording);
  }

  /** Starts (or resumes) every group; each is a no-op when already recording. */
  async start(): Promise<void> {
    await this.recoverLegacy();
    // Together, so picture and sound begin within a moment of each other.
    await Promise.all(this.groups.map((g) => g.start()));
  }

  /** Stops every group; their last segments are committed. Idempotent. */
  async halt(): Promise<void> {
    await Promise.all(this.groups.map((g) => g.halt()));
  }

  /** Finishes every run left behind by a crash, in the legacy dir and in each group's. */
  async recoverRuns(): Promise<void> {
    await this.recoverLegacy();
    for (const g of this.groups) await g.recoverRuns();
  }

  /** A legacy run's gap interrupted picture and sound alike: each group marks its own end of it. */
  private async recoverLegacy(): Promise<void> {
    if (!this.legacy) return;
    await this.legacy.recoverRuns();
    const gapFromMs = this.legacy.takePendingGap();
    if (gapFromMs !== null) for (const g of this.groups) g.addPendingGap(gapFromMs);
  }

  /** Stops recording if it runs; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.groups.map((g) => g.close()));
  }
}
