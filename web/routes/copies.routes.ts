/**
 * Copies: a party or judge asks for the whole hearing or a time range; a queued job makes
 * a watermarked MP4 with the lawful-use notice. The page polls the copy's state; once
 * ready, the short-lived links go to the one who asked only. Thin: who may have what,
 * when asked, when made and when handed out, is the court's CopiesService.
 */
import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../core/index.ts';
import type { CopiesService } from '../../court/index.ts';
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

export const copyIdSchema = z.string().regex(/^cp-[0-9a-f-]{36}$/);

export function copiesRoutes(d: { copies: CopiesService }): Router {
  const r = Router();

  r.post('/api/hearings/:id/copies', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'hearing id');
    const input = parseOrThrow(copyRequestSchema, req.body ?? {}, 'copy request');
    const asked = await d.copies.request({
      person: personOf(req),
      origin: originOf(req),
      hearingId: id,
      fromMs: input.from ? Date.parse(input.from) : undefined,
      toMs: input.to ? Date.parse(input.to) : undefined,
    });
    res.status(202).json(asked);
  });

  r.get('/api/copies/:copyId', async (req, res) => {
    const { copyId } = parseOrThrow(z.object({ copyId: copyIdSchema }), req.params, 'copy id');
    res.json(await d.copies.view({ person: personOf(req), origin: originOf(req), copyId }));
  });
  return r;
}
