import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, chainGenesis, nextChain, sha256Hex } from '../core/index.ts';
import { buildManifest, serializeManifest, type Manifest } from './manifest.ts';
import { parseManifest, verifyRecording, type VerifyRecordingOptions } from './manifest-verify.ts';
import { FsObjectStore, UrlSigner, manifestKey, segmentKey } from './objects/index.ts';
import type { Hearing, Segment, Track } from './catalog/index.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HEARING = 'h-verify';
const TRACKS = ['video', 'mix', 'mic-1'] as const;
const SEGMENTS = 6;
const SEGMENT_MS = 4000;

interface Recorded {
  store: FsObjectStore;
  root: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestSha256: string;
}

/** Records a hearing the way the recorder and hub would: random segments, chained, then the manifest. */
async function recordHearing(root: string): Promise<Recorded> {
  const store = new FsObjectStore({ root, signer: new UrlSigner('x'.repeat(32)) });
  await store.init();
  const segments: Segment[] = [];
  for (const track of TRACKS) {
    let chain = chainGenesis(HEARING, track);
    for (let seq = 0; seq < SEGMENTS; seq++) {
      const bytes = crypto.randomBytes(2000 + seq * 100);
      const sha256 = sha256Hex(bytes);
      const key = segmentKey({ hearingId: HEARING, track, seq, ext: 'ts' });
      const startMs = T0 + seq * SEGMENT_MS;
      chain = nextChain(chain, { seq, startMs, durationMs: SEGMENT_MS, sha256 });
      await store.put(key, { bytes }, { sha256, size: bytes.length });
      segments.push({
        hearing_id: HEARING,
        track,
        seq,
        start_ms: startMs,
        duration_ms: SEGMENT_MS,
        object_key: key,
        size: bytes.length,
        sha256,
        chain,
        recorder_id: 'rec-1',
        registered_at: startMs + SEGMENT_MS,
        verify_state: 'ok',
        verified_at: null,
      });
    }
  }
  const manifest = buildManifest({
    hearing: hearingRow(),
    court: { id: 'almaty-city', name: 'Almaty City Court', created_at: T0 },
    courtroom: { id: 'room-1', court_id: 'almaty-city', name: 'Room 1', created_at: T0 },
    tracks: TRACKS.map(trackRow),
    segments,
    markers: [],
    createdAtMs: T0 + SEGMENTS * SEGMENT_MS,
  });
  const { bytes, sha256 } = serializeManifest(manifest);
  await store.put(manifestKey(HEARING), { bytes }, { sha256 });
  return { store, root, manifest, manifestBytes: bytes, manifestSha256: sha256 };
}

function hearingRow(): Hearing {
  return {
    id: HEARING,
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
    case_id: null,
    judge_user_id: null,
    secretary_user_id: null,
  };
}

function trackRow(name: string): Track {
  const video = name === 'video';
  return {
    hearing_id: HEARING,
    name,
    kind: video ? 'video' : 'audio',
    codec: video ? 'h264' : 'aac',
    sample_rate: video ? null : 48000,
    channels: video ? null : 1,
    speaker: null,
    created_at: T0,
  };
}

/** Where the fs driver keeps an object's bytes: tampering goes around the store, as an attacker would. */
function dataFile(root: string, key: string): string {
  return `${path.join(root, 'objects', ...key.split('/'))}@/data`;
}

const key = (track: string, seq: number) => segmentKey({ hearingId: HEARING, track, seq, ext: 'ts' });

describe('verifyRecording', () => {
  let rec: Recorded;
  const verify = (extra: Partial<VerifyRecordingOptions> = {}) =>
    verifyRecording({ manifest: rec.manifest, objects: rec.store, ...extra });

  beforeEach(async () => {
    rec = await recordHearing(fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-verify-')));
  });
  afterEach(() => {
    if (rec) fs.rmSync(rec.root, { recursive: true, force: true });
  });

  it('finds an intact recording intact, with every chain recomputed from its genesis', async () => {
    const progress: [number, number][] = [];
    const report = await verify({
      manifestBytes: rec.manifestBytes,
      expectedManifestSha256: rec.manifestSha256,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.hearingId).toBe(HEARING);
    expect(report.manifestSha256).toBe(rec.manifestSha256);
    expect(report.checked.segments).toBe(TRACKS.length * SEGMENTS);
    expect(report.tracks.map((t) => t.name)).toEqual(['video', 'mix', 'mic-1']);
    for (const t of report.tracks) {
      expect(t).toMatchObject({ segments: SEGMENTS, durationMs: SEGMENTS * SEGMENT_MS, ok: true });
      expect(t.recomputedFinalChain).toBe(t.finalChain);
    }
    expect(progress[0]).toEqual([0, 18]);
    expect(progress.at(-1)).toEqual([18, 18]);
    expect(progress.map(([done]) => done)).toEqual([...Array(19).keys()]);
  });

  it('reports one flipped byte in a stored segment as altered, naming its track and seq', async () => {
    const file = dataFile(rec.root, key('mic-1', 3));
    const bytes = fs.readFileSync(file);
    bytes[100] = bytes[100]! ^ 0x01;
    fs.writeFileSync(file, bytes);

    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        track: 'mic-1',
        seq: 3,
        problem: 'altered',
        detail: `sha256 ${sha256Hex(bytes)}, manifest says ${rec.manifest.tracks[2]!.segments[3]!.sha256}`,
      },
    ]);
    expect(report.tracks.map((t) => t.ok)).toEqual([true, true, false]);
    expect(report.tracks[2]!.recomputedFinalChain).not.toBe(report.tracks[2]!.finalChain);
  });

  it('reports a deleted segment as missing', async () => {
    await rec.store.delete(key('video', 5));
    const report = await verify();
    expect(report.problems).toEqual([
      expect.objectContaining({ track: 'video', seq: 5, problem: 'missing' }),
    ]);
    expect(report.tracks[0]!.recomputedFinalChain).toBeNull();
  });

  it('reports two swapped segments each as reordered, naming the other seq', async () => {
    const a = dataFile(rec.root, key('mix', 1));
    const b = dataFile(rec.root, key('mix', 4));
    const swap = `${a}.swap`;
    fs.renameSync(a, swap);
    fs.renameSync(b, a);
    fs.renameSync(swap, b);

    const report = await verify();
    expect(report.problems).toHaveLength(2);
    expect(report.problems[0]).toMatchObject({ track: 'mix', seq: 1, problem: 'reordered' });
    expect(report.problems[0]!.detail).toMatch(/holds the content of seq 4\b/);
    expect(report.problems[1]).toMatchObject({ track: 'mix', seq: 4, problem: 'reordered' });
    expect(report.problems[1]!.detail).toMatch(/holds the content of seq 1\b/);
  });

  it('reports an object the manifest does not list as extra, but not the manifest or copies', async () => {
    const bytes = crypto.randomBytes(500);
    await rec.store.put(key('mic-1', 6), { bytes }, { sha256: sha256Hex(bytes) });
    await rec.store.put(`hearings/${HEARING}/copies/c1.mp4`, { bytes }, { sha256: sha256Hex(bytes) });
    const report = await verify();
    expect(report.problems).toEqual([
      {
        track: 'mic-1',
        seq: 6,
        problem: 'extra',
        detail: `object ${key('mic-1', 6)} (500 bytes) is not listed in the manifest`,
      },
    ]);
  });

  it('reports a segment of another length as a size mismatch', async () => {
    const file = dataFile(rec.root, key('video', 2));
    fs.appendFileSync(file, Buffer.from([0]));
    const report = await verify();
    expect(report.problems).toEqual([
      expect.objectContaining({ track: 'video', seq: 2, problem: 'size-mismatch' }),
    ]);
  });

  it("reports a manifest whose SHA-256 is not the catalog's record", async () => {
    const edited = { ...rec.manifest, hearing: { ...rec.manifest.hearing, judge: 'Judge B' } };
    const report = await verifyRecording({
      manifest: edited,
      objects: rec.store,
      expectedManifestSha256: rec.manifestSha256,
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        track: null,
        seq: null,
        problem: 'manifest-mismatch',
        detail: `manifest sha256 ${serializeManifest(edited).sha256}, catalog says ${rec.manifestSha256}`,
      },
    ]);
    // The same check over the bytes as stored, which is what the CLI hands in.
    const bytes = Buffer.from(rec.manifestBytes.toString('utf8').replace('Judge A', 'Judge B'));
    const fromBytes = await verify({ manifestBytes: bytes, expectedManifestSha256: rec.manifestSha256 });
    expect(fromBytes.problems.map((p) => p.problem)).toEqual(['manifest-mismatch']);
  });

  it('reports a chain value edited in the manifest once, at its seq', async () => {
    const manifest = structuredClone(rec.manifest);
    manifest.tracks[1]!.segments[2]!.chain = 'f'.repeat(64);
    manifest.tracks[2]!.segments[5]!.chain = 'f'.repeat(64);
    const report = await verifyRecording({ manifest, objects: rec.store });
    expect(report.problems).toEqual([
      expect.objectContaining({ track: 'mix', seq: 2, problem: 'chain-mismatch' }),
      expect.objectContaining({ track: 'mic-1', seq: 5, problem: 'chain-mismatch' }),
    ]);
    expect(report.problems[0]!.detail).toBe(
      `chain ${'f'.repeat(64)}, recomputed ${rec.manifest.tracks[1]!.segments[2]!.chain}`,
    );
  });

  it('reports a start time edited in the manifest as a chain mismatch at that seq', async () => {
    const manifest = structuredClone(rec.manifest);
    manifest.tracks[0]!.segments[4]!.start = '2026-03-02T09:00:17.000Z';
    const report = await verifyRecording({ manifest, objects: rec.store });
    expect(report.problems).toEqual([
      expect.objectContaining({ track: 'video', seq: 4, problem: 'chain-mismatch' }),
    ]);
    expect(report.tracks[0]!.recomputedFinalChain).not.toBe(report.tracks[0]!.finalChain);
  });

  it('reports a final chain, genesis or totals that do not follow from the listed segments', async () => {
    const manifest = structuredClone(rec.manifest);
    manifest.tracks[2]!.finalChain = 'e'.repeat(64);
    manifest.tracks[1]!.genesis = 'd'.repeat(64);
    manifest.tracks[0]!.segmentCount = 7;
    const report = await verifyRecording({ manifest, objects: rec.store });
    expect(report.problems.map((p) => [p.track, p.seq, p.problem])).toEqual([
      ['video', null, 'manifest-inconsistent'],
      ['mix', null, 'chain-mismatch'],
      ['mic-1', null, 'chain-mismatch'],
    ]);
  });

  it('reports a segment dropped from the manifest as missing there and its object as extra', async () => {
    const manifest = structuredClone(rec.manifest);
    manifest.tracks[2]!.segments.splice(3, 1);
    manifest.tracks[2]!.segmentCount = 5;
    manifest.tracks[2]!.durationMs -= SEGMENT_MS;
    const report = await verifyRecording({ manifest, objects: rec.store });
    expect(report.problems.map((p) => [p.track, p.seq, p.problem])).toEqual([
      ['mic-1', 3, 'missing'],
      ['mic-1', 3, 'extra'],
      ['mic-1', 4, 'chain-mismatch'],
    ]);
  });
});

describe('parseManifest', () => {
  it('reads canonical manifest bytes back into the same manifest', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-verify-'));
    try {
      const rec = await recordHearing(root);
      expect(parseManifest(rec.manifestBytes)).toEqual(rec.manifest);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses what is not JSON, or not a manifest, saying which', () => {
    expect(() => parseManifest('not json', 'm.json')).toThrow(ValidationError);
    expect(() => parseManifest('not json', 'm.json')).toThrow(/m\.json is not JSON/);
    expect(() => parseManifest('{"format":"x"}', 'm.json')).toThrow(
      /m\.json is not a Hattama manifest \(format/,
    );
  });
});
