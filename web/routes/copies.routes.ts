/**
 * Copies: a party or judge asks for the whole hearing or a time range; a queued job
 * makes a watermarked MP4 with the lawful-use notice (recorder/copy). The page polls the
 * copy's state; once ready, the short-lived links are handed out only to the one who
 * asked, and every hand-out is in the audit log.
 */
import crypto from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, idSchema, isoTime, type Clock } from '../../core/index.ts';
import type { AuditLog, JobQueue, ObjectStore, Repositories } from '../../storage/index.ts';
import type { AccessService } from '../../court/index.ts';
import type { HearingsService } from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export const copyRequestSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: false }).optional(),
    to: z.iso.datetime({ offset: false }).optional(),
  })
  .refine((r) => !r.from || !r.to || Date.parse(r.to) > Date.parse(r.from), {
    message: 'to must be after from',
    path: ['to'],
  });

export function copiesRoutes(d: {
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  hearings: HearingsService;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
  expirySeconds: number;
}): Router {
  const r = Router();

  r.post('/api/hearings/:id/copies', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'hearing id');
    const input = parseOrThrow(copyRequestSchema, req.body ?? {}, 'copy request');
    const hearing = await d.hearings.get(id);
    const decision = await d.access.require({
      user: personOf(req),
      hearing,
      action: 'recording.download',
      origin: originOf(req),
      target: `${input.from ?? '-'}/${input.to ?? '-'}`,
    });
    const copyId = `cp-${crypto.randomUUID()}`;
    const viewerName = personOf(req).displayName;
    const now = d.clock.now();
    await d.repos.copies.insert({
      id: copyId,
      hearing_id: id,
      viewer_user_id: personOf(req).id,
      viewer_name: viewerName,
      from_ms: input.from ? Date.parse(input.from) : null,
      to_ms: input.to ? Date.parse(input.to) : null,
      state: 'queued',
      progress: 0,
      mp4_key: null,
      txt_key: null,
      sha256: null,
      size: null,
      error: null,
      requested_at: now,
      finished_at: null,
    });
    await d.queue.enqueue(
      'copy.make',
      {
        copyId,
        hearingId: id,
        viewerName,
        viewerUserId: personOf(req).id,
        ...(input.from ? { fromMs: Date.parse(input.from) } : {}),
        ...(input.to ? { toMs: Date.parse(input.to) } : {}),
        excludeRanges: [...decision.excludeRanges],
        requestedAtMs: now,
      },
      { jobId: copyId, attempts: 3 },
    );
    res.status(202).json({ copyId });
  });

  r.get('/api/copies/:copyId', async (req, res) => {
    const { copyId } = parseOrThrow(
      z.object({ copyId: z.string().regex(/^cp-[0-9a-f-]{36}$/) }),
      req.params,
      'copy id',
    );
    const copy = await d.repos.copies.find(copyId);
    if (!copy) throw new NotFoundError(`copy ${copyId} does not exist`);
    // A copy is personal (it carries its requester's name as a watermark): the policy's decideCopy.
    await d.access.requireCopy({ user: personOf(req), copy, origin: originOf(req) });
    let links: { mp4Url: string; noticeUrl: string } | null = null;
    if (copy.state === 'ready' && copy.mp4_key && copy.txt_key) {
      // Links go out only while the requester may still download the recording: access
      // withdrawn since (an assignment ended, a party removed, a closed hearing asked for
      // off site) withdraws the copy's links too.
      await d.access.require({
        user: personOf(req),
        hearing: await d.hearings.get(copy.hearing_id),
        action: 'recording.download',
        origin: originOf(req),
        target: copy.id,
      });
      const base = `hearing-${copy.hearing_id}-${copyId.slice(3, 11)}`;
      links = {
        mp4Url: await d.objects.presignGet(copy.mp4_key, {
          expirySeconds: d.expirySeconds,
          filename: `${base}.mp4`,
        }),
        noticeUrl: await d.objects.presignGet(copy.txt_key, {
          expirySeconds: d.expirySeconds,
          filename: `${base}.txt`,
        }),
      };
      await d.audit.append({
        actor: personOf(req).login,
        role: personOf(req).role,
        action: 'copy.download',
        hearingId: copy.hearing_id,
        target: `${copy.mp4_key} sha256=${copy.sha256}`,
        address: req.socket.remoteAddress ?? null,
        verdict: 'allow',
      });
    }
    res.json({
      copyId,
      hearingId: copy.hearing_id,
      state: copy.state,
      progress: copy.progress,
      requestedAt: isoTime(copy.requested_at),
      finishedAt: copy.finished_at === null ? null : isoTime(copy.finished_at),
      sha256: copy.sha256,
      size: copy.size,
      error: copy.state === 'failed' ? copy.error : null,
      ...(links ?? {}),
    });
  });
  return r;
}
