/**
 * Builds the hub's express app without listening, so tests can mount it on any port.
 */
import express, { type Express } from 'express';
import type { Logger } from '../core/index.ts';
import { errorHandler, notFoundHandler } from './middlewares/problem.ts';
import { healthRoutes, type BackendProbe } from './routes/health.routes.ts';

export interface AppOptions {
  logger: Logger;
  probes: readonly BackendProbe[];
  role: string;
  startedAt?: number;
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(express.json({ limit: '256kb' }));
  app.use(healthRoutes({ probes: options.probes, role: options.role, startedAt: options.startedAt ?? Date.now() }));
  app.use('/api', notFoundHandler);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
