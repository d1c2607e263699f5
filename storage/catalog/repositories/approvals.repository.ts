/** Proposed changes awaiting a second administrator (0006). I/O only: the rules are court/approvals.service.ts. */
import type { CatalogDb } from '../catalog.ts';
import type { Approval, ApprovalState } from '../schema.ts';

export class ApprovalsRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(approval: Approval): Promise<void> {
    await this.db.insertInto('approvals').values(approval).execute();
  }

  async find(id: string): Promise<Approval | undefined> {
    return this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first. */
  async list(filter: { state?: ApprovalState } = {}): Promise<Approval[]> {
    let q = this.db.selectFrom('approvals').selectAll();
    if (filter.state !== undefined) q = q.where('state', '=', filter.state);
    return q.orderBy('proposed_at', 'desc').orderBy('id').execute();
  }

  /**
   * Decides a pending proposal; false when it is not pending any more (decided already,
   * perhaps by another administrator at the same moment): one decision wins.
   */
  async decide(id: string, d: { state: 'approved' | 'rejected'; by: string; at: number }): Promise<boolean> {
    const r = await this.db
      .updateTable('approvals')
      .set({ state: d.state, decided_by: d.by, decided_at: d.at })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Puts an approval whose change could not be made back to pending (only from `approved` by `by`). */
  async reopen(id: string, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('approvals')
      .set({ state: 'pending', decided_by: null, decided_at: null })
      .where('id', '=', id)
      .where('state', '=', 'approved')
      .where('decided_by', '=', by)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
