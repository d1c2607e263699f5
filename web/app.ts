/**
 * Builds the hub's express app without listening, so tests can mount it on any port.
 * Order matters: security headers, the hot GET routes (the player's playlists, behind a
 * session or the administrator token), body parsing (routes with a smaller limit of
 * their own first, then the general parser), health (up or not, for anyone), then
 * sessions (cookie), the auth routes, CSRF for cookie sessions, the health details (for
 * administrators), and the API — reachable with a session or, for scripts, the
 * administrator token.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '../core/index.ts';
import { authBodyParser, securityHeaders, type Auth } from './auth/index.ts';
import { errorHandler, notFoundHandler } from './middlewares/problem.ts';
import { healthDetailsRoutes, healthRoutes, type BackendProbe } from './routes/health.routes.ts';

export interface AppOptions {
  logger: Logger;
  probes: readonly BackendProbe[];
  role: string;
  startedAt?: number;
  /** The hub's API; absent for a worker's health-only app. */
  api?: {
    auth: Auth;
    /** Lets the administrator's API token in as the `api-token` account (auth/api-token.ts). */
    tokenGate: RequestHandler;
    /** Routers that need no session (pages, hub-signed objects: the signature is the authorisation). */
    publicRoutes: RequestHandler[];
    /** The API's routers, behind a session or the administrator token. */
    routes: RequestHandler[];
    /**
     * GET routes answered first, right after the security headers, behind the session or
     * the administrator token like `routes`: the player's playlists, which every viewer
     * asks for every few seconds. They skip the body parser and the public routers (a GET
     * has no body to parse, and no public path is theirs); their errors reach the same
     * handlers as every other route's.
     */
    hotRoutes?: { path: string; handler: RequestHandler }[];
    /**
     * Lets only administrators through to the health details (the court's policy,
     * `admin.manage`; refusals audited). Without it, the session's role is checked.
     */
    administratorsOnly?: RequestHandler;
  };
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(options.api?.auth.securityHeaders ?? securityHeaders());
  const api = options.api;
  const gate = api ? api.tokenGate : null;
  if (api && gate)
    for (const hot of api.hotRoutes ?? []) app.get(hot.path, api.auth.authenticate, gate, hot.handler);
  // A route with a smaller limit parses its body first: once a body is parsed, later
  // parsers skip it, so the general 256 kB one must not run before it (a 40 kB log-in
  // is 413, not read in full and then refused).
  app.use('/api/auth', authBodyParser);
  app.use(express.json({ limit: '256kb' }));
  const health = { probes: options.probes, role: options.role, startedAt: options.startedAt ?? Date.now() };
  app.use(healthRoutes(health));
  if (api && gate) {
    const { auth } = api;
    for (const r of api.publicRoutes) app.use(r);
    app.use(auth.authenticate);
    app.use(auth.routes);
    app.use(auth.csrfProtection);
    app.use('/api', gate);
    // Versions, paths and backends are for administrators only (a session or the token).
    app.use(
      healthDetailsRoutes({ ...health, guard: api.administratorsOnly ?? auth.requireRole('administrator') }),
    );
    for (const r of api.routes) app.use(r);
  }
  app.use('/api', notFoundHandler);
  app.use(notFoundHandler);
  if (options.api) app.use(options.api.auth.auditRefusals);
  app.use(errorHandler(options.logger));
  return app;
}
