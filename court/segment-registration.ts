/**
 * Accepts a recorder's segment registration only when it continues the track's chain:
 * the hearing exists and belongs to this node's courtroom, the key is the one the key
 * layout gives, the seq is the next one, the chain value links to the previous one,
 * and the object is in the store with the claimed size. The SHA-256 of the stored bytes
 * is checked by a queued integrity job, off the recorder's path. A repeat of an
 * identical registration (an ack lost on the way) is acknowledged and stores nothing.
 */
import {
  HattamaError,
  chainGenesis,
  nextChain,
  segmentRegistrationSchema,
  trackInfoSchema,
  type Clock,
  type Logger,
  type SegmentRegistration,
  type TrackInfo,
} from '../core/index.ts';
import { segmentKey, type JobQueue, type ObjectStore, type Repositories } from '../storage/index.ts';

export type RegistrationCode =
  | 'VALIDATION_FAILED'
  | 'HEARING_UNKNOWN'
  | 'HEARING_NOT_STARTED'
  | 'NODE_NOT_ASSIGNED'
  | 'KEY_MISMATCH'
  | 'TRACK_UNKNOWN'
  | 'SEQ_GAP'
  | 'SEQ_REPEATED'
  | 'CHAIN_MISMATCH'
  | 'OBJECT_MISSING'
  | 'SIZE_MISMATCH'
  | 'HASH_MISMATCH';

/** A registration the hub refuses; nothing was stored. */
export class RegistrationRefusedError extends HattamaError {
  constructor(
    readonly refusal: RegistrationCode,
    message: string,
  ) {
    super('CONFLICT', message, { expected: true, status: 409, details: { refusal } });
  }
}

export interface RegistrationResult {
  duplicate: boolean;
}

export interface SegmentRegistrationDeps {
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** Called after a new segment is stored (live viewers, metrics). */
  onRegistered?: (segment: SegmentRegistration) => void;
}

export class SegmentRegistrationService {
  constructor(private readonly d: SegmentRegistrationDeps) {}

  private async enqueueVerify(s: SegmentRegistration): Promise<void> {
    await this.d.queue.enqueue(
      'object.verify',
      { key: s.key, sha256: s.sha256, size: s.size },
      { jobId: `verify-${s.key}` },
    );
  }

  async register(nodeId: string, raw: { segment: unknown; tracks: unknown }): Promise<RegistrationResult> {
    const parsed = segmentRegistrationSchema.safeParse(raw.segment);
    const tracks = trackInfoSchema.array().safeParse(raw.tracks);
    if (!parsed.success || !tracks.success)
      throw new RegistrationRefusedError(
        'VALIDATION_FAILED',
        `malformed registration: ${(parsed.error ?? tracks.error)?.issues[0]?.message}`,
      );
    const s = parsed.data;
    const log = this.d.logger.child({
      recorderId: nodeId,
      hearingId: s.hearingId,
      track: s.track,
      seq: s.seq,
    });

    const hearing = await this.d.repos.hearings.find(s.hearingId);
    if (!hearing) throw new RegistrationRefusedError('HEARING_UNKNOWN', `no hearing ${s.hearingId}`);
    const node = await this.d.repos.recorderNodes.find(nodeId);
    if (!node || node.courtroom_id !== hearing.courtroom_id)
      throw new RegistrationRefusedError(
        'NODE_NOT_ASSIGNED',
        `node ${nodeId} does not record courtroom ${hearing.courtroom_id}`,
      );
    if (hearing.state === 'scheduled')
      throw new RegistrationRefusedError(
        'HEARING_NOT_STARTED',
        `hearing ${s.hearingId} has not been started`,
      );
    const expectedKey = segmentKey({ hearingId: s.hearingId, track: s.track, seq: s.seq, ext: 'ts' });
    if (s.key !== expectedKey)
      throw new RegistrationRefusedError('KEY_MISMATCH', `key must be ${expectedKey}`);

    const existing = await this.d.repos.segments.find(s.hearingId, s.track, s.seq);
    if (existing) {
      const same =
        existing.sha256 === s.sha256 &&
        existing.chain === s.chain &&
        existing.start_ms === s.startMs &&
        existing.duration_ms === s.durationMs &&
        existing.size === s.size;
      if (!same)
        throw new RegistrationRefusedError(
          'SEQ_REPEATED',
          `${s.track} seq ${s.seq} is registered with other content`,
        );
      // The first attempt may have stored the row and then failed to enqueue (Redis
      // down); the job id makes enqueueing again a no-op otherwise.
      await this.enqueueVerify(s);
      log.debug('repeated registration acknowledged');
      return { duplicate: true };
    }
    const last = await this.d.repos.segments.last(s.hearingId, s.track);
    const expectedSeq = last ? last.seq + 1 : 0;
    if (s.seq !== expectedSeq)
      throw new RegistrationRefusedError('SEQ_GAP', `${s.track} expects seq ${expectedSeq}, got ${s.seq}`);
    const prev = last?.chain ?? chainGenesis(s.hearingId, s.track);
    const expectedChain = nextChain(prev, {
      seq: s.seq,
      startMs: s.startMs,
      durationMs: s.durationMs,
      sha256: s.sha256,
    });
    if (s.chain !== expectedChain)
      throw new RegistrationRefusedError(
        'CHAIN_MISMATCH',
        `${s.track} seq ${s.seq} does not link to the previous chain value`,
      );

    const stat = await this.d.objects.stat(s.key);
    if (!stat) throw new RegistrationRefusedError('OBJECT_MISSING', `${s.key} is not in the object store`);
    if (stat.size !== s.size)
      throw new RegistrationRefusedError(
        'SIZE_MISMATCH',
        `${s.key} holds ${stat.size} bytes, the registration says ${s.size}`,
      );
    // The store checked the bytes against this SHA-256 when they were put; comparing the
    // recorded value is cheap. The queued job re-reads the bytes to be sure.
    if (stat.sha256 !== undefined && stat.sha256 !== s.sha256)
      throw new RegistrationRefusedError(
        'HASH_MISMATCH',
        `${s.key} was stored with SHA-256 ${stat.sha256}, the registration says ${s.sha256}`,
      );

    const info: TrackInfo | undefined = tracks.data.find((t) => t.name === s.track);
    const now = this.d.clock.now();
    if (!(await this.d.repos.hearings.listTracks(s.hearingId)).some((t) => t.name === s.track)) {
      if (!info)
        throw new RegistrationRefusedError(
          'TRACK_UNKNOWN',
          `first segment of ${s.track} must describe the track`,
        );
      await this.d.repos.hearings.upsertTrack({
        hearing_id: s.hearingId,
        name: s.track,
        kind: info.kind,
        codec: info.codec,
        sample_rate: info.sampleRate,
        channels: info.channels,
        speaker: null,
        created_at: now,
      });
    }
    const inserted = await this.d.repos.segments.insert({
      hearing_id: s.hearingId,
      track: s.track,
      seq: s.seq,
      start_ms: s.startMs,
      duration_ms: s.durationMs,
      object_key: s.key,
      size: s.size,
      sha256: s.sha256,
      chain: s.chain,
      recorder_id: nodeId,
      registered_at: now,
      verify_state: 'pending',
      verified_at: null,
    });
    if (!inserted) {
      // A concurrent registration of the same seq won: a duplicate only if identical.
      const winner = await this.d.repos.segments.find(s.hearingId, s.track, s.seq);
      if (
        winner?.sha256 !== s.sha256 ||
        winner.chain !== s.chain ||
        winner.start_ms !== s.startMs ||
        winner.duration_ms !== s.durationMs
      )
        throw new RegistrationRefusedError(
          'SEQ_REPEATED',
          `${s.track} seq ${s.seq} is registered with other content`,
        );
      return { duplicate: true };
    }
    await this.enqueueVerify(s);
    log.debug('segment registered');
    this.d.onRegistered?.(s);
    return { duplicate: false };
  }
}
