/**
 * Runs one CLI action and turns its outcome into an exit code and one clear message:
 * 0 done, 1 a check failed (verify), 2 bad usage or configuration, 3 a backend or
 * start-up failure. Nothing is printed as a stack trace unless it is a bug.
 */
import { ConfigError, HattamaError, errorMessage } from '../core/index.ts';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, startup: 3, bug: 70 } as const;

export class UsageError extends HattamaError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message, { expected: true, status: 400 });
  }
}

export async function runCommand(action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    if (typeof code === 'number') process.exitCode = code;
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    if (error instanceof ConfigError) {
      process.stderr.write(
        `hattama: ${error.message}\nFix the variables above (see "hattama config --help" and the README) and start again.\n`,
      );
    } else if (error instanceof HattamaError && error.expected) {
      process.stderr.write(`hattama: ${error.message}\n`);
    } else {
      process.stderr.write(
        `hattama: unexpected error: ${errorMessage(error)}\n${(error as Error)?.stack ?? ''}\n`,
      );
    }
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return EXIT.usage;
  if (error instanceof HattamaError && error.expected) return EXIT.startup;
  return EXIT.bug;
}
