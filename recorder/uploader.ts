/**
 * Moves committed segments out of the spool: upload to the object store, then register
 * with the hub, then release the spool copy — per track in seq order (the hub checks
 * the chain link by link), tracks in parallel. Every step is idempotent and retried
 * with capped exponential backoff, so an object store or hub that is down only delays
 * things: the node keeps recording and catches up in order when they return.
 */
import { HattamaError, type AlarmKind, type Clock, type Logger, type TrackInfo } from '../core/index.ts';
import { segmentKey, type ObjectStore, type PutOptions, type PutSource } from '../storage/index.ts';
import { HubRefusedError, type HubAgent } from './agent.ts';
import type { Spool, SpooledSegment } from './spool.ts';

export interface UploaderOptions {
  spool: Spool;
  objects: ObjectStore;
  agent: HubAgent;
  clock: Clock;
  logger: Logger;
  /** Track descriptions sent with registrations, per hearing. */
  tracksOf: (hearingId: string) => TrackInfo[];
  onAlarm?: (alarm: {
    kind: AlarmKind;
    hearingId: string;
    track: string | null;
    active: boolean;
    message: string;
  }) => void;
  /** Observes each acknowledged segment (for latency measurements and tests). */
  onDone?: (segment: SpooledSegment, timings: { uploadedAtMs: number; registeredAtMs: number }) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** The node is shutting down: the segment stays in the spool and is sent after the restart. */
export class UploaderClosedError extends HattamaError {
  constructor() {
    super(
      'UPLOADER_CLOSED',
      'the uploader is closed; the segment stays in the spool until the node restarts',
      {
        expected: true,
      },
    );
  }
}

/**
 * How a committed segment goes into the object store: under its segment key, handed over
 * (a local store links it), with the stamp it was hashed and fsync'd with, so a store that
 * finds it unchanged neither reads nor fsyncs it again.
 */
export function segmentPut(segment: SpooledSegment): { key: string; source: PutSource; options: PutOptions } {
  return {
    key: segmentKey({ hearingId: segment.hearingId, track: segment.track, seq: segment.seq, ext: 'ts' }),
    source: {
      file: segment.file,
      handOver: true,
      ...(segment.stamp ? { hashed: segment.stamp, synced: true } : {}),
    },
    options: { sha256: segment.sha256, size: segment.size, contentType: 'video/mp2t' },
  };
}

export class Uploader {
  private loops = new Map<string, Promise<void>>();
  private wake = new Map<string, () => void>();
  private closed = false;
  private abort = new AbortController();

  constructor(private readonly o: UploaderOptions) {}

  /** Makes sure every pending segment of a hearing is being worked on. */
  kick(hearingId: string, track?: string): void {
    if (this.closed) return;
    const tracks = track ? [track] : null;
    void (async () => {
      const names = tracks ?? (await this.o.spool.tracks(hearingId));
      for (const t of names) {
        const key = `${hearingId}/${t}`;
        const wake = this.wake.get(key);
        if (wake) {
          wake();
          continue;
        }
        if (!this.loops.has(key)) {
          const loop = this.trackLoop(hearingId, t).finally(() => this.loops.delete(key));
          this.loops.set(key, loop);
        }
      }
    })().catch((error: unknown) => this.o.logger.error({ err: error, hearingId }, 'could not start uploads'));
  }

  /** Resolves when no hearing has pending segments (or after `timeoutMs`). */
  async idle(hearingId: string, timeoutMs: number): Promise<boolean> {
    const deadline = this.o.clock.now() + timeoutMs;
    while (this.o.clock.now() < deadline) {
      if ((await this.o.spool.pending(hearingId)).length === 0) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private async trackLoop(hearingId: string, track: string): Promise<void> {
    const log = this.o.logger.child({ hearingId, track });
    for (;;) {
      if (this.closed) return;
      const [next] = await this.o.spool.pendingOf(hearingId, track);
      if (!next) {
        // Sleep until kicked again; a kick that came while we looked is not lost
        // because kick() calls wake only for a registered sleeper.
        const key = `${hearingId}/${track}`;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          this.wake.set(key, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        this.wake.delete(key);
        if ((await this.o.spool.pendingOf(hearingId, track)).length === 0) return;
        continue;
      }
      await this.deliver(next, log.child({ seq: next.seq }));
    }
  }

  private async deliver(segment: SpooledSegment, log: Logger): Promise<void> {
    const { key, source, options } = segmentPut(segment);
    await this.retry('upload-failing', segment, log, 'upload to the object store', () =>
      this.o.objects.put(key, source, options),
    );
    const uploadedAtMs = this.o.clock.now();
    await this.retry(null, segment, log, 'registration with the hub', async () => {
      try {
        await this.o.agent.request({
          type: 'register',
          tracks: this.o.tracksOf(segment.hearingId).filter((t) => t.name === segment.track),
          segment: {
            hearingId: segment.hearingId,
            track: segment.track,
            seq: segment.seq,
            startMs: segment.startMs,
            durationMs: segment.durationMs,
            key,
            size: segment.size,
            sha256: segment.sha256,
            chain: segment.chain,
          },
        });
      } catch (error) {
        if (error instanceof HubRefusedError && error.ack.code === 'SEGMENT_DUPLICATE') return; // registered before a crash
        if (!this.o.agent.connected) await this.o.agent.waitConnected(this.abort.signal);
        throw error;
      }
    });
    const registeredAtMs = this.o.clock.now();
    await this.o.spool.release(segment);
    log.debug('segment stored and registered');
    this.o.onDone?.(segment, { uploadedAtMs, registeredAtMs });
  }

  private async retry<T>(
    alarm: AlarmKind | null,
    segment: SpooledSegment,
    log: Logger,
    what: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    let failures = 0;
    for (;;) {
      if (this.closed) throw new UploaderClosedError();
      try {
        const result = await fn();
        if (failures >= 3 && alarm)
          this.o.onAlarm?.({
            kind: alarm,
            hearingId: segment.hearingId,
            track: segment.track,
            active: false,
            message: `${what} works again`,
          });
        return result;
      } catch (error) {
        failures++;
        const delay = Math.min(
          this.o.maxBackoffMs ?? 10_000,
          (this.o.minBackoffMs ?? 250) * 2 ** Math.min(failures - 1, 10),
        );
        log.warn({ err: error, failures, retryInMs: delay }, `${what} failed; will retry`);
        if (failures === 3 && alarm)
          this.o.onAlarm?.({
            kind: alarm,
            hearingId: segment.hearingId,
            track: segment.track,
            active: true,
            message: `${what} keeps failing (${(error as Error).message}); segments wait in the spool`,
          });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    for (const wake of this.wake.values()) wake();
    await Promise.allSettled([...this.loops.values()]);
  }
}
