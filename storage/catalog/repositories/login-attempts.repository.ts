/**
 * Failed log-in counters in fixed windows, kept in the catalog so that every hub process
 * sees the same counts. Each change is one atomic statement (upsert … returning), so two
 * processes counting at once never lose a failure.
 */
import { sql } from 'kysely';
import type { CatalogDb } from '../catalog.ts';
import type { LoginAttempt } from '../schema.ts';

export class LoginAttemptsRepository {
  constructor(private readonly db: CatalogDb) {}

  async find(key: string): Promise<LoginAttempt | undefined> {
    return this.db.selectFrom('login_attempts').selectAll().where('key', '=', key).executeTakeFirst();
  }

  /**
   * Adds one failure to `key`'s window, starting a new window at `now` when the current
   * one began at or before `now - windowMs`. Returns the row after the change.
   */
  async increment(key: string, now: number, windowMs: number): Promise<LoginAttempt> {
    const stale = sql<boolean>`login_attempts.window_start_ms <= ${now - windowMs}`;
    const row = await this.db
      .insertInto('login_attempts')
      .values({ key, window_start_ms: now, failures: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          // Both right-hand sides read the row as it was before this statement.
          failures: sql<number>`case when ${stale} then 1 else login_attempts.failures + 1 end`,
          window_start_ms: sql<number>`case when ${stale} then excluded.window_start_ms else login_attempts.window_start_ms end`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, window_start_ms: Number(row.window_start_ms), failures: Number(row.failures) };
  }

  /** Takes one failure back (never below zero), keeping the window. */
  async decrement(key: string): Promise<void> {
    await this.db
      .updateTable('login_attempts')
      .set({ failures: sql<number>`case when failures > 0 then failures - 1 else 0 end` })
      .where('key', '=', key)
      .execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('login_attempts').where('key', '=', key).execute();
  }

  /** Deletes windows that began before `before`; returns how many. */
  async deleteOlderThan(before: number): Promise<number> {
    const r = await this.db
      .deleteFrom('login_attempts')
      .where('window_start_ms', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
