/**
 * Hearings: list and read, create, the recording commands, markers, sealed ranges, the
 * manifest. Thin handlers: validate, one call into a court service, respond. Reads go
 * through the court's `HearingReadsService`, changes through its `HearingDeskService`,
 * each with the request's person and origin; the administrator token acts as the
 * `api-token` administrator account under the same policy.
 */
import { Router } from 'express';
import { z } from 'zod';
import { idSchema, isoTime } from '../../core/index.ts';
import type { Hearing, HearingSpeaker } from '../../storage/index.ts';
import {
  MAX_PAGE,
  createHearingSchema,
  markerInputSchema,
  sealSchema,
  speakersSchema,
  type Decision,
  type HearingDeskService,
  type HearingReadsService,
} from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { requesterOf } from '../middlewares/requester.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export const idParam = z.object({ id: idSchema });
export const commandParam = z.object({ id: idSchema, command: z.enum(['start', 'pause', 'resume', 'stop']) });

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
  /** Every read of a hearing (list, detail, speakers, manifest). */
  reads: HearingReadsService;
  /** Every change: create, commands, markers, seals, microphones. */
  desk: HearingDeskService;
}

export function hearingsRoutes(d: HearingsRoutesDeps): Router {
  const r = Router();

  r.post('/api/hearings', async (req, res) => {
    const input = parseOrThrow(createHearingSchema, req.body, 'hearing');
    res.status(201).json(hearingView(await d.desk.create(requesterOf(req), input)));
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
    const speakers = await d.desk.setSpeakers(requesterOf(req), id, input);
    res.json({ hearingId: id, speakers: speakers.map(speakerView) });
  });

  r.post('/api/hearings/:id/markers', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const input = parseOrThrow(markerInputSchema, req.body, 'marker');
    res.status(201).json(await d.desk.addMarker(requesterOf(req), id, input));
  });

  r.post('/api/hearings/:id/sealed-ranges', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const input = parseOrThrow(sealSchema, req.body, 'sealed range');
    res.status(201).json(await d.desk.seal(requesterOf(req), id, input));
  });

  r.post('/api/hearings/:id/:command', async (req, res) => {
    const { id, command } = parseOrThrow(commandParam, req.params, 'command');
    res.json(hearingView(await d.desk.command(requesterOf(req), id, command)));
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
