/**
 * Hearings: list and read, create, the recording commands, markers, sealed ranges, the
 * manifest. Thin handlers: validate, one call into a court service, respond (STYLE.md 1).
 * Every read (list, detail, speakers, manifest) goes through the court's
 * `HearingReadsService` with the request's person and origin; the administrator token
 * acts as the `api-token` administrator account under the same policy.
 */
import { Router, type Request } from 'express';
import crypto from 'node:crypto';
import { z } from 'zod';
import { ValidationError, idSchema, isoTime, textSchema, type Clock } from '../../core/index.ts';
import type { AuditLog, Hearing, HearingSpeaker, ObjectStore, Repositories } from '../../storage/index.ts';
import type { AccessService } from '../../court/index.ts';
import {
  createHearingSchema,
  markerInputSchema,
  speakersSchema,
  type HearingsService,
} from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import { MAX_PAGE, type Action, type Decision, type HearingReadsService } from '../../court/index.ts';

export const idParam = z.object({ id: idSchema });
export const commandParam = z.object({ id: idSchema, command: z.enum(['start', 'pause', 'resume', 'stop']) });
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

/** GET /api/hearings: filters and paging; strict, so a misspelt filter is refused, not ignored. */
export const hearingListQuery = z.strictObject({
  caseNumber: z.string().trim().min(1).max(64).optional(),
  courtId: idSchema.optional(),
  /** Hearings whose time (started, else scheduled, else created) is at or after this. */
  from: z.iso.datetime({ offset: false }).optional(),
  /** … and before this. */
  to: z.iso.datetime({ offset: false }).optional(),
  state: z.enum(['scheduled', 'recording', 'paused', 'stopped']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  /** The `next` of the previous page. */
  cursor: z
    .string()
    .min(1)
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor this server gave out')
    .optional(),
});

function playAccess(play: Decision) {
  return play.allow
    ? { play: true as const }
    : { play: false as const, reason: play.reason, message: play.message };
}

export function hearingView(h: Hearing) {
  const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));
  return {
    id: h.id,
    courtroomId: h.courtroom_id,
    caseId: h.case_id,
    caseNumber: h.case_number,
    title: h.title,
    judge: h.judge,
    visibility: h.visibility,
    language: h.language,
    state: h.state,
    scheduledAt: iso(h.scheduled_at),
    startedAt: iso(h.started_at),
    stoppedAt: iso(h.stopped_at),
    manifest: h.manifest_key ? { key: h.manifest_key, sha256: h.manifest_sha256 } : null,
  };
}

/** One microphone's speaker as the API shows it (GET/PUT speakers, and the hearing's `speakers`). */
export function speakerView(s: HearingSpeaker) {
  return {
    track: s.track,
    participantId: s.participantId,
    label: s.label,
    name: s.name,
    capacity: s.capacity,
  };
}

export interface HearingsRoutesDeps {
  hearings: HearingsService;
  /** Every read of a hearing (list, detail, speakers, manifest). */
  reads: HearingReadsService;
  repos: Repositories;
  objects: ObjectStore;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
}

export function hearingsRoutes(d: HearingsRoutesDeps): Router {
  const r = Router();

  /** Refuses (403, audited) unless the policy allows this person the action. */
  const check = async (req: Request, hearing: Hearing | null, action: Action, target?: string) =>
    d.access.require({ user: personOf(req), hearing, action, origin: originOf(req), target });

  r.post('/api/hearings', async (req, res) => {
    const input = parseOrThrow(createHearingSchema, req.body, 'hearing');
    const person = personOf(req);
    {
      const room = await d.repos.courts.findCourtroom(input.courtroomId);
      if (!room)
        throw new ValidationError(`courtroom ${input.courtroomId} does not exist`, { field: 'courtroomId' });
      await d.access.require({
        user: person,
        origin: originOf(req),
        action: 'hearing.create',
        hearing: {
          id: input.id ?? 'new',
          courtroom_id: room.id,
          case_id: null,
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
          secretary_user_id: person.id,
        },
      });
    }
    const created = await d.hearings.create(input, { secretaryUserId: person.id });
    res.status(201).json(hearingView(created));
  });

  r.get('/api/hearings', async (req, res) => {
    const q = parseOrThrow(hearingListQuery, req.query, 'hearing list query');
    const page = await d.reads.list(personOf(req), originOf(req), {
      caseNumber: q.caseNumber,
      courtId: q.courtId,
      fromMs: q.from === undefined ? undefined : Date.parse(q.from),
      toMs: q.to === undefined ? undefined : Date.parse(q.to),
      state: q.state,
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json({
      hearings: page.hearings.map((v) => ({ ...hearingView(v.hearing), access: playAccess(v.play) })),
      next: page.next,
    });
  });

  r.get('/api/hearings/:id', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const h = await d.reads.detail(personOf(req), originOf(req), id);
    res.json({
      ...hearingView(h.hearing),
      tracks: h.tracks,
      speakers: h.speakers.map(speakerView),
      markers: h.markers,
      ...(h.sealedRanges ? { sealedRanges: h.sealedRanges } : {}),
      access: playAccess(h.play),
    });
  });

  r.get('/api/hearings/:id/speakers', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const speakers = await d.reads.speakers(personOf(req), originOf(req), id);
    res.json({ hearingId: id, speakers: speakers.map(speakerView) });
  });

  /** Which microphone belongs to whom: the whole mapping, replaced (the secretary's form). */
  r.put('/api/hearings/:id/speakers', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const input = parseOrThrow(speakersSchema, req.body, 'microphone mapping');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'hearing.edit', 'speakers');
    const actor = personOf(req).login;
    const speakers = await d.hearings.setSpeakers(hearing, input, actor);
    // Who speaks into which microphone decides whose words a transcript shows: access data.
    await d.audit.append({
      actor,
      role: personOf(req).role,
      action: 'hearing.speakers.set',
      hearingId: id,
      target:
        speakers
          .map((s) => `${s.track}=${s.participantId ? `participant:${s.participantId}` : `label:${s.label}`}`)
          .join('; ') || '(none)',
      address: req.socket.remoteAddress ?? null,
      verdict: 'info',
    });
    res.json({ hearingId: id, speakers: speakers.map(speakerView) });
  });

  r.post('/api/hearings/:id/markers', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const input = parseOrThrow(markerInputSchema, req.body, 'marker');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'marker.add');
    res.status(201).json(await d.hearings.addMarker(id, input, personOf(req).login));
  });

  r.post('/api/hearings/:id/sealed-ranges', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const input = parseOrThrow(sealSchema, req.body, 'sealed range');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'range.seal', `${input.start}/${input.end}`);
    const range = {
      id: crypto.randomUUID(),
      hearing_id: id,
      start_ms: Date.parse(input.start),
      end_ms: Date.parse(input.end),
      reason: input.reason,
      created_by: personOf(req).id,
      created_at: d.clock.now(),
    };
    await d.repos.sealedRanges.insert(range);
    res.status(201).json({ id: range.id, start: input.start, end: input.end, reason: input.reason });
  });

  r.post('/api/hearings/:id/:command', async (req, res) => {
    const { id, command } = parseOrThrow(commandParam, req.params, 'command');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'hearing.operate');
    res.json(hearingView(await d.hearings.command(id, command)));
  });

  r.get('/api/hearings/:id/manifest', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const m = await d.reads.manifest(personOf(req), originOf(req), id);
    res.type('application/json').set('x-hattama-sha256', m.sha256);
    if (m.redacted) res.set('x-hattama-manifest', 'redacted');
    if (Buffer.isBuffer(m.body)) res.send(m.body);
    else m.body.pipe(res);
  });

  return r;
}
