/**
 * The routes an express 5 app has registered, read from its router stack: method and path
 * of every `app.get/post/…` and of every route of a mounted Router, with the mount paths
 * joined. Middleware (`app.use(fn)`) is not a route. Used to check the OpenAPI document
 * against the app (test/openapi.test.ts).
 */
import type { Express } from 'express';

export interface AppRoute {
  method: string;
  /** As registered: `/api/hearings/:id`, `/objects/*key`. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  /** router 2.x: the path given to `use()` or `route()`. */
  rawPath?: string | string[];
}

function join(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix || '/';
  return `${prefix.replace(/\/$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

function walk(stack: readonly Layer[], prefix: string, out: AppRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths)
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.push({ method: method.toUpperCase(), path: join(prefix, p) });
      continue;
    }
    const inner = layer.handle?.stack;
    if (!inner) continue;
    const mounts =
      layer.rawPath === undefined ? ['/'] : Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
    for (const m of mounts) walk(inner, join(prefix, m), out);
  }
}

/** Every (method, path) the app routes, in registration order, without duplicates. */
export function appRoutes(app: Express): AppRoute[] {
  const out: AppRoute[] = [];
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', out);
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
