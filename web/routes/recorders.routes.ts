/** Recorder nodes: who is online, their levels, alarms and spool; issuing and revoking node tokens. */
import { Router } from 'express';
import { z } from 'zod';
import { idSchema, isoTime } from '../../core/index.ts';
import { createNodeSchema, type RecorderNodesService } from '../../court/index.ts';
import type { RecorderGateway } from '../hub/recorder-gateway.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export { createNodeSchema };

/**
 * Who watches which nodes and who manages their tokens is the court's (`recorders.watch`
 * narrowed to the viewer's courts, `admin.manage`); the gateway adds what is live now.
 */
export function recordersRoutes(d: { nodes: RecorderNodesService; gateway: RecorderGateway }): Router {
  const r = Router();

  r.get('/api/recorders', async (req, res) => {
    const { nodes } = await d.nodes.watchable(personOf(req), originOf(req));
    const live = new Map(d.gateway.liveState().map((l) => [l.nodeId, l]));
    res.json({
      recorders: nodes.map((n) => ({
        id: n.id,
        courtroomId: n.courtroom_id,
        name: n.name,
        online: live.has(n.id),
        revoked: n.revoked_at !== null,
        lastSeenAt: n.last_seen_at === null ? null : isoTime(n.last_seen_at),
        live: live.get(n.id) ?? null,
      })),
    });
  });

  /** Creates a node, or issues it a new token; the token is shown once, only its hash is kept. */
  r.post('/api/recorders', async (req, res) => {
    const input = parseOrThrow(createNodeSchema, req.body, 'recorder node');
    res.status(201).json(await d.nodes.create(personOf(req), originOf(req), input));
  });

  r.post('/api/recorders/:id/token', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'recorder id');
    res.json(await d.nodes.issueToken(personOf(req), originOf(req), id));
  });

  r.post('/api/recorders/:id/revoke', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'recorder id');
    res.json(await d.nodes.revoke(personOf(req), originOf(req), id));
  });

  return r;
}
