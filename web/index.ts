export { createApp, type AppOptions } from './app.ts';
export type { BackendProbe } from './routes/health.routes.ts';
export { problemFor, type Problem } from './middlewares/problem.ts';
