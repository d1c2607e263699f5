/**
 * Knowing cheaply whether the catalog may have changed, so a hub can keep hot rows
 * (sessions, users, cases, hearings, sealed ranges) in memory and still see every change
 * at once (see cached-reads.ts and docs/decisions/0007).
 *
 * For SQLite the embedded catalog is one connection behind Kysely. The better-sqlite3
 * handle given to Kysely is wrapped so that:
 *
 * - every write statement that may change access data bumps a counter *when it runs*
 *   (before its transaction commits: Kysely holds the one connection for the whole
 *   transaction, so no reader can read between the write and the commit and file the
 *   old rows under the new counter). Writes to tables no cached read depends on (the
 *   audit log, segments, jobs, log-in counts, copies, markers, tracks, recorder
 *   heart-beats) and a session's last-seen touch do not bump it; any statement it cannot
 *   classify does.
 * - commits made by any *other* connection — another process on the same file, such as
 *   `hattama users disable` or a second hub — show in SQLite's `PRAGMA data_version`,
 *   which is read with each token.
 * - prepared statements are kept and reused (Kysely's driver prepares each query anew;
 *   for the hub's small indexed queries that was a third of their cost).
 *
 * PostgreSQL has no such cheap signal here: its token is null and nothing is cached.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export interface CatalogChanges {
  /**
   * A value that differs from every earlier one once anything a cached read depends on
   * may have changed; null when changes cannot be tracked (then nothing may be cached).
   */
  token(): string | null;
}

/** For a catalog whose changes are not tracked (PostgreSQL, tests): never cache. */
export const UNTRACKED_CHANGES: CatalogChanges = { token: () => null };

/** Tables whose writes no cached read depends on: their writes leave the token alone. */
export const TABLES_NOT_CACHED: ReadonlySet<string> = new Set([
  'audit_log',
  'segments',
  'tracks',
  'jobs',
  'login_attempts',
  'copies',
  'markers',
  'recorder_nodes',
]);

/** SessionsRepository.touch: the once-a-minute last-seen write, which cached reads apply themselves. */
const SESSION_TOUCH = /^update "sessions" set "last_seen_at" = \? where "id" = \?$/;

/** How many microtask hops the other connections' part of the token is kept (see token()). */
const MEMO_HOPS = 32;

const NEUTRAL = /^\s*(?:select|pragma|begin|commit|rollback|savepoint|release|end)\b/i;
const WRITE_TABLE =
  /^\s*(?:(?:insert|replace)\s+(?:or\s+\w+\s+)?into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?([A-Za-z_][\w]*)"?/i;

/** Whether running `sql` may change what a cached read returns. */
export function bumpsChanges(sql: string): boolean {
  if (NEUTRAL.test(sql)) return false;
  if (SESSION_TOUCH.test(sql)) return false;
  const table = WRITE_TABLE.exec(sql)?.[1];
  if (table === undefined) return true; // DDL, a CTE, anything unforeseen
  return !TABLES_NOT_CACHED.has(table.toLowerCase());
}

export interface TrackedSqlite {
  /** What to give Kysely's SqliteDialect. */
  database: SqliteDatabase;
  changes: CatalogChanges;
}

/**
 * Wraps a better-sqlite3 handle: statements are prepared once per SQL text (at most
 * `maxStatements` kept) and writes are tracked as described above.
 */
export function trackSqlite(
  db: BetterSqlite3.Database,
  options: { maxStatements?: number } = {},
): TrackedSqlite {
  const maxStatements = options.maxStatements ?? 500;
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let local = 0;
  const statements = new Map<string, SqliteStatement>();

  function wrap(sql: string): SqliteStatement {
    const stmt = db.prepare(sql);
    if (!bumpsChanges(sql)) return stmt;
    // Bumped before the statement runs and again after, so neither a reader that took the
    // token just before nor one just after can take the old rows for current.
    return {
      reader: stmt.reader,
      all(parameters) {
        local++;
        try {
          return stmt.all(...parameters);
        } finally {
          local++;
        }
      },
      run(parameters) {
        local++;
        try {
          return stmt.run(...parameters);
        } finally {
          local++;
        }
      },
      iterate(parameters) {
        local++;
        return stmt.iterate(...parameters);
      },
    };
  }

  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sql) {
      let stmt = statements.get(sql);
      if (stmt === undefined) {
        stmt = wrap(sql);
        statements.set(sql, stmt);
        if (statements.size > maxStatements) statements.delete(statements.keys().next().value!);
      }
      return stmt;
    },
  };
  // Reading data_version opens a read transaction on the WAL (~5–7 µs, as much as an
  // indexed lookup), and a request asks for the token about eight times. So the value is
  // kept until the current macrotask's microtasks have run: everything that reads it then
  // runs in one synchronous stretch of the event loop that began after the request had
  // arrived, so the request still sees every commit made before it was read (the same as
  // reading its rows in one read transaction). The clearing microtask re-queues itself a
  // few times to stay behind the request's own await chain; it never outlives the drain.
  let external: string | null = null;
  const forget = (hops: number) => {
    if (hops > 0) queueMicrotask(() => forget(hops - 1));
    else external = null;
  };
  return {
    database,
    changes: {
      token() {
        if (!db.open) return null;
        if (external === null) {
          external = String(dataVersion.get());
          forget(MEMO_HOPS);
        }
        return `${local}:${external}`;
      },
    },
  };
}
