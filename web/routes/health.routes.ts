/**
 * GET /api/health: whether the service is up, for anyone (load balancers, container
 * healthchecks) — `{ status }` and 200, or 503 when a backend is down; nothing more, since
 * paths, versions and backends tell an attacker what to aim at.
 * GET /api/health/details: versions, uptime and the state of every backend, for an
 * administrator (a session or the administrator token); the app mounts it behind them.
 */
import { Router, type RequestHandler } from 'express';
import { HATTAMA_VERSION } from '../../core/index.ts';

export interface BackendProbe {
  /** What it is: catalog, objects, queue, ffmpeg… */
  name: string;
  /** Which driver serves it: sqlite, postgres, fs, s3, inline, bull… */
  driver: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export interface HealthOptions {
  probes: readonly BackendProbe[];
  role: string;
  startedAt: number;
}

async function probeAll(probes: readonly BackendProbe[]) {
  const backends = await Promise.all(
    probes.map(async (p) => {
      // A probe that hangs must not hang the health check with it.
      const result = await Promise.race([
        p.check().catch((e: unknown) => ({ ok: false, detail: String(e instanceof Error ? e.message : e) })),
        new Promise<{ ok: boolean; detail: string }>((resolve) =>
          setTimeout(() => resolve({ ok: false, detail: 'no answer within 3 s' }), 3000).unref(),
        ),
      ]);
      return [p.name, { driver: p.driver, ...result }] as const;
    }),
  );
  return { ok: backends.every(([, b]) => b.ok), backends };
}

/** The anonymous GET /api/health: up or not, nothing else. */
export function healthRoutes(options: HealthOptions): Router {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const { ok } = await probeAll(options.probes);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded' });
  });
  return router;
}

/** GET /api/health/details behind `guard` (the administrator's role; see app.ts). */
export function healthDetailsRoutes(options: HealthOptions & { guard: RequestHandler }): Router {
  const router = Router();
  router.get('/api/health/details', options.guard, async (_req, res) => {
    const { ok, backends } = await probeAll(options.probes);
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      role: options.role,
      versions: { hattama: HATTAMA_VERSION, node: process.versions.node },
      uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
      backends: Object.fromEntries(backends),
    });
  });
  return router;
}
