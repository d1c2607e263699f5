/**
 * Durable SQLite commits without blocking the event loop on fsync, for the audit log.
 *
 * The embedded catalog runs with `synchronous = FULL`: each commit fsyncs the WAL before
 * better-sqlite3 returns, and better-sqlite3 is synchronous, so the whole process waits
 * (1–4 ms per commit on this project's test machine). The audit log commits a batch per
 * turn of the event loop while playlists are being served, so that wait was a large
 * share of every authorised request.
 *
 * `run` instead commits with `synchronous = NORMAL` — SQLite writes the WAL frames and
 * returns — and hands back a promise of an fdatasync of the WAL file, made in libuv's
 * thread pool after the commit. The caller acknowledges nothing before that promise
 * resolves (the audit log meanwhile writes its next batch), so the rule "a crash loses nothing
 * acknowledged" holds exactly as with FULL (which is the same fsync of the same file,
 * made inline): fdatasync on Linux flushes every dirty page of the file, whichever
 * descriptor wrote it, and a checkpoint that copies the frames into the database first
 * syncs both files itself. The connection is held for the switch to NORMAL, the write
 * and the switch back, so no other statement ever commits under NORMAL.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';

/** What `write` may use: compiled queries on the held connection. */
export type HeldConnection = Pick<Kysely<unknown>, 'executeQuery' | 'getExecutor'>;

export interface DeferredSync {
  /**
   * Runs `write` on the held connection (autocommit statements, or a transaction it
   * opens and ends itself) and resolves once it has committed; `synced` resolves once
   * that commit is on disk. Nothing may be acknowledged before `synced`.
   */
  run<T>(write: (conn: HeldConnection) => Promise<T>): Promise<{ value: T; synced: Promise<void> }>;
  close(): Promise<void>;
}

const registry = new WeakMap<object, DeferredSync>();

/** The deferred sync of a catalog handle, if it has one (the SQLite catalog, not a transaction). */
export function deferredSyncOf(db: object): DeferredSync | undefined {
  return registry.get(db);
}

/**
 * Registers deferred sync for `db`, a Kysely over one better-sqlite3 connection in WAL
 * mode with `synchronous = FULL`, whose WAL file is `walPath`.
 */
export function registerSqliteDeferredSync<DB>(db: Kysely<DB>, walPath: string): DeferredSync {
  // Opened once: the WAL file stays the same file while this connection is open (SQLite
  // removes it only when the last connection closes, and a checkpoint rewinds it in
  // place), and a stat per batch cost an event-loop turn on every answer's path. The
  // descriptor is closed only with the catalog, or after a failed sync.
  let wal: Promise<fsp.FileHandle> | null = null;

  async function datasync(): Promise<void> {
    let handle: fsp.FileHandle;
    try {
      handle = await (wal ??= fsp.open(walPath, fs.constants.O_RDWR));
    } catch (error) {
      // Not even a missing WAL file counts as synced: the batch is refused.
      wal = null;
      throw error;
    }
    try {
      await handle.datasync();
    } catch (error) {
      // Opened afresh next time; this batch is refused (its entries are not known to be on disk).
      wal = null;
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  const sync: DeferredSync = {
    async run(write) {
      const value = await db.connection().execute(async (conn) => {
        await sql`pragma synchronous = NORMAL`.execute(conn);
        try {
          return await write(conn);
        } finally {
          await sql`pragma synchronous = FULL`.execute(conn);
        }
      });
      // Its own fdatasync, started after the commit (one already running may have missed
      // these pages); syncs of successive batches overlap and the kernel joins them.
      const synced = datasync();
      // The caller may look at `synced` later; a failure must not go unhandled meanwhile.
      synced.catch(() => undefined);
      return { value, synced };
    },
    async close() {
      const open = wal;
      wal = null;
      await open?.then((h) => h.close()).catch(() => undefined);
    },
  };
  registry.set(db, sync);
  return sync;
}
