/**
 * The long-running roles: `all` (embedded, every role in one process), `hub` and
 * `worker` (scaled out). Each opens its backends, starts its parts, and closes them in
 * reverse order on SIGINT/SIGTERM.
 */
import http from 'node:http';
import { once } from 'node:events';
import { assertCompleteHandlers, JOB_NAMES } from '../../storage/index.ts';
import { createApp } from '../../web/index.ts';
import { createLogger, loadConfig, type Config, type Logger } from '../../core/index.ts';
import { jobHandlers, openBackends, type Backends } from '../backends.ts';

export type Role = 'all' | 'hub' | 'worker';

export interface Running {
  backends: Backends;
  server: http.Server | null;
  url: string | null;
  close(): Promise<void>;
}

/** Starts a role; used by the CLI and by tests that need a whole hub in-process. */
export async function startRole(role: Role, config: Config, logger: Logger): Promise<Running> {
  const backends = await openBackends(config, logger);
  let server: http.Server | null = null;
  let url: string | null = null;
  try {
    if (role === 'all' || role === 'worker') {
      const handlers = jobHandlers(backends, logger);
      assertCompleteHandlers(handlers, JOB_NAMES);
      await backends.queue.start(handlers, { concurrency: config.workerConcurrency });
    }
    if (role === 'all' || role === 'hub') {
      const app = createApp({ logger, probes: backends.probes, role });
      server = http.createServer(app);
      server.listen(config.port, config.host);
      await once(server, 'listening');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      url = `http://${host}:${port}`;
    }
  } catch (error) {
    server?.close();
    await backends.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    backends,
    server,
    url,
    close() {
      closing ??= (async () => {
        if (server) {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server!.close(() => resolve()));
        }
        await backends.close();
      })();
      return closing;
    },
  };
}

export async function serveCommand(role: Role): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel }).child({ role });
  const running = await startRole(role, config, logger);
  logger.info(
    { url: running.url, dataDir: config.dataDir, catalog: config.catalog, objects: config.objects, queue: config.queue },
    'hattama started',
  );
  if (running.url) process.stdout.write(`Hattama (${role}) is listening on ${running.url}\n`);
  else process.stdout.write(`Hattama (${role}) is running; stop it with Ctrl-C\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
}
