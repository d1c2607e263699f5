/**
 * Builds the hub's express app without listening, so tests can mount it on any port.
 */
import express, { type Express } from 'express';
import type { Clock, Logger } from '../core/index.ts';
import type { ObjectStore, Repositories } from '../storage/index.ts';
import type { HearingsService } from './hub/hearings.service.ts';
import type { RecorderGateway } from './hub/recorder-gateway.ts';
import { requireAdminToken } from './middlewares/admin-auth.ts';
import { errorHandler, notFoundHandler } from './middlewares/problem.ts';
import { healthRoutes, type BackendProbe } from './routes/health.routes.ts';
import { hearingsRoutes } from './routes/hearings.routes.ts';
import { recordersRoutes } from './routes/recorders.routes.ts';

export interface AppOptions {
  logger: Logger;
  probes: readonly BackendProbe[];
  role: string;
  startedAt?: number;
  /** The hub's API; absent for a worker's health-only app. */
  api?: {
    adminToken: string;
    repos: Repositories;
    objects: ObjectStore;
    hearings: HearingsService;
    gateway: RecorderGateway;
    clock: Clock;
  };
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(express.json({ limit: '256kb' }));
  app.use(healthRoutes({ probes: options.probes, role: options.role, startedAt: options.startedAt ?? Date.now() }));
  if (options.api) {
    const api = options.api;
    app.use('/api', requireAdminToken(api.adminToken));
    app.use(hearingsRoutes({ hearings: api.hearings, repos: api.repos, objects: api.objects }));
    app.use(recordersRoutes({ repos: api.repos, gateway: api.gateway, clock: api.clock }));
  }
  app.use('/api', notFoundHandler);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
