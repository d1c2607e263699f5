/** GET /api/health: versions and the state of every backend, for operators and probes. */
import { Router } from 'express';
import { HATTAMA_VERSION } from '../../core/index.ts';

export interface BackendProbe {
  /** What it is: catalog, objects, queue, ffmpeg… */
  name: string;
  /** Which driver serves it: sqlite, postgres, fs, s3, inline, bull… */
  driver: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export function healthRoutes(options: {
  probes: readonly BackendProbe[];
  role: string;
  startedAt: number;
}): Router {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const backends = await Promise.all(
      options.probes.map(async (p) => {
        // A probe that hangs must not hang the health check with it.
        const result = await Promise.race([
          p
            .check()
            .catch((e: unknown) => ({ ok: false, detail: String(e instanceof Error ? e.message : e) })),
          new Promise<{ ok: boolean; detail: string }>((resolve) =>
            setTimeout(() => resolve({ ok: false, detail: 'no answer within 3 s' }), 3000).unref(),
          ),
        ]);
        return [p.name, { driver: p.driver, ...result }] as const;
      }),
    );
    const ok = backends.every(([, b]) => b.ok);
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
