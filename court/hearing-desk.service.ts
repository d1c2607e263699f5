/**
 * The changes people make to a hearing — create it, run its recording, add markers, seal a
 * range, map its microphones — each decided by the access policy for the person and the
 * place it comes from, then applied by the hearing service. The web adapter's routes call
 * these and nothing else; refusals are audited by the access service.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { ValidationError, textSchema, type Clock } from '../core/index.ts';
import type { AuditLog, Hearing, HearingSpeaker, Repositories } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import type {
  CreateHearing,
  HearingCommand,
  HearingsService,
  MarkerInput,
  SpeakersInput,
} from './hearings.service.ts';
import type { Origin, Person } from './requester.ts';

/** Who asks, and from where. */
export interface Requester {
  person: Person;
  origin: Origin;
}

export const sealSchema = z
  .strictObject({
    start: z.iso.datetime({ offset: false }),
    end: z.iso.datetime({ offset: false }),
    reason: textSchema(500, { required: true }),
  })
  .refine((r) => Date.parse(r.end) > Date.parse(r.start), {
    message: 'end must be after start',
    path: ['end'],
  });
export type SealInput = z.infer<typeof sealSchema>;

export interface SealedRangeView {
  id: string;
  start: string;
  end: string;
  reason: string;
}

export class HearingDeskService {
  constructor(
    private readonly d: {
      repos: Pick<Repositories, 'courts' | 'sealedRanges'>;
      hearings: HearingsService;
      access: AccessService;
      audit: AuditLog;
      clock: Clock;
    },
  ) {}

  /** A secretary creates a hearing in a courtroom of their court; they become its secretary. */
  async create(by: Requester, input: CreateHearing): Promise<Hearing> {
    const room = await this.d.repos.courts.findCourtroom(input.courtroomId);
    if (!room)
      throw new ValidationError(`courtroom ${input.courtroomId} does not exist`, { field: 'courtroomId' });
    // The draft's facts the policy looks at: its court (through the courtroom) and its staff.
    const draft: Hearing = {
      id: input.id ?? 'new',
      courtroom_id: room.id,
      case_id: input.caseId ?? null,
      case_number: input.caseNumber,
      title: input.title,
      judge: input.judge,
      visibility: input.visibility,
      language: input.language,
      state: 'scheduled',
      scheduled_at: null,
      started_at: null,
      stopped_at: null,
      manifest_key: null,
      manifest_sha256: null,
      created_at: 0,
      updated_at: 0,
      judge_user_id: null,
      secretary_user_id: by.person.id,
    };
    await this.d.access.require({
      user: by.person,
      origin: by.origin,
      action: 'hearing.create',
      hearing: draft,
    });
    return this.d.hearings.create(input, { secretaryUserId: by.person.id });
  }

  /** Start, pause, resume or stop the recording (the hearing's staff and its court's operators). */
  async command(by: Requester, id: string, command: HearingCommand): Promise<Hearing> {
    const hearing = await this.d.hearings.get(id);
    await this.d.access.require({
      user: by.person,
      origin: by.origin,
      hearing,
      action: 'hearing.operate',
      target: command,
    });
    return this.d.hearings.command(id, command);
  }

  async addMarker(by: Requester, id: string, input: MarkerInput): Promise<{ id: string }> {
    const hearing = await this.d.hearings.get(id);
    await this.d.access.require({ user: by.person, origin: by.origin, hearing, action: 'marker.add' });
    return this.d.hearings.addMarker(id, input, by.person.login);
  }

  /** The judge closes part of an open hearing; the range names who sealed it. Audited as `range.seal`. */
  async seal(by: Requester, id: string, input: SealInput): Promise<SealedRangeView> {
    const hearing = await this.d.hearings.get(id);
    await this.d.access.require({
      user: by.person,
      origin: by.origin,
      hearing,
      action: 'range.seal',
      target: `${input.start}/${input.end}`,
    });
    const range = {
      id: crypto.randomUUID(),
      hearing_id: id,
      start_ms: Date.parse(input.start),
      end_ms: Date.parse(input.end),
      reason: input.reason,
      created_by: by.person.id,
      created_at: this.d.clock.now(),
    };
    await this.d.repos.sealedRanges.insert(range);
    return { id: range.id, start: input.start, end: input.end, reason: input.reason };
  }

  /**
   * Replaces which microphone belongs to whom. Who speaks into which microphone decides
   * whose words a transcript shows, so the change is access data and is audited.
   */
  async setSpeakers(by: Requester, id: string, input: SpeakersInput): Promise<HearingSpeaker[]> {
    const hearing = await this.d.hearings.get(id);
    await this.d.access.require({
      user: by.person,
      origin: by.origin,
      hearing,
      action: 'hearing.edit',
      target: 'speakers',
    });
    const speakers = await this.d.hearings.setSpeakers(hearing, input, by.person.login);
    await this.d.audit.append({
      actor: by.person.login,
      role: by.person.role,
      action: 'hearing.speakers.set',
      hearingId: id,
      target:
        speakers
          .map((s) => `${s.track}=${s.participantId ? `participant:${s.participantId}` : `label:${s.label}`}`)
          .join('; ') || '(none)',
      address: by.origin.address,
      verdict: 'info',
    });
    return speakers;
  }
}
