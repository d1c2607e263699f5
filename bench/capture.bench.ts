/**
 * Capture benchmarks (bench/results/capture.json), measured in one run on the same input:
 * - recorder CPU per camera stream ÷ CPU of a bare `ffmpeg -c copy` of that stream
 *   (goal ≤ 1.2): an H.264 camera stream-copied by the recorder (ffmpeg + spool commit +
 *   hashing + upload + registration) against ffmpeg alone copying it;
 * - how many simulated courtrooms (1 camera + 4 microphones each) this machine records
 *   without falling behind real time;
 * - segment close → object-store acknowledgement latency p50/p99 on loopback
 *   (goal p99 ≤ 1 s), for the local directory and, when it runs, the S3 server;
 * - SHA-256 hashing throughput ÷ `openssl dgst -sha256` on the same files (goal ≥ 0.8).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig, type Config } from '../core/index.ts';
import { RecordingSession } from '../recorder/session.ts';
import { Spool, sha256File } from '../recorder/spool.ts';
import { nodeSourcesSchema, resolveFfmpegPath } from '../recorder/index.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { TEST_S3, runId, serviceAvailable } from '../test/support/services.ts';

const logger = createLogger({ level: 'warn' });
const say = (m: string) => process.stderr.write(`capture: ${m}\n`);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process and its children have used, from /proc. */
function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14–17 (1-based) of stat: 11–14 after the name.
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    return 0;
  }
}

function ffmpegPidsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(dir) && /ffmpeg/.test(cmd.split('\0')[0] ?? '')) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

function makeCameraFile(dir: string, ffmpeg: string): string {
  const file = path.join(dir, 'camera-h264.ts');
  // A 20 s 720p H.264 stream with 2 s GOPs, like an IP camera's main stream.
  execFileSync(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=25:duration=20',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-b:v',
    '2M',
    '-g',
    '50',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'mpegts',
    '-y',
    file,
  ]);
  return file;
}

/** CPU of ffmpeg alone copying the camera stream into segments, for `seconds`. */
async function bareCopyCpu(ffmpeg: string, file: string, dir: string, seconds: number): Promise<number> {
  const out = path.join(dir, 'bare');
  fs.mkdirSync(out, { recursive: true });
  const child = spawn(ffmpeg, [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    file,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-f',
    'segment',
    '-segment_time',
    '4',
    '-segment_format',
    'mpegts',
    path.join(out, '%06d.ts'),
  ]);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = procCpuSeconds(child.pid!);
  child.kill('SIGKILL');
  return cpu;
}

/** CPU of the recorder path for the same stream: ffmpeg + this process's commit/hash work. */
async function recorderCopyCpu(ffmpeg: string, file: string, dir: string, seconds: number): Promise<number> {
  const spoolDir = path.join(dir, 'spool');
  const spool = new Spool(spoolDir, logger);
  const session = new RecordingSession({
    hearingId: 'bench-copy',
    spool,
    sources: nodeSourcesSchema.parse({ camera: { kind: 'file', path: file, copy: true }, microphones: null }),
    segmentSeconds: 4,
    ffmpegPath: ffmpeg,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    logger,
  });
  let committed = 0;
  session.on('segment', (s) => {
    committed++;
    void spool.release(s);
  });
  const before = process.cpuUsage();
  await session.start();
  await new Promise((r) => setTimeout(r, 300));
  const pid = ffmpegPidsUnder(spoolDir)[0];
  await new Promise((r) => setTimeout(r, seconds * 1000 - 300));
  const ffmpegCpu = pid ? procCpuSeconds(pid) : 0;
  const after = process.cpuUsage(before);
  await session.close();
  say(`recorder copy: ${committed} segments committed`);
  return ffmpegCpu + (after.user + after.system) / 1e6;
}

/** Runs `rooms` recording sessions at once for `seconds`; returns media seconds per wall second (worst track). */
async function roomsKeepUp(
  ffmpeg: string,
  file: string,
  dir: string,
  rooms: number,
  seconds: number,
): Promise<number> {
  const sessions: RecordingSession[] = [];
  const mediaEnd = new Map<string, number>();
  const started = Date.now();
  for (let i = 0; i < rooms; i++) {
    const spool = new Spool(path.join(dir, `rooms-${rooms}`, `room-${i}`), logger);
    const s = new RecordingSession({
      hearingId: `bench-room-${i}`,
      spool,
      sources: nodeSourcesSchema.parse({
        camera: { kind: 'file', path: file, copy: true },
        microphones: { kind: 'tone', frequencies: [440, 660, 880, 1100] },
      }),
      segmentSeconds: 2,
      ffmpegPath: ffmpeg,
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      logger,
    });
    s.on('segment', (seg) => {
      const k = `${i}/${seg.track}`;
      const first = mediaEnd.get(`${k}/first`) ?? seg.startMs;
      mediaEnd.set(`${k}/first`, first);
      mediaEnd.set(k, (mediaEnd.get(k) ?? 0) + seg.durationMs);
      void spool.release(seg);
    });
    sessions.push(s);
  }
  await Promise.all(sessions.map((s) => s.start()));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (Date.now() - started) / 1000;
  await Promise.all(sessions.map((s) => s.close()));
  // Media recorded per track vs the wall time it had, minus one segment still open.
  let worst = Infinity;
  for (let i = 0; i < rooms; i++) {
    for (const track of ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4']) {
      const media = (mediaEnd.get(`${i}/${track}`) ?? 0) / 1000;
      worst = Math.min(worst, media / Math.max(1, wall - 2 - 1));
    }
  }
  return worst;
}

async function hashThroughput(
  dir: string,
): Promise<{ nodeMBps: number; opensslMBps: number; ratio: number }> {
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(dir, `hash-${i}.bin`);
    execFileSync('head', ['-c', String(64 * 1024 * 1024), '/dev/urandom'], {
      stdio: ['ignore', fs.openSync(f, 'w'), 'inherit'],
    });
    files.push(f);
  }
  const total = files.length * 64;
  for (const f of files) await sha256File(f); // warm the page cache for both
  let t = process.hrtime.bigint();
  for (const f of files) await sha256File(f);
  const nodeS = Number(process.hrtime.bigint() - t) / 1e9;
  t = process.hrtime.bigint();
  execFileSync('openssl', ['dgst', '-sha256', ...files], { stdio: 'ignore' });
  const opensslS = Number(process.hrtime.bigint() - t) / 1e9;
  return {
    nodeMBps: round(total / nodeS),
    opensslMBps: round(total / opensslS),
    ratio: round(opensslS / nodeS, 3),
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function round(n: number, digits = 1): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

async function ackLatency(
  dir: string,
  objects: 'fs' | 's3',
  seconds: number,
): Promise<Record<string, number>> {
  const env: Record<string, string> = {
    HATTAMA_DATA_DIR: path.join(dir, `latency-${objects}`),
    HATTAMA_PORT: '0',
    HATTAMA_LOG_LEVEL: 'warn',
    HATTAMA_SEGMENT_SECONDS: '2',
  };
  if (objects === 's3')
    Object.assign(env, {
      HATTAMA_OBJECTS: 's3',
      HATTAMA_S3_ENDPOINT: TEST_S3.endpoint,
      HATTAMA_S3_ACCESS_KEY: TEST_S3.accessKey,
      HATTAMA_S3_SECRET_KEY: TEST_S3.secretKey,
      HATTAMA_S3_REGION: TEST_S3.region,
      HATTAMA_S3_BUCKET: runId('bench-').toLowerCase(),
    });
  const config: Config = loadConfig(env);
  const upload: number[] = [];
  const registered: number[] = [];
  const running: Running = await startRole('all', config, logger, {
    onSegmentDone: (s, t) => {
      if (s.committedAtMs === undefined) return;
      upload.push(t.uploadedAtMs - s.committedAtMs);
      registered.push(t.registeredAtMs - s.committedAtMs);
    },
  });
  try {
    await recordHearing({ running, config, seconds });
  } finally {
    await running.close();
  }
  return {
    segments: upload.length,
    uploadP50Ms: percentile(upload, 50),
    uploadP99Ms: percentile(upload, 99),
    registeredP50Ms: percentile(registered, 50),
    registeredP99Ms: percentile(registered, 99),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-bench-capture-'));
  const ffmpeg = resolveFfmpegPath(process.env.FFMPEG_PATH);
  try {
    say(`ffmpeg ${ffmpeg}; making a 720p H.264 camera stream`);
    const camera = makeCameraFile(dir, ffmpeg);
    const seconds = 20;
    say(`bare ffmpeg -c copy for ${seconds} s`);
    const bare = await bareCopyCpu(ffmpeg, camera, dir, seconds);
    say(`recorder copy of the same stream for ${seconds} s`);
    const recorder = await recorderCopyCpu(ffmpeg, camera, dir, seconds);

    const rooms: { rooms: number; realtimeRatio: number }[] = [];
    let maxRooms = 0;
    for (const n of [1, 2, 4, 8, 12, 16]) {
      say(`${n} simulated courtroom(s) for 16 s`);
      const ratio = await roomsKeepUp(ffmpeg, camera, dir, n, 16);
      rooms.push({ rooms: n, realtimeRatio: round(ratio, 3) });
      if (ratio >= 0.97) maxRooms = n;
      else break;
    }

    say('segment close → acknowledgement latency, local directory');
    const latencyFs = await ackLatency(dir, 'fs', 40);
    let latencyS3: Record<string, number> | 'unavailable' = 'unavailable';
    if (await serviceAvailable('s3', 'capture bench (S3 latency)').catch(() => false)) {
      say('segment close → acknowledgement latency, S3 server');
      latencyS3 = await ackLatency(dir, 's3', 40);
    }
    say('SHA-256 throughput against openssl');
    const hashing = await hashThroughput(dir);
    return {
      cameraCopy: {
        seconds,
        bareFfmpegCpuSeconds: round(bare, 3),
        recorderCpuSeconds: round(recorder, 3),
        cpuRatio: round(recorder / bare, 3),
        goal: '≤ 1.2',
      },
      courtrooms: {
        maxWithoutFallingBehind: maxRooms,
        runs: rooms,
        note: '1 stream-copied 720p camera + 4 AAC microphones + mix each',
      },
      ackLatency: { fs: latencyFs, s3: latencyS3, goal: 'p99 ≤ 1000 ms' },
      sha256: { ...hashing, goal: 'ratio ≥ 0.8' },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
