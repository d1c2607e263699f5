/**
 * Recording under faults, end to end: the recorder keeps recording while the object
 * store or the hub is away and catches up in order, and a recorder killed with -9 keeps
 * what it had, continues every hash chain after its restart and marks the gap. Each
 * scenario ends with the recording verified from the stored objects and the catalog
 * checked for lost, duplicated or non-contiguous segments (docs/architecture.md, flow step 3).
 *
 * The S3 scenario stops and starts a private RADOS Gateway (port 7490), never the
 * shared one on 7480 that other test files use at the same time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { jobHandlers, openBackends, openObjectStore, type Backends } from '../cli/backends.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { DEMO, startRole } from '../cli/commands/serve.ts';
import {
  CONFIG_KEYS,
  SystemClock,
  createLogger,
  loadConfig,
  type Config,
  type Logger,
} from '../core/index.ts';
import { DEMO_SOURCES, RecorderNode } from '../recorder/index.ts';
import { resolveFfmpegPath } from '../media/index.ts';
import {
  parseManifest,
  verifyRecording,
  type Marker,
  type ObjectStore,
  type Repositories,
  type Segment,
  type VerifyReport,
} from '../storage/index.ts';
import { createHub, hashNodeToken, type Hub } from '../web/index.ts';
import { ffmpegPidsNaming, processRunning as running } from './support/processes.ts';
import { TEST_S3, runId, serviceAvailable } from './support/services.ts';

const execFileAsync = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..');

/** The demo recorder's tracks (test pattern and four tone microphones). */
const TRACKS = ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4'] as const;
/** Adjacent segments of one track may differ by this much (media time rounding, AAC frames). */
const CONTIGUITY_MS = 50;
const NODE_ID = 'faults-recorder';
/** HATTAMA_SEGMENT_SECONDS' default, which every stack here uses. */
const SEGMENT_MS = Number(CONFIG_KEYS.segmentSeconds.default) * 1000;

/** The private S3 server this file stops and starts; its data dir is kept so later runs start fast. */
const FAULT_S3 = {
  dataDir: '/var/tmp/hattama-s3-faults',
  port: 7490,
  endpoint: 'http://127.0.0.1:7490',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The environment a child process gets: this machine's Hattama and S3 settings never leak in. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('HATTAMA_') || k.startsWith('S3_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs scripts/start-s3.sh for the private instance. */
async function faultS3(command: 'start' | 'stop'): Promise<void> {
  const env = cleanEnv({
    S3_DATA_DIR: FAULT_S3.dataDir,
    S3_PORT: String(FAULT_S3.port),
    S3_ACCESS_KEY: TEST_S3.accessKey,
    S3_SECRET_KEY: TEST_S3.secretKey,
    S3_REGION: TEST_S3.region,
  });
  try {
    await execFileAsync('bash', ['scripts/start-s3.sh', command], { cwd: REPO, env, timeout: 240_000 });
  } catch (error) {
    const e = error as { stderr?: string };
    throw new Error(`start-s3.sh ${command} failed: ${e.stderr ?? String(error)}`);
  }
}

/** A logger writing to a file in the scenario's temp dir; its warnings are printed when a scenario fails. */
function fileLogger(file: string): Logger {
  return createLogger({ level: 'info', destination: fs.createWriteStream(file, { flags: 'a' }) });
}

function printLogTail(file: string, label: string): void {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const lines = text
    .split('\n')
    .filter((l) => /"level":"(warn|error|fatal)"|"msg":"recording run started"/.test(l))
    .slice(-40);
  if (lines.length > 0) console.error(`--- ${label}: last warnings and errors ---\n${lines.join('\n')}`);
}

/** Cleanup after a failed run: ends the ffmpeg processes this scenario's recorders started, by pid. */
function killFfmpegIn(dir: string): void {
  for (const pid of ffmpegPidsNaming(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ------------------------------------------------------------------ catalog checks

interface CatalogFindings {
  byTrack: Map<string, Segment[]>;
  /** The recorder-restart markers. */
  gaps: Marker[];
}

const endOf = (s: Segment) => s.start_ms + s.duration_ms;

/**
 * Zero lost, none duplicated, contiguous: per track seqs 0..n-1 with no hole and every
 * object present with its size; no two rows for one (track, seq) and no object key twice;
 * adjacent segments within ±50 ms unless a recorder-restart marker lies between them.
 * Also: registrations arrived in seq order per track (the hub checks chains link by link).
 */
async function checkCatalog(
  repos: Repositories,
  objects: ObjectStore,
  hearingId: string,
): Promise<CatalogFindings> {
  const rows = await repos.segments.listByHearing(hearingId);
  const gaps = (await repos.markers.listByHearing(hearingId)).filter((m) => m.kind === 'recorder-restart');

  const tracks = (await repos.hearings.listTracks(hearingId)).map((t) => t.name).sort();
  expect(tracks).toEqual([...TRACKS].sort());

  const pairs = new Set<string>();
  for (const s of rows) {
    const pair = `${s.track}#${s.seq}`;
    expect(pairs.has(pair), `two catalog rows for ${pair}`).toBe(false);
    pairs.add(pair);
  }
  const keys = rows.map((s) => s.object_key);
  expect(new Set(keys).size, 'object keys are unique').toBe(keys.length);

  const byTrack = new Map<string, Segment[]>();
  for (const track of TRACKS) {
    const own = rows.filter((s) => s.track === track).sort((a, b) => a.seq - b.seq);
    byTrack.set(track, own);
    expect(own.length, `${track} has segments`).toBeGreaterThan(0);
    expect(
      own.map((s) => s.seq),
      `${track} seqs run 0..n-1`,
    ).toEqual(own.map((_, i) => i));
    for (let i = 1; i < own.length; i++) {
      const a = own[i - 1]!;
      const b = own[i]!;
      expect(b.registered_at, `${track} seq ${b.seq} registered after seq ${a.seq}`).toBeGreaterThanOrEqual(
        a.registered_at,
      );
      const acrossGap = gaps.some(
        (g) => endOf(a) <= g.at_ms + CONTIGUITY_MS && b.start_ms >= (g.end_ms ?? g.at_ms) - CONTIGUITY_MS,
      );
      if (acrossGap) continue;
      const jump = b.start_ms - endOf(a);
      expect(
        Math.abs(jump),
        `${track} seq ${b.seq} starts ${jump} ms after seq ${a.seq} ends, with no recorded gap between`,
      ).toBeLessThanOrEqual(CONTIGUITY_MS);
    }
  }
  for (const s of rows) {
    const stat = await objects.stat(s.object_key);
    expect(stat, `object ${s.object_key} is stored`).not.toBeNull();
    expect(stat!.size, `object ${s.object_key} has the registered size`).toBe(s.size);
  }
  return { byTrack, gaps };
}

/** The manifest the hub wrote, verified from the stored objects against the catalog's record of it. */
async function verifyFromStore(
  repos: Repositories,
  objects: ObjectStore,
  hearingId: string,
): Promise<VerifyReport> {
  const hearing = (await repos.hearings.find(hearingId))!;
  expect(hearing.manifest_key).toBeTruthy();
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(hearing.manifest_key!)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const report = await verifyRecording({
    manifest: parseManifest(bytes),
    manifestBytes: bytes,
    objects,
    expectedManifestSha256: hearing.manifest_sha256 ?? undefined,
  });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  return report;
}

/** `hattama verify <id> --data-dir D --json`, as an auditor runs it. */
async function verifyWithCli(
  hearingId: string,
  dataDir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['bin/hattama.js', 'verify', hearingId, '--data-dir', dataDir, '--json'];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: REPO,
      env: cleanEnv({}),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function expectDurations(byTrack: Map<string, Segment[]>, expectedMs: number, toleranceMs: number): void {
  // Every track's span first, so a failure says whether a track began late or ended early.
  const t0 = Math.min(...[...byTrack.values()].map((own) => own[0]?.start_ms ?? Infinity));
  const spans = [...byTrack].map(([track, own]) => {
    const total = own.reduce((sum, s) => sum + s.duration_ms, 0);
    const last = own[own.length - 1];
    const from = (own[0]?.start_ms ?? t0) - t0;
    const to = last ? last.start_ms + last.duration_ms - t0 : 0;
    return { track, total, text: `${track}: ${own.length} segments, ${from}–${to} ms, ${total} ms held` };
  });
  const all = spans.map((s) => s.text).join('; ');
  for (const { track, total } of spans)
    expect(
      Math.abs(total - expectedMs),
      `${track} holds ${total} ms, expected ${expectedMs} ± ${toleranceMs} (${all})`,
    ).toBeLessThanOrEqual(toleranceMs);
}

// ------------------------------------------------------------------ a hub that can be stopped

interface HubStack {
  config: Config;
  dataDir: string;
  backends: Backends;
  logger: Logger;
  token: string;
  hub: Hub;
  server: http.Server;
  port: number;
}

/** The demo courtroom and this file's recorder node with a fresh token (as seedDemo in serve.ts). */
async function seed(backends: Backends): Promise<string> {
  const { repos, clock } = backends;
  const now = clock.now();
  if (!(await repos.courts.findCourt(DEMO.courtId)))
    await repos.courts.insertCourt({ id: DEMO.courtId, name: 'Demo District Court', created_at: now });
  if (!(await repos.courts.findCourtroom(DEMO.courtroomId)))
    await repos.courts.insertCourtroom({
      id: DEMO.courtroomId,
      court_id: DEMO.courtId,
      name: 'Courtroom 1',
      created_at: now,
    });
  const token = crypto.randomBytes(24).toString('base64url');
  await repos.recorderNodes.insert({
    id: NODE_ID,
    courtroom_id: DEMO.courtroomId,
    name: 'Fault-injection recorder',
    token_hash: hashNodeToken(token),
    created_at: now,
    last_seen_at: null,
    revoked_at: null,
  });
  return token;
}

async function listenHub(
  backends: Backends,
  logger: Logger,
  port: number,
): Promise<{ hub: Hub; server: http.Server; port: number }> {
  const hub = createHub({
    repos: backends.repos,
    objects: backends.objects,
    queue: backends.queue,
    clock: backends.clock,
    logger,
    adminToken: crypto.randomBytes(24).toString('base64url'),
    segmentSeconds: backends.config.segmentSeconds,
    probes: backends.probes,
    role: 'hub',
  });
  const server = http.createServer(hub.app);
  hub.attach(server);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { hub, server, port: typeof address === 'object' && address ? address.port : port };
}

async function closeHub(stack: { hub: Hub; server: http.Server }): Promise<void> {
  await stack.hub.close();
  stack.server.closeAllConnections();
  await new Promise<void>((resolve) => stack.server.close(() => resolve()));
}

async function openHubStack(dataDir: string, logger: Logger): Promise<HubStack> {
  const config = loadConfig({ HATTAMA_DATA_DIR: dataDir, HATTAMA_PORT: '0', HATTAMA_RECORDER_ID: NODE_ID });
  const backends = await openBackends(config, logger);
  try {
    await backends.queue.start(jobHandlers(backends, logger), { concurrency: 2 });
    const token = await seed(backends);
    const listening = await listenHub(backends, logger, 0);
    return { config, dataDir, backends, logger, token, ...listening };
  } catch (error) {
    await backends.close();
    throw error;
  }
}

async function createHearing(hub: Hub, title: string): Promise<string> {
  await until('the recorder to connect', 30_000, () => hub.gateway.nodeForCourtroom(DEMO.courtroomId));
  const hearing = await hub.hearings.create({
    courtroomId: DEMO.courtroomId,
    caseNumber: '2-0042/2026',
    title,
    judge: 'Judge F',
    visibility: 'open',
    language: 'ru',
  });
  return hearing.id;
}

/** Media time 0 of the hearing: the first registered segment's start. */
async function firstSegmentStart(repos: Repositories, hearingId: string): Promise<number> {
  return until('the first segment', 60_000, async () => {
    const rows = await repos.segments.listByHearing(hearingId);
    return rows.length > 0 ? Math.min(...rows.map((s) => s.start_ms)) : null;
  });
}

async function waitForManifest(repos: Repositories, hearingId: string): Promise<void> {
  await until('the manifest', 90_000, async () => (await repos.hearings.find(hearingId))?.manifest_sha256);
}

/** Committed segments waiting in a node's spool for the object store or the hub. */
function spoolPending(spoolDir: string, hearingId: string): number {
  const dir = path.join(spoolDir, hearingId, 'pending');
  let n = 0;
  for (const track of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    n += fs.readdirSync(path.join(dir, track)).filter((f) => f.endsWith('.ts')).length;
  return n;
}

// ------------------------------------------------------------------ the scenarios

const s3 = await serviceAvailable('s3', 'recording faults (S3 outage)');

describe('recording faults', () => {
  let s3Started = false;
  const temps: string[] = [];
  const tempDir = (label: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hattama-faults-${label}-`));
    temps.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const dir of temps) killFfmpegIn(dir);
    // Stop the private instance's daemons; its data dir stays so the next run starts in seconds.
    if (s3Started) await faultS3('stop');
    // HATTAMA_TEST_KEEP_TMP=1 keeps the data, spools and logs for a look after a failure.
    if (process.env.HATTAMA_TEST_KEEP_TMP !== '1')
      for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it.skipIf(!s3)(
    'keeps recording while the S3 server is stopped for 20 s and catches up in order',
    async () => {
      const SECONDS = 40;
      // Started here rather than in beforeAll, so the other scenarios never depend on it.
      s3Started = true;
      await faultS3('start');
      // start-s3.sh has RGW make its bucket pools before it reports ready: on a new server
      // the first put would otherwise wait while Ceph creates one (1.2-1.6 s in the bench).
      const { stdout: pools } = await execFileAsync(
        'ceph',
        ['--conf', path.join(FAULT_S3.dataDir, 'ceph.conf'), '--connect-timeout', '10', 'osd', 'pool', 'ls'],
        { timeout: 60_000 },
      );
      expect(pools.split('\n')).toEqual(
        expect.arrayContaining([
          'default.rgw.buckets.index',
          'default.rgw.buckets.data',
          'default.rgw.buckets.non-ec',
        ]),
      );
      const tmp = tempDir('s3');
      const logFile = path.join(tmp, 'hattama.log');
      const config = loadConfig({
        HATTAMA_DATA_DIR: path.join(tmp, 'data'),
        HATTAMA_PORT: '0',
        HATTAMA_RECORDER_SOURCES: 'demo',
        HATTAMA_OBJECTS: 's3',
        HATTAMA_S3_ENDPOINT: FAULT_S3.endpoint,
        HATTAMA_S3_ACCESS_KEY: TEST_S3.accessKey,
        HATTAMA_S3_SECRET_KEY: TEST_S3.secretKey,
        HATTAMA_S3_REGION: TEST_S3.region,
        HATTAMA_S3_BUCKET: runId('hattama-faults-'),
      });
      const running = await startRole('all', config, fileLogger(logFile));
      const { repos, objects } = running.backends!;
      try {
        const hearingId = runId('h-s3-');
        let stopping: Promise<void> | null = null;
        let restarting: Promise<void> | null = null;
        let downSince = 0;
        let restartAt = 0;
        let pendingWhileDown = 0;
        // Fault injection runs beside the recording loop, which keeps its pace.
        await recordHearing({
          running,
          config,
          seconds: SECONDS,
          hearingId,
          during: (elapsed) => {
            if (elapsed >= 8 && !stopping) {
              stopping = faultS3('stop').then(() => {
                downSince = Date.now();
              });
              stopping.catch(() => undefined);
            }
            if (elapsed >= 28 && stopping && !restarting) {
              restarting = stopping.then(async () => {
                pendingWhileDown = spoolPending(config.spoolDir, hearingId);
                restartAt = Date.now();
                await faultS3('start');
              });
              restarting.catch(() => undefined);
            }
          },
        });
        await stopping;
        await restarting;
        expect(downSince).toBeGreaterThan(0);
        expect(restartAt - downSince, 'S3 was down for a while').toBeGreaterThan(10_000);
        // The node kept recording into its spool while S3 was down.
        expect(pendingWhileDown, 'segments waited in the spool').toBeGreaterThan(TRACKS.length);

        const found = await checkCatalog(repos, objects, hearingId);
        expect(found.gaps, 'recording never stopped').toEqual([]);
        expectDurations(found.byTrack, SECONDS * 1000, 500);
        // Everything recorded after S3 went down was registered only after it came back.
        for (const own of found.byTrack.values()) {
          const late = own.filter((s) => s.start_ms > downSince);
          expect(late.length).toBeGreaterThan(0);
          for (const s of late) expect(s.registered_at).toBeGreaterThanOrEqual(restartAt);
        }
        const report = await verifyFromStore(repos, objects, hearingId);
        expect(report.tracks.map((t) => t.segments).reduce((a, b) => a + b, 0)).toBe(
          [...found.byTrack.values()].reduce((a, b) => a + b.length, 0),
        );
      } catch (error) {
        printLogTail(logFile, 'S3 outage');
        throw error;
      } finally {
        await running.close();
      }
    },
    150_000,
  );

  it('keeps recording while the hub is stopped for 20 s and catches up in order', async () => {
    const SECONDS = 40;
    const tmp = tempDir('hub');
    const logFile = path.join(tmp, 'hattama.log');
    const logger = fileLogger(logFile);
    const stack = await openHubStack(path.join(tmp, 'hub'), logger);
    const { repos } = stack.backends;
    const spoolDir = path.join(tmp, 'node', 'spool');
    const nodeObjects = await openObjectStore(stack.config, logger);
    let hubs: { hub: Hub; server: http.Server } | null = { hub: stack.hub, server: stack.server };
    let recorder: RecorderNode | null = null;
    try {
      recorder = await RecorderNode.create({
        nodeId: NODE_ID,
        token: stack.token,
        hubUrl: `ws://127.0.0.1:${stack.port}`,
        spoolDir,
        sources: DEMO_SOURCES,
        segmentSeconds: stack.config.segmentSeconds,
        ffmpegPath: resolveFfmpegPath(stack.config.ffmpegPath),
        objects: nodeObjects,
        clock: new SystemClock(),
        logger: logger.child({ role: 'recorder' }),
        statusIntervalMs: 500,
      });
      // The node's status reports as the hub receives them: spool use and backlog.
      const statuses: {
        atMs: number;
        spoolBytes: number;
        spoolFreeBytes: number;
        pendingSegments: number;
      }[] = [];
      const listenForStatus = (h: Hub) =>
        h.gateway.on('live', ({ message }) => {
          if (message.type !== 'status') return;
          const { spoolBytes, spoolFreeBytes, pendingSegments } = message;
          statuses.push({ atMs: Date.now(), spoolBytes, spoolFreeBytes, pendingSegments });
        });
      listenForStatus(hubs.hub);
      const hearingId = await createHearing(hubs.hub, 'Hub outage');
      await hubs.hub.hearings.command(hearingId, 'start');
      const t0 = await firstSegmentStart(repos, hearingId);

      await until('8 s of recording', 30_000, () => Date.now() - t0 >= 8_000);
      await closeHub(hubs);
      hubs = null;
      const downSince = Date.now();
      await until('28 s of recording', 40_000, () => Date.now() - t0 >= 28_000);
      const pendingWhileDown = spoolPending(spoolDir, hearingId);
      const backAt = Date.now();
      hubs = await listenHub(stack.backends, logger, stack.port);
      const hub = hubs.hub;
      listenForStatus(hub);
      await until('the recorder to reconnect', 30_000, () => hub.gateway.nodeForCourtroom(DEMO.courtroomId));
      await until(`${SECONDS} s of recording`, 60_000, () => Date.now() - t0 >= SECONDS * 1000);
      await hub.hearings.command(hearingId, 'stop');
      await waitForManifest(repos, hearingId);

      expect(pendingWhileDown, 'segments waited in the spool').toBeGreaterThan(TRACKS.length);
      // Once segments are committed the spool holds at least its journals; after the outage the node
      // reported the backlog it was catching up on.
      const before = statuses.filter((st) => st.atMs > t0 + 6_000 && st.atMs < downSince);
      expect(before.length).toBeGreaterThan(0);
      for (const st of before)
        expect(st.spoolBytes > 0 && st.spoolFreeBytes > 0, JSON.stringify(st)).toBe(true);
      const after = statuses.filter((st) => st.atMs >= backAt);
      expect(Math.max(0, ...after.map((st) => st.pendingSegments)), 'backlog reported').toBeGreaterThan(0);
      const found = await checkCatalog(repos, stack.backends.objects, hearingId);
      expect(found.gaps, 'recording never stopped').toEqual([]);
      expectDurations(found.byTrack, SECONDS * 1000, 500);
      for (const own of found.byTrack.values()) {
        const late = own.filter((s) => s.start_ms > downSince);
        expect(late.length).toBeGreaterThan(0);
        for (const s of late) expect(s.registered_at).toBeGreaterThanOrEqual(backAt);
      }
      await verifyFromStore(repos, stack.backends.objects, hearingId);
      // Delivered: the node keeps nothing of the hearing.
      await until('the spool to be emptied', 15_000, () => !fs.existsSync(path.join(spoolDir, hearingId)));

      await recorder.close();
      recorder = null;
      const cli = await verifyWithCli(hearingId, stack.dataDir);
      expect(cli.code, cli.stderr || cli.stdout).toBe(0);
      expect((JSON.parse(cli.stdout) as { ok: boolean }).ok).toBe(true);
    } catch (error) {
      printLogTail(logFile, 'hub outage');
      throw error;
    } finally {
      await recorder?.close();
      await nodeObjects.close();
      if (hubs) await closeHub(hubs);
      await stack.backends.close();
    }
  }, 150_000);

  it('after kill -9 of the recorder mid-hearing, keeps everything before the last incomplete fragment, continues the chains and marks the gap', async () => {
    const tmp = tempDir('kill');
    const logFile = path.join(tmp, 'hattama.log');
    const logger = fileLogger(logFile);
    const stack = await openHubStack(path.join(tmp, 'hub'), logger);
    const { repos, objects } = stack.backends;
    const nodeDataDir = path.join(tmp, 'node');
    const spoolDir = path.join(nodeDataDir, 'spool');
    const childLog = path.join(tmp, 'recorder.log');
    const env = cleanEnv({
      HATTAMA_HUB_URL: `ws://127.0.0.1:${stack.port}`,
      HATTAMA_RECORDER_TOKEN: stack.token,
      HATTAMA_RECORDER_ID: NODE_ID,
      HATTAMA_DATA_DIR: nodeDataDir,
      HATTAMA_OBJECTS: 'fs',
      HATTAMA_OBJECTS_DIR: stack.config.objectsDir,
      HATTAMA_LOG_LEVEL: 'warn',
    });
    const children: ChildProcess[] = [];
    const startRecorder = () => {
      const out = fs.openSync(childLog, 'a');
      const child = spawn(process.execPath, ['bin/hattama.js', 'recorder'], {
        cwd: REPO,
        env,
        stdio: ['ignore', out, out],
      });
      fs.closeSync(out);
      children.push(child);
      return child;
    };
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : once(child, 'exit').then(() => undefined);
    try {
      const spawnedAt = Date.now();
      const first = startRecorder();
      await until('the recorder to connect', 30_000, () =>
        stack.hub.gateway.nodeForCourtroom(DEMO.courtroomId),
      );
      const startupMs = Date.now() - spawnedAt;
      const hearingId = await createHearing(stack.hub, 'Recorder crash');
      await stack.hub.hearings.command(hearingId, 'start');
      const t0 = await firstSegmentStart(repos, hearingId);
      await until('10 s of recording', 30_000, () => Date.now() - t0 >= 10_000);

      const before = await repos.segments.listByHearing(hearingId);
      const orphans = () => ffmpegPidsNaming(spoolDir);
      const orphan = orphans();
      // Picture and sound are captured by separate ffmpeg processes (decision 0010).
      expect(orphan.length, 'the node runs an ffmpeg for the picture and one for the sound').toBe(2);
      first.kill('SIGKILL');
      await exited(first);
      const killedAt = Date.now();
      // The node died, its ffmpeg did not: it still writes into the spool.
      expect(orphans(), 'ffmpeg outlived its node').toEqual(orphan);

      // Restart after ~2 s, timed so that the new node (about as slow to start as the
      // first) stops the orphan some 2 s into a segment: its last fragment is then well
      // under way on every track, and losing it would show.
      await sleep(2000);
      await until('a restart time mid-segment', 10_000, () => {
        const phase = (Date.now() + startupMs - t0) % SEGMENT_MS;
        return phase >= 1800 && phase <= 2600;
      });
      const second = startRecorder();
      const orphanDiedAt = await until('the restarted node to stop the orphan', 30_000, () =>
        orphan.every((pid) => !running(pid)) ? Date.now() : null,
      );
      // Each capture group marks its own gap, naming what it interrupted.
      const gaps = await until(
        'a recorder-restart marker for the picture and one for the sound',
        60_000,
        async () => {
          const found = (await repos.markers.listByHearing(hearingId)).filter(
            (m) => m.kind === 'recorder-restart',
          );
          return found.length >= 2 ? found : null;
        },
      );
      const gapOf = (track: string): Marker => {
        const subject = track === 'video' ? 'picture' : 'sound';
        const own = gaps.filter((m) => m.text.includes(`of the ${subject} `));
        expect(own, `one recorder-restart marker names the ${subject}`).toHaveLength(1);
        return own[0]!;
      };
      for (const g of gaps) expect(g.end_ms).not.toBeNull();
      expect(orphanDiedAt - killedAt, 'the orphan wrote on after its node died').toBeGreaterThanOrEqual(2000);
      const lastGapEnd = Math.max(...gaps.map((g) => g.end_ms!));
      await until('10 s more of recording', 30_000, () => Date.now() - lastGapEnd >= 10_000);
      await until('the recorder to be connected', 30_000, () =>
        stack.hub.gateway.nodeForCourtroom(DEMO.courtroomId),
      );
      const stoppedAt = Date.now();
      await stack.hub.hearings.command(hearingId, 'stop');
      await waitForManifest(repos, hearingId);

      const found = await checkCatalog(repos, objects, hearingId);
      expect(found.gaps, 'one recorder-restart marker for the picture, one for the sound').toHaveLength(2);
      for (const gap of found.gaps) {
        expect(gap.at_ms).toBeLessThanOrEqual(gap.end_ms!);
        expect(gap.at_ms, 'the gap starts after recording started').toBeGreaterThan(t0);
        expect(gap.end_ms!, 'the gap ends after the node came back').toBeGreaterThan(killedAt);
      }

      // Everything registered before the kill is unchanged.
      for (const s of before) {
        const after = found.byTrack.get(s.track)?.find((x) => x.seq === s.seq);
        expect(after, `${s.track} seq ${s.seq} still registered`).toBeDefined();
        expect(
          {
            sha256: after!.sha256,
            chain: after!.chain,
            start: after!.start_ms,
            duration: after!.duration_ms,
            key: after!.object_key,
          },
          `${s.track} seq ${s.seq} unchanged`,
        ).toEqual({
          sha256: s.sha256,
          chain: s.chain,
          start: s.start_ms,
          duration: s.duration_ms,
          key: s.object_key,
        });
      }

      const recordedMs = stoppedAt - t0;
      for (const [track, own] of found.byTrack) {
        const gap = gapOf(track);
        const at = gap.at_ms;
        const end = gap.end_ms!;
        const gapMs = end - at;
        expect(
          before.some((s) => s.track === track),
          `${track} had registered segments before the kill`,
        ).toBe(true);
        const pre = own.filter((s) => s.start_ms < at);
        const post = own.filter((s) => s.start_ms >= at);
        expect(pre.length, `${track} has segments before the gap`).toBeGreaterThan(0);
        expect(post.length, `${track} has segments after the gap`).toBeGreaterThan(0);
        for (const s of pre)
          expect(endOf(s), `${track} seq ${s.seq} ends before the gap`).toBeLessThanOrEqual(
            at + CONTIGUITY_MS,
          );
        for (const s of post)
          expect(s.start_ms, `${track} seq ${s.seq} starts after the gap`).toBeGreaterThanOrEqual(
            end - CONTIGUITY_MS,
          );
        // Whatever the orphan wrote until it was stopped is kept, its last, incomplete
        // fragment included (whole packets): at most a second short of its death.
        expect(
          endOf(pre[pre.length - 1]!),
          `${track} keeps what ffmpeg wrote until it was stopped`,
        ).toBeGreaterThanOrEqual(orphanDiedAt - 1000);
        const total = own.reduce((sum, s) => sum + s.duration_ms, 0);
        expect(
          total,
          `${track} holds ${total} ms of ${recordedMs} ms recorded with a ${gapMs} ms gap`,
        ).toBeGreaterThanOrEqual(recordedMs - gapMs - 1000);
      }

      const report = await verifyFromStore(repos, objects, hearingId);
      expect(report.tracks.every((t) => t.ok)).toBe(true);

      // A clean shutdown of the restarted node leaves no ffmpeg behind, orphan included.
      second.kill('SIGTERM');
      await Promise.race([exited(second), sleep(20_000)]);
      expect(second.exitCode ?? second.signalCode, 'the node exited on SIGTERM').not.toBeNull();
      expect(orphans(), 'no ffmpeg writes into the spool any more').toEqual([]);

      const cli = await verifyWithCli(hearingId, stack.dataDir);
      expect(cli.code, cli.stderr || cli.stdout).toBe(0);
      expect((JSON.parse(cli.stdout) as { ok: boolean }).ok).toBe(true);
    } catch (error) {
      printLogTail(logFile, 'recorder crash (hub)');
      const text = fs.existsSync(childLog)
        ? fs.readFileSync(childLog, 'utf8').split('\n').slice(-40).join('\n')
        : '';
      if (text) console.error(`--- recorder crash: recorder child output ---\n${text}`);
      throw error;
    } finally {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      killFfmpegIn(spoolDir);
      await closeHub(stack);
      await stack.backends.close();
    }
  }, 150_000);
});
