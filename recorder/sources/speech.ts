/**
 * Spoken test microphones: one WAV per phrase, made with espeak-ng, which the capture
 * loops as that microphone's input (see ../ffmpeg/capture-args.ts). Files live in a
 * cache directory and are named by a hash of voice and text, so a node that restarts,
 * or a second hearing on the same node, reuses them instead of speaking again.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HattamaError } from '../../core/index.ts';
import type { MicrophoneSource } from './sources.ts';

export type SpeechPhrase = Extract<MicrophoneSource, { kind: 'speech' }>['phrases'][number];

/** espeak-ng cannot be run, or it failed: the speech microphones cannot be made. */
export class SpeechUnavailableError extends HattamaError {
  constructor(message: string, cause?: unknown) {
    super('BACKEND_UNAVAILABLE', message, { expected: true, cause });
  }
}

export interface PrepareSpeechOptions {
  phrases: readonly SpeechPhrase[];
  /** Cache directory (created when missing), e.g. under the node's spool. */
  dir: string;
  /** The espeak-ng binary; `espeak-ng` on PATH by default. */
  espeakPath?: string;
}

/** Where a node keeps its spoken phrases: beside the hearings in its spool. */
export function speechCacheDir(spoolRoot: string): string {
  return path.join(spoolRoot, '.speech');
}

/** Bumped when the way files are made changes, so stale cached files are not reused. */
const FORMAT_VERSION = 'espeak-ng-wav-1';

/** The cache file of one phrase: `speech-<voice>-<hash>.wav`, the hash over voice and text. */
export function speechFileName(phrase: SpeechPhrase): string {
  const hash = crypto
    .createHash('sha256')
    .update(`${FORMAT_VERSION}\n${phrase.voice}\n${phrase.text}`)
    .digest('hex')
    .slice(0, 20);
  return `speech-${phrase.voice}-${hash}.wav`;
}

/** A RIFF/WAVE file with more than its header: espeak-ng wrote some speech. */
async function isSpeechWav(file: string): Promise<boolean> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    return size > 44 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE';
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

function speak(espeakPath: string, phrase: SpeechPhrase, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The text goes in on stdin, never as an argument: a phrase starting with "-" would
    // otherwise be read as an option.
    const child = spawn(espeakPath, ['-v', phrase.voice, '-w', out, '--stdin'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // espeak-ng prints some errors (an unknown voice) on stdout: keep both.
    let output = '';
    const keep = (chunk: string) => {
      output = (output + chunk).slice(-2000);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new SpeechUnavailableError(
          error.code === 'ENOENT'
            ? `espeak-ng is not installed (no ${espeakPath}): speech microphones need it; install it with "apt-get install espeak-ng"`
            : `cannot run espeak-ng at ${espeakPath}: ${error.message}`,
          error,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new SpeechUnavailableError(
            `espeak-ng failed on voice ${phrase.voice} (code ${code}, signal ${signal}): ${output.trim() || 'no message'}`,
          ),
        );
    });
    child.stdin.on('error', () => undefined); // a missing binary closes stdin; 'error' above says why
    child.stdin.end(phrase.text);
  });
}

/**
 * Makes one WAV per phrase in `dir` (reusing files made before) and returns their
 * paths in phrase order. Throws SpeechUnavailableError when espeak-ng is missing or fails.
 */
export async function prepareSpeechFiles(options: PrepareSpeechOptions): Promise<string[]> {
  const espeakPath = options.espeakPath ?? 'espeak-ng';
  await fs.mkdir(options.dir, { recursive: true });
  const files: string[] = [];
  for (const phrase of options.phrases) {
    const file = path.join(options.dir, speechFileName(phrase));
    if (!(await isSpeechWav(file))) {
      // Written under a temporary name and renamed, so a crash or a concurrent node
      // never leaves a half-written file under the final name.
      const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}.wav`;
      try {
        await speak(espeakPath, phrase, tmp);
        if (!(await isSpeechWav(tmp)))
          throw new SpeechUnavailableError(`espeak-ng wrote no speech for voice ${phrase.voice}`);
        await fs.rename(tmp, file);
      } finally {
        await fs.rm(tmp, { force: true });
      }
    }
    files.push(file);
  }
  return files;
}
