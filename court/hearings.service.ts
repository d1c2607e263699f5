/**
 * Hearings as the hub runs them: creation, the recording commands (start, pause for a
 * recess or deliberation, resume, stop), markers, and the manifest written once the
 * recorder has delivered everything. Each command is sent to the courtroom's recorder
 * node first and recorded here only when the node confirms it; every command is
 * idempotent, so repeating one after a lost answer is safe.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import {
  ConflictError,
  HattamaError,
  NotFoundError,
  ValidationError,
  idSchema,
  lineSchema,
  markerKindSchema,
  textSchema,
  type Clock,
  type Logger,
} from '../core/index.ts';
import {
  buildManifest,
  manifestKey,
  serializeManifest,
  type Hearing,
  type HearingSpeaker,
  type HearingState,
  type ObjectStore,
  type Repositories,
} from '../storage/index.ts';
import type { CasesService } from './cases.service.ts';
import { AccessRefusedError } from './policy/index.ts';
import type { RecorderCommands } from './recorder-commands.ts';
import type { Origin, Person } from './requester.ts';

// Request bodies are strict: an unknown (say, misspelt "visiblity") field is refused, not
// dropped, so a typo cannot quietly make a closed hearing open.
export const createHearingSchema = z.strictObject({
  id: idSchema.optional(),
  courtroomId: idSchema,
  caseNumber: lineSchema(64),
  title: lineSchema(300),
  judge: lineSchema(200),
  visibility: z.enum(['open', 'closed']).default('open'),
  language: z.enum(['ru', 'kk']).default('ru'),
  scheduledAt: z.iso.datetime({ offset: false }).optional(),
  /** The case this hearing belongs to (its parties and assignments follow from it). */
  caseId: idSchema.optional(),
  /** The presiding judge's account, when the judge uses Hattama. */
  judgeLogin: lineSchema(64).optional(),
});
export type CreateHearing = z.infer<typeof createHearingSchema>;

export const markerInputSchema = z.strictObject({
  kind: markerKindSchema,
  text: textSchema(2000).default(''),
  /** Wall-clock time of the event; defaults to now. */
  at: z.iso.datetime({ offset: false }).optional(),
});
export type MarkerInput = z.infer<typeof markerInputSchema>;

/** A microphone track as the recorder names it: mic-1 … mic-99 (core/domain.ts trackNameSchema). */
export const micTrackSchema = z
  .string()
  .regex(/^mic-[1-9][0-9]?$/, 'must be a microphone track, mic-1 … mic-99');

/** Who speaks into one microphone: a participant of the hearing's case, or a free label (exactly one). */
export const speakerEntrySchema = z
  .strictObject({
    track: micTrackSchema,
    /** A participant of the hearing's case (GET /api/cases/{id}/participants). */
    participantId: idSchema.optional(),
    /** Someone who is not a case participant: the judge, the prosecutor, a witness, an interpreter. */
    label: lineSchema(200).optional(),
  })
  .refine((e) => (e.participantId === undefined) !== (e.label === undefined), {
    message: 'give exactly one of participantId and label',
    path: ['participantId'],
  });

/**
 * The secretary's mapping of a hearing's microphones, replacing the whole previous one:
 * microphones left out are unmapped; an empty list unmaps them all. Each microphone once.
 */
export const speakersSchema = z
  .strictObject({ speakers: z.array(speakerEntrySchema).max(99) })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.speakers.forEach((e, i) => {
      const first = seen.get(e.track);
      if (first === undefined) seen.set(e.track, i);
      else
        ctx.addIssue({
          code: 'custom',
          message: `${e.track} is already mapped by speakers.${first}; each microphone once`,
          path: ['speakers', i, 'track'],
        });
    });
  });
export type SpeakersInput = z.infer<typeof speakersSchema>;

export type HearingCommand = 'start' | 'pause' | 'resume' | 'stop';

/** Which states a command may come from, and where it leads. */
const TRANSITIONS: Record<HearingCommand, { from: readonly HearingState[]; to: HearingState }> = {
  start: { from: ['scheduled'], to: 'recording' },
  pause: { from: ['recording'], to: 'paused' },
  resume: { from: ['paused'], to: 'recording' },
  stop: { from: ['recording', 'paused'], to: 'stopped' },
};

export class RecorderOfflineError extends HattamaError {
  constructor(courtroomId: string) {
    super(
      'BACKEND_UNAVAILABLE',
      `no recorder node of courtroom ${courtroomId} is connected; check the node and try again`,
      {
        expected: true,
        status: 503,
        details: { courtroomId },
      },
    );
  }
}

/** Why the hub refuses a recorder node's request (the `code` of its `ack`). */
export type RecorderRefusalCode =
  | 'HEARING_UNKNOWN'
  | 'NODE_NOT_ASSIGNED'
  | 'HEARING_NOT_STARTED'
  | 'NOT_STOPPED'
  | 'MARKER_INVALID'
  | 'MARKER_CONFLICT'
  | 'LAST_SEQ_INCOMPLETE'
  | 'SEGMENTS_MISSING';

/** A recorder node's marker or "drained" that the hub refuses; nothing was stored. */
export class RecorderRequestRefusedError extends HattamaError {
  constructor(
    readonly refusal: RecorderRefusalCode,
    message: string,
  ) {
    super('CONFLICT', message, { expected: true, status: 409, details: { refusal } });
  }
}

/** A marker as the recorder node sends it (core/recorder-protocol.ts, already checked there). */
export interface RecorderMarker {
  hearingId: string;
  markerId: string;
  kind: MarkerInput['kind'];
  atMs: number;
  endMs?: number | undefined;
  text: string;
}

export interface HearingsServiceDeps {
  repos: Repositories;
  objects: ObjectStore;
  gateway: RecorderCommands;
  clock: Clock;
  logger: Logger;
  segmentSeconds: number;
  /**
   * Decides whether a person may attach a case to a hearing or map its participants
   * (`CasesService.requireForHearing`). Without it, only the rule that a hearing's case
   * is of the hearing's court is kept.
   */
  cases?: CasesService;
}

export class HearingsService {
  constructor(private readonly d: HearingsServiceDeps) {}

  async create(
    input: CreateHearing,
    staff: { secretaryUserId?: string; judgeUserId?: string; origin?: Origin } = {},
  ): Promise<Hearing> {
    const room = await this.d.repos.courts.findCourtroom(input.courtroomId);
    if (!room)
      throw new ValidationError(`courtroom ${input.courtroomId} does not exist`, { field: 'courtroomId' });
    const id = input.id ?? `h-${crypto.randomUUID().slice(0, 13)}`;
    if (input.caseId)
      await this.requireCase({
        caseId: input.caseId,
        courtId: room.court_id,
        hearingId: id,
        userId: staff.secretaryUserId ?? null,
        origin: staff.origin,
        action: 'case.prepare',
      });
    if (await this.d.repos.hearings.find(id)) throw new ConflictError(`hearing ${id} already exists`);
    const now = this.d.clock.now();
    await this.d.repos.hearings.insert({
      id,
      courtroom_id: input.courtroomId,
      case_number: input.caseNumber,
      title: input.title,
      judge: input.judge,
      visibility: input.visibility,
      language: input.language,
      state: 'scheduled',
      scheduled_at: input.scheduledAt ? Date.parse(input.scheduledAt) : null,
      started_at: null,
      stopped_at: null,
      manifest_key: null,
      manifest_sha256: null,
      created_at: now,
      updated_at: now,
      case_id: input.caseId ?? null,
      judge_user_id: staff.judgeUserId ?? (await this.userIdOf(input.judgeLogin)),
      secretary_user_id: staff.secretaryUserId ?? null,
    });
    this.d.logger.info({ hearingId: id }, 'hearing created');
    return (await this.d.repos.hearings.find(id))!;
  }

  /**
   * A hearing's case must be of the hearing's court, and the person who attaches it (or
   * maps its participants) must be allowed to (`CasesService.requireForHearing`): a
   * secretary cannot reach another court's case, its parties and participants, through a
   * hearing of their own court. Refused with 403 `not-of-this-court`; nothing is stored.
   */
  private async requireCase(c: {
    caseId: string;
    courtId: string;
    hearingId: string;
    /** Who asks: the secretary creating the hearing, the account mapping microphones. */
    userId: string | null;
    login?: string;
    origin: Origin | undefined;
    action: 'case.prepare' | 'case.read';
  }): Promise<void> {
    const person = await this.personOf(c.userId, c.login);
    if (person && this.d.cases) {
      await this.d.cases.requireForHearing({
        person,
        origin: c.origin ?? { address: null },
        caseId: c.caseId,
        courtId: c.courtId,
        hearingId: c.hearingId,
        action: c.action,
      });
      return;
    }
    const theCase = await this.d.repos.cases.findCase(c.caseId);
    if (!theCase) throw new ValidationError(`case ${c.caseId} does not exist`, { field: 'caseId' });
    if (theCase.court_id !== c.courtId)
      throw new AccessRefusedError(
        'not-of-this-court',
        `case ${theCase.id} is of court ${theCase.court_id}; a hearing of court ${c.courtId} cannot belong to it`,
      );
  }

  private async personOf(userId: string | null, login?: string): Promise<Person | null> {
    const user = userId
      ? await this.d.repos.users.find(userId)
      : login
        ? await this.d.repos.users.findByLogin(login)
        : undefined;
    return user ? { id: user.id, login: user.login, displayName: user.display_name, role: user.role } : null;
  }

  private async userIdOf(login: string | undefined): Promise<string | null> {
    if (!login) return null;
    const user = await this.d.repos.users.findByLogin(login);
    if (!user) throw new ValidationError(`no user ${login}`, { field: 'judgeLogin' });
    return user.id;
  }

  async get(id: string): Promise<Hearing> {
    const h = await this.d.repos.hearings.find(id);
    if (!h) throw new NotFoundError(`hearing ${id} does not exist`);
    return h;
  }

  /** Applies a recording command; repeating a command already applied changes nothing. */
  async command(id: string, command: HearingCommand): Promise<Hearing> {
    const hearing = await this.get(id);
    const t = TRANSITIONS[command];
    if (hearing.state === t.to) return hearing; // already done: idempotent
    if (!t.from.includes(hearing.state))
      throw new ConflictError(`cannot ${command} a hearing that is ${hearing.state}`, {
        state: hearing.state,
      });
    const nodeId = this.d.gateway.nodeForCourtroom(hearing.courtroom_id);
    const now = this.d.clock.now();
    if (command === 'stop') {
      // A stop is recorded first and always holds: the node is told now, or when it
      // reconnects (reconcile on hello), and its "drained" never races the state change.
      await this.d.repos.hearings.update(id, { state: 'stopped', stopped_at: now, updated_at: now }, t.from);
      this.d.logger.info({ hearingId: id, recorderId: nodeId }, 'hearing stopped');
      if (nodeId) await this.d.gateway.command(nodeId, { action: 'stop', hearingId: id });
      else
        this.d.logger.warn({ hearingId: id }, 'recorder offline: it will be told to stop when it reconnects');
      return this.get(id);
    }
    if (!nodeId) throw new RecorderOfflineError(hearing.courtroom_id);
    await this.d.gateway.command(nodeId, {
      action: command,
      hearingId: id,
      segmentSeconds: this.d.segmentSeconds,
    });
    const changes: Partial<Hearing> = { state: t.to, updated_at: now };
    if (command === 'start') changes.started_at = now;
    await this.d.repos.hearings.update(id, changes, t.from);
    this.d.logger.info({ hearingId: id, command, recorderId: nodeId }, `hearing ${t.to}`);
    return this.get(id);
  }

  /**
   * A node (re)connected: stop what it still records of hearings stopped meanwhile. Only
   * hearings of the node's own courtroom are its business; any other it names is logged
   * and left alone (it could not register a segment or end such a hearing anyway).
   */
  async reconcile(nodeId: string, hearings: readonly { hearingId: string; state: string }[]): Promise<void> {
    for (const h of hearings) {
      if (h.state === 'stopped') continue;
      const hearing = await this.d.repos.hearings.find(h.hearingId);
      if (hearing?.state !== 'stopped') continue;
      if (!(await this.nodeRecords(nodeId, hearing))) {
        this.d.logger.warn(
          { hearingId: h.hearingId, recorderId: nodeId },
          'a reconnected recorder names a hearing of another courtroom; ignored',
        );
        continue;
      }
      this.d.logger.warn(
        { hearingId: h.hearingId, recorderId: nodeId },
        'telling a reconnected recorder to stop',
      );
      await this.d.gateway
        .command(nodeId, { action: 'stop', hearingId: h.hearingId })
        .catch((error: unknown) =>
          this.d.logger.error({ err: error, hearingId: h.hearingId }, 'reconcile stop failed'),
        );
    }
  }

  /** Whether the node records the hearing's courtroom (a node has one courtroom, or none). */
  private async nodeRecords(nodeId: string, hearing: Hearing): Promise<boolean> {
    const node = await this.d.repos.recorderNodes.find(nodeId);
    return node !== undefined && node.courtroom_id === hearing.courtroom_id;
  }

  /** The hearing a node's request names, refused unless it exists and is of the node's courtroom. */
  private async hearingOfNode(nodeId: string, hearingId: string): Promise<Hearing> {
    const hearing = await this.d.repos.hearings.find(hearingId);
    if (!hearing) throw new RecorderRequestRefusedError('HEARING_UNKNOWN', `no hearing ${hearingId}`);
    if (!(await this.nodeRecords(nodeId, hearing)))
      throw new RecorderRequestRefusedError(
        'NODE_NOT_ASSIGNED',
        `node ${nodeId} does not record courtroom ${hearing.courtroom_id}`,
      );
    return hearing;
  }

  /**
   * Replaces which microphone belongs to whom. A participant must be one of the hearing's
   * case (a hearing without a case takes labels only); otherwise nothing changes and the
   * answer names each bad entry. Allowed in every state: a mapping corrected after the
   * hearing is what its transcription should use (the change is in the audit log).
   */
  async setSpeakers(
    hearing: Hearing,
    input: SpeakersInput,
    by: string,
    origin?: Origin,
  ): Promise<HearingSpeaker[]> {
    if (hearing.case_id && input.speakers.some((e) => e.participantId !== undefined)) {
      // Naming a case's participants is reading the case: the mapper must be allowed to,
      // and the case must be of the hearing's court.
      const room = await this.d.repos.courts.findCourtroom(hearing.courtroom_id);
      await this.requireCase({
        caseId: hearing.case_id,
        courtId: room?.court_id ?? '',
        hearingId: hearing.id,
        userId: null,
        login: by,
        origin,
        action: 'case.read',
      });
    }
    const ofCase = new Set(
      hearing.case_id ? (await this.d.repos.cases.listParticipants(hearing.case_id)).map((p) => p.id) : [],
    );
    const issues = input.speakers.flatMap((e, i) =>
      e.participantId !== undefined && !ofCase.has(e.participantId)
        ? [
            {
              field: `speakers.${i}.participantId`,
              message: hearing.case_id
                ? `${e.participantId} is not a participant of case ${hearing.case_id}`
                : `hearing ${hearing.id} belongs to no case; map its microphones with labels`,
            },
          ]
        : [],
    );
    if (issues.length > 0)
      throw new ValidationError(
        `invalid microphone mapping: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        { issues, field: issues[0]!.field },
      );
    await this.d.repos.speakers.replace(
      hearing.id,
      input.speakers.map((e) => ({
        track: e.track,
        participantId: e.participantId ?? null,
        label: e.label ?? null,
      })),
      { at: this.d.clock.now(), by },
    );
    this.d.logger.info(
      { hearingId: hearing.id, microphones: input.speakers.length, by },
      'microphones mapped',
    );
    return this.d.repos.speakers.speakersOfHearing(hearing.id);
  }

  async addMarker(id: string, input: MarkerInput, author: string): Promise<{ id: string }> {
    const hearing = await this.get(id);
    if (hearing.state === 'scheduled')
      throw new ConflictError('markers can be set once recording has started');
    const markerId = crypto.randomUUID();
    await this.d.repos.markers.insert({
      id: markerId,
      hearing_id: id,
      at_ms: input.at ? Date.parse(input.at) : this.d.clock.now(),
      end_ms: null,
      kind: input.kind,
      text: input.text,
      author,
      created_at: this.d.clock.now(),
    });
    return { id: markerId };
  }

  /**
   * A marker the courtroom's recorder sets by itself (a restart after a camera or
   * ffmpeg failure, with its start and end). Refused with a code, storing nothing, when
   * the hearing is unknown, of another courtroom, not started, when it ends before it
   * starts, or when its id is taken by a marker of another hearing. Idempotent by id: the
   * node re-sends a marker until it is acknowledged.
   */
  async addRecorderMarker(nodeId: string, marker: RecorderMarker): Promise<{ id: string; added: boolean }> {
    const hearing = await this.hearingOfNode(nodeId, marker.hearingId);
    if (hearing.state === 'scheduled')
      throw new RecorderRequestRefusedError(
        'HEARING_NOT_STARTED',
        `hearing ${hearing.id} has not been started; markers come with its recording`,
      );
    if (marker.endMs !== undefined && marker.endMs < marker.atMs)
      throw new RecorderRequestRefusedError(
        'MARKER_INVALID',
        `marker ${marker.markerId} ends (${marker.endMs}) before it starts (${marker.atMs})`,
      );
    const added = await this.d.repos.markers.insert({
      id: marker.markerId,
      hearing_id: hearing.id,
      at_ms: marker.atMs,
      end_ms: marker.endMs ?? null,
      kind: marker.kind,
      text: marker.text,
      author: `recorder:${nodeId}`,
      created_at: this.d.clock.now(),
    });
    if (
      !added &&
      !(await this.d.repos.markers.listByHearing(hearing.id)).some((m) => m.id === marker.markerId)
    )
      throw new RecorderRequestRefusedError(
        'MARKER_CONFLICT',
        `marker id ${marker.markerId} belongs to another hearing`,
      );
    if (added)
      this.d.logger.info(
        { hearingId: hearing.id, recorderId: nodeId, markerId: marker.markerId, kind: marker.kind },
        'recorder marker added',
      );
    return { id: marker.markerId, added };
  }

  /**
   * The recorder says a stopped hearing is fully delivered, naming the last seq of each
   * of its tracks. Only the node of the hearing's courtroom may say so, and only a
   * complete account counts: `lastSeq` must name every track the catalog holds for the
   * hearing, the catalog must hold every segment `lastSeq` names (seq 0 up to it, no
   * gap) and no more. Then the manifest is written (once) next to the segments;
   * otherwise the node is refused with a code and sends "drained" again later.
   */
  async onDrained(
    nodeId: string,
    hearingId: string,
    lastSeq: Record<string, number>,
  ): Promise<{ key: string; sha256: string }> {
    const hearing = await this.hearingOfNode(nodeId, hearingId);
    if (hearing.state !== 'stopped')
      throw new RecorderRequestRefusedError(
        'NOT_STOPPED',
        `hearing ${hearingId} is ${hearing.state}, not stopped`,
      );
    if (hearing.manifest_key && hearing.manifest_sha256)
      return { key: hearing.manifest_key, sha256: hearing.manifest_sha256 };
    await this.checkDelivered(hearingId, lastSeq);
    const room = (await this.d.repos.courts.findCourtroom(hearing.courtroom_id))!;
    const court = (await this.d.repos.courts.findCourt(room.court_id))!;
    const manifest = buildManifest({
      hearing,
      court,
      courtroom: room,
      tracks: await this.d.repos.hearings.listTracks(hearingId),
      segments: await this.d.repos.segments.listByHearing(hearingId),
      markers: await this.d.repos.markers.listByHearing(hearingId),
      createdAtMs: this.d.clock.now(),
    });
    const { bytes, sha256 } = serializeManifest(manifest);
    const key = manifestKey(hearingId);
    await this.d.objects.put(key, { bytes }, { sha256, size: bytes.length, contentType: 'application/json' });
    await this.d.repos.hearings.update(hearingId, {
      manifest_key: key,
      manifest_sha256: sha256,
      updated_at: this.d.clock.now(),
    });
    this.d.logger.info({ hearingId, recorderId: nodeId, key, sha256 }, 'manifest written');
    return { key, sha256 };
  }

  /**
   * Refuses a "drained" whose `lastSeq` does not match the catalog exactly: a track the
   * catalog holds and `lastSeq` leaves out, or names with fewer segments than registered,
   * is LAST_SEQ_INCOMPLETE; a segment `lastSeq` names that the catalog lacks (a later
   * seq, a gap, a track never registered) is SEGMENTS_MISSING. A track at -1 (nothing
   * recorded) needs no catalog row.
   */
  private async checkDelivered(hearingId: string, lastSeq: Record<string, number>): Promise<void> {
    const [counted, described] = await Promise.all([
      this.d.repos.segments.countByTrack(hearingId),
      this.d.repos.hearings.listTracks(hearingId),
    ]);
    const counts = new Map(counted.map((c) => [c.track, c.count]));
    const catalogTracks = [...new Set([...counts.keys(), ...described.map((t) => t.name)])].sort();
    const tips = new Map(
      await Promise.all(
        catalogTracks.map(
          async (track) => [track, (await this.d.repos.segments.last(hearingId, track))?.seq ?? -1] as const,
        ),
      ),
    );
    const missing: string[] = [];
    const incomplete = catalogTracks
      .filter((track) => lastSeq[track] === undefined)
      .map((track) => `${track} is in the catalog but not in lastSeq`);
    for (const [track, seq] of Object.entries(lastSeq)) {
      const tip = tips.get(track) ?? -1;
      const count = counts.get(track) ?? 0;
      const registered = tip < 0 ? 'no segments' : `up to seq ${tip}`;
      if (tip < seq) missing.push(`${track} has ${registered} registered, the recorder sent up to ${seq}`);
      else if (tip > seq)
        incomplete.push(`${track} has ${registered} registered, the recorder sent up to ${seq}`);
      else if (count !== seq + 1)
        missing.push(`${track} has ${count} segments registered for seq 0…${seq}: some are missing`);
    }
    if (missing.length > 0) throw new RecorderRequestRefusedError('SEGMENTS_MISSING', missing.join('; '));
    if (incomplete.length > 0)
      throw new RecorderRequestRefusedError(
        'LAST_SEQ_INCOMPLETE',
        `${incomplete.join('; ')}; lastSeq must name every track up to its last segment`,
      );
  }
}
