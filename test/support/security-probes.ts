/**
 * Tools for the security suite: raw HTTP requests from a chosen source address (so one
 * machine can be "on site" and "off site" at once), a catalog snapshot that leaves out
 * the tables a refused probe is *meant* to write (the audit log, sessions, log-in
 * counts), and a small pool that runs probes concurrently in batches.
 *
 * Requests go through node:http rather than fetch: fetch resolves `..` and `%2e%2e`
 * in a path before sending it (as browsers do), and the suite needs the hub to see
 * exactly what an attacker would send.
 */
import http from 'node:http';
import { sql } from 'kysely';
import type { CatalogDb, ObjectStore } from '../../storage/index.ts';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON (problem+json included), else undefined. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  /** Sent as written: not normalised, not re-encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address of the connection, e.g. 127.0.0.3. */
  from?: string;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

/** One request over a fresh connection; never throws for an HTTP status. */
export function rawRequest(base: string, r: RawRequest): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      {
        hostname,
        port,
        method: r.method ?? 'GET',
        path: r.path,
        headers: {
          ...(r.body !== undefined && !r.chunked
            ? { 'content-length': String(Buffer.byteLength(r.body)) }
            : {}),
          ...r.headers,
        },
        localAddress: r.from,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (/json/.test(res.headers['content-type'] ?? '')) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    // A hub that answers 413 before reading an oversized body may close the socket while
    // the rest is still being written; the answer has arrived by then and is what counts.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** Every row of every table except `exclude`, each table's rows as sorted JSON lines. */
export type TableSnapshot = Record<string, string[]>;

export async function snapshotTables(db: CatalogDb, exclude: readonly string[]): Promise<TableSnapshot> {
  // Every table the migrations made, so a table added later is covered too.
  const tables = (await db.introspection.getTables())
    .map((t) => t.name)
    .filter((name) => !exclude.includes(name))
    .sort();
  const out: TableSnapshot = {};
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    out[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** Every object's key, size and SHA-256 in the store. */
export async function snapshotObjects(objects: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of objects.list('')) out.push(`${o.key} ${o.size} ${o.sha256 ?? ''}`);
  return out.sort();
}

/** Runs `fn` over `items` with at most `concurrency` at a time, in order of start. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Splits `items` into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Removes one matching element per expected item; returns the expected items that found
 * no match (a multiset difference: two identical refusals need two audit entries).
 */
export function unmatched<E, A>(
  expected: readonly E[],
  actual: readonly A[],
  matches: (e: E, a: A) => boolean,
): E[] {
  const left = [...actual];
  const missing: E[] = [];
  for (const e of expected) {
    const i = left.findIndex((a) => matches(e, a));
    if (i === -1) missing.push(e);
    else left.splice(i, 1);
  }
  return missing;
}
