/**
 * Runs the benchmarks and writes bench/results/<name>.json. Each bench/<name>.bench.ts
 * exports `run(): Promise<Record<string, unknown>>`. `npm run bench` runs all of them;
 * `npm run bench -- storage` runs one. Targets live here, never in timed unit tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServiceStopped } from './build-service.ts';

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
// Every bench module is loaded before any runs. tsx compiles what its cache lacks through
// esbuild's service, which the launcher stops once loading is over (bin/esbuild-idle-hooks.js);
// its pings would otherwise be counted in this process's CPU (decision 0011, fifth round).
type Bench = { run(): Promise<Record<string, unknown>> };
const modules = new Map<string, Promise<Bench>>();
for (const name of benches)
  modules.set(name, import(pathToFileURL(path.join(dir, `${name}.bench.ts`)).href) as Promise<Bench>);
await Promise.allSettled(modules.values()); // a failed import is reported when its bench runs
if (!(await buildServiceStopped(30_000)))
  console.error('bench: esbuild service still running after 30 s; CPU figures include its pings');
fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
let failed = 0;
for (const name of benches) {
  const started = Date.now();
  console.error(`bench ${name}: running…`);
  try {
    const results = await (await modules.get(name)!).run();
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
