/**
 * Processes of the system under test, found through Linux /proc: the ffmpeg a recorder
 * started is known by its command line, which names the run directory it writes into.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Pids of ffmpeg processes whose command line names `dir` (a spool, a run directory). */
export function ffmpegPidsNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone
    }
    if (path.basename(argv[0] ?? '').includes('ffmpeg') && argv.some((a) => a.includes(dir)))
      pids.push(Number(name));
  }
  return pids;
}

/** The first ffmpeg naming `dir`, waiting up to `timeoutMs` for the recorder to start it. */
export async function waitForFfmpegNaming(dir: string, timeoutMs = 5000): Promise<number | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pid = ffmpegPidsNaming(dir)[0];
    if (pid !== undefined || Date.now() > until) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process exists and is not a zombie (an orphan's reaper may be slow to collect it). */
export function processRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
