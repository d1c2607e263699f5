import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Runs test/fixtures/queue/inline-only.ts in a fresh process and returns its report. */
async function loadedModules(mode: 'inline' | 'control') {
  const { stdout } = await run(
    process.execPath,
    ['bin/run-ts.js', 'test/fixtures/queue/inline-only.ts', mode],
    {
      cwd: ROOT,
      timeout: 20_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    outcome: string;
    ran: number;
    loaded: string[];
  };
}

describe('createJobQueue', () => {
  it('runs the embedded default without ever loading bull or a Redis client', async () => {
    const report = await loadedModules('inline');
    expect(report.outcome).toBe('completed');
    expect(report.ran).toBe(1);
    expect(report.loaded).toEqual([]);
  });

  it('would notice if bull were loaded (control for the test above)', async () => {
    const report = await loadedModules('control');
    expect(report.loaded.some((file) => /node_modules[\\/]bull[\\/]/.test(file))).toBe(true);
  });
});
