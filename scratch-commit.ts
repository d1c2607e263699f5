import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from './core/index.ts';
import { Spool } from './recorder/spool.ts';
import { FsObjectStore, UrlSigner, segmentKey } from './storage/index.ts';
const N = Number(process.env.N ?? 300);
const logger = createLogger({ level: 'warn' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scratch-commit-'));
const objects = new FsObjectStore({ root: path.join(dir, 'objects'), signer: new UrlSigner('x'.repeat(32)) });
await objects.init();
const spool = new Spool(path.join(dir, 'spool'), logger);
const run = path.join(dir, 'spool', 'h1', 'runs', '0001', 'video');
fs.mkdirSync(run, { recursive: true });
const data = Buffer.alloc(1 << 20, 3);
function tcpu() { let m = 0, o = 0; for (const t of fs.readdirSync('/proc/self/task')) { const ns = Number(fs.readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]); if (Number(t) === process.pid) m += ns; else o += ns; } return { m, o }; }
const parts = { write: 0, commit: 0, put: 0, release: 0 };
const stage = (k: keyof typeof parts, t: bigint) => { parts[k] += Number(process.hrtime.bigint() - t); };
const c0 = tcpu(); const u0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  const f = path.join(run, `${String(i).padStart(6, '0')}.ts`);
  fs.writeFileSync(f, data);
  const a = process.cpuUsage();
  const s = await spool.commit({ hearingId: 'h1', track: 'video', sourceFile: f, startMs: i * 4000, durationMs: 4000 });
  const b = process.cpuUsage(a); parts.commit += b.user + b.system;
  const a2 = process.cpuUsage();
  await objects.put(segmentKey({ hearingId: 'h1', track: 'video', seq: s.seq, ext: 'ts' }), { file: s.file, handOver: true, ...(s.stamp ? { hashed: s.stamp, synced: true } : {}) }, { sha256: s.sha256, size: s.size, contentType: 'video/mp2t' });
  const b2 = process.cpuUsage(a2); parts.put += b2.user + b2.system;
  const a3 = process.cpuUsage();
  await spool.release(s);
  const b3 = process.cpuUsage(a3); parts.release += b3.user + b3.system;
}
const u = process.cpuUsage(u0); const c1 = tcpu();
console.log(JSON.stringify({ perSegUs: Math.round((u.user + u.system) / N), mainUs: Math.round((c1.m - c0.m) / 1000 / N), otherUs: Math.round((c1.o - c0.o) / 1000 / N), commitUs: Math.round(parts.commit / N), putUs: Math.round(parts.put / N), releaseUs: Math.round(parts.release / N) }));
fs.rmSync(dir, { recursive: true, force: true });
