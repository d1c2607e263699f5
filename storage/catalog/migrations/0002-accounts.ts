/**
 * Accounts and the facts the access policy decides on: users (and the courts they work
 * at) and their sessions, login
 * attempts (rate limiting shared by every hub process), cases with their participants and
 * the higher-court judges assigned to them, the staff of each hearing, sealed (closed)
 * time ranges of open hearings, and on-site terminals.
 *
 * The hearing's staff and case are new nullable columns on `hearings` (added with ALTER
 * TABLE, one column per statement because SQLite accepts only one): a hearing has exactly
 * one judge and one secretary, so a separate table would only add a join to every policy
 * check. They are nullable because hearings created before this migration have none.
 */
import { sql, type Kysely } from 'kysely';
import type { CatalogDialect } from '../dialect.ts';

// Migrations take `Kysely<any>`: they describe the schema, they do not use it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/** The role names of court/policy; kept here as literals because a shipped migration never changes. */
const ROLE_CHECK = sql`role in ('administrator', 'operator', 'secretary', 'judge', 'party', 'representative', 'higher-court-judge', 'auditor')`;

export async function up(db: Db, _dialect: CatalogDialect): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Stored lower-case by the code that writes it, so uniqueness is case-insensitive.
    .addColumn('login', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(ROLE_CHECK))
    // scrypt$N$r$p$salt$hash; never a plain password.
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull().check(sql`locale in ('ru', 'kk', 'en')`))
    .addColumn('disabled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // The courts an account works at (operators and secretaries run and prepare the
  // hearings of their courts); the access policy's `Viewer.courtIds`.
  await db.schema
    .createTable('user_courts')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('court_id', 'text', (c) => c.notNull().references('courts.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_courts_pk', ['user_id', 'court_id'])
    .execute();

  await db.schema
    .createTable('sessions')
    // SHA-256 (hex) of the random session token: a copy of the catalog does not let
    // anyone log in. The CSRF token is derived from the token (HMAC), so it is not stored either.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expiry').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('login_attempts')
    // 'user:<login>' or 'addr:<ip>'.
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().check(sql`failures >= 0`))
    .execute();

  await db.schema
    .createTable('cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('court_id', 'text', (c) => c.notNull().references('courts.id'))
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('cases_court_number', ['court_id', 'number'])
    .execute();

  await db.schema
    .createTable('case_participants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    // Null for a participant without an account (they review nothing online).
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // "as" in the procedural sense; `as` itself is an SQL keyword.
    .addColumn('capacity', 'text', (c) => c.notNull().check(sql`capacity in ('party', 'representative')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // NULL user ids are distinct in both dialects, so unlinked participants may repeat.
    .addUniqueConstraint('case_participants_user', ['case_id', 'user_id', 'capacity'])
    .execute();
  await db.schema
    .createIndex('case_participants_user_idx')
    .on('case_participants')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('case_assignments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('valid_from_ms', 'bigint', (c) => c.notNull())
    // Null: until further notice.
    .addColumn('valid_until_ms', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint(
      'case_assignments_period',
      sql`valid_until_ms is null or valid_until_ms > valid_from_ms`,
    )
    .execute();
  await db.schema
    .createIndex('case_assignments_user_case')
    .on('case_assignments')
    .columns(['user_id', 'case_id'])
    .execute();

  // SQLite allows REFERENCES on an added column only with a NULL default, which these have.
  await db.schema
    .alterTable('hearings')
    .addColumn('case_id', 'text', (c) => c.references('cases.id'))
    .execute();
  await db.schema
    .alterTable('hearings')
    .addColumn('judge_user_id', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema
    .alterTable('hearings')
    .addColumn('secretary_user_id', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('hearings_case').on('hearings').column('case_id').execute();

  await db.schema
    .createTable('sealed_ranges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('sealed_ranges_period', sql`end_ms > start_ms`)
    .execute();
  await db.schema
    .createIndex('sealed_ranges_hearing')
    .on('sealed_ranges')
    .columns(['hearing_id', 'start_ms'])
    .execute();

  await db.schema
    .createTable('onsite_terminals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('court_id', 'text', (c) => c.notNull().references('courts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // SHA-256 of the terminal's token; null once revoked.
    .addColumn('token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
}
