/**
 * Copies handed out to viewers (issue 6, "Copies"): who asked, which range, the job's
 * state and progress for the page, and the stored MP4 and notice with the MP4's SHA-256.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('copies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    .addColumn('viewer_user_id', 'text')
    .addColumn('viewer_name', 'text', (c) => c.notNull())
    .addColumn('from_ms', 'bigint')
    .addColumn('to_ms', 'bigint')
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('queued', 'running', 'ready', 'failed')`),
    )
    .addColumn('progress', 'integer', (c) => c.notNull())
    .addColumn('mp4_key', 'text')
    .addColumn('txt_key', 'text')
    .addColumn('sha256', 'text')
    .addColumn('size', 'bigint')
    .addColumn('error', 'text')
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('copies_hearing')
    .on('copies')
    .columns(['hearing_id', 'requested_at'])
    .execute();
}
