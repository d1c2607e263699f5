/**
 * Copies are checked again when made and when their links are handed out (court
 * copies.service.ts; docs/decisions/0017-copies-rechecked.md): a copy may end `voided`
 * instead of `ready`, with the reason its requester is told. The columns:
 * - `excluded_ranges`: the sealed ranges (JSON `[{ startMs, endMs }]`, UTC epoch ms) the
 *   copy was made without, so a range sealed after it can be told apart;
 * - `void_reason` (a machine-readable code) and `void_message` (for people), `voided_at`;
 * - `requested_from`: the address the copy was asked from, so the job decides again as
 *   the request was decided.
 *
 * The state's CHECK gains 'voided'. PostgreSQL changes the constraint in place; SQLite
 * cannot alter a CHECK, so the table is rebuilt (nothing references `copies`).
 */
import { sql, type Kysely } from 'kysely';
import type { CatalogDialect } from '../dialect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

const STATES = sql`state in ('queued', 'running', 'ready', 'failed', 'voided')`;

export async function up(db: Db, dialect: CatalogDialect): Promise<void> {
  if (dialect === 'postgres') {
    // The name PostgreSQL gave 0003's column CHECK (<table>_<column>_check).
    await sql`alter table copies drop constraint copies_state_check`.execute(db);
    await sql`alter table copies add constraint copies_state_check check (${STATES})`.execute(db);
    await db.schema
      .alterTable('copies')
      .addColumn('excluded_ranges', 'text')
      .addColumn('void_reason', 'text')
      .addColumn('void_message', 'text')
      .addColumn('voided_at', 'bigint')
      .addColumn('requested_from', 'text')
      .execute();
    return;
  }
  await db.schema
    .createTable('copies_next')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    .addColumn('viewer_user_id', 'text')
    .addColumn('viewer_name', 'text', (c) => c.notNull())
    .addColumn('from_ms', 'bigint')
    .addColumn('to_ms', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull().check(STATES))
    .addColumn('progress', 'integer', (c) => c.notNull())
    .addColumn('mp4_key', 'text')
    .addColumn('txt_key', 'text')
    .addColumn('sha256', 'text')
    .addColumn('size', 'bigint')
    .addColumn('error', 'text')
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('excluded_ranges', 'text')
    .addColumn('void_reason', 'text')
    .addColumn('void_message', 'text')
    .addColumn('voided_at', 'bigint')
    .addColumn('requested_from', 'text')
    .execute();
  await sql`insert into copies_next (id, hearing_id, viewer_user_id, viewer_name, from_ms, to_ms, state,
      progress, mp4_key, txt_key, sha256, size, error, requested_at, finished_at)
    select id, hearing_id, viewer_user_id, viewer_name, from_ms, to_ms, state,
      progress, mp4_key, txt_key, sha256, size, error, requested_at, finished_at from copies`.execute(db);
  await db.schema.dropTable('copies').execute();
  await db.schema.alterTable('copies_next').renameTo('copies').execute();
  await db.schema
    .createIndex('copies_hearing')
    .on('copies')
    .columns(['hearing_id', 'requested_at'])
    .execute();
}
