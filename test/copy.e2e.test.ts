/**
 * Acceptance of "Copies" (issue 6, item 4), server side: the embedded stack records a real
 * 10 s demo hearing; the copy service makes a 4 s copy of it, and the result is checked
 * from the stored objects with Debian's ffprobe and ffmpeg — not with anything Hattama
 * wrote: codecs, length, the notice card at the start, the watermark over the hearing, the
 * sound, the notice file and the hash. Then the same work runs as a `copy.make` job on the
 * real in-process queue, wired as the worker wires it (cli/backends.ts).
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { loadConfig, silentLogger, type Config } from '../core/index.ts';
import { makeCopy, resolveFfmpegPath, type CopyResult } from '../media/index.ts';
import { copyKey, type Hearing, type ObjectStore, type Segment } from '../storage/index.ts';
import { FFMPEG, decodePcm, ffprobe, goertzelAmplitude, requireFfprobe } from './support/media.ts';

const hasFfprobe = requireFfprobe('copy end-to-end');

const run = promisify(execFile);

const W = 1280;
const H = 720;
const FPS = 25;
const NOTICE_SECONDS = 6;
const VIEWER = "Сәрсенбаев Ғалым O'Neil: 100% {test}";
const ARTIFACTS = path.resolve(import.meta.dirname, 'artifacts', 'copy');

async function readObject(objects: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One decoded frame (by index) as 8-bit grey, scaled to the copy's frame size. */
async function greyFrame(file: string, index: number, png?: string): Promise<Buffer> {
  const select = `select=eq(n\\,${index}),scale=${W}:${H}`;
  if (png)
    await run(FFMPEG, ['-v', 'error', '-nostdin', '-y', '-i', file, '-vf', select, '-frames:v', '1', png]);
  const { stdout } = await run(
    FFMPEG,
    [
      '-v',
      'error',
      '-nostdin',
      '-i',
      file,
      '-vf',
      `${select},format=gray`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  expect(stdout.length).toBe(W * H);
  return stdout;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function share(frame: Buffer, test: (v: number) => boolean): number {
  let n = 0;
  for (const v of frame) if (test(v)) n++;
  return n / frame.length;
}

function meanAbsDiff(a: Buffer, b: Buffer, box: Box): number {
  let sum = 0;
  for (let y = box.y0; y < box.y1; y++)
    for (let x = box.x0; x < box.x1; x++) sum += Math.abs(a[y * W + x]! - b[y * W + x]!);
  return sum / ((box.x1 - box.x0) * (box.y1 - box.y0));
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

describe.skipIf(!hasFfprobe)('a copy of a recorded hearing', () => {
  let tmp: string;
  let config: Config;
  let running: Running;
  let hearing: Hearing;
  let segments: Segment[];
  let video: Segment[];
  let range: { fromMs: number; toMs: number };
  let copy: CopyResult;
  let workDir: string;
  let mp4: Buffer;
  let mp4File: string;
  const progress: number[] = [];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-copy-'));
    config = loadConfig({
      HATTAMA_DATA_DIR: path.join(tmp, 'data'),
      HATTAMA_PORT: '0',
      HATTAMA_LOG_LEVEL: 'silent',
    });
    running = await startRole('all', config, silentLogger());
    const summary = await recordHearing({ running, config, seconds: 10 });
    const { repos, objects, clock } = running.backends!;
    hearing = (await repos.hearings.find(summary.hearingId))!;
    segments = await repos.segments.listByHearing(summary.hearingId);
    video = segments.filter((s) => s.track === 'video').sort((a, b) => a.seq - b.seq);
    // 4 s from 2 s into the first segment: inside the recording, across a segment boundary.
    range = { fromMs: video[0]!.start_ms + 2000, toMs: video[0]!.start_ms + 6000 };
    // A scratch directory whose name needs every kind of filtergraph escaping.
    workDir = path.join(tmp, "work: it's [odd], isn't it; yes");
    copy = await makeCopy({
      objects,
      segments,
      copyId: 'c-e2e-1',
      range,
      excludeRanges: [],
      viewer: { name: VIEWER },
      hearing: { id: hearing.id, caseNumber: hearing.case_number, title: hearing.title },
      ffmpegPath: resolveFfmpegPath(config.ffmpegPath),
      workDir,
      clock,
      logger: silentLogger(),
      noticeSeconds: NOTICE_SECONDS,
      onProgress: (pct) => void progress.push(pct),
    });
    mp4 = await readObject(objects, copy.mp4Key);
    mp4File = path.join(tmp, 'copy.mp4');
    fs.writeFileSync(mp4File, mp4);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await running?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stores an H.264 + AAC MP4 lasting the notice plus the 4 s asked for', async () => {
    expect(copy.mp4Key).toBe(copyKey({ hearingId: hearing.id, copyId: 'c-e2e-1', ext: 'mp4' }));
    const probe = await ffprobe(mp4File);
    expect(probe.formatName).toContain('mp4');
    expect(probe.streams.map((s) => [s.codecType, s.codecName])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    expect(probe.durationSeconds).toBeGreaterThan(NOTICE_SECONDS + 4 - 0.3);
    expect(probe.durationSeconds).toBeLessThan(NOTICE_SECONDS + 4 + 0.3);
    expect(copy.durationMs).toBe((NOTICE_SECONDS + 4) * 1000);
    expect(copy).toMatchObject({
      fromMs: range.fromMs,
      toMs: range.toMs,
      sealedPartsLeftOut: false,
      reused: false,
    });
  });

  it('puts the index first (+faststart), so the copy plays while it downloads', () => {
    const moov = mp4.indexOf('moov');
    const mdat = mp4.indexOf('mdat');
    expect(moov).toBeGreaterThan(0);
    expect(moov).toBeLessThan(mdat);
  });

  it('opens with the notice: a dark card with bright text, unlike the hearing that follows', async () => {
    const card = await greyFrame(mp4File, FPS * 2, path.join(ARTIFACTS, 'notice.png'));
    const hearingFrame = await greyFrame(
      mp4File,
      FPS * (NOTICE_SECONDS + 1),
      path.join(ARTIFACTS, 'hearing.png'),
    );
    expect(share(card, (v) => v < 40)).toBeGreaterThan(0.8);
    expect(share(card, (v) => v > 200)).toBeGreaterThan(0.005);
    expect(share(hearingFrame, (v) => v < 40)).toBeLessThan(0.5);
  });

  it('draws the watermark over the hearing in the bottom-right corner, and leaves the rest of the picture alone', async () => {
    // One second into the hearing part is 3 s into the first recorded segment.
    const copied = await greyFrame(mp4File, FPS * (NOTICE_SECONDS + 1));
    const segmentFile = path.join(tmp, 'segment-0.ts');
    fs.writeFileSync(segmentFile, await readObject(running.backends!.objects, video[0]!.object_key));
    const original = await greyFrame(segmentFile, FPS * 3, path.join(ARTIFACTS, 'original.png'));
    const corner = meanAbsDiff(copied, original, { x0: W - 300, y0: H - 100, x1: W - 40, y1: H - 40 });
    const elsewhere = meanAbsDiff(copied, original, { x0: 40, y0: H - 100, x1: 300, y1: H - 40 });
    expect(corner).toBeGreaterThan(15);
    expect(elsewhere).toBeLessThan(corner / 3);
  });

  it('is silent under the notice and carries the hearing’s sound after it', async () => {
    const rate = 8000;
    const pcm = await decodePcm(mp4File, rate);
    const card = pcm.subarray(rate, rate * (NOTICE_SECONDS - 1));
    const after = pcm.subarray(rate * (NOTICE_SECONDS + 1), rate * (NOTICE_SECONDS + 3));
    expect(Math.max(...card.map(Math.abs))).toBeLessThan(0.001);
    // The demo's first microphone is a 440 Hz tone, in the mix with the other three.
    expect(goertzelAmplitude(after, rate, 440)).toBeGreaterThan(0.02);
  });

  it('stores the notice beside it: the viewer, ru, kk and en, and the MP4’s SHA-256', async () => {
    const text = (await readObject(running.backends!.objects, copy.txtKey)).toString('utf8');
    expect(copy.txtKey).toBe(copyKey({ hearingId: hearing.id, copyId: 'c-e2e-1', ext: 'txt' }));
    expect(text).toContain(VIEWER);
    expect(text).toContain('[ru] УВЕДОМЛЕНИЕ');
    expect(text).toContain('[kk] ЗАҢДЫ ПАЙДАЛАНУ ТУРАЛЫ ХАБАРЛАМА');
    expect(text).toContain('[en] NOTICE ON LAWFUL USE');
    expect(text).toContain(hearing.case_number);
    expect(text).toContain(copy.sha256);
  });

  it('reports the SHA-256 and size of exactly the stored bytes', async () => {
    expect(sha256(mp4)).toBe(copy.sha256);
    expect(mp4.length).toBe(copy.size);
    const info = await running.backends!.objects.stat(copy.mp4Key);
    expect(info).toMatchObject({ size: copy.size, contentType: 'video/mp4' });
    if (info?.sha256) expect(info.sha256).toBe(copy.sha256);
  });

  it('reports rising progress up to 100 and leaves no scratch files', () => {
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(100);
    expect(progress.some((p) => p > 10 && p < 95)).toBe(true);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);
    expect(fs.readdirSync(workDir)).toEqual([]);
  });

  it('leaves out a sealed part whole, like the player', async () => {
    const { objects, clock } = running.backends!;
    const middle = video[1]!;
    const sealed = await makeCopy({
      objects,
      segments,
      copyId: 'c-e2e-sealed',
      excludeRanges: [{ startMs: middle.start_ms + 1000, endMs: middle.start_ms + 1500 }],
      viewer: { name: VIEWER },
      hearing: { id: hearing.id, caseNumber: hearing.case_number, title: hearing.title },
      ffmpegPath: resolveFfmpegPath(config.ffmpegPath),
      workDir,
      clock,
      logger: silentLogger(),
      noticeSeconds: NOTICE_SECONDS,
    });
    const file = path.join(tmp, 'sealed.mp4');
    fs.writeFileSync(file, await readObject(objects, sealed.mp4Key));
    const recorded = video.reduce((sum, s) => sum + s.duration_ms, 0) / 1000;
    const probe = await ffprobe(file);
    expect(probe.durationSeconds).toBeCloseTo(NOTICE_SECONDS + recorded - middle.duration_ms / 1000, 0);
    expect(sealed.sealedPartsLeftOut).toBe(true);
    const text = (await readObject(objects, sealed.txtKey)).toString('utf8');
    expect(text).toContain('Closed parts of the hearing are not included in this copy.');
  });

  it('runs as a copy.make job on the embedded queue, and a retried job keeps the stored MP4', async () => {
    const { queue, objects, repos } = running.backends!;
    // The job makes the copy its record describes, for a requester who may have it (the
    // demo case's party), as POST /api/hearings/:id/copies records it.
    const party = (await repos.users.findByLogin('demo-party'))!;
    const requestedAtMs = range.toMs + 60_000;
    await repos.copies.insert({
      id: 'c-e2e-job',
      hearing_id: hearing.id,
      viewer_user_id: party.id,
      viewer_name: VIEWER,
      from_ms: range.fromMs,
      to_ms: range.toMs,
      state: 'queued',
      progress: 0,
      mp4_key: null,
      txt_key: null,
      sha256: null,
      size: null,
      error: null,
      requested_at: requestedAtMs,
      finished_at: null,
    });
    const payload = { copyId: 'c-e2e-job', hearingId: hearing.id };
    const first = await queue.enqueue('copy.make', payload);
    const state = await queue.waitFor(first, 120_000);
    expect(state, (await queue.getJob(first))?.lastError ?? '').toBe('completed');
    const mp4Key = copyKey({ hearingId: hearing.id, copyId: 'c-e2e-job', ext: 'mp4' });
    const txtKey = copyKey({ hearingId: hearing.id, copyId: 'c-e2e-job', ext: 'txt' });
    const stored = await readObject(objects, mp4Key);
    const text = (await readObject(objects, txtKey)).toString('utf8');
    expect(text).toContain(sha256(stored));
    expect(text).toContain(new Date(requestedAtMs).toISOString().slice(0, 19).replace('T', ' '));

    // The same job again (a retry after both were stored): completes, changes nothing.
    const again = await queue.enqueue('copy.make', payload, { jobId: 'copy-again' });
    expect(await queue.waitFor(again, 120_000)).toBe('completed');
    expect(sha256(await readObject(objects, mp4Key))).toBe(sha256(stored));
    expect((await readObject(objects, txtKey)).toString('utf8')).toBe(text);

    // A retry after only the MP4 was stored: the MP4 is kept and its notice written.
    await objects.delete(txtKey);
    const third = await queue.enqueue('copy.make', payload, { jobId: 'copy-third' });
    expect(await queue.waitFor(third, 120_000)).toBe('completed');
    expect(sha256(await readObject(objects, mp4Key))).toBe(sha256(stored));
    expect((await readObject(objects, txtKey)).toString('utf8')).toBe(text);
  });

  it('completes a job for a copy that is gone without making anything', async () => {
    const { queue, objects } = running.backends!;
    const id = await queue.enqueue('copy.make', {
      copyId: 'c-e2e-gone',
      hearingId: 'h-does-not-exist',
    });
    expect(await queue.waitFor(id, 30_000)).toBe('completed');
    expect(
      await objects.stat(copyKey({ hearingId: 'h-does-not-exist', copyId: 'c-e2e-gone', ext: 'mp4' })),
    ).toBeNull();
  });
});
