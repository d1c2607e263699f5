/**
 * Real backends for integration tests. On a developer's machine a missing backend
 * skips its suites with a plain message saying how to enable them; under
 * HATTAMA_TEST_REQUIRE_SERVICES=1 (set by .ci/run) a missing backend fails the run.
 * Tests may read process.env; application code reads it only through core/config.ts.
 */
import net from 'node:net';
import crypto from 'node:crypto';

export const REQUIRE_SERVICES = process.env.HATTAMA_TEST_REQUIRE_SERVICES === '1';

export const TEST_PG_URL = process.env.HATTAMA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.HATTAMA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_S3 = {
  endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  accessKey: process.env.S3_ACCESS_KEY ?? 'hattama-dev',
  secretKey: process.env.S3_SECRET_KEY ?? 'hattama-dev-secret-key',
  region: process.env.S3_REGION ?? 'us-east-1',
};

const HOW_TO_ENABLE: Record<Service, string> = {
  postgres: `start PostgreSQL at ${TEST_PG_URL} (or set HATTAMA_TEST_PG_URL)`,
  redis: `start Redis at ${TEST_REDIS_URL} (or set HATTAMA_TEST_REDIS_URL)`,
  s3: `run "bash scripts/start-s3.sh" (or set S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY)`,
};

export type Service = 'postgres' | 'redis' | 's3';

function tcpReachable(urlText: string, defaultPort: number): Promise<boolean> {
  const u = new URL(urlText);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const cache = new Map<Service, Promise<boolean>>();

/**
 * Whether a backend answers. Call at the top of a test file and pass the result to
 * `describe.skipIf(!available)`; it prints why a suite is skipped, or throws under
 * HATTAMA_TEST_REQUIRE_SERVICES=1.
 */
export async function serviceAvailable(service: Service, suite: string): Promise<boolean> {
  let probe = cache.get(service);
  if (!probe) {
    probe =
      service === 'postgres'
        ? tcpReachable(TEST_PG_URL, 5432)
        : service === 'redis'
          ? tcpReachable(TEST_REDIS_URL, 6379)
          : tcpReachable(TEST_S3.endpoint, 80);
    cache.set(service, probe);
  }
  const ok = await probe;
  if (!ok) {
    const msg = `${suite}: ${service} is not reachable; to run this suite, ${HOW_TO_ENABLE[service]}`;
    if (REQUIRE_SERVICES) throw new Error(`${msg} (HATTAMA_TEST_REQUIRE_SERVICES=1 makes this a failure)`);
    console.warn(`SKIPPED ${msg}`);
  }
  return ok;
}

/** A short random name so concurrent and repeated runs never collide. */
export function runId(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
}
