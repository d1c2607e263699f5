/**
 * Checks at start that the ffmpeg we will run exists and has what the capture needs
 *, so a node fails with one clear line instead of a dead ffmpeg later.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HattamaError } from '../../core/index.ts';
import type { NodeSources } from '../sources/sources.ts';

const run = promisify(execFile);

export class FfmpegUnusableError extends HattamaError {
  constructor(message: string) {
    super('FFMPEG_FAILED', message, { expected: true });
  }
}

export interface FfmpegNeeds {
  encoders: string[];
  muxers: string[];
  filters: string[];
  /** Input formats and devices (rtsp, pulse, alsa): a static build may lack the devices. */
  demuxers: string[];
}

export function ffmpegNeeds(sources: NodeSources): FfmpegNeeds {
  const camera = sources.camera;
  const copies =
    camera !== null &&
    ((camera.kind === 'rtsp' && camera.codec === 'h264') || (camera.kind === 'file' && camera.copy));
  const encoders = [...(camera && !copies ? ['libx264'] : []), ...(sources.microphones ? ['aac'] : [])];
  const mics = sources.microphones;
  const filters = sources.microphones
    ? ['amix', 'asplit', 'astats', 'ametadata', 'asetnsamples', 'aresample']
    : [];
  if (camera?.kind === 'test-pattern') {
    filters.push('testsrc2', 'realtime', 'setpts');
    if (mics?.kind === 'tone') filters.push('arealtime');
  }
  const demuxers: string[] = [];
  if (camera?.kind === 'rtsp') demuxers.push('rtsp');
  if (mics?.kind === 'pulse' || mics?.kind === 'alsa') demuxers.push(mics.kind);
  return { encoders, muxers: ['segment', 'mpegts'], filters, demuxers };
}

function listed(output: string, name: string): boolean {
  return new RegExp(`^\\s*\\S+\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|,)`, 'm').test(output);
}

/** Throws FfmpegUnusableError naming the binary and everything it lacks. */
export async function checkFfmpeg(ffmpegPath: string, needs: FfmpegNeeds): Promise<{ version: string }> {
  let version: string;
  try {
    version = (await run(ffmpegPath, ['-hide_banner', '-version'])).stdout.split('\n')[0] ?? '';
  } catch (error) {
    throw new FfmpegUnusableError(
      `cannot run ffmpeg at ${ffmpegPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); install ffmpeg (Debian: apt-get install ffmpeg) or set FFMPEG_PATH`,
    );
  }
  const [encoders, muxers, filters, formats] = await Promise.all(
    ['-encoders', '-muxers', '-filters', '-formats'].map(
      async (flag) => (await run(ffmpegPath, ['-hide_banner', flag], { maxBuffer: 8 << 20 })).stdout,
    ),
  );
  const missing = [
    ...needs.encoders.filter((n) => !listed(encoders!, n)).map((n) => `encoder ${n}`),
    ...needs.muxers.filter((n) => !listed(muxers!, n)).map((n) => `muxer ${n}`),
    ...needs.filters.filter((n) => !listed(filters!, n)).map((n) => `filter ${n}`),
    ...needs.demuxers.filter((n) => !listed(formats!, n)).map((n) => `input ${n}`),
  ];
  if (missing.length > 0)
    throw new FfmpegUnusableError(
      `ffmpeg at ${ffmpegPath} lacks ${missing.join(', ')}; use a full build (Debian's ffmpeg: FFMPEG_PATH=/usr/bin/ffmpeg)`,
    );
  return { version };
}
