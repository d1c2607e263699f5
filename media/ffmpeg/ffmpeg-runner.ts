/**
 * The one thin runner around fluent-ffmpeg: starts a spec, keeps the tail of ffmpeg's
 * stderr for errors, and stops ffmpeg with SIGINT so it closes its files cleanly
 * (SIGKILL only if it does not exit in time). docs/architecture.md.
 */
import { EventEmitter } from 'node:events';
import ffmpeg from 'fluent-ffmpeg';
import { HattamaError, type Logger } from '../../core/index.ts';
import type { FfmpegSpec } from './ffmpeg-spec.ts';

export interface FfmpegExit {
  /** True when we asked it to stop; false when it died or ended on its own. */
  requested: boolean;
  code: number | null;
  signal: string | null;
  stderrTail: string;
}

export class FfmpegFailedError extends HattamaError {
  constructor(message: string, stderrTail: string) {
    super('FFMPEG_FAILED', `${message}\n--- ffmpeg stderr (tail) ---\n${stderrTail}`, {
      expected: true,
      details: { stderrTail },
    });
  }
}

interface Events {
  exit: [FfmpegExit];
  stderr: [string];
}

export function toFluentCommand(spec: FfmpegSpec, ffmpegPath: string): ffmpeg.FfmpegCommand {
  const command = ffmpeg().setFfmpegPath(ffmpegPath);
  // Options go in as separate arguments: fluent-ffmpeg then never splits one on a
  // space (it does for a single array argument, which would break paths with spaces).
  // fluent-ffmpeg has no global options: they go first, before the first input, where
  // ffmpeg reads them as global.
  spec.inputs.forEach((input, i) => {
    command.input(input.url);
    const options = i === 0 ? [...spec.global, ...input.options] : input.options;
    if (options.length > 0) command.inputOptions(...options);
  });
  if (spec.filterComplex) command.complexFilter(spec.filterComplex);
  for (const output of spec.outputs) {
    command.output(output.url);
    if (output.options.length > 0) command.outputOptions(...output.options);
  }
  return command;
}

export class FfmpegProcess extends EventEmitter<Events> {
  private stderr: string[] = [];
  private stopRequested = false;
  private exited: Promise<FfmpegExit>;
  private command: ffmpeg.FfmpegCommand;

  private constructor(
    spec: FfmpegSpec,
    ffmpegPath: string,
    private readonly logger: Logger,
  ) {
    super();
    this.command = toFluentCommand(spec, ffmpegPath);
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: string | null) => {
        const exit = { requested: this.stopRequested, code, signal, stderrTail: this.stderrTail() };
        resolve(exit);
        this.emit('exit', exit);
      };
      this.command.on('stderr', (line: string) => {
        this.stderr.push(line);
        if (this.stderr.length > 60) this.stderr.shift();
        this.emit('stderr', line);
      });
      this.command.on('end', () => finish(0, null));
      this.command.on('error', (error: Error) => {
        const m = /code (\d+)|signal (\w+)/.exec(error.message);
        finish(m?.[1] ? Number(m[1]) : null, m?.[2] ?? null);
      });
    });
  }

  static start(options: { spec: FfmpegSpec; ffmpegPath: string; logger: Logger }): FfmpegProcess {
    const p = new FfmpegProcess(options.spec, options.ffmpegPath, options.logger);
    p.command.on('start', (commandLine: string) => options.logger.debug({ commandLine }, 'ffmpeg started'));
    p.command.run();
    return p;
  }

  get pid(): number | undefined {
    return (this.command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid;
  }

  stderrTail(): string {
    return this.stderr.join('\n');
  }

  /** Resolves when ffmpeg has exited, however it ended. */
  wait(): Promise<FfmpegExit> {
    return this.exited;
  }

  /** SIGINT, then SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 5000): Promise<FfmpegExit> {
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.command.kill('SIGINT');
      const timer = setTimeout(() => {
        this.logger.warn('ffmpeg did not stop on SIGINT; killing it');
        this.command.kill('SIGKILL');
      }, graceMs);
      void this.exited.finally(() => clearTimeout(timer));
    }
    return this.exited;
  }
}
