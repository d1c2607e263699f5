/**
 * The express side of accounts: reading the session cookie, requiring a user or a role,
 * CSRF protection for state-changing requests, the log-in/log-out/me routes, and the
 * security headers (helmet).
 *
 * CSRF: a synchronizer token derived from the session (sessions.ts). Every POST, PUT,
 * PATCH and DELETE made with a session cookie must carry it in `x-csrf-token`; the page
 * gets it from the log-in answer or `GET /api/auth/me`. SameSite=Strict on the cookie is
 * a second, independent defence. Requests without a session cookie (recorder nodes,
 * bearer tokens) have no ambient credential to abuse and are left to their own checks.
 */
import express, {
  Router,
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { HattamaError, ValidationError, type Config } from '../../core/index.ts';
import type { AuditEvent, UserRole } from '../../storage/index.ts';
import { parseOrThrow } from '../middlewares/validate.ts';
import {
  CsrfFailedError,
  ForbiddenError,
  LoginRateLimitedError,
  UnauthenticatedError,
} from '../../court/index.ts';
import { PASSWORD_MAX_LENGTH } from '../../court/index.ts';
import type { AuthUser, ResolvedSession, SessionService } from '../../court/index.ts';

export const SESSION_COOKIE = 'hattama_session';
export const CSRF_HEADER = 'x-csrf-token';
export const LOGIN_PATH = '/api/auth/login';
/**
 * The most a log-in body may weigh: a login and a password (PASSWORD_MAX_LENGTH, four
 * bytes a character at worst) in JSON fit well within it. The app mounts `authBodyParser`
 * before its general 256 kB parser, so this limit is the one that applies (app.ts).
 */
export const AUTH_BODY_LIMIT = '8kb';

/** The JSON parser of /api/auth/*, with the log-in's own limit (a bigger body is 413). */
export const authBodyParser: RequestHandler = express.json({ limit: AUTH_BODY_LIMIT });

/** What `authenticate` attaches to a request with a live session. */
export interface RequestAuth {
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The logged-in user; undefined without a live session. */
    user?: AuthUser;
    /** The live session behind `user`. */
    auth?: RequestAuth;
  }
}

/** `true`/`false`, or `'auto'`: Secure when the request came over TLS. */
export type CookieSecure = boolean | 'auto';

/** The cookie's Secure flag from configuration: forced, or auto from HATTAMA_PUBLIC_URL. */
export function cookieSecureFromConfig(config: Config): CookieSecure {
  if (config.cookieSecure === 'true') return true;
  if (config.cookieSecure === 'false') return false;
  return config.publicUrl?.startsWith('https:') ? true : 'auto';
}

/** The value of one cookie from the Cookie header (the first, if sent twice). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const AUTHENTICATED = Symbol('hattama.authenticated');
type Marked = Request & { [AUTHENTICATED]?: true };

function attach(req: Request, s: ResolvedSession): void {
  req.user = s.user;
  req.auth = {
    sessionId: s.sessionId,
    // Read through: the session computes it on first use (sessions.ts).
    get csrfToken() {
      return s.csrfToken;
    },
    expiresAt: s.expiresAt,
  };
}

/**
 * Reads the session cookie and attaches `req.user` and `req.auth` when the session is
 * live. Never refuses by itself (see requireUser); safe to mount more than once.
 */
export function authenticate(sessions: SessionService): RequestHandler {
  return async (req, _res, next) => {
    const marked = req as Marked;
    if (marked[AUTHENTICATED]) return next();
    marked[AUTHENTICATED] = true;
    try {
      const resolved = await sessions.resolve(readCookie(req, SESSION_COOKIE));
      if (resolved) attach(req, resolved);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** 401 UNAUTHENTICATED without a live session. */
export const requireUser: RequestHandler = (req, _res, next) => {
  next(req.user ? undefined : new UnauthenticatedError());
};

/** 401 without a live session; 403 FORBIDDEN when the user's role is not one of `roles`. */
export function requireRole(...roles: readonly UserRole[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) return next(new UnauthenticatedError());
    if (!roles.includes(req.user.role))
      return next(
        new ForbiddenError(`this needs the role ${roles.join(' or ')}`, {
          role: req.user.role,
          required: [...roles],
        }),
      );
    next();
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * 403 CSRF_FAILED for a state-changing request made with a live session whose
 * `x-csrf-token` header is missing or wrong. Log-in itself is exempt (there is no session
 * to protect yet; it takes JSON only, which a cross-site form cannot send). Mount it
 * after `authenticate`.
 */
export function csrfProtection(sessions: SessionService): RequestHandler {
  return (req, _res, next) => {
    if (!UNSAFE.has(req.method) || !req.auth) return next();
    if (req.method === 'POST' && req.originalUrl.split('?')[0] === LOGIN_PATH) return next();
    const token = readCookie(req, SESSION_COOKIE);
    const given = req.get(CSRF_HEADER);
    next(token !== undefined && sessions.verifyCsrf(token, given) ? undefined : new CsrfFailedError());
  };
}

/**
 * Appends to the audit log the refusals made before any access rule looked at the
 * request: a CSRF failure (the session's user is known), and a 401 to a request that
 * presented a session cookie which no longer logs anyone in (after log-out, a disabled
 * account, expiry, or a token that never existed). A request that presented no session
 * names nobody and is not recorded. Mount it as an error handler before the problem+json
 * one; it passes the refusal on unchanged.
 */
export function auditAuthRefusals(options: {
  sessions: SessionService;
  audit?: { append(event: AuditEvent): Promise<unknown> } | undefined;
}): ErrorRequestHandler {
  const { sessions, audit } = options;
  return async (error: unknown, req, _res, next) => {
    if (!audit || !(error instanceof HattamaError)) return next(error);
    try {
      const path = req.originalUrl.split('?')[0] ?? '';
      const where = {
        target: `${req.method} ${path}`.slice(0, 300),
        hearingId: /^\/api\/hearings\/([a-z0-9][a-z0-9-]{0,63})(?:\/|$)/.exec(path)?.[1] ?? null,
        address: req.socket.remoteAddress ?? null,
        verdict: 'refuse' as const,
      };
      if (error.code === 'CSRF_FAILED') {
        await audit.append({
          actor: req.user?.login ?? 'anonymous',
          role: req.user?.role ?? null,
          action: 'auth.csrf',
          reason: req.get(CSRF_HEADER) ? 'csrf-mismatch' : 'csrf-missing',
          ...where,
        });
      } else if (error.code === 'UNAUTHENTICATED') {
        const token = readCookie(req, SESSION_COOKIE);
        const dead = token === undefined ? null : await sessions.whyNotLive(token);
        if (dead)
          await audit.append({
            actor: dead.user?.login ?? 'anonymous',
            role: dead.user?.role ?? null,
            action: 'auth.session',
            reason: dead.reason,
            ...where,
          });
      }
    } catch (auditError) {
      // A refusal that cannot be recorded is answered as a failure, like any other audit write.
      return next(auditError);
    }
    next(error);
  };
}

export interface AuthRoutesOptions {
  sessions: SessionService;
  /** Secure flag of the cookie (cookieSecureFromConfig). */
  cookieSecure: CookieSecure;
}

export const loginBodySchema = z.strictObject({
  login: z.string().min(1).max(256),
  password: z
    .string()
    .min(1)
    .max(PASSWORD_MAX_LENGTH * 4),
});

function sessionView(s: ResolvedSession) {
  return { user: s.user, csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() };
}

/**
 * `POST /api/auth/login` {login, password} → 200 {user, csrfToken, expiresAt} and the
 * cookie; `POST /api/auth/logout` → 204; `GET /api/auth/me` → {user, csrfToken, expiresAt}.
 * Answers are never cached. Includes `authenticate` and `csrfProtection` for its own routes.
 */
export function authRoutes(options: AuthRoutesOptions): Router {
  const { sessions } = options;
  const router = Router();
  const secure = (req: Request) => (options.cookieSecure === 'auto' ? req.secure : options.cookieSecure);
  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: secure(req),
    path: '/',
  });
  const noStore = (res: Response) => res.set('Cache-Control', 'no-store');

  router.use('/api/auth', authBodyParser, authenticate(sessions), csrfProtection(sessions));

  router.post(LOGIN_PATH, async (req, res, next) => {
    try {
      if (!req.is('application/json')) throw new ValidationError('send the log-in as application/json');
      const body = parseOrThrow(loginBodySchema, req.body, 'log-in');
      const result = await sessions.login({
        login: body.login,
        password: body.password,
        address: req.ip ?? req.socket.remoteAddress,
        priorToken: readCookie(req, SESSION_COOKIE),
      });
      // A session cookie (no Max-Age): closing the browser ends it on a shared court
      // computer; the server enforces the idle and absolute limits either way.
      res.cookie(SESSION_COOKIE, result.token, cookieOptions(req));
      noStore(res).json(sessionView(result));
    } catch (error) {
      if (error instanceof LoginRateLimitedError) res.set('Retry-After', String(error.retryAfterSeconds));
      next(error);
    }
  });

  router.post('/api/auth/logout', async (req, res, next) => {
    try {
      if (!req.user) throw new UnauthenticatedError();
      await sessions.logout(readCookie(req, SESSION_COOKIE), req.ip ?? req.socket.remoteAddress);
      res.clearCookie(SESSION_COOKIE, cookieOptions(req));
      noStore(res).status(204).end();
    } catch (error) {
      next(error);
    }
  });

  router.get('/api/auth/me', (req, res, next) => {
    if (!req.user || !req.auth) return next(new UnauthenticatedError());
    noStore(res).json(sessionView({ user: req.user, ...req.auth }));
  });

  return router;
}

export interface SecurityHeadersOptions {
  /** The hub is reached over https: send HSTS and upgrade-insecure-requests. */
  https?: boolean;
  /**
   * Origins the player fetches media from besides the hub itself: the S3 endpoint when
   * segments are served by presigned URLs (HATTAMA_OBJECTS=s3). Nothing else is allowed.
   */
  mediaOrigins?: readonly string[];
}

/**
 * helmet with a Content-Security-Policy that allows only the hub's own scripts, styles,
 * images and media, plus `blob:` for media and workers (hls.js feeds the <video> through
 * Media Source Extensions from blob: URLs and may run its demuxer in a blob: worker).
 * No inline scripts, no external origins, no framing.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): RequestHandler {
  const media = [...(options.mediaOrigins ?? [])].map((o) => new URL(o).origin);
  const https = options.https ?? false;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'"],
        // 'self' covers the hub's own ws:/wss: endpoints (CSP Level 3).
        connectSrc: ["'self'", ...media],
        mediaSrc: ["'self'", 'blob:', ...media],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Only over https: on a plain-http court LAN it would break every request.
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}
