/**
 * The review player's API: per-viewer HLS playlists after the policy check (sealed
 * parts absent), the deep-link position of a wall-clock time, and — for the local
 * object store — the hub-signed /objects route. Every playlist and segment served, and
 * every refusal, is in the audit log.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { ValidationError, idSchema, isoTime, type Clock } from '../../core/index.ts';
import type { AuditLog, ObjectStore, Repositories, UrlSigner } from '../../storage/index.ts';
import type { AuthUser } from '../auth/index.ts';
import type { AccessService } from '../../court/index.ts';
import type { HearingsService } from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import {
  HLS_CONTENT_TYPE,
  HearingMediaCache,
  MIN_COMPRESSED_BYTES,
  acceptsGzip,
  gzipOnce,
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
/** What express's res.send gave playlists before they were sent as cached bytes. */
const PLAYLIST_CONTENT_TYPE = `${HLS_CONTENT_TYPE}; charset=utf-8`;

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

/** A GET route the app answers before everything but the security headers (app.ts `hotRoutes`). */
export interface HotRoute {
  path: string;
  handler: RequestHandler;
}

export interface PlayerRoutes {
  /** Deep-link positions and, for the local store, the hub-signed /objects route. */
  router: Router;
  /**
   * The playlists: every viewer's player asks for one every few seconds, so the app
   * mounts this route first (behind the session or the administrator token, like every
   * API route) rather than after the body parser and the public routers.
   */
  playlist: HotRoute;
}

export function playerRoutes(d: PlayerRoutesDeps): PlayerRoutes {
  const r = Router();
  const playlists = new PlaylistService({
    objects: d.objects,
    expirySeconds: d.expirySeconds,
    clock: d.clock,
  });
  const cache = new HearingMediaCache();

  async function mediaFor(req: Request, hearing: Hearing, target: string): Promise<HearingMedia> {
    const decision = await d.access.require({
      user: personOf(req),
      hearing,
      action: 'recording.play',
      origin: originOf(req),
      target,
    });
    const rows = await cache.get(hearing, async () => ({
      tracks: await d.repos.hearings.listTracks(hearing.id),
      segments: await d.repos.segments.listByHearing(hearing.id),
    }));
    return { hearing, tracks: rows.tracks, segments: rows.segments, excludeRanges: decision.excludeRanges };
  }

  const playlist: RequestHandler = async (req, res) => {
    const { id, file } = parseOrThrow(fileParam, req.params, 'playlist');
    const hearing = await d.hearings.get(id);
    const media = await mediaFor(req, hearing, file);
    const name = file.slice(0, -'.m3u8'.length);
    const body =
      name === 'master' ? playlists.masterBody(media) : await playlists.mediaBody({ ...media, track: name });
    // The cached bytes (or their cached gzip) as they are: no ETag (the answer is no-store,
    // and hashing a 270 kB playlist on every request would cost more than the request).
    res.statusCode = 200;
    res.setHeader('Content-Type', PLAYLIST_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Vary', 'Accept-Encoding');
    let sent = body;
    if (body.length >= MIN_COMPRESSED_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
      sent = await gzipOnce(body);
      res.setHeader('Content-Encoding', 'gzip');
    }
    res.setHeader('Content-Length', sent.length);
    res.end(sent);
  };

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
  return { router: r, playlist: { path: '/api/hearings/:id/hls/:file', handler: playlist } };
}
