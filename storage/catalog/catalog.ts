/**
 * Opens the catalog database (SQLite file or PostgreSQL) behind one Kysely instance,
 * and migrates it. Which driver is loaded is decided here alone; the PostgreSQL client
 * is imported only when chosen, so the embedded default never loads it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, SqliteDialect, PostgresDialect, sql, type Migration } from 'kysely';
import {
  BackendUnavailableError,
  HattamaError,
  SchemaTooNewError,
  errorMessage,
  type Logger,
} from '../../core/index.ts';
import { UNTRACKED_CHANGES, trackSqlite, type CatalogChanges } from './catalog-changes.ts';
import type { CatalogDialect } from './dialect.ts';
import { deferredSyncOf, registerSqliteDeferredSync } from './sqlite-deferred-sync.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { CatalogSchema } from './schema.ts';

export type CatalogOptions =
  | { dialect: 'sqlite'; path: string }
  | {
      dialect: 'postgres';
      url: string;
      /** Schema holding the tables; created if missing (tests use one per run). */
      schema: string;
      poolSize?: number;
    };

export type CatalogDb = Kysely<CatalogSchema>;

const MIGRATION_TABLE = 'hattama_migration';
const MIGRATION_LOCK_TABLE = 'hattama_migration_lock';

export class Catalog {
  private closed = false;

  private constructor(
    readonly db: CatalogDb,
    readonly dialect: CatalogDialect,
    private readonly logger: Logger | undefined,
    private readonly describeTarget: string,
    /** PostgreSQL schema; Kysely must look for its migration tables there, not in any schema. */
    private readonly schema: string | undefined = undefined,
    /** Whether anything cached reads depend on may have changed (SQLite only; see catalog-changes.ts). */
    readonly changes: CatalogChanges = UNTRACKED_CHANGES,
  ) {}

  /** Opens a connection (pool); does not migrate. */
  static async open(options: CatalogOptions, logger?: Logger): Promise<Catalog> {
    if (options.dialect === 'sqlite') {
      const { default: Database } = await import('better-sqlite3');
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
      const database = new Database(options.path);
      // WAL lets readers run beside the writer; synchronous=FULL makes every commit
      // durable on power loss, because an acknowledged registration must survive.
      const journal = database.pragma('journal_mode = WAL', { simple: true });
      database.pragma('synchronous = FULL');
      database.pragma('foreign_keys = ON');
      database.pragma('busy_timeout = 5000');
      const tracked = trackSqlite(database);
      const db = new Kysely<CatalogSchema>({ dialect: new SqliteDialect({ database: tracked.database }) });
      // The audit log's batches commit without waiting for fsync inline (sqlite-deferred-sync.ts).
      if (!database.memory && journal === 'wal') registerSqliteDeferredSync(db, `${database.name}-wal`);
      return new Catalog(db, 'sqlite', logger, options.path, undefined, tracked.changes);
    }
    const pg = await import('pg');
    const schema = options.schema;
    // One-off connection to create the schema before the pool pins search_path to it.
    const setup = new pg.default.Client({ connectionString: options.url });
    try {
      await setup.connect();
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (error) {
      throw new BackendUnavailableError('PostgreSQL', errorMessage(error), { cause: error });
    } finally {
      await setup.end().catch(() => undefined);
    }
    const pool = new pg.default.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      options: `-c search_path="${schema}"`,
      // int8 columns hold epoch milliseconds and sizes, well inside 2^53: parse them as
      // numbers so both dialects return the same shapes.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === 20
            ? (v: string) => Number(v)
            : pg.default.types.getTypeParser(oid, format as 'text')) as typeof pg.default.types.getTypeParser,
      },
    });
    pool.on('error', (error) => logger?.warn({ err: error }, 'PostgreSQL pool error'));
    const db = new Kysely<CatalogSchema>({ dialect: new PostgresDialect({ pool }) });
    const safeUrl = new URL(options.url);
    safeUrl.password = '';
    return new Catalog(db, 'postgres', logger, `${safeUrl.host}${safeUrl.pathname} schema ${schema}`, schema);
  }

  /**
   * Brings the schema up to date. Refuses (SchemaTooNewError) when the database was
   * migrated by a newer Hattama: running old code on a newer schema risks evidence.
   */
  async migrate(): Promise<{ applied: string[] }> {
    const known = MIGRATIONS.map((m) => m.name);
    const executed = await this.executedMigrations();
    const unknown = executed.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw new SchemaTooNewError(known, unknown);

    const dialect = this.dialect;
    const migrations: Record<string, Migration> = Object.fromEntries(
      MIGRATIONS.map((m) => [m.name, { up: (db) => m.up(db, dialect) }]),
    );
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
      ...(this.schema ? { migrationTableSchema: this.schema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (error) {
      throw new HattamaError('CATALOG_MIGRATION_FAILED', `catalog migration failed: ${errorMessage(error)}`, {
        cause: error,
        details: { failed: (results ?? []).filter((r) => r.status === 'Error').map((r) => r.migrationName) },
      });
    }
    if (applied.length > 0) this.logger?.info({ applied, target: this.describeTarget }, 'catalog migrated');
    return { applied };
  }

  /** Names of migrations recorded in the database, oldest first; empty when fresh. */
  async executedMigrations(): Promise<string[]> {
    // Look only in our own schema (search_path), not in every schema of the server.
    const exists =
      this.dialect === 'sqlite'
        ? await sql<{
            n: number;
          }>`select count(*) as n from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`.execute(
            this.db,
          )
        : await sql<{
            n: number;
          }>`select count(*)::int as n from pg_tables where schemaname = current_schema() and tablename = ${MIGRATION_TABLE}`.execute(
            this.db,
          );
    if (Number(exists.rows[0]?.n ?? 0) === 0) return [];
    const rows = await sql<{
      name: string;
    }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(this.db);
    return rows.rows.map((r) => r.name);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await sql`select 1`.execute(this.db);
      return { ok: true, detail: `${this.dialect} ${this.describeTarget}` };
    } catch (error) {
      return { ok: false, detail: errorMessage(error) };
    }
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    await deferredSyncOf(this.db)?.close();
  }
}
