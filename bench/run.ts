/**
 * Runs the benchmarks and writes bench/results/<name>.json. Each bench/<name>.bench.ts
 * exports `run(): Promise<Record<string, unknown>>`. `npm run bench` runs all of them;
 * `npm run bench -- storage` runs one. Targets live here, never in timed unit tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServiceRunning } from './build-service.ts';

const dir = path.dirname(new URL(import.meta.url).pathname);
const wanted = process.argv.slice(2);
const benches = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (benches.length === 0) {
  console.error(
    `no benchmark matches ${wanted.join(', ')}; have: ${fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.bench.ts'))
      .join(', ')}`,
  );
  process.exit(2);
}
if (buildServiceRunning() && process.env.HATTAMA_BENCH_CACHE_WARMED !== '1') {
  // Every module the benches load is now in tsx's cache (importing one runs nothing):
  // measure in a fresh process, which then starts no esbuild service.
  for (const name of benches) await import(pathToFileURL(path.join(dir, `${name}.bench.ts`)).href);
  console.error(
    'bench: tsx compiled changed files; measuring in a fresh process without its esbuild service',
  );
  const again = spawnSync(
    process.execPath,
    [...process.execArgv, path.join(dir, '..', 'bin', 'run-ts.js'), path.join(dir, 'run.ts'), ...wanted],
    {
      stdio: 'inherit',
      env: { ...process.env, HATTAMA_BENCH_CACHE_WARMED: '1' },
    },
  );
  process.exit(again.status ?? 1);
}
fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
let failed = 0;
for (const name of benches) {
  const started = Date.now();
  console.error(`bench ${name}: running…`);
  try {
    const mod = (await import(pathToFileURL(path.join(dir, `${name}.bench.ts`)).href)) as {
      run(): Promise<Record<string, unknown>>;
    };
    const results = await mod.run();
    const out = {
      name,
      date: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      results,
    };
    const file = path.join(dir, 'results', `${name}.json`);
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.error(`bench ${name}: wrote ${path.relative(process.cwd(), file)}`);
    console.log(JSON.stringify({ name, results }, null, 2));
  } catch (error) {
    failed++;
    console.error(`bench ${name}: failed: ${(error as Error).stack ?? error}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
