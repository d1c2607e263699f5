/**
 * The review player's API: per-viewer HLS playlists after the policy check (sealed
 * parts absent), the deep-link position of a wall-clock time, and the hub-signed
 * /objects route. Playlists list segment URLs bound to the viewer's session, on either
 * object store; each fetch is re-checked by the playback service (docs/decisions/0016).
 * Playback is audited per viewing, refusals one by one, and requests without a valid
 * credential in aggregate per address.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { ValidationError, idSchema, isoTime, type Clock, type Logger } from '../../core/index.ts';
import type { AuditLog, ObjectStore, UrlSigner } from '../../storage/index.ts';
import {
  UnauthenticatedError,
  type CopiesService,
  type HearingsService,
  type Person,
  type PlaybackService,
} from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import {
  CredentiallessGuard,
  HLS_CONTENT_TYPE,
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

/** The live session behind a request's cookie: its id binds the URLs given to it. */
export interface PlayerSession {
  binding: string;
  person: Person;
}

export interface PlayerRoutesDeps {
  objects: ObjectStore;
  signer: UrlSigner;
  hearings: HearingsService;
  playback: PlaybackService;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  expirySeconds: number;
  /** Re-checks a copy's download link (an unbound URL) before its bytes go out. */
  copies?: Pick<CopiesService, 'checkLink'>;
  /** Resolves the live session behind a request's cookie (the /objects route is not behind the API's gate). */
  sessionOf: (req: Request) => Promise<PlayerSession | null>;
  /** Requests without a valid credential: per address, the burst before 429 and the window; defaults 60 per 60 s. */
  credentialless?: { burst?: number; windowMs?: number };
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
  /** Writes the open counts of credential-less requests now and forgets them (their limits too). */
  flushCounts(): Promise<void>;
  /** Writes the open counts of credential-less requests; the playback service closes its viewings itself. */
  close(): Promise<void>;
}

export function playerRoutes(d: PlayerRoutesDeps): PlayerRoutes {
  const r = Router();
  const playlists = new PlaylistService({
    objects: d.objects,
    expirySeconds: d.expirySeconds,
    clock: d.clock,
    signBound: (key, options) => d.signer.signBound(key, options),
  });
  const guard = new CredentiallessGuard({
    audit: d.audit,
    clock: d.clock,
    ...d.credentialless,
    onError: (error) => d.logger.error({ err: error }, 'could not audit refused object URLs'),
  });

  /** The session the playlist's URLs are bound to; the administrator token has none, and plays nothing. */
  function bindingOf(req: Request): string {
    if (req.auth?.sessionId) return req.auth.sessionId;
    if (req.user) return `account:${req.user.id}`;
    throw new UnauthenticatedError();
  }

  async function mediaFor(
    req: Request,
    hearing: Hearing,
    target: string,
  ): Promise<HearingMedia & { binding: string }> {
    const binding = bindingOf(req);
    const rows = await d.playback.playlist({
      person: personOf(req),
      origin: originOf(req),
      sessionId: binding,
      hearing,
      target,
    });
    return { hearing, ...rows, binding };
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

  // Every store: playlists list bound /objects URLs whatever the driver (S3 presigned URLs
  // cannot be bound to a session), so the hub streams the segment after its re-check.
  r.use(
    signedObjectsRoutes<PlayerSession>({
      objects: d.objects,
      signer: d.signer,
      clock: d.clock,
      guard,
      bound: {
        sessionOf: d.sessionOf,
        authorize: (key, req, session) =>
          d.playback.segment({
            person: session.person,
            origin: originOf(req),
            sessionId: session.binding,
            key,
          }),
      },
      ...(d.copies
        ? {
            unbound: {
              authorize: (key: string, req: Request) => d.copies!.checkLink({ key, origin: originOf(req) }),
            },
          }
        : {}),
      // A good signature for an object that is gone: the path is authenticated, so its hearing is fact.
      onRefused: (key, reason, req) =>
        d.audit
          .append({
            actor: 'signed-url',
            role: null,
            action: 'object.get',
            hearingId: /^hearings\/([^/]+)\//.exec(key)?.[1] ?? null,
            target: key.slice(0, 300),
            address: req.socket.remoteAddress ?? null,
            verdict: 'refuse',
            reason,
          })
          .then(() => undefined),
      // Unbound URLs (a copy's download link) are audited per object; bound ones per viewing.
      onServed: async (key, req, _served, session) => {
        if (session) return;
        await d.audit.append({
          actor: 'signed-url',
          role: null,
          action: 'object.get',
          hearingId: /^hearings\/([^/]+)\//.exec(key)?.[1] ?? null,
          target: key.slice(0, 300),
          address: req.socket.remoteAddress ?? null,
          verdict: 'allow',
          reason: null,
        });
      },
    }),
  );
  return {
    router: r,
    playlist: { path: '/api/hearings/:id/hls/:file', handler: playlist },
    flushCounts: () => guard.flushEnded(true),
    close: () => guard.close(),
  };
}
