/** User accounts. I/O only: password hashing and login rules live in web/auth. */
import type { CatalogDb } from '../catalog.ts';
import type { User, UserRole, UserUpdate } from '../schema.ts';

export class UsersRepository {
  constructor(private readonly db: CatalogDb) {}

  /** Fails with a unique violation when the id or the login is taken. */
  async insert(user: User): Promise<void> {
    await this.db.insertInto('users').values(user).execute();
  }

  async find(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** By login exactly as stored (lower-case); callers normalise first. */
  async findByLogin(login: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();
  }

  async list(filter: { role?: UserRole; includeDisabled?: boolean } = {}): Promise<User[]> {
    let q = this.db.selectFrom('users').selectAll();
    if (filter.role !== undefined) q = q.where('role', '=', filter.role);
    if (filter.includeDisabled === false) q = q.where('disabled_at', 'is', null);
    return q.orderBy('login').execute();
  }

  /** Returns whether the user exists (and so changed). */
  async update(id: string, changes: UserUpdate): Promise<boolean> {
    const r = await this.db.updateTable('users').set(changes).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Replaces a password hash only if it is still `expected`: a rehash at login must not
   * undo a password change that happened meanwhile.
   */
  async replacePasswordHash(id: string, expected: string, next: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: next, updated_at: at })
      .where('id', '=', id)
      .where('password_hash', '=', expected)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Links an account to a court it works at; false if it already was. */
  async addCourt(userId: string, courtId: string, at: number): Promise<boolean> {
    const r = await this.db
      .insertInto('user_courts')
      .values({ user_id: userId, court_id: courtId, created_at: at })
      .onConflict((oc) => oc.columns(['user_id', 'court_id']).doNothing())
      .executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async removeCourt(userId: string, courtId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('user_courts')
      .where('user_id', '=', userId)
      .where('court_id', '=', courtId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** The courts an account works at, sorted. */
  async courtIds(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('user_courts')
      .select('court_id')
      .where('user_id', '=', userId)
      .orderBy('court_id')
      .execute();
    return rows.map((r) => r.court_id);
  }
}
