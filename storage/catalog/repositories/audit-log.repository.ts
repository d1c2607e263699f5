/** Raw rows of the append-only audit log. The chain itself is kept by storage/audit-log.ts. */
import type { CatalogDb } from '../catalog.ts';
import type { AuditEntry } from '../schema.ts';

export class AuditLogRepository {
  constructor(private readonly db: CatalogDb) {}

  async last(): Promise<AuditEntry | undefined> {
    return this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }

  /** Fails with a unique violation if another writer took `seq` first. */
  async insert(entry: AuditEntry): Promise<void> {
    await this.db.insertInto('audit_log').values(entry).execute();
  }

  /** One statement, so a batch is committed whole or not at all. */
  async insertMany(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length > 0)
      await this.db
        .insertInto('audit_log')
        .values([...entries])
        .execute();
  }

  /** Entries in chain order, from `afterSeq` (exclusive), at most `limit`. */
  async page(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  async list(
    filter: { hearingId?: string; actor?: string; verdict?: AuditEntry['verdict'] } = {},
  ): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.hearingId !== undefined) q = q.where('hearing_id', '=', filter.hearingId);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.verdict !== undefined) q = q.where('verdict', '=', filter.verdict);
    return q.orderBy('seq').execute();
  }
}
