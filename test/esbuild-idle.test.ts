/**
 * bin/esbuild-idle-hooks.js: tsx's esbuild service, started for files missing from tsx's
 * transform cache, is stopped once no module has loaded for a while, and a module loaded
 * later still loads. Runs the project's own launcher (bin/run-ts.js) with an empty cache.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');

// Written into a temp dir beside a package.json of type module, so tsx loads it as ESM.
const SCRIPT = `
import fs from 'node:fs';
/** Whether an esbuild child of this process is alive (not a zombie). */
function serviceRunning(): boolean {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'esbuild' && Number(ppid) === process.pid && state !== 'Z') return true;
    } catch {
      // gone while listed
    }
  }
  return false;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seen: Record<string, boolean | string> = { atStart: serviceRunning() };
await sleep(1500);
seen.afterQuiet = serviceRunning();
const late = await import('./late.ts');
seen.lateValue = late.value;
seen.afterLateImport = serviceRunning();
await sleep(1500);
seen.afterQuietAgain = serviceRunning();
console.log(JSON.stringify(seen));
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the esbuild service started by tsx', () => {
  it('is stopped after the quiet time and started again for a module loaded later', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-esbuild-idle-'));
    dirs.push(dir);
    const tmp = path.join(dir, 'tmp'); // tsx keeps its cache under os.tmpdir(): empty here
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    fs.writeFileSync(path.join(dir, 'main.ts'), SCRIPT);
    fs.writeFileSync(path.join(dir, 'late.ts'), "export const value: string = 'late module';\n");
    const { stdout } = await run(
      process.execPath,
      [path.join(repo, 'bin/run-ts.js'), path.join(dir, 'main.ts')],
      {
        env: { ...process.env, TMPDIR: tmp, HATTAMA_ESBUILD_IDLE_MS: '300' },
        timeout: 30_000,
      },
    );
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(seen).toEqual({
      atStart: true, // a fresh cache: tsx started the service (else this test shows nothing)
      afterQuiet: false,
      lateValue: 'late module',
      afterLateImport: true,
      afterQuietAgain: false,
    });
  });

  it('refuses a quiet time that is not a whole number of milliseconds, before running anything', async () => {
    const failed = await run(process.execPath, [path.join(repo, 'bin/hattama.js'), '--version'], {
      env: { ...process.env, HATTAMA_ESBUILD_IDLE_MS: '10s' },
    }).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe(''); // the version was not printed
    expect(failed?.stderr).toMatch(
      /HATTAMA_ESBUILD_IDLE_MS must be a whole number of milliseconds, 1 or more; got "10s"/,
    );
  });
});
