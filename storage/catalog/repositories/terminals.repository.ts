/** On-site terminals at a court, identified by a token whose SHA-256 is stored. I/O only. */
import type { CatalogDb } from '../catalog.ts';
import type { OnsiteTerminal } from '../schema.ts';

export class TerminalsRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(terminal: OnsiteTerminal): Promise<void> {
    await this.db.insertInto('onsite_terminals').values(terminal).execute();
  }

  async find(id: string): Promise<OnsiteTerminal | undefined> {
    return this.db.selectFrom('onsite_terminals').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The live (not revoked) terminal with this token hash, if any. */
  async findActiveByTokenHash(tokenHash: string): Promise<OnsiteTerminal | undefined> {
    return this.db
      .selectFrom('onsite_terminals')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  async list(filter: { courtId?: string } = {}): Promise<OnsiteTerminal[]> {
    let q = this.db.selectFrom('onsite_terminals').selectAll();
    if (filter.courtId !== undefined) q = q.where('court_id', '=', filter.courtId);
    return q.orderBy('court_id').orderBy('name').orderBy('id').execute();
  }

  /** Gives a terminal a new token (and un-revokes it). */
  async setTokenHash(id: string, tokenHash: string): Promise<boolean> {
    const r = await this.db
      .updateTable('onsite_terminals')
      .set({ token_hash: tokenHash, revoked_at: null })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('onsite_terminals')
      .set({ token_hash: null, revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
