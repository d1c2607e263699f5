/**
 * The review player's API: per-viewer HLS playlists after the policy check (sealed
 * parts absent), the deep-link position of a wall-clock time, and — for the local
 * object store — the hub-signed /objects route. Every playlist and segment served, and
 * every refusal, is in the audit log.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ValidationError, idSchema, isoTime, type Clock } from '../../core/index.ts';
import type { AuditLog, ObjectStore, Repositories, UrlSigner } from '../../storage/index.ts';
import type { AuthUser } from '../auth/index.ts';
import type { AccessService } from '../hub/access.service.ts';
import type { HearingsService } from '../hub/hearings.service.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import {
  HLS_CONTENT_TYPE,
  HearingMediaCache,
  PlaylistService,
  signedObjectsRoutes,
  type HearingMedia,
} from '../player/index.ts';
import type { Hearing } from '../../storage/index.ts';

export const fileParam = z.object({
  id: idSchema,
  file: z.string().regex(/^(master|[a-z0-9-]{1,40})\.m3u8$/, 'must be master.m3u8 or <track>.m3u8'),
});
export const positionQuery = z.object({ t: z.string().min(1).max(40) });
const wallClockParam = z.iso.datetime({ offset: true });

export interface PlayerRoutesDeps {
  repos: Repositories;
  objects: ObjectStore;
  signer: UrlSigner;
  hearings: HearingsService;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
  expirySeconds: number;
  /** Resolves the session behind a cookie, to name who fetched a signed segment. */
  userOf: (req: Request) => Promise<AuthUser | null>;
}

export function playerRoutes(d: PlayerRoutesDeps): Router {
  const r = Router();
  const playlists = new PlaylistService({
    objects: d.objects,
    expirySeconds: d.expirySeconds,
    clock: d.clock,
  });
  const cache = new HearingMediaCache();

  async function mediaFor(req: Request, hearing: Hearing, target: string): Promise<HearingMedia> {
    const decision = req.user
      ? await d.access.require({ user: req.user, hearing, action: 'recording.play', req, target })
      : { excludeRanges: [] as { startMs: number; endMs: number }[] };
    const rows = await cache.get(hearing, async () => ({
      tracks: await d.repos.hearings.listTracks(hearing.id),
      segments: await d.repos.segments.listByHearing(hearing.id),
    }));
    return { hearing, tracks: rows.tracks, segments: rows.segments, excludeRanges: decision.excludeRanges };
  }

  r.get('/api/hearings/:id/hls/:file', async (req, res) => {
    const { id, file } = parseOrThrow(fileParam, req.params, 'playlist');
    const hearing = await d.hearings.get(id);
    const media = await mediaFor(req, hearing, file);
    const name = file.slice(0, -'.m3u8'.length);
    const text =
      name === 'master' ? playlists.master(media) : await playlists.media({ ...media, track: name });
    res.type(HLS_CONTENT_TYPE).set('Cache-Control', 'private, no-store').send(text);
  });

  r.get('/api/hearings/:id/position', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'hearing id');
    const { t } = parseOrThrow(positionQuery, req.query, 'position');
    const hearing = await d.hearings.get(id);
    const media = await mediaFor(req, hearing, `position ${t}`);
    const timeline = playlists.timeline(media);
    let offsetSeconds: number;
    if (/^\d+(\.\d+)?$/.test(t)) offsetSeconds = Number(t);
    else {
      // Only ISO 8601 with a zone: Date.parse alone would also take "-5", " 1" or an RFC 2822 date.
      const at = wallClockParam.safeParse(t).success ? Date.parse(t) : NaN;
      if (!Number.isFinite(at))
        throw new ValidationError('t must be an ISO 8601 time or an offset in seconds', { field: 't' });
      offsetSeconds = timeline.positionFor(at);
    }
    const wall = timeline.wallClockAt(offsetSeconds);
    res.json({
      offsetSeconds,
      wallClock: wall === null ? null : isoTime(wall),
      durationSeconds: timeline.durationSeconds,
    });
  });

  if (d.objects.capabilities.presignedUrls === 'hub-signed') {
    const auditObject = async (
      req: Request,
      key: string,
      verdict: 'allow' | 'refuse',
      reason: string | null,
    ) => {
      const user = await d.userOf(req).catch(() => null);
      await d.audit.append({
        actor: user?.login ?? 'signed-url',
        role: user?.role ?? null,
        action: 'segment.get',
        hearingId: /^hearings\/([^/]+)\//.exec(key)?.[1] ?? null,
        target: key.slice(0, 300),
        address: req.socket.remoteAddress ?? null,
        verdict,
        reason,
      });
    };
    r.use(
      signedObjectsRoutes({
        objects: d.objects,
        signer: d.signer,
        clock: d.clock,
        onServed: (key, req) => auditObject(req, key, 'allow', null),
        onRefused: (key, reason, req) => auditObject(req, key, 'refuse', reason),
      }),
    );
  }
  return r;
}
