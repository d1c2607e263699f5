import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, ObjectIntegrityError, createLogger, silentLogger } from '../../core/index.ts';
import { FsObjectStore, UrlSigner, type Copy, type ObjectStore } from '../../storage/index.ts';
import { resolveFfmpegPath } from '../ffmpeg/ffmpeg-binary.ts';
import { FfmpegFailedError } from '../ffmpeg/ffmpeg-runner.ts';
import { copyMakeHandler } from '../../court/copy.job.ts';
import type { PlanSegment } from './copy-plan.ts';
import { CopyFontMissingError, makeCopy, type MakeCopyOptions } from './make-copy.ts';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const HEARING = { id: 'h-1', caseNumber: '2-1/2026', title: 'Test' };

let tmp: string;
let objects: ObjectStore;
let workDir: string;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-make-copy-'));
  objects = new FsObjectStore({ root: path.join(tmp, 'objects'), signer: new UrlSigner('x'.repeat(32)) });
  await objects.init();
  workDir = path.join(tmp, 'work');
});

afterEach(async () => {
  await objects.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Stores `bytes` as a `mix` segment and returns its catalog row (with `rowSha256` if given). */
async function storeSegment(bytes: Buffer, rowSha256?: string): Promise<PlanSegment> {
  const key = 'hearings/h-1/mix/000000.ts';
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  await objects.put(key, { bytes }, { sha256, size: bytes.length });
  return {
    track: 'mix',
    seq: 0,
    start_ms: T0,
    duration_ms: 4000,
    object_key: key,
    sha256: rowSha256 ?? sha256,
    size: bytes.length,
  };
}

function options(segments: PlanSegment[], overrides: Partial<MakeCopyOptions> = {}): MakeCopyOptions {
  return {
    objects,
    segments,
    copyId: 'c-1',
    viewer: { name: 'Viewer' },
    hearing: HEARING,
    ffmpegPath: resolveFfmpegPath(undefined),
    workDir,
    clock: new FakeClock(T0 + 3_600_000),
    logger: silentLogger(),
    ...overrides,
  };
}

describe('makeCopy', () => {
  it('refuses a segment whose bytes differ from the SHA-256 in the catalog, and cleans up', async () => {
    const segment = await storeSegment(Buffer.from('not what was registered'), 'f'.repeat(64));
    await expect(makeCopy(options([segment]))).rejects.toBeInstanceOf(ObjectIntegrityError);
    expect(fs.readdirSync(workDir)).toEqual([]);
    expect(await objects.stat('hearings/h-1/copies/c-1.mp4')).toBeNull();
  });

  it("fails with ffmpeg's own message when the media cannot be read, and cleans up", async () => {
    const segment = await storeSegment(Buffer.from('this is not MPEG-TS'));
    const failure = await makeCopy(options([segment])).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FfmpegFailedError);
    expect((failure as Error).message).toMatch(/ffmpeg could not make the copy[\s\S]*stderr/);
    expect((failure as Error).message).not.toMatch(/^out_time=/m);
    expect(fs.readdirSync(workDir)).toEqual([]);
    expect(await objects.stat('hearings/h-1/copies/c-1.txt')).toBeNull();
  });

  it('refuses to start without its font', async () => {
    const segment = await storeSegment(Buffer.from('x'));
    await expect(
      makeCopy(options([segment], { fontFile: path.join(tmp, 'missing.ttf') })),
    ).rejects.toBeInstanceOf(CopyFontMissingError);
  });

  it('stops when its signal is aborted, with the signal’s reason', async () => {
    const segment = await storeSegment(Buffer.from('x'));
    const controller = new AbortController();
    const reason = new Error('closing');
    controller.abort(reason);
    await expect(makeCopy(options([segment], { signal: controller.signal }))).rejects.toBe(reason);
    expect(fs.readdirSync(workDir)).toEqual([]);
  });

  it('refuses a copy id that is not a valid key part before doing any work', async () => {
    const segment = await storeSegment(Buffer.from('x'));
    await expect(makeCopy(options([segment], { copyId: '../x' }))).rejects.toMatchObject({
      code: 'OBJECT_KEY_INVALID',
    });
    expect(fs.existsSync(workDir)).toBe(false);
  });
});

describe('the copy.make job', () => {
  it('logs and returns when the hearing is gone', async () => {
    const make = vi.fn();
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(line) },
    });
    const handler = copyMakeHandler({
      copies: { find: async () => ({ hearing_id: 'h-gone' }) as Copy },
      hearings: { find: async () => undefined },
      service: { make },
      media: { ffmpegPath: 'ffmpeg', workDir },
      logger,
    });
    await handler(
      { copyId: 'c-1', hearingId: 'h-gone' },
      {
        jobId: 'j-1',
        attempt: 1,
        logger,
        signal: new AbortController().signal,
        progress: async () => undefined,
      },
    );
    expect(make).not.toHaveBeenCalled();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        level: 'warn',
        hearingId: 'h-gone',
        copyId: 'c-1',
        msg: 'the hearing is gone; no copy made',
      }),
    ]);
  });
});
