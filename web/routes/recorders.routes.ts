/** Recorder nodes: who is online, their levels, alarms and spool; issuing and revoking node tokens. */
import crypto from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError, idSchema, isoTime, lineSchema, type Clock } from '../../core/index.ts';
import type { Repositories } from '../../storage/index.ts';
import type { AccessService } from '../../court/index.ts';
import { hashNodeToken, type RecorderGateway } from '../hub/recorder-gateway.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export const createNodeSchema = z.strictObject({
  id: idSchema,
  courtroomId: idSchema.nullable(),
  name: lineSchema(200),
});

export function recordersRoutes(d: {
  repos: Repositories;
  gateway: RecorderGateway;
  clock: Clock;
  access: AccessService;
}): Router {
  const r = Router();
  /** Who watches the recorders and who manages their tokens is the policy's (recorders.watch, admin.manage). */
  const watch = async (req: Request) => {
    await d.access.require({
      user: personOf(req),
      hearing: null,
      action: 'recorders.watch',
      origin: originOf(req),
    });
  };
  const manage = async (req: Request, target: string) => {
    await d.access.require({
      user: personOf(req),
      hearing: null,
      action: 'admin.manage',
      origin: originOf(req),
      target,
      audit: true,
    });
  };

  r.get('/api/recorders', async (req, res) => {
    await watch(req);
    const live = new Map(d.gateway.liveState().map((l) => [l.nodeId, l]));
    const nodes = (await d.repos.recorderNodes.list()).map((n) => ({
      id: n.id,
      courtroomId: n.courtroom_id,
      name: n.name,
      online: live.has(n.id),
      revoked: n.revoked_at !== null,
      lastSeenAt: n.last_seen_at === null ? null : isoTime(n.last_seen_at),
      live: live.get(n.id) ?? null,
    }));
    res.json({ recorders: nodes });
  });

  /** Creates a node, or issues it a new token; the token is shown once, only its hash is kept. */
  r.post('/api/recorders', async (req, res) => {
    const input = parseOrThrow(createNodeSchema, req.body, 'recorder node');
    await manage(req, `recorder ${input.id}`);
    if (input.courtroomId && !(await d.repos.courts.findCourtroom(input.courtroomId)))
      throw new NotFoundError(`courtroom ${input.courtroomId} does not exist`);
    const token = crypto.randomBytes(24).toString('base64url');
    if (await d.repos.recorderNodes.find(input.id))
      throw new ConflictError(`recorder ${input.id} exists; use /token to issue a new token`);
    await d.repos.recorderNodes.insert({
      id: input.id,
      courtroom_id: input.courtroomId,
      name: input.name,
      token_hash: hashNodeToken(token),
      created_at: d.clock.now(),
      last_seen_at: null,
      revoked_at: null,
    });
    res.status(201).json({ id: input.id, token });
  });

  r.post('/api/recorders/:id/token', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'recorder id');
    await manage(req, `recorder ${id} token`);
    const token = crypto.randomBytes(24).toString('base64url');
    if (!(await d.repos.recorderNodes.setTokenHash(id, hashNodeToken(token))))
      throw new NotFoundError(`recorder ${id} does not exist`);
    res.json({ id, token });
  });

  r.post('/api/recorders/:id/revoke', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'recorder id');
    await manage(req, `recorder ${id} revoke`);
    if (!(await d.repos.recorderNodes.revoke(id, d.clock.now())))
      throw new NotFoundError(`recorder ${id} does not exist`);
    res.json({ id, revoked: true });
  });

  return r;
}
