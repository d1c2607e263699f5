export { createApp, type AppOptions } from './app.ts';
export type { BackendProbe } from './routes/health.routes.ts';
export { problemFor, type Problem } from './middlewares/problem.ts';
export { createHub, type Hub, type HubOptions } from './hub/create-hub.ts';
export { hashNodeToken, RecorderGateway, type NodeLive } from './hub/recorder-gateway.ts';
export * from './auth/index.ts';
