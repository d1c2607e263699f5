/**
 * Changes that one administrator may propose but only a second one may make (separation
 * of duties, docs/decisions/0018-separation-of-duties.md): creating or promoting a
 * higher-court judge, an auditor or an administrator, assigning someone to a case, and
 * registering or revoking an on-site terminal. One row per proposal; it is decided once
 * (approved or rejected) by an account other than its proposer. The payload is the change
 * as JSON and never holds a secret (no password, no terminal token).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    // What is asked, in words, for the list and the audit log.
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'approved', 'rejected')`))
    .addColumn('proposed_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('proposed_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'bigint')
    .execute();
  await db.schema.createIndex('approvals_state').on('approvals').columns(['state', 'proposed_at']).execute();
}
