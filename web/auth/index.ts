/**
 * Accounts and sessions of the hub: password hashing, the session service with log-in
 * rate limits, the express middlewares (authenticate, requireUser, requireRole,
 * csrfProtection, securityHeaders), the /api/auth routes, and the demo accounts.
 */
import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
import type { Clock, Config, Logger } from '../../core/index.ts';
import type { AuditEvent, Repositories, UserRole } from '../../storage/index.ts';
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
import { SessionService, sessionSettingsFromConfig, type SessionSettings } from './sessions.ts';

export * from './errors.ts';
export * from './passwords.ts';
export * from './sessions.ts';
export * from './middleware.ts';
export * from './users.service.ts';
export * from './demo-users.ts';

export interface AuthOptions {
  repos: Pick<Repositories, 'users' | 'sessions' | 'loginAttempts'>;
  clock: Clock;
  logger: Logger;
  settings: SessionSettings;
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
  const sessions = new SessionService({
    repos: o.repos,
    clock: o.clock,
    logger: o.logger,
    settings: o.settings,
    audit: o.audit,
  });
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

/** The AuthOptions that come from configuration alone. */
export function authOptionsFromConfig(
  config: Config,
): Pick<AuthOptions, 'settings' | 'cookieSecure' | 'https' | 'mediaOrigins'> {
  return {
    settings: sessionSettingsFromConfig(config),
    cookieSecure: cookieSecureFromConfig(config),
    https: config.publicUrl?.startsWith('https:') ?? false,
    mediaOrigins: config.objects === 's3' && config.s3Endpoint ? [config.s3Endpoint] : [],
  };
}
export * from './api-token.ts';
