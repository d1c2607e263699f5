/** Log-in sessions, keyed by the SHA-256 of their token. I/O only: expiry rules live in web/auth. */
import type { CatalogDb } from '../catalog.ts';
import type { Session, User } from '../schema.ts';

export class SessionsRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(session: Session): Promise<void> {
    await this.db.insertInto('sessions').values(session).execute();
  }

  async find(id: string): Promise<Session | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The session and its user in one query: what every authenticated request needs. */
  async findWithUser(id: string): Promise<{ session: Session; user: User } | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as s_id',
        'sessions.user_id as s_user_id',
        'sessions.created_at as s_created_at',
        'sessions.expires_at as s_expires_at',
        'sessions.last_seen_at as s_last_seen_at',
        'sessions.address as s_address',
        'sessions.revoked_at as s_revoked_at',
        'users.id',
        'users.login',
        'users.display_name',
        'users.role',
        'users.password_hash',
        'users.locale',
        'users.disabled_at',
        'users.created_at',
        'users.updated_at',
      ])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const { s_id, s_user_id, s_created_at, s_expires_at, s_last_seen_at, s_address, s_revoked_at, ...user } =
      row;
    return {
      session: {
        id: s_id,
        user_id: s_user_id,
        created_at: s_created_at,
        expires_at: s_expires_at,
        last_seen_at: s_last_seen_at,
        address: s_address,
        revoked_at: s_revoked_at,
      },
      user,
    };
  }

  async listByUser(userId: string): Promise<Session[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  /** Returns whether a live session was revoked (false if unknown or already revoked). */
  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Revokes every live session of a user (disabled account, new password); returns how many. */
  async revokeAllForUser(userId: string, at: number): Promise<number> {
    const r = await this.db
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Deletes sessions that ended (expired or revoked) before `before`; returns how many. */
  async deleteEnded(before: number): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
