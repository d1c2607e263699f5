/**
 * Looking inside recorded media from tests: ffprobe's view of a file, its audio decoded
 * to PCM, and the strength of single frequencies in it (Goertzel), so a test can tell
 * which tone a microphone track carries without trusting anything Hattama wrote.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../../media/index.ts';
import { findOnPath, requireTool } from './tools.ts';

const run = promisify(execFile);

/**
 * The ffmpeg tests make and read media with: FFMPEG_PATH when set, else Debian's on PATH
 * (a build other than the recorder's, so reading media does not trust what wrote it),
 * else the static build that `npm ci` installs (@ffmpeg-installer/ffmpeg): a machine with
 * only Node still runs these suites.
 */
export const FFMPEG = process.env.FFMPEG_PATH ?? findOnPath('ffmpeg') ?? resolveFfmpegPath(undefined);

/**
 * ffprobe: FFPROBE_PATH when set, else the one on PATH. No dependency of ours ships one
 * (see docs/decisions/0023-fresh-machine-tests.md), so suites that measure media with it
 * skip without it: call `requireFfprobe` at the top of the file.
 */
export const FFPROBE = process.env.FFPROBE_PATH ?? findOnPath('ffprobe') ?? 'ffprobe';
const HAS_FFPROBE = process.env.FFPROBE_PATH !== undefined || findOnPath('ffprobe') !== null;

/** Whether ffprobe is here; prints why `suite` skips, or throws under HATTAMA_TEST_REQUIRE_SERVICES=1. */
export function requireFfprobe(suite: string): boolean {
  return requireTool(
    HAS_FFPROBE,
    suite,
    'ffprobe is not on PATH',
    'run "apt-get install ffmpeg" (Debian\'s ffmpeg brings ffprobe) or set FFPROBE_PATH',
  );
}

export interface ProbedStream {
  codecType: string;
  codecName: string;
  sampleRate: number | null;
  channels: number | null;
}

export interface Probe {
  formatName: string;
  /** Seconds of media in the file, as ffprobe measures it. */
  durationSeconds: number;
  /** The first timestamp, in seconds: segments keep one timeline across a recording. */
  startSeconds: number;
  streams: ProbedStream[];
}

/** ffprobe's reading of a media file; rejects with ffprobe's stderr when it cannot read it. */
export async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-show_entries',
    'format=format_name,duration,start_time:stream=codec_type,codec_name,sample_rate,channels',
    '-of',
    'json',
    file,
  ]);
  const out = JSON.parse(stdout) as {
    format: { format_name: string; duration?: string; start_time?: string };
    streams: { codec_type: string; codec_name: string; sample_rate?: string; channels?: number }[];
  };
  return {
    formatName: out.format.format_name,
    durationSeconds: Number(out.format.duration),
    startSeconds: Number(out.format.start_time),
    streams: out.streams.map((s) => ({
      codecType: s.codec_type,
      codecName: s.codec_name,
      sampleRate: s.sample_rate === undefined ? null : Number(s.sample_rate),
      channels: s.channels ?? null,
    })),
  };
}

/** The file's first audio stream as mono samples in [-1, 1) at `sampleRate` Hz. */
export async function decodePcm(file: string, sampleRate: number): Promise<Float64Array> {
  const { stdout } = await run(
    FFMPEG,
    [
      '-v',
      'error',
      '-nostdin',
      '-i',
      file,
      '-map',
      '0:a:0',
      '-f',
      's16le',
      '-ac',
      '1',
      '-ar',
      String(sampleRate),
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const samples = new Float64Array(Math.floor(stdout.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = stdout.readInt16LE(i * 2) / 32768;
  return samples;
}

/**
 * Amplitude (0–1 of full scale) of one frequency in the samples, by the Goertzel
 * algorithm: one DFT bin at exactly `frequency`, so it need not fall on a bin boundary.
 * A Hann window keeps a strong neighbouring tone from leaking into the bin.
 */
export function goertzelAmplitude(samples: Float64Array, sampleRate: number, frequency: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    windowSum += w;
    const s0 = samples[i]! * w + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A sine of amplitude A gives |X| = A * sum(w) / 2 in its bin.
  return (2 * Math.sqrt(Math.max(0, power))) / windowSum;
}
