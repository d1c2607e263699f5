import fs from 'node:fs';

/**
 * Whether tsx's esbuild service runs beside this process. tsx starts it on the first file
 * missing from its transform cache (a fresh clone, an edited file); the launcher stops it
 * once modules have stopped loading (bin/esbuild-idle-hooks.js). While it runs, its pings
 * wake the loader's thread here some 1.7 ms a second when idle but only ~1 ms a second
 * under load, so a bench that subtracts its idle rate would credit the difference to what
 * it measures (decision 0011, fifth round).
 */
export function buildServiceRunning(): boolean {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …"
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [comm, rest] = [
        stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        stat.slice(stat.lastIndexOf(')') + 2),
      ];
      if (comm === 'esbuild' && Number(rest.split(' ')[1]) === process.pid && rest[0] !== 'Z') return true;
    } catch {
      // gone while listed
    }
  }
  return false;
}

/** Waits up to `timeoutMs` for the esbuild service to be gone; whether it is. */
export async function buildServiceStopped(timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (buildServiceRunning()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}
