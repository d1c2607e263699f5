/**
 * Log-ins over HTTP: the express middlewares (authenticate, requireUser, requireRole,
 * csrfProtection, securityHeaders), the /api/auth routes and the administrator token's
 * gate, over the court's session service (accounts, passwords and sessions are the
 * court module's).
 */
import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
import type { Config } from '../../core/index.ts';
import type { AuditEvent, UserRole } from '../../storage/index.ts';
import {
  auditAuthRefusals,
  authenticate,
  authRoutes,
  cookieSecureFromConfig,
  csrfProtection,
  requireRole,
  requireUser,
  securityHeaders,
  type CookieSecure,
} from './middleware.ts';
import { sessionSettingsFromConfig, type SessionService, type SessionSettings } from '../../court/index.ts';

export * from './middleware.ts';

export interface AuthOptions {
  sessions: SessionService;
  cookieSecure: CookieSecure;
  /** HSTS and upgrade-insecure-requests (the hub is served over https). */
  https?: boolean;
  /** Extra origins media may come from (the S3 endpoint for presigned URLs). */
  mediaOrigins?: readonly string[];
  audit?: { append(event: AuditEvent): Promise<unknown> };
}

/** Everything the app mounts, built over one SessionService. */
export interface Auth {
  sessions: SessionService;
  securityHeaders: RequestHandler;
  authenticate: RequestHandler;
  csrfProtection: RequestHandler;
  requireUser: RequestHandler;
  requireRole: (...roles: readonly UserRole[]) => RequestHandler;
  /** /api/auth/login, /api/auth/logout, /api/auth/me. */
  routes: Router;
  /** Error handler that audits CSRF failures and refused dead sessions (mount before the problem handler). */
  auditRefusals: ErrorRequestHandler;
}

export function createAuth(o: AuthOptions): Auth {
  const sessions = o.sessions;
  return {
    sessions,
    securityHeaders: securityHeaders({ https: o.https ?? false, mediaOrigins: o.mediaOrigins ?? [] }),
    authenticate: authenticate(sessions),
    csrfProtection: csrfProtection(sessions),
    requireUser,
    requireRole,
    routes: authRoutes({ sessions, cookieSecure: o.cookieSecure }),
    auditRefusals: auditAuthRefusals({ sessions, audit: o.audit }),
  };
}

/** What the hub's log-ins take from configuration: the session lifetimes and the cookie's and headers' settings. */
export interface HubAuthOptions extends Pick<AuthOptions, 'cookieSecure' | 'https' | 'mediaOrigins'> {
  settings: SessionSettings;
}

/** The HubAuthOptions that come from configuration alone. */
export function authOptionsFromConfig(config: Config): HubAuthOptions {
  return {
    settings: sessionSettingsFromConfig(config),
    cookieSecure: cookieSecureFromConfig(config),
    https: config.publicUrl?.startsWith('https:') ?? false,
    mediaOrigins: config.objects === 's3' && config.s3Endpoint ? [config.s3Endpoint] : [],
  };
}
export * from './api-token.ts';
