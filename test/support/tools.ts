/**
 * Machine tools that some source tests need (espeak-ng, PulseAudio, an ffmpeg with a
 * given input device). As with the backends of ./services.ts: on a developer's machine
 * a missing tool skips its suite with a plain message saying how to get it; under
 * HATTAMA_TEST_REQUIRE_SERVICES=1 (set by .ci/run) it fails the run.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REQUIRE_SERVICES } from './services.ts';

const run = promisify(execFile);

/** Whether `command args…` runs and exits 0 (and, if given, prints `expect`). */
export async function commandWorks(command: string, args: string[], expect?: RegExp): Promise<boolean> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 10_000, maxBuffer: 8 << 20 });
    return expect ? expect.test(stdout + stderr) : true;
  } catch {
    return false;
  }
}

/**
 * The first executable named `name` on PATH, or null. Tests look tools up on PATH (not at
 * /usr/bin/…) so that a PATH holding only node and npm hides them, as on a fresh machine.
 */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: try the next directory.
    }
  }
  return null;
}

/**
 * Call at the top of a test file and pass the result to `describe.skipIf(!available)`.
 * Prints why a suite is skipped, or throws under HATTAMA_TEST_REQUIRE_SERVICES=1.
 */
export function requireTool(available: boolean, suite: string, what: string, howTo: string): boolean {
  if (!available) {
    const msg = `${suite}: ${what}; to run this suite, ${howTo}`;
    if (REQUIRE_SERVICES) throw new Error(`${msg} (HATTAMA_TEST_REQUIRE_SERVICES=1 makes this a failure)`);
    console.warn(`SKIPPED ${msg}`);
  }
  return available;
}
