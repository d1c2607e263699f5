/**
 * A real hub in-process for integration tests: the embedded backends (SQLite, fs
 * objects, inline queue) on a temp directory, `createHub`, and an HTTP server on a free
 * port with the recorder ws endpoint attached. Log lines are captured (JSON, one per
 * line) so tests can check that a refusal was logged, and the whole catalog can be
 * snapshotted so tests can check that a refusal stored nothing.
 */
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openBackends, type Backends } from '../../cli/backends.ts';
import { auditVerifyText, verifyAuditChain } from '../../cli/commands/audit.ts';
import { createLogger, loadConfig, type Logger } from '../../core/index.ts';
import type { AuditVerifyResult, CatalogDialect, UserRole } from '../../storage/index.ts';
import { createHub, hashNodeToken, type Hub } from '../../web/index.ts';
import { hashPassword } from '../../court/index.ts';
import { dropPgSchema } from './catalog.ts';
import { TEST_PG_URL, runId } from './services.ts';

/** A test hub closed with an audit log that `hattama audit verify` would reject. */
export class AuditChainBrokenError extends Error {
  constructor(verdict: string) {
    super(`the test hub's audit log does not verify: ${verdict}`);
    this.name = 'AuditChainBrokenError';
  }
}

export const ADMIN_TOKEN = 'test-admin-token-7c1e0f';
/** The password of every account `person()` makes. */
export const PERSON_PASSWORD = 'harness-person-password-31d';

/** A logged-in account: `api` sends its session cookie, and the CSRF token on writes. */
export interface PersonClient {
  id: string;
  login: string;
  role: UserRole;
  cookie: string;
  csrf: string;
  api(pathname: string, init?: RequestInit): Promise<Response>;
}

/** One parsed pino line. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Collects pino's output in memory; pino writes one JSON line per call. */
export class LogCapture {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  lines(): LogLine[] {
    return parseLines(this.raw);
  }

  /** A position in the output; `since(mark)` returns what was logged after it. */
  mark(): number {
    return this.raw.length;
  }

  since(mark: number): LogLine[] {
    return parseLines(this.raw.slice(mark));
  }
}

function parseLines(chunks: readonly string[]): LogLine[] {
  return chunks.flatMap((chunk) =>
    chunk
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine),
  );
}

/** Every row of every catalog table, each table's rows as sorted JSON lines. */
export type CatalogSnapshot = Record<string, string[]>;

export interface TestHub {
  dataDir: string;
  backends: Backends;
  hub: Hub;
  server: http.Server;
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port> */
  wsUrl: string;
  logs: LogCapture;
  logger: Logger;
  /** Every row of every catalog table, sorted, as plain objects. */
  snapshot(): Promise<CatalogSnapshot>;
  /** `fetch` against the hub with the administrator token (unless `token` says otherwise). */
  api(pathname: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /**
   * Makes an account of `role` (in `courtIds`, for operators and secretaries) with
   * PERSON_PASSWORD, logs it in, and returns its client.
   */
  person(role: UserRole, options?: { login?: string; courtIds?: string[] }): Promise<PersonClient>;
  /** Logs in an existing account. */
  logIn(login: string, password?: string): Promise<PersonClient>;
  /** Where the fs driver keeps an object's bytes. */
  objectDataFile(key: string): string;
  close(): Promise<void>;
}

export async function startTestHub(
  options: {
    segmentSeconds?: number;
    /** The catalog: the embedded SQLite file (default), or a fresh schema of the test PostgreSQL. */
    catalog?: CatalogDialect;
  } = {},
): Promise<TestHub> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-hub-'));
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  const pgSchema = options.catalog === 'postgres' ? runId('hub_') : null;
  const config = loadConfig({
    HATTAMA_DATA_DIR: dataDir,
    HATTAMA_LOG_LEVEL: 'silent',
    ...(pgSchema
      ? { HATTAMA_CATALOG: 'postgres', HATTAMA_DATABASE_URL: TEST_PG_URL, HATTAMA_DATABASE_SCHEMA: pgSchema }
      : {}),
  });
  const backends = await openBackends(config, logger);
  const hub = createHub({
    repos: backends.repos,
    objects: backends.objects,
    queue: backends.queue,
    clock: backends.clock,
    logger,
    adminToken: ADMIN_TOKEN,
    segmentSeconds: options.segmentSeconds ?? 4,
    probes: backends.probes,
    role: 'hub',
    catalogChanges: backends.catalog.changes,
  });
  const server = http.createServer(hub.app);
  hub.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  const db = backends.catalog.db;
  const base = `http://127.0.0.1:${port}`;
  let personCount = 0;
  let passwordHash: Promise<string> | null = null;
  const logIn = async (login: string, password = PERSON_PASSWORD): Promise<PersonClient> => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    if (res.status !== 200) throw new Error(`log-in of ${login} failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('hattama_session='))!;
    const body = (await res.json()) as { csrfToken: string; user: { id: string; role: UserRole } };
    return {
      id: body.user.id,
      login,
      role: body.user.role,
      cookie,
      csrf: body.csrfToken,
      api(pathname, init = {}) {
        const headers = new Headers(init.headers);
        headers.set('cookie', cookie);
        if ((init.method ?? 'GET') !== 'GET') headers.set('x-csrf-token', body.csrfToken);
        return fetch(`${base}${pathname}`, { ...init, headers });
      },
    };
  };
  return {
    dataDir,
    backends,
    hub,
    server,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    logs,
    logger,
    async snapshot() {
      // Every table the migrations made, so a table added later is covered too.
      const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
      const out: CatalogSnapshot = {};
      for (const table of tables) {
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
        out[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
      }
      return out;
    },
    api(pathname, init = {}) {
      const { token = ADMIN_TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return fetch(`http://127.0.0.1:${port}${pathname}`, { ...rest, headers });
    },
    async person(role, options = {}) {
      const login = options.login ?? `${role}-${++personCount}`;
      const now = backends.clock.now();
      passwordHash ??= hashPassword(PERSON_PASSWORD);
      const id = `u-${login}`;
      await backends.repos.users.insert({
        id,
        login,
        display_name: `Test ${login}`,
        role,
        password_hash: await passwordHash,
        locale: 'en',
        disabled_at: null,
        created_at: now,
        updated_at: now,
      });
      for (const court of options.courtIds ?? []) await backends.repos.users.addCourt(id, court, now);
      return logIn(login);
    },
    logIn,
    objectDataFile(key) {
      return `${path.join(config.objectsDir, 'objects', ...key.split('/'))}@/data`;
    },
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Whatever the test did, the hub's audit log must still verify as `hattama audit
      // verify` would; a broken chain fails the run here, after everything is cleaned up.
      let audit: AuditVerifyResult | null = null;
      try {
        audit = await verifyAuditChain(backends.repos);
      } finally {
        await backends.close();
        if (pgSchema) await dropPgSchema(pgSchema);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      if (!audit.ok) throw new AuditChainBrokenError(auditVerifyText(audit));
    },
  };
}

/** Seeds a court, one courtroom per id, and recorder nodes with known tokens. */
export async function seedCourt(
  t: TestHub,
  seed: {
    courtId: string;
    courtrooms: string[];
    nodes: { id: string; courtroomId: string; token: string }[];
  },
): Promise<void> {
  const repos = t.backends.repos;
  const now = t.backends.clock.now();
  await repos.courts.insertCourt({ id: seed.courtId, name: `Court ${seed.courtId}`, created_at: now });
  for (const room of seed.courtrooms)
    await repos.courts.insertCourtroom({
      id: room,
      court_id: seed.courtId,
      name: `Room ${room}`,
      created_at: now,
    });
  for (const n of seed.nodes)
    await repos.recorderNodes.insert({
      id: n.id,
      courtroom_id: n.courtroomId,
      name: `Recorder ${n.id}`,
      token_hash: hashNodeToken(n.token),
      created_at: now,
      last_seen_at: null,
      revoked_at: null,
    });
}
