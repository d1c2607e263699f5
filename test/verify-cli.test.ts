/**
 * `hattama verify` and scripts/verify-chain.sh end to end: a data directory prepared the
 * way the hub leaves it (catalog rows, fs objects, the manifest), then tampered with on
 * disk, around Hattama, as an attacker would.
 */
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackends } from '../cli/backends.ts';
import { chainGenesis, loadConfig, nextChain, sha256Hex, silentLogger } from '../core/index.ts';
import {
  buildManifest,
  manifestKey,
  segmentKey,
  serializeManifest,
  type Repositories,
  type ObjectStore,
} from '../storage/index.ts';
import { commandWorks, requireTool } from './support/tools.ts';

const run = promisify(execFile);
/** scripts/verify-chain.sh reads the manifest with jq, which a fresh machine lacks (decision 0023). */
const hasJq = requireTool(
  await commandWorks('jq', ['--version']),
  'scripts/verify-chain.sh',
  'jq is not on PATH',
  'run "apt-get install jq"',
);
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TRACKS = ['video', 'mix', 'mic-1'] as const;
const SEGMENTS = 6;
const SEGMENT_MS = 4000;

let dataDir: string;
let work: string;

/** Objects as the fs driver lays them out under HATTAMA_DATA_DIR. */
const dataFile = (key: string) => `${path.join(dataDir, 'objects', 'objects', ...key.split('/'))}@/data`;
const key = (hearingId: string, track: string, seq: number) =>
  segmentKey({ hearingId, track, seq, ext: 'ts' });

/** The child's environment: this machine's HATTAMA_* settings must not leak into the run. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HATTAMA_')));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function outcome(file: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { env: childEnv, cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const hattama = (...args: string[]) => outcome(process.execPath, ['bin/hattama.js', ...args]);
const script = (...args: string[]) => outcome('bash', ['scripts/verify-chain.sh', ...args]);

/** Records one hearing into the catalog and the object store, as the hub would leave it on stop. */
async function recordHearing(deps: { repos: Repositories; objects: ObjectStore; hearingId: string }) {
  const { repos, objects, hearingId } = deps;
  await repos.hearings.insert({
    id: hearingId,
    courtroom_id: 'room-1',
    case_number: '2-1234/2026',
    title: 'Ivanov v. Petrov',
    judge: 'Judge A',
    visibility: 'open',
    language: 'ru',
    state: 'stopped',
    scheduled_at: null,
    started_at: T0,
    stopped_at: T0 + SEGMENTS * SEGMENT_MS,
    manifest_key: null,
    manifest_sha256: null,
    created_at: T0,
    updated_at: T0,
  });
  for (const track of TRACKS) {
    const video = track === 'video';
    await repos.hearings.upsertTrack({
      hearing_id: hearingId,
      name: track,
      kind: video ? 'video' : 'audio',
      codec: video ? 'h264' : 'aac',
      sample_rate: video ? null : 48000,
      channels: video ? null : 1,
      speaker: null,
      created_at: T0,
    });
    let chain = chainGenesis(hearingId, track);
    for (let seq = 0; seq < SEGMENTS; seq++) {
      const bytes = crypto.randomBytes(1500 + seq * 50);
      const sha256 = sha256Hex(bytes);
      const startMs = T0 + seq * SEGMENT_MS;
      chain = nextChain(chain, { seq, startMs, durationMs: SEGMENT_MS, sha256 });
      const objectKey = key(hearingId, track, seq);
      await objects.put(objectKey, { bytes }, { sha256, size: bytes.length });
      await repos.segments.insert({
        hearing_id: hearingId,
        track,
        seq,
        start_ms: startMs,
        duration_ms: SEGMENT_MS,
        object_key: objectKey,
        size: bytes.length,
        sha256,
        chain,
        recorder_id: null,
        registered_at: startMs + SEGMENT_MS,
        verify_state: 'ok',
        verified_at: null,
      });
    }
  }
  const manifest = buildManifest({
    hearing: (await repos.hearings.find(hearingId))!,
    court: (await repos.courts.findCourt('almaty-city'))!,
    courtroom: (await repos.courts.findCourtroom('room-1'))!,
    tracks: await repos.hearings.listTracks(hearingId),
    segments: await repos.segments.listByHearing(hearingId),
    markers: await repos.markers.listByHearing(hearingId),
    createdAtMs: T0 + SEGMENTS * SEGMENT_MS,
  });
  const { bytes, sha256 } = serializeManifest(manifest);
  await objects.put(manifestKey(hearingId), { bytes }, { sha256 });
  await repos.hearings.update(hearingId, { manifest_key: manifestKey(hearingId), manifest_sha256: sha256 });
  // The manifest as a user would export it from the store, for the file form and the script.
  const file = path.join(work, `${hearingId}.manifest.json`);
  fs.writeFileSync(file, bytes);
  return { manifest, file };
}

function flipByte(file: string): void {
  const bytes = fs.readFileSync(file);
  bytes[10] = bytes[10]! ^ 0xff;
  fs.writeFileSync(file, bytes);
}

const manifests = new Map<string, string>();

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-verify-cli-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-verify-work-'));
  const backends = await openBackends(loadConfig({ HATTAMA_DATA_DIR: dataDir }), silentLogger());
  try {
    const { repos, objects } = backends;
    await repos.courts.insertCourt({ id: 'almaty-city', name: 'Almaty City Court', created_at: T0 });
    await repos.courts.insertCourtroom({
      id: 'room-1',
      court_id: 'almaty-city',
      name: 'Room 1',
      created_at: T0,
    });
    for (const id of ['h-intact', 'h-flip', 'h-delete', 'h-swap']) {
      manifests.set(id, (await recordHearing({ repos, objects, hearingId: id })).file);
    }
  } finally {
    await backends.close();
  }
  flipByte(dataFile(key('h-flip', 'mic-1', 2)));
  fs.rmSync(path.dirname(dataFile(key('h-delete', 'video', 4))), { recursive: true });
  const a = dataFile(key('h-swap', 'mix', 1));
  const b = dataFile(key('h-swap', 'mix', 3));
  fs.renameSync(a, `${a}.tmp`);
  fs.renameSync(b, a);
  fs.renameSync(`${a}.tmp`, b);
});

afterAll(() => {
  for (const dir of [dataDir, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('hattama verify', () => {
  it('exits 0 for an intact hearing, named by its id', async () => {
    const r = await hattama('verify', 'h-intact', '--data-dir', dataDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/manifest sha256 [0-9a-f]{64} \(as recorded in the catalog\)/);
    expect(r.stdout).toMatch(/^ {2}mic-1 +6 segments +24\.000 s +final chain [0-9a-f]{64}$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('OK: 18 segments in 3 tracks intact');
  });

  it('exits 0 for an intact hearing given as a manifest file, checked against the catalog', async () => {
    const r = await hattama('verify', manifests.get('h-intact')!, '--data-dir', dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(as recorded in the catalog)');
  });

  it('exits 1 naming track and seq of a flipped byte', async () => {
    const r = await hattama('verify', 'h-flip', '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^mic-1 seq 2: altered \(sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}\)$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('FAILED: 1 problem in 18 segments in 3 tracks');
  });

  it('exits 1 naming a deleted segment as missing and swapped segments as reordered', async () => {
    const deleted = await hattama('verify', 'h-delete', '--data-dir', dataDir);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(
      /^video seq 4: missing \(object hearings\/h-delete\/video\/000004\.ts does not exist\)$/m,
    );
    const swapped = await hattama('verify', 'h-swap', '--data-dir', dataDir);
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toMatch(
      /^mix seq 1: reordered \(holds the content of seq 3, sha256 [0-9a-f]{64}\)$/m,
    );
    expect(swapped.stdout).toMatch(
      /^mix seq 3: reordered \(holds the content of seq 1, sha256 [0-9a-f]{64}\)$/m,
    );
  });

  it('prints exactly one JSON object with --json', async () => {
    const bad = await hattama('verify', 'h-flip', '--data-dir', dataDir, '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      ok: false,
      hearingId: 'h-flip',
      problems: [{ track: 'mic-1', seq: 2, problem: 'altered' }],
    });
    expect(report.tracks).toEqual(
      TRACKS.map((name) => ({
        name,
        segments: SEGMENTS,
        durationMs: SEGMENTS * SEGMENT_MS,
        finalChain: expect.stringMatching(/^[0-9a-f]{64}$/),
      })),
    );
    const good = await hattama('verify', 'h-intact', '--data-dir', dataDir, '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, hearingId: 'h-intact', problems: [] });
  });

  it('exits 2 with what to do for an unknown hearing id', async () => {
    const r = await hattama('verify', 'h-unknown', '--data-dir', dataDir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no hearing "h-unknown" in the catalog');
    expect(r.stderr).toContain('--data-dir');
  });

  it('exits 2 for a data directory that holds no recordings, instead of creating one', async () => {
    const nowhere = path.join(work, 'no-such-data');
    const r = await hattama('verify', 'h-intact', '--data-dir', nowhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no object store at .*no-such-data/);
    expect(fs.existsSync(nowhere)).toBe(false);
  });

  it('exits 2 for a malformed manifest file, saying what is wrong', async () => {
    const notJson = path.join(work, 'not-json.json');
    fs.writeFileSync(notJson, 'hello');
    const r1 = await hattama('verify', notJson, '--data-dir', dataDir);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`${notJson} is not JSON`);

    const wrongShape = path.join(work, 'wrong-shape.json');
    fs.writeFileSync(wrongShape, '{"format":"something-else"}');
    const r2 = await hattama('verify', wrongShape, '--data-dir', dataDir);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${wrongShape} is not a Hattama manifest`);
    expect(r2.stderr).toContain('give a manifest.json file, or the id of a hearing');
  });

  it('exits 2 for a missing argument', async () => {
    const r = await hattama('verify');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'manifest-or-hearing'");
  });
});

describe.skipIf(!hasJq)('scripts/verify-chain.sh (integrity without Hattama)', () => {
  const objectsDir = () => path.join(dataDir, 'objects');

  it("recomputes an intact hearing's chains from Hattama's object directory", async () => {
    const r = await script(manifests.get('h-intact')!, objectsDir());
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const [i, track] of TRACKS.entries()) {
      expect(lines[i]).toMatch(new RegExp(`^OK ${track} 6 segments [0-9a-f]{64}$`));
    }
    // The script's final chains are the ones hattama verify reports.
    const json = JSON.parse(
      (await hattama('verify', 'h-intact', '--data-dir', dataDir, '--json')).stdout,
    ) as {
      tracks: { finalChain: string }[];
    };
    expect(lines.map((l) => l.split(' ')[4])).toEqual(json.tracks.map((t) => t.finalChain));
  });

  it('reads a plain copy of the bucket (<dir>/<key>) and checks one track when asked', async () => {
    const mirror = path.join(work, 'mirror');
    for (const track of TRACKS) {
      for (let seq = 0; seq < SEGMENTS; seq++) {
        const k = key('h-intact', track, seq);
        fs.mkdirSync(path.join(mirror, path.dirname(k)), { recursive: true });
        fs.copyFileSync(dataFile(k), path.join(mirror, k));
      }
    }
    const r = await script(manifests.get('h-intact')!, mirror, 'mix');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK mix 6 segments [0-9a-f]{64}\n$/);
  });

  it('exits 1 naming the same track and seq as hattama verify after a flip, a delete and a swap', async () => {
    const flip = await script(manifests.get('h-flip')!, objectsDir());
    expect(flip.code).toBe(1);
    expect(flip.stdout).toMatch(/^FAIL mic-1 seq 2: sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}$/m);
    expect(flip.stdout).toMatch(/^OK video 6 segments/m);

    const del = await script(manifests.get('h-delete')!, objectsDir());
    expect(del.code).toBe(1);
    expect(del.stdout).toMatch(/^FAIL video seq 4: missing/m);

    const swap = await script(manifests.get('h-swap')!, objectsDir());
    expect(swap.code).toBe(1);
    expect(swap.stdout).toMatch(/^FAIL mix seq 1: /m);
    expect(swap.stdout).toMatch(/^FAIL mix seq 3: /m);
    expect(swap.stdout.match(/^FAIL/gm)).toHaveLength(2);
  });
});
