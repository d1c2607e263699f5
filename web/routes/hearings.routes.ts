/**
 * Hearings: list and read (filtered by the access policy for the person asking), create,
 * the recording commands, markers, sealed ranges, the manifest. Thin handlers: validate,
 * one call into a court service, answer. The administrator token acts as the api-token
 * administrator, under the same rules as everyone.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { NotFoundError, idSchema, isoTime, type Clock } from '../../core/index.ts';
import type { AuditLog, Hearing, HearingSpeaker, ObjectStore, Repositories } from '../../storage/index.ts';
import {
  createHearingSchema,
  markerInputSchema,
  sealSchema,
  speakersSchema,
  type AccessService,
  type HearingDeskService,
  type HearingsService,
} from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { requesterOf } from '../middlewares/requester.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import { seesSealedRanges, type Action } from '../../court/index.ts';

export const idParam = z.object({ id: idSchema });
export const commandParam = z.object({ id: idSchema, command: z.enum(['start', 'pause', 'resume', 'stop']) });

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
  desk: HearingDeskService;
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
    res.status(201).json(hearingView(await d.desk.create(requesterOf(req), input)));
  });

  r.get('/api/hearings', async (req, res) => {
    const all = await d.repos.hearings.list();
    const person = personOf(req);
    const visible = [];
    for (const h of all) {
      const view = await d.access.decide({
        user: person,
        hearing: h,
        action: 'hearing.view',
        origin: originOf(req),
      });
      if (!view.allow) continue;
      const play = await d.access.decide({
        user: person,
        hearing: h,
        action: 'recording.play',
        origin: originOf(req),
        audit: false,
      });
      visible.push({
        ...hearingView(h),
        access: play.allow ? { play: true } : { play: false, reason: play.reason, message: play.message },
      });
    }
    res.json({ hearings: visible });
  });

  r.get('/api/hearings/:id', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'hearing.view');
    const person = personOf(req);
    const play = await d.access.decide({
      user: person,
      hearing,
      action: 'recording.play',
      origin: originOf(req),
    });
    const excluded = play.allow ? play.excludeRanges : [];
    const inExcluded = (ms: number) => excluded.some((r) => ms >= r.startMs && ms < r.endMs);
    const segments = await d.repos.segments.listByHearing(id);
    const speakers = await d.repos.speakers.speakersOfHearing(id);
    const speakerOf = new Map(speakers.map((s) => [s.track, s.name]));
    const tracks = (await d.repos.hearings.listTracks(id)).map((t) => {
      const own = segments.filter((s) => s.track === t.name);
      return {
        name: t.name,
        kind: t.kind,
        codec: t.codec,
        sampleRate: t.sample_rate,
        channels: t.channels,
        // The secretary's mapping, else what the recorder said (nothing, today).
        speaker: speakerOf.get(t.name) ?? t.speaker,
        segments: own.length,
        durationMs: own.reduce((sum, s) => sum + s.duration_ms, 0),
        verified: own.filter((s) => s.verify_state === 'ok').length,
        failedVerification: own.filter((s) => s.verify_state === 'failed').map((s) => s.seq),
      };
    });
    // A marker inside a part this viewer may not see is not shown either.
    const markers = (await d.repos.markers.listByHearing(id))
      .filter((m) => !inExcluded(m.at_ms))
      .map((m) => ({
        id: m.id,
        kind: m.kind,
        at: isoTime(m.at_ms),
        end: m.end_ms === null ? null : isoTime(m.end_ms),
        text: m.text,
        author: m.author,
      }));
    const staff = seesSealedRanges(
      { userId: person.id },
      { judgeUserId: hearing.judge_user_id, secretaryUserId: hearing.secretary_user_id },
    );
    const sealedRanges = staff
      ? (await d.repos.sealedRanges.listByHearing(id)).map((r) => ({
          id: r.id,
          start: isoTime(r.start_ms),
          end: isoTime(r.end_ms),
          reason: r.reason,
        }))
      : undefined;
    res.json({
      ...hearingView(hearing),
      tracks,
      speakers: speakers.map(speakerView),
      markers,
      ...(sealedRanges ? { sealedRanges } : {}),
      access: play.allow ? { play: true } : { play: false, reason: play.reason, message: play.message },
    });
  });

  r.get('/api/hearings/:id/speakers', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'hearing.view');
    const speakers = await d.repos.speakers.speakersOfHearing(id);
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
    const hearing = await d.hearings.get(id);
    await check(req, hearing, 'recording.play', 'manifest.json');
    if (!hearing.manifest_key)
      throw new NotFoundError('the manifest is written when the stopped hearing is fully delivered');
    res.type('application/json').set('x-hattama-sha256', hearing.manifest_sha256 ?? '');
    (await d.objects.get(hearing.manifest_key)).pipe(res);
  });

  return r;
}
