/**
 * The first catalog schema: courts, courtrooms, recorder nodes, hearings, tracks,
 * segments, markers, the append-only audit log and persisted jobs. Written once
 * with Kysely's schema builder for both SQLite and PostgreSQL; only the triggers that
 * make the audit log append-only differ by dialect.
 */
import { sql, type Kysely } from 'kysely';
import type { CatalogDialect } from '../dialect.ts';

// Migrations take `Kysely<any>`: they describe the schema, they do not use it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export async function up(db: Db, dialect: CatalogDialect): Promise<void> {
  await db.schema
    .createTable('courts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('courtrooms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('court_id', 'text', (c) => c.notNull().references('courts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('recorder_nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('courtroom_id', 'text', (c) => c.references('courtrooms.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('hearings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('courtroom_id', 'text', (c) => c.notNull().references('courtrooms.id'))
    .addColumn('case_number', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('judge', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull().check(sql`visibility in ('open', 'closed')`))
    .addColumn('language', 'text', (c) => c.notNull().check(sql`language in ('ru', 'kk')`))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('scheduled', 'recording', 'paused', 'stopped')`),
    )
    .addColumn('scheduled_at', 'bigint')
    .addColumn('started_at', 'bigint')
    .addColumn('stopped_at', 'bigint')
    .addColumn('manifest_key', 'text')
    .addColumn('manifest_sha256', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('hearings_courtroom').on('hearings').column('courtroom_id').execute();

  await db.schema
    .createTable('tracks')
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('video', 'audio')`))
    .addColumn('codec', 'text')
    .addColumn('sample_rate', 'integer')
    .addColumn('channels', 'integer')
    .addColumn('speaker', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracks_pk', ['hearing_id', 'name'])
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('hearing_id', 'text', (c) => c.notNull())
    .addColumn('track', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().check(sql`seq >= 0`))
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull().check(sql`duration_ms >= 0`))
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('recorder_id', 'text')
    .addColumn('registered_at', 'bigint', (c) => c.notNull())
    .addColumn('verify_state', 'text', (c) =>
      c.notNull().check(sql`verify_state in ('pending', 'ok', 'failed')`),
    )
    .addColumn('verified_at', 'bigint')
    .addPrimaryKeyConstraint('segments_pk', ['hearing_id', 'track', 'seq'])
    .addForeignKeyConstraint('segments_track_fk', ['hearing_id', 'track'], 'tracks', ['hearing_id', 'name'])
    .execute();

  await db.schema
    .createTable('markers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('markers_hearing').on('markers').columns(['hearing_id', 'at_ms']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('hearing_id', 'text')
    .addColumn('target', 'text')
    .addColumn('address', 'text')
    .addColumn('verdict', 'text', (c) => c.notNull().check(sql`verdict in ('allow', 'refuse', 'info')`))
    .addColumn('reason', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_hearing').on('audit_log').column('hearing_id').execute();

  // Append-only in the database itself, not only by convention in the code: an
  // UPDATE or DELETE on the audit log fails, whoever issues it.
  if (dialect === 'sqlite') {
    await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
    await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
  } else {
    await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  }

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('waiting', 'active', 'completed', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('backoff_ms', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['queue', 'state', 'run_at']).execute();
}
