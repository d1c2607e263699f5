/**
 * Capture benchmarks (bench/results/capture.json), measured in one run on the same input:
 * - recorder CPU per camera stream ÷ CPU of a bare `ffmpeg -c copy` of that stream
 *   (goal ≤ 1.2): an H.264 camera stream-copied by the recorder (ffmpeg + spool commit:
 *   hash, link, fsync, journal + object-store put) against ffmpeg alone copying it, in steady state,
 *   both cut at the default segment length;
 * - how many simulated courtrooms (1 camera + 4 microphones each) this machine records
 *   without falling behind real time;
 * - segment close → object-store acknowledgement latency p50/p99 on loopback
 *   (goal p99 ≤ 1 s), for the local directory and, when it runs, the S3 server;
 * - SHA-256 hashing throughput ÷ `openssl dgst -sha256` on the same files (goal ≥ 0.8).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { CONFIG_KEYS, createLogger, loadConfig, type Config } from '../core/index.ts';
import { RecordingSession } from '../recorder/session.ts';
import { HearingCapture } from '../recorder/hearing-capture.ts';
import { Spool, sha256File } from '../recorder/spool.ts';
import { segmentPut } from '../recorder/uploader.ts';
import { nodeSourcesSchema } from '../recorder/index.ts';
import { resolveFfmpegPath } from '../media/index.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { FsObjectStore, UrlSigner } from '../storage/index.ts';
import { TEST_S3, runId, serviceAvailable } from '../test/support/services.ts';
import { buildServiceRunning } from './build-service.ts';

const logger = createLogger({ level: 'warn' });
const say = (m: string) => process.stderr.write(`capture: ${m}\n`);

/**
 * CPU seconds a process has run, all its threads, from the scheduler's own count
 * (/proc/<pid>/task/<tid>/schedstat, nanoseconds). /proc/<pid>/stat counts in clock
 * ticks: a copy's minute is some 28 ticks here, so rounding alone moved the ratio by
 * several per cent.
 */
function procCpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`))
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e9;
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

/**
 * Streams copied each way at once. One ffmpeg copying the same input as another costs up to
 * ±10 % more or less than it for its whole life (its memory layout; measured with no Node at
 * all), so the figure is an average over enough processes for that to even out: with four,
 * the two groups differed by 0.94–1.05 from run to run.
 */
const STREAMS = 8;
const WARMUP_MS = 6000;
/** The camera copy is measured at the default segment length, the bare copy cut the same way. */
const SEGMENT_SECONDS = Number(CONFIG_KEYS.segmentSeconds.default);
/** The copy window is read in this many equal parts, to show how far the ratio moves within a run. */
const WINDOW_PARTS = 3;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

function bareCopyArgs(file: string, out: string): string[] {
  return [
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
    String(SEGMENT_SECONDS),
    '-segment_format',
    'mpegts',
    path.join(out, '%06d.ts'),
  ];
}

/**
 * CPU this process uses over `seconds` doing nothing of ours: timers, GC, the tsx loader.
 * Read in parts and taken at the quietest part's rate, so that a burst in one part (work
 * left from start-up) is not subtracted as if the copy window had it too. Seen here: 0.001
 * CPU-s a minute in most runs, a steady 0.03 in some.
 */
async function idleProcessCpu(seconds: number): Promise<{ cpu: number; parts: number[] }> {
  await sleep(WARMUP_MS / 2);
  const parts: number[] = [];
  for (let part = 0; part < WINDOW_PARTS; part++) {
    const before = process.cpuUsage();
    await sleep((seconds * 1000) / WINDOW_PARTS);
    parts.push(cpuSeconds(process.cpuUsage(before)));
  }
  return { cpu: Math.min(...parts) * WINDOW_PARTS, parts };
}

interface CopyCpu {
  /** CPU seconds of the bare ffmpegs, all streams. */
  bare: number;
  /** CPU seconds of the recorder's ffmpegs, all streams. */
  recorderFfmpeg: number;
  /** CPU seconds of this process (the recorder's Node side), all threads. */
  recorderNode: number;
  /** Segments stored (committed, put in the object store, released) in the window. */
  stored: number;
  /** The same, for each of the window's equal parts in turn: how much the figure moves within one run. */
  parts: Omit<CopyCpu, 'parts'>[];
}

/**
 * `STREAMS` bare ffmpeg processes copying the camera stream into segments, and at the
 * same time `STREAMS` recording sessions of the same stream in this process (ffmpeg +
 * spool commit: hash, link, fsync, journal line; then the object-store put of the handed-
 * over file: link, stamp check, metadata, fsync, rename). Running both at once puts them
 * under the same conditions; CPU is taken over one steady-state window after a warm-up,
 * read in `WINDOW_PARTS` parts, from /proc for the ffmpegs and from process.cpuUsage
 * (every thread: GC, libuv's pool doing the fsyncs) for this process.
 */
async function cameraCopyCpu(ffmpeg: string, file: string, dir: string, seconds: number): Promise<CopyCpu> {
  const bareChildren = Array.from({ length: STREAMS }, (_, i) => {
    const out = path.join(dir, 'bare', String(i));
    fs.mkdirSync(out, { recursive: true });
    return spawn(ffmpeg, bareCopyArgs(file, out), { stdio: 'ignore' });
  });
  const objects = new FsObjectStore({
    root: path.join(dir, 'objects'),
    signer: new UrlSigner('bench-capture-url-signing-secret'),
  });
  await objects.init();
  const sessions: RecordingSession[] = [];
  let stored = 0;
  for (let i = 0; i < STREAMS; i++) {
    const spool = new Spool(path.join(dir, 'spool', String(i)), logger);
    const session = new RecordingSession({
      hearingId: `bench-copy-${i}`,
      spool,
      sources: nodeSourcesSchema.parse({
        camera: { kind: 'file', path: file, copy: true },
        microphones: null,
      }),
      segmentSeconds: SEGMENT_SECONDS,
      ffmpegPath: ffmpeg,
      clock: { now: () => Date.now(), sleep },
      logger,
    });
    // What the node does next with each segment: store it in the object store (the local
    // directory here, as in the embedded service), then release the spool copy.
    session.on('segment', (s) => {
      const { key, source, options } = segmentPut(s);
      void objects
        .put(key, source, options)
        .then(() => spool.release(s))
        .then(() => stored++);
    });
    sessions.push(session);
  }
  try {
    await Promise.all(sessions.map((s) => s.start()));
    await sleep(WARMUP_MS);
    const pids = ffmpegPidsUnder(path.join(dir, 'spool'));
    if (pids.length !== STREAMS)
      throw new Error(`expected ${STREAMS} recorder ffmpegs, found ${pids.length}`);
    collectStartupGarbage();
    await sleep(1000); // V8 sweeps what it freed on other threads, outside the window
    const sample = () => ({
      bare: bareChildren.reduce((sum, c) => sum + procCpuSeconds(c.pid!), 0),
      recorderFfmpeg: pids.reduce((sum, pid) => sum + procCpuSeconds(pid), 0),
      node: process.cpuUsage(),
      stored,
    });
    const parts: Omit<CopyCpu, 'parts'>[] = [];
    let before = sample();
    for (let part = 0; part < WINDOW_PARTS; part++) {
      await sleep((seconds * 1000) / WINDOW_PARTS);
      const after = sample();
      parts.push({
        bare: after.bare - before.bare,
        recorderFfmpeg: after.recorderFfmpeg - before.recorderFfmpeg,
        recorderNode: cpuSeconds(process.cpuUsage(before.node)),
        stored: after.stored - before.stored,
      });
      before = after;
    }
    const total = (k: keyof Omit<CopyCpu, 'parts'>) => parts.reduce((sum, p) => sum + p[k], 0);
    return {
      bare: total('bare'),
      recorderFfmpeg: total('recorderFfmpeg'),
      recorderNode: total('recorderNode'),
      stored: total('stored'),
      parts,
    };
  } finally {
    for (const c of bareChildren) c.kill('SIGKILL');
    await Promise.all(sessions.map((s) => s.close()));
  }
}

interface RoomsRun {
  rooms: number;
  /** Media seconds committed per wall second, worst track, between its first and last commit in the window. */
  realtimeRatio: number;
  /** Wall-clock time from a segment's end to its commit: p95 and max over all tracks, ms. */
  commitLagP95Ms: number;
  commitLagMaxMs: number;
  /** Growth of the commit lag from the first to the last third of the window, ms (falling behind grows it). */
  lagGrowthMs: number;
  keptUp: boolean;
}

/**
 * Runs `rooms` recording sessions at once for `seconds`. A machine keeps up when every
 * track commits media as fast as the wall clock runs and its commit lag (segment end →
 * committed) stays short and does not grow; a starved ffmpeg shows as both.
 */
async function roomsKeepUp(
  ffmpeg: string,
  file: string,
  dir: string,
  rooms: number,
  seconds: number,
): Promise<RoomsRun> {
  const segmentSeconds = 2;
  // As a node records a courtroom: picture and sound in separate ffmpegs (decision 0010).
  const sessions: HearingCapture[] = [];
  const commits = new Map<string, { at: number; endMs: number; durationMs: number }[]>();
  for (let i = 0; i < rooms; i++) {
    const spool = new Spool(path.join(dir, `rooms-${rooms}`, `room-${i}`), logger);
    const s = new HearingCapture({
      hearingId: `bench-room-${i}`,
      spool,
      sources: nodeSourcesSchema.parse({
        camera: { kind: 'file', path: file, copy: true },
        microphones: { kind: 'tone', frequencies: [440, 660, 880, 1100] },
      }),
      segmentSeconds,
      ffmpegPath: ffmpeg,
      clock: { now: () => Date.now(), sleep },
      logger,
    });
    s.on('segment', (seg) => {
      const k = `${i}/${seg.track}`;
      const list = commits.get(k) ?? [];
      list.push({ at: Date.now(), endMs: seg.startMs + seg.durationMs, durationMs: seg.durationMs });
      commits.set(k, list);
      void spool.release(seg);
    });
    sessions.push(s);
  }
  await Promise.all(sessions.map((s) => s.start()));
  await sleep(seconds * 1000);
  await Promise.all(sessions.map((s) => s.close()));

  let worstRatio = Infinity;
  const lags: number[] = [];
  let lagGrowth = 0;
  for (let i = 0; i < rooms; i++) {
    for (const track of ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4']) {
      // The first commit of a track carries ffmpeg's start-up; the window starts after it.
      const list = (commits.get(`${i}/${track}`) ?? []).slice(1);
      if (list.length < 3) {
        worstRatio = 0;
        continue;
      }
      const media = list.slice(1).reduce((sum, c) => sum + c.durationMs, 0) / 1000;
      const wall = (list[list.length - 1]!.at - list[0]!.at) / 1000;
      worstRatio = Math.min(worstRatio, media / wall);
      const trackLags = list.map((c) => c.at - c.endMs);
      lags.push(...trackLags);
      const third = Math.max(1, Math.floor(trackLags.length / 3));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      lagGrowth = Math.max(lagGrowth, mean(trackLags.slice(-third)) - mean(trackLags.slice(0, third)));
    }
  }
  const p95 = percentile(lags, 95);
  const max = Math.max(...lags);
  return {
    rooms,
    realtimeRatio: round(worstRatio, 3),
    commitLagP95Ms: round(p95),
    commitLagMaxMs: round(max),
    lagGrowthMs: round(lagGrowth),
    // Within 3 % of real time, lag under one segment, and not growing by half a segment.
    keptUp: worstRatio >= 0.97 && p95 <= segmentSeconds * 1000 && lagGrowth < (segmentSeconds * 1000) / 2,
  };
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
  // Best of three, alternating, so a burst of other work on the machine hits neither alone.
  let nodeS = Infinity;
  let opensslS = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    let t = process.hrtime.bigint();
    for (const f of files) await sha256File(f);
    nodeS = Math.min(nodeS, Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    execFileSync('openssl', ['dgst', '-sha256', ...files], { stdio: 'ignore' });
    opensslS = Math.min(opensslS, Number(process.hrtime.bigint() - t) / 1e9);
  }
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

/** `HATTAMA_BENCH_PARTS=camera,sha256 npm run bench -- capture` runs only those parts. */
const ALL_PARTS = ['camera', 'rooms', 'latency', 'sha256'] as const;
type Part = (typeof ALL_PARTS)[number];

function wantedParts(): Set<Part> {
  const raw = process.env.HATTAMA_BENCH_PARTS;
  if (!raw) return new Set(ALL_PARTS);
  const parts = raw.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(ALL_PARTS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(
      `HATTAMA_BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; have ${ALL_PARTS.join(', ')}`,
    );
  return new Set(parts as Part[]);
}

/**
 * V8's memory reducer runs full collections at random times after a process stops
 * allocating much: up to 0.2 CPU-s in one 10 s window of an idle process here, more than
 * four streams' whole Node cost, so the idle rate subtracted below is only steady
 * without it (`npm run bench` turns it off). It costs the same with no stream at all.
 */
const MEMORY_REDUCER_OFF = process.execArgv.includes('--no-memory-reducer');

/**
 * A full collection now. Loading the project leaves some 20 MB of garbage that V8 collects
 * at its first full collection, whenever allocation first reaches the old generation's
 * limit: in the copy window, not the idle one, it cost that window 0.05–0.1 CPU-s (main
 * thread and V8's marking threads), a third of the Node cost of the four streams then
 * copied, for start-up and not recording. Collected before each window, both measure the steady state.
 */
function collectStartupGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

async function cameraCopy(ffmpeg: string, camera: string, dir: string): Promise<Record<string, unknown>> {
  const seconds = 60;
  if (!MEMORY_REDUCER_OFF)
    say('V8 memory reducer on (run through `npm run bench`): the idle rate subtracted is noisy');
  say(`this process idle for ${seconds} s`);
  collectStartupGarbage();
  const idleRun = await idleProcessCpu(seconds);
  const idle = idleRun.cpu;
  say(
    `${STREAMS} bare ffmpeg -c copy and ${STREAMS} recorder copies at once, in ${SEGMENT_SECONDS} s segments, ${seconds} s after a ${WARMUP_MS / 1000} s warm-up`,
  );
  const copy = await cameraCopyCpu(ffmpeg, camera, dir, seconds);
  const buildService = buildServiceRunning();
  if (buildService)
    say(
      'tsx’s esbuild service ran beside this process: its idle cost is over-subtracted (run through `npm run bench`)',
    );
  const perStream = {
    bare: copy.bare / STREAMS,
    recorder: (copy.recorderFfmpeg + Math.max(0, copy.recorderNode - idle)) / STREAMS,
    recorderWithIdleProcess: (copy.recorderFfmpeg + copy.recorderNode) / STREAMS,
  };
  return {
    streams: STREAMS,
    segmentSeconds: SEGMENT_SECONDS,
    windowSeconds: seconds,
    warmupSeconds: WARMUP_MS / 1000,
    bareFfmpegCpuSecondsPerStream: round(perStream.bare, 3),
    recorderFfmpegCpuSecondsPerStream: round(copy.recorderFfmpeg / STREAMS, 3),
    recorderProcessCpuSeconds: round(copy.recorderNode, 3),
    idleProcessCpuSeconds: round(idle, 3),
    idleProcessCpuSecondsByPart: idleRun.parts.map((c) => round(c, 3)),
    segmentsStoredInWindow: copy.stored,
    recorderCpuSecondsPerStream: round(perStream.recorder, 3),
    cpuRatio: round(perStream.recorder / perStream.bare, 3),
    // The two parts of that ratio: the capture ffmpeg against the bare one, and Node's
    // share (hash, spool, store) in units of the bare copy.
    ffmpegRatio: round(copy.recorderFfmpeg / STREAMS / perStream.bare, 3),
    nodeShareOfBare: round(Math.max(0, copy.recorderNode - idle) / STREAMS / perStream.bare, 3),
    cpuRatioCountingIdleProcess: round(perStream.recorderWithIdleProcess / perStream.bare, 3),
    // The ratio over each third of the window (idle rate scaled to it): the spread within one run.
    windowPartRatios: copy.parts.map((p) =>
      round((p.recorderFfmpeg + Math.max(0, p.recorderNode - idle / WINDOW_PARTS)) / p.bare, 3),
    ),
    windowPartFfmpegRatios: copy.parts.map((p) => round(p.recorderFfmpeg / p.bare, 3)),
    memoryReducerOff: MEMORY_REDUCER_OFF,
    // Should be false (bench/run.ts measures in a process that starts none).
    buildServiceRunning: buildService,
    method:
      'bare and recorder run at once; steady state after a warm-up; recorder = its ffmpegs + the CPU this process spent beyond its own idle rate (its quietest third of an equal window), per stream',
    goal: 'cpuRatio ≤ 1.2',
  };
}

async function courtrooms(ffmpeg: string, camera: string, dir: string): Promise<Record<string, unknown>> {
  const runs: RoomsRun[] = [];
  let maxRooms = 0;
  for (const n of [1, 2, 4, 8, 12, 16, 20, 24, 32]) {
    say(`${n} simulated courtroom(s) for 24 s`);
    const r = await roomsKeepUp(ffmpeg, camera, dir, n, 24);
    say(`  ${JSON.stringify(r)}`);
    runs.push(r);
    if (r.keptUp) maxRooms = n;
    else break;
  }
  return {
    maxWithoutFallingBehind: maxRooms,
    runs,
    note: '1 stream-copied 720p camera + 4 AAC microphones + mix each (picture and sound in two ffmpegs, as a node records), 2 s segments; kept up = every track within 3 % of real time, commit lag p95 under one segment and not growing',
  };
}

async function latency(dir: string): Promise<Record<string, unknown>> {
  say('segment close → acknowledgement latency, local directory');
  const fsLatency = await ackLatency(dir, 'fs', 40);
  let s3: Record<string, number> | 'unavailable' = 'unavailable';
  if (await serviceAvailable('s3', 'capture bench (S3 latency)').catch(() => false)) {
    say('segment close → acknowledgement latency, S3 server');
    s3 = await ackLatency(dir, 's3', 40);
  }
  return { fs: fsLatency, s3, goal: 'p99 ≤ 1000 ms' };
}

export async function run(): Promise<Record<string, unknown>> {
  const parts = wantedParts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-bench-capture-'));
  const ffmpeg = resolveFfmpegPath(process.env.FFMPEG_PATH);
  try {
    say(`ffmpeg ${ffmpeg}; making a 720p H.264 camera stream`);
    const camera = makeCameraFile(dir, ffmpeg);
    const results: Record<string, unknown> = {};
    if (parts.has('camera')) results.cameraCopy = await cameraCopy(ffmpeg, camera, dir);
    if (parts.has('rooms')) results.courtrooms = await courtrooms(ffmpeg, camera, dir);
    if (parts.has('latency')) results.ackLatency = await latency(dir);
    if (parts.has('sha256')) {
      say('SHA-256 throughput against openssl');
      results.sha256 = { ...(await hashThroughput(dir)), goal: 'ratio ≥ 0.8' };
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
