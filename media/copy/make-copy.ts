/**
 * The copy service: makes the MP4 a party or judge downloads (issue 6, "Copies") and the
 * notice file beside it, and stores both under `hearings/<id>/copies/<copyId>.{mp4,txt}`.
 *
 * Why here. A copy is media work done by ffmpeg in a worker, and `web/` never runs ffmpeg;
 * `media/` owns ffmpeg for the recorder node and the workers alike. Who gets a copy and
 * which parts are left out is decided by `court/` (its copy job re-checks the rules when
 * the copy is made); this file only makes the file. It reads the catalog only through
 * rows handed to it and the object store through the storage interface.
 *
 * Steps: plan the segments (copy-plan.ts) → download them to a scratch directory,
 * checking each against the SHA-256 the catalog registered → write the concat lists and
 * the drawtext files → run ffmpeg (copy-args.ts) with progress → hash the MP4 → store it,
 * then the notice with that hash. The scratch directory is removed however it ends.
 *
 * Retries. Jobs run at least once, so a retry may find the MP4 already stored (the notice
 * put failed, or the worker died after it): the stored MP4 is then kept — an object is
 * never overwritten — and only the notice is written, with the MP4's real hash.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  HattamaError,
  ObjectIntegrityError,
  errorMessage,
  sha256File,
  type Clock,
  type Logger,
} from '../../core/index.ts';
import { copyKey, digestObject, type ObjectStore } from '../../storage/index.ts';
import { FfmpegFailedError, FfmpegProcess } from '../ffmpeg/ffmpeg-runner.ts';
import { buildCopySpec, concatListText, parseProgressSeconds, type CopyFrame } from './copy-args.ts';
import { planCopy, type PlanSegment, type TimeRange } from './copy-plan.ts';
import { noticeCardLines, noticeText, watermarkLines, type NoticeHearing } from './notice.ts';

/** Debian's DejaVu Sans: Cyrillic and the Kazakh letters; the demo camera's clock uses it too. */
export const DEFAULT_COPY_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
/** Long enough to take in the notice's first language; the text file holds it all. */
export const DEFAULT_NOTICE_SECONDS = 6;
const DOWNLOAD_CONCURRENCY = 4;
/** Progress shares: downloading, encoding, storing. */
const DOWNLOAD_SHARE = 10;
const ENCODE_SHARE = 85;

/** The copy's font is missing: the worker's host needs it (fonts-dejavu-core on Debian). */
export class CopyFontMissingError extends HattamaError {
  constructor(fontFile: string) {
    super('CONFIG_INVALID', `the font for copies (${fontFile}) does not exist; install fonts-dejavu-core`, {
      expected: true,
      status: 500,
      details: { fontFile },
    });
  }
}

export interface MakeCopyOptions {
  objects: ObjectStore;
  /** The hearing's catalog segment rows (any tracks; `video` and `mix` are used). */
  segments: readonly PlanSegment[];
  /** Names the stored objects (`copyKey`); lower-case letters, digits and `-`. */
  copyId: string;
  /** Wall-clock range, UTC epoch ms; an absent edge is that edge of the recording. */
  range?: { fromMs?: number; toMs?: number } | null;
  /** Sealed parts to leave out: segments overlapping them are skipped, like the player. */
  excludeRanges?: readonly TimeRange[];
  viewer: { name: string };
  hearing: NoticeHearing;
  ffmpegPath: string;
  /** A scratch directory is made inside it and removed afterwards. */
  workDir: string;
  clock: Clock;
  logger: Logger;
  fontFile?: string;
  /** The issue time on the watermark and the notice; default the clock's now. */
  issuedAt?: number;
  noticeSeconds?: number;
  frame?: CopyFrame;
  /** 0–100, rising; informational (a failing callback is logged, not fatal). */
  onProgress?: (pct: number) => void | Promise<void>;
  /** Aborting stops ffmpeg and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface CopyResult {
  mp4Key: string;
  txtKey: string;
  /** Hex SHA-256 of the stored MP4 (also written into the notice file). */
  sha256: string;
  size: number;
  /** Playing time of the MP4: the notice card plus the copied recording, ms. */
  durationMs: number;
  issuedAt: number;
  /** The wall-clock range the copy covers. */
  fromMs: number;
  toMs: number;
  sealedPartsLeftOut: boolean;
  /** True when a retry found the MP4 already stored and kept it. */
  reused: boolean;
}

/** Downloads one segment to `file`, refusing bytes that are not what the catalog registered. */
async function download(
  objects: ObjectStore,
  segment: PlanSegment,
  file: string,
  signal?: AbortSignal,
): Promise<void> {
  const hash = crypto.createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(await objects.get(segment.object_key), hashing, fs.createWriteStream(file), { signal });
  const sha256 = hash.digest('hex');
  if (sha256 !== segment.sha256)
    throw new ObjectIntegrityError(
      segment.object_key,
      'does not match the SHA-256 registered in the catalog',
      {
        expected: segment.sha256,
        actual: sha256,
      },
    );
}

/** Runs `work` over `items`, `concurrency` at a time; on a failure, starts no more and waits for the rest. */
async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  // Every download has stopped before the caller removes the scratch directory.
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error
      ? signal.reason
      : new HattamaError('INTERNAL', 'the copy was cancelled');
}

/** Runs the encode; progress is the media time written out of `totalSeconds`. */
async function encode(options: {
  spec: ReturnType<typeof buildCopySpec>;
  ffmpegPath: string;
  logger: Logger;
  totalSeconds: number;
  onFraction: (fraction: number) => void;
  signal?: AbortSignal;
}): Promise<void> {
  throwIfAborted(options.signal);
  const proc = FfmpegProcess.start({
    spec: options.spec,
    ffmpegPath: options.ffmpegPath,
    logger: options.logger,
  });
  // The runner's own stderr tail is mostly `-progress` lines; keep ffmpeg's messages apart for errors.
  const messages: string[] = [];
  proc.on('stderr', (line) => {
    const at = parseProgressSeconds(line);
    if (at !== null) options.onFraction(Math.min(1, at / options.totalSeconds));
    else if (!/^\w+=\S*$/.test(line.trim()) && line.trim() !== '') {
      messages.push(line);
      if (messages.length > 40) messages.shift();
    }
  });
  const abort = () => void proc.stop();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const exit = await proc.wait();
    throwIfAborted(options.signal);
    if (exit.code !== 0)
      throw new FfmpegFailedError(
        `ffmpeg could not make the copy (exit ${exit.code ?? exit.signal ?? 'unknown'})`,
        messages.join('\n') || exit.stderrTail,
      );
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

export async function makeCopy(options: MakeCopyOptions): Promise<CopyResult> {
  const { objects, hearing, clock } = options;
  const mp4Key = copyKey({ hearingId: hearing.id, copyId: options.copyId, ext: 'mp4' });
  const txtKey = copyKey({ hearingId: hearing.id, copyId: options.copyId, ext: 'txt' });
  const log = options.logger.child({ hearingId: hearing.id, copyId: options.copyId });
  const plan = planCopy({
    segments: options.segments,
    range: options.range,
    excludeRanges: options.excludeRanges,
  });
  const noticeSeconds = options.noticeSeconds ?? DEFAULT_NOTICE_SECONDS;
  const fontFile = options.fontFile ?? DEFAULT_COPY_FONT;
  const issuedAt = options.issuedAt ?? clock.now();
  const durationMs = Math.round((noticeSeconds + plan.trim.durationSeconds) * 1000);

  let reported = -1;
  const progress = (pct: number) => {
    const p = Math.max(0, Math.min(100, Math.floor(pct)));
    if (p <= reported) return;
    reported = p;
    void Promise.resolve()
      .then(() => options.onProgress?.(p))
      .catch((error: unknown) => log.debug({ err: errorMessage(error) }, 'copy progress not delivered'));
  };
  progress(0);

  const resultOf = (mp4: { sha256: string; size: number }): Omit<CopyResult, 'reused'> => ({
    mp4Key,
    txtKey,
    sha256: mp4.sha256,
    size: mp4.size,
    durationMs,
    issuedAt,
    fromMs: plan.fromMs,
    toMs: plan.toMs,
    sealedPartsLeftOut: plan.sealedPartsLeftOut,
  });

  const storeNotice = async (mp4: { sha256: string; size: number }, reused: boolean): Promise<CopyResult> => {
    const text = noticeText({
      viewerName: options.viewer.name,
      hearing,
      issuedAt,
      sha256: mp4.sha256,
      fileName: path.posix.basename(mp4Key),
      range: plan.whole ? undefined : { fromMs: plan.fromMs, toMs: plan.toMs },
      sealedPartsLeftOut: plan.sealedPartsLeftOut,
    });
    const bytes = Buffer.from(text, 'utf8');
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    await objects.put(
      txtKey,
      { bytes },
      { sha256, size: bytes.length, contentType: 'text/plain; charset=utf-8' },
    );
    progress(100);
    log.info({ mp4Key, sha256: mp4.sha256, size: mp4.size, durationMs, reused }, 'copy stored');
    return { ...resultOf(mp4), reused };
  };

  // A retry after the MP4 was stored: keep it (an object is never overwritten) and
  // finish the notice, unless that is stored too (then the copy is already made).
  const stored = await objects.stat(mp4Key);
  if (stored) {
    const digest = stored.sha256
      ? { sha256: stored.sha256, size: stored.size }
      : await digestObject(objects, mp4Key);
    if (await objects.stat(txtKey)) {
      log.info({ mp4Key, sha256: digest.sha256 }, 'the copy is already made (a retried job); nothing to do');
      progress(100);
      return { ...resultOf(digest), reused: true };
    }
    log.warn('the copy MP4 is already stored (a retried job); keeping it and writing its notice');
    return storeNotice(digest, true);
  }

  try {
    await fsp.access(fontFile, fs.constants.R_OK);
  } catch {
    throw new CopyFontMissingError(fontFile);
  }

  await fsp.mkdir(options.workDir, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(options.workDir, `copy-${options.copyId}-`));
  try {
    const lists: { videoList: string | null; audioList: string | null } = {
      videoList: null,
      audioList: null,
    };
    const wanted = [...(plan.video ?? []), ...(plan.audio ?? [])];
    let done = 0;
    const fileOf = (s: PlanSegment) => `${s.track}-${String(s.seq).padStart(6, '0')}.ts`;
    await inPool(wanted, DOWNLOAD_CONCURRENCY, async (segment) => {
      throwIfAborted(options.signal);
      await download(objects, segment, path.join(dir, fileOf(segment)), options.signal);
      progress((++done / wanted.length) * DOWNLOAD_SHARE);
    });
    for (const [track, segments] of [
      ['video', plan.video],
      ['audio', plan.audio],
    ] as const) {
      if (segments === null) continue;
      const list = path.join(dir, `${track}.ffconcat`);
      await fsp.writeFile(
        list,
        concatListText(segments.map((s) => ({ file: fileOf(s), durationSeconds: s.duration_ms / 1000 }))),
      );
      if (track === 'video') lists.videoList = list;
      else lists.audioList = list;
    }

    const output = path.join(dir, 'copy.mp4');
    const spec = buildCopySpec({
      inputs: lists,
      watermark: { lines: watermarkLines({ viewerName: options.viewer.name, hearing, issuedAt }) },
      notice: {
        lines: noticeCardLines({ viewerName: options.viewer.name, hearing, issuedAt }),
        seconds: noticeSeconds,
      },
      fontFile,
      textDir: dir,
      output,
      trim: plan.trim,
      frame: options.frame,
    });
    for (const f of spec.textFiles) await fsp.writeFile(f.path, f.content, 'utf8');
    log.debug({ segments: wanted.length, trim: plan.trim }, 'encoding the copy');
    await encode({
      spec,
      ffmpegPath: options.ffmpegPath,
      logger: log,
      totalSeconds: durationMs / 1000,
      onFraction: (f) => progress(DOWNLOAD_SHARE + f * ENCODE_SHARE),
      signal: options.signal,
    });

    const digest = await sha256File(output);
    throwIfAborted(options.signal);
    await objects.put(
      mp4Key,
      { file: output },
      { sha256: digest.sha256, size: digest.size, contentType: 'video/mp4' },
    );
    progress(DOWNLOAD_SHARE + ENCODE_SHARE + 2);
    return await storeNotice(digest, false);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
