/** Hearings: create, read, the recording commands, markers, the manifest. Thin handlers (STYLE.md 1). */
import { Router } from 'express';
import { z } from 'zod';
import { idSchema, isoTime } from '../../core/index.ts';
import type { Hearing, ObjectStore, Repositories } from '../../storage/index.ts';
import { createHearingSchema, markerInputSchema, type HearingsService } from '../hub/hearings.service.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

const idParam = z.object({ id: idSchema });
const commandParam = z.object({ id: idSchema, command: z.enum(['start', 'pause', 'resume', 'stop']) });

export function hearingView(h: Hearing) {
  const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));
  return {
    id: h.id,
    courtroomId: h.courtroom_id,
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

export function hearingsRoutes(d: { hearings: HearingsService; repos: Repositories; objects: ObjectStore }): Router {
  const r = Router();

  r.post('/api/hearings', async (req, res) => {
    const input = parseOrThrow(createHearingSchema, req.body, 'hearing');
    res.status(201).json(hearingView(await d.hearings.create(input)));
  });

  r.get('/api/hearings', async (_req, res) => {
    res.json({ hearings: (await d.repos.hearings.list()).map(hearingView) });
  });

  r.get('/api/hearings/:id', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const hearing = await d.hearings.get(id);
    const counts = await d.repos.segments.countByTrack(id);
    const segments = await d.repos.segments.listByHearing(id);
    const tracks = (await d.repos.hearings.listTracks(id)).map((t) => {
      const own = segments.filter((s) => s.track === t.name);
      return {
        name: t.name,
        kind: t.kind,
        codec: t.codec,
        sampleRate: t.sample_rate,
        channels: t.channels,
        segments: counts.find((c) => c.track === t.name)?.count ?? 0,
        durationMs: own.reduce((sum, s) => sum + s.duration_ms, 0),
        verified: own.filter((s) => s.verify_state === 'ok').length,
        failedVerification: own.filter((s) => s.verify_state === 'failed').map((s) => s.seq),
      };
    });
    const markers = (await d.repos.markers.listByHearing(id)).map((m) => ({
      id: m.id,
      kind: m.kind,
      at: isoTime(m.at_ms),
      end: m.end_ms === null ? null : isoTime(m.end_ms),
      text: m.text,
      author: m.author,
    }));
    res.json({ ...hearingView(hearing), tracks, markers });
  });

  r.post('/api/hearings/:id/:command', async (req, res) => {
    if (req.params.command === 'markers') {
      const { id } = parseOrThrow(idParam, { id: req.params.id }, 'hearing id');
      const input = parseOrThrow(markerInputSchema, req.body, 'marker');
      res.status(201).json(await d.hearings.addMarker(id, input, 'administrator'));
      return;
    }
    const { id, command } = parseOrThrow(commandParam, req.params, 'command');
    res.json(hearingView(await d.hearings.command(id, command)));
  });

  r.get('/api/hearings/:id/manifest', async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, 'hearing id');
    const hearing = await d.hearings.get(id);
    if (!hearing.manifest_key) {
      res.status(404).type('application/problem+json').send(
        JSON.stringify({ type: 'https://hattama.dev/problems/not-found', title: 'NOT_FOUND', status: 404, code: 'NOT_FOUND', detail: 'the manifest is written when the stopped hearing is fully delivered' }),
      );
      return;
    }
    res.type('application/json').set('x-hattama-sha256', hearing.manifest_sha256 ?? '');
    (await d.objects.get(hearing.manifest_key)).pipe(res);
  });

  return r;
}
