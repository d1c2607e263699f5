// Module customization hooks, registered after tsx's (bin/register-ts.js): they run in
// Node's hooks thread beside tsx's and stop esbuild's service once no module has been
// loaded for a while.
//
// tsx transforms a file missing from its cache (a fresh clone, a new container, an edited
// file) through esbuild's service: a child process spawned with --ping, which esbuild keeps
// for the life of the process. Its pings wake the hooks thread: some 1.7 ms of CPU a second
// in this process, plus the child's own, for as long as a recorder node or hub runs — more
// than the 20 % a camera stream may cost beyond its copy (bench/capture.bench.ts, decision
// 0011). Once start-up has loaded the modules nothing needs the service; a module loaded
// later starts a new one, which is stopped again after the same quiet time.
import { createRequire } from 'node:module';

// The esbuild tsx itself loads (same file, same module instance in this thread), not one
// this package might resolve elsewhere.
const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
const { stop } = createRequire(tsxPackage)('esbuild');

const QUIET_MS = quietMs(process.env.HATTAMA_ESBUILD_IDLE_MS);
let loading = 0;
let timer = null;

export async function load(url, context, nextLoad) {
  loading++;
  if (timer) clearTimeout(timer);
  timer = null;
  try {
    return await nextLoad(url, context);
  } finally {
    // Only when no load is under way: stopping the service fails a transform in flight.
    if (--loading === 0) {
      timer = setTimeout(() => {
        timer = null;
        // A failed stop leaves the service as it was: esbuild still ends it when the process exits.
        if (loading === 0) stop().catch(() => undefined);
      }, QUIET_MS);
      timer.unref();
    }
  }
}

/** The quiet time, 10 s unless HATTAMA_ESBUILD_IDLE_MS (tests) sets it; a bad value stops start-up. */
function quietMs(value) {
  if (value === undefined || value === '') return 10_000;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new Error(
      `HATTAMA_ESBUILD_IDLE_MS must be a whole number of milliseconds, 1 or more; got "${value}"`,
    );
  return Number(value);
}
