/**
 * Drives one real RecordingSession (real ffmpeg, real spool) over a set of sources for
 * a few seconds, and looks inside what it committed: ffprobe's view of each segment's
 * stream, its decoded audio, its decoded video frames. The tests of each source kind
 * (test/sources-*.e2e.test.ts) build on it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SystemClock, createLogger, type AlarmKind } from '../../core/index.ts';
import { resolveFfmpegPath } from '../../media/ffmpeg/ffmpeg-binary.ts';
import { RecordingSession, type SessionMarker } from '../../recorder/session.ts';
import { nodeSourcesSchema } from '../../recorder/sources/sources.ts';
import { Spool, type SpooledSegment } from '../../recorder/spool.ts';
import { FFMPEG, FFPROBE, decodePcm } from './media.ts';

const run = promisify(execFile);

export interface SessionAlarm {
  kind: AlarmKind;
  track: string | null;
  active: boolean;
  message: string;
  atMs: number;
}

export interface RunningSession {
  session: RecordingSession;
  dir: string;
  spoolDir: string;
  /** Every committed segment, in commit order. */
  segments: SpooledSegment[];
  alarms: SessionAlarm[];
  /** `recorder-restart` gaps. */
  markers: SessionMarker[];
  /** The session's log lines (JSON), debug level: ffmpeg's command lines and errors. */
  log: string[];
  /** The ffmpeg command line of each run, as the recorder started it. */
  commandLines(): string[];
  /** A track's segments in seq order. */
  track(name: string): SpooledSegment[];
  /** Stops recording (the last segment is committed) and leaves the files for inspection. */
  stop(): Promise<void>;
  /** Removes the files. */
  cleanup(): void;
}

export interface StartSessionOptions {
  /** Sources as a node's configuration gives them (validated with the node's schema). */
  sources: unknown;
  segmentSeconds?: number;
  /** The recorder's ffmpeg: FFMPEG_PATH, else the bundled static build, as in production. */
  ffmpegPath?: string;
  /** Put the spool here (e.g. to share a speech cache); a fresh temp dir by default. */
  dir?: string;
}

/** The ffmpeg a recorder node would run here (FFMPEG_PATH, else @ffmpeg-installer's). */
export const RECORDER_FFMPEG = resolveFfmpegPath(process.env.FFMPEG_PATH);

export async function startSession(options: StartSessionOptions): Promise<RunningSession> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-source-'));
  const spoolDir = path.join(dir, 'spool');
  const log: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void log.push(line) },
  });
  const clock = new SystemClock();
  const spool = new Spool(spoolDir, logger, clock);
  const session = new RecordingSession({
    hearingId: 'h-source-test',
    spool,
    sources: nodeSourcesSchema.parse(options.sources),
    segmentSeconds: options.segmentSeconds ?? 2,
    ffmpegPath: options.ffmpegPath ?? RECORDER_FFMPEG,
    clock,
    logger,
    fontAvailable: false,
    pollMs: 100,
  });
  const segments: SpooledSegment[] = [];
  const alarms: SessionAlarm[] = [];
  const markers: SessionMarker[] = [];
  session.on('segment', (s) => segments.push(s));
  session.on('marker', (m) => markers.push(m));
  session.on('alarm', (a) => alarms.push({ ...a, atMs: clock.now() }));
  await session.start();
  return {
    session,
    dir,
    spoolDir,
    segments,
    alarms,
    markers,
    log,
    commandLines: () =>
      log
        .map((l) => JSON.parse(l) as { msg?: string; commandLine?: string })
        .filter((l) => l.msg === 'ffmpeg started' && l.commandLine)
        .map((l) => l.commandLine!),
    track: (name) => segments.filter((s) => s.track === name).sort((a, b) => a.seq - b.seq),
    stop: () => session.close(),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Records for `seconds` and stops. */
export async function recordFor(options: StartSessionOptions & { seconds: number }): Promise<RunningSession> {
  const running = await startSession(options);
  try {
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
  } finally {
    await running.stop();
  }
  return running;
}

export interface StreamInfo {
  codecType: string;
  codecName: string;
  profile: string | null;
  level: number | null;
  width: number | null;
  height: number | null;
  sampleRate: number | null;
  channels: number | null;
}

/** ffprobe's view of a file's streams and its duration in seconds. */
export async function probeFile(file: string): Promise<{ durationSeconds: number; streams: StreamInfo[] }> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-show_entries',
    'format=duration:stream=codec_type,codec_name,profile,level,width,height,sample_rate,channels',
    '-of',
    'json',
    file,
  ]);
  const out = JSON.parse(stdout) as {
    format: { duration?: string };
    streams: Record<string, string | number | undefined>[];
  };
  const num = (v: string | number | undefined) => (v === undefined ? null : Number(v));
  return {
    durationSeconds: Number(out.format.duration),
    streams: out.streams.map((s) => ({
      codecType: String(s.codec_type),
      codecName: String(s.codec_name),
      profile: s.profile === undefined ? null : String(s.profile),
      level: num(s.level),
      width: num(s.width),
      height: num(s.height),
      sampleRate: num(s.sample_rate),
      channels: num(s.channels),
    })),
  };
}

/** Whether the first video packet of a file is a key frame (the segment was cut at one). */
export async function startsWithKeyFrame(file: string): Promise<boolean> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=flags',
    '-read_intervals',
    '%+#1',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout.trim().split('\n')[0]?.startsWith('K') ?? false;
}

/** MD5 of every decoded video frame (ffmpeg's framemd5 muxer), for bit-exact comparison. */
export async function frameMd5s(file: string): Promise<string[]> {
  const { stdout } = await run(
    FFMPEG,
    ['-v', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-pix_fmt', 'yuv420p', '-f', 'framemd5', '-'],
    { maxBuffer: 64 << 20 },
  );
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** The average colour (r, g, b) of a region of a file's first decoded video frame. */
export async function averageColour(file: string, crop: string): Promise<[number, number, number]> {
  const { stdout } = await run(
    FFMPEG,
    [
      '-v',
      'error',
      '-nostdin',
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `crop=${crop},scale=1:1:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer' },
  );
  return [stdout[0]!, stdout[1]!, stdout[2]!];
}

/** A track's segments joined into one MPEG-TS file (they share one timeline), for decoding whole. */
export function joinSegments(segments: readonly SpooledSegment[], out: string): string {
  fs.writeFileSync(out, Buffer.concat(segments.map((s) => fs.readFileSync(s.file))));
  return out;
}

/** A track's audio, decoded from its joined segments to mono PCM at `sampleRate`. */
export async function trackPcm(
  segments: readonly SpooledSegment[],
  out: string,
  sampleRate: number,
): Promise<Float64Array> {
  return decodePcm(joinSegments(segments, out), sampleRate);
}

/** RMS level in dBFS of a block of samples (−Infinity for digital silence). */
export function rmsDb(samples: Float64Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return 10 * Math.log10(sum / Math.max(1, samples.length));
}

/** Makes a media file with ffmpeg (Debian's), for a test's fake camera or microphone. */
export async function makeMedia(args: string[]): Promise<void> {
  await run(FFMPEG, ['-v', 'error', '-nostdin', '-y', ...args]);
}
