/** Raw rows of the append-only audit log. The chain itself is kept by storage/audit-log.ts. */
import { CompiledQuery } from 'kysely';
import type { CatalogDb } from '../catalog.ts';
import type { AuditEntry } from '../schema.ts';
import { deferredSyncOf } from '../sqlite-deferred-sync.ts';

/** Every column, in the order the multi-row insert binds them. */
const COLUMNS = [
  'seq',
  'at_ms',
  'actor',
  'role',
  'action',
  'hearing_id',
  'target',
  'address',
  'verdict',
  'reason',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEntry)[];

export class AuditLogRepository {
  /**
   * The SQL of a multi-row insert by number of rows. Every authorised playlist appends an
   * entry, and building and compiling the Kysely query for a batch cost more than
   * the rest of the append; the text depends only on the row count.
   */
  private readonly insertSql = new Map<number, string>();

  constructor(private readonly db: CatalogDb) {}

  async last(): Promise<AuditEntry | undefined> {
    return this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }

  /** Fails with a unique violation if another writer took `seq` first. */
  async insert(entry: AuditEntry): Promise<void> {
    await this.db.insertInto('audit_log').values(entry).execute();
  }

  /** One statement, so a batch is committed whole or not at all; resolves once durable. */
  async insertMany(entries: readonly AuditEntry[]): Promise<void> {
    await (
      await this.insertManyCommitted(entries)
    ).durable;
  }

  /**
   * As insertMany, but resolves as soon as the batch has committed, with `durable`
   * resolving once it is on disk: the audit log starts the next batch meanwhile and
   * acknowledges this one only when `durable` resolves.
   */
  async insertManyCommitted(entries: readonly AuditEntry[]): Promise<{ durable: Promise<void> }> {
    const done = { durable: Promise.resolve() };
    if (entries.length === 0) return done;
    const parameters = entries.flatMap((e) => COLUMNS.map((c) => e[c]));
    let sql = this.insertSql.get(entries.length);
    if (sql === undefined) {
      const rows = entries.map((e) => Object.fromEntries(COLUMNS.map((c) => [c, e[c]])) as AuditEntry);
      const compiled = this.db.insertInto('audit_log').values(rows).compile();
      // Kept only if Kysely bound exactly these values in this order (it does today).
      const same =
        compiled.parameters.length === parameters.length &&
        compiled.parameters.every((v, i) => v === parameters[i]);
      if (!same) {
        await this.db.executeQuery(compiled);
        return done;
      }
      sql = compiled.sql;
      if (this.insertSql.size < 1000) this.insertSql.set(entries.length, sql);
    }
    const query = CompiledQuery.raw(sql, parameters);
    // On the embedded catalog the fsync is made off the event loop (sqlite-deferred-sync.ts);
    // elsewhere a commit is durable when it returns.
    const deferred = deferredSyncOf(this.db);
    if (deferred) {
      const { synced } = await deferred.run((conn) => conn.executeQuery(query));
      return { durable: synced };
    }
    await this.db.executeQuery(query);
    return done;
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

  /**
   * The auditor's page: the newest `limit` entries that match every filter given and come
   * before `beforeSeq`, in chain order. Everything is filtered in SQL (the log grows by
   * thousands of entries a day); the next older page starts before the first entry here.
   * A case number matches the hearings of that number and the hearings of the case(s)
   * numbered so (`hearings.case_number` is what the secretary typed; `cases.number` is
   * the case a hearing was later linked to).
   */
  async search(filter: AuditSearch): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.hearingId !== undefined) q = q.where('hearing_id', '=', filter.hearingId);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.verdict !== undefined) q = q.where('verdict', '=', filter.verdict);
    if (filter.fromMs !== undefined) q = q.where('at_ms', '>=', filter.fromMs);
    if (filter.toMs !== undefined) q = q.where('at_ms', '<', filter.toMs);
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    const caseNumber = filter.caseNumber;
    if (caseNumber !== undefined)
      q = q.where('hearing_id', 'in', (db) =>
        db
          .selectFrom('hearings')
          .select('hearings.id')
          .where((eb) =>
            eb.or([
              eb('hearings.case_number', '=', caseNumber),
              eb(
                'hearings.case_id',
                'in',
                eb.selectFrom('cases').select('cases.id').where('cases.number', '=', caseNumber),
              ),
            ]),
          ),
      );
    const newestFirst = await q.orderBy('seq', 'desc').limit(filter.limit).execute();
    return newestFirst.reverse();
  }
}

/** What the auditor may filter the log by; every field narrows the result. */
export interface AuditSearch {
  hearingId?: string | undefined;
  actor?: string | undefined;
  verdict?: AuditEntry['verdict'] | undefined;
  /** The case number of the hearings the entries are about. */
  caseNumber?: string | undefined;
  /** Entries at or after this time (ms since the epoch). */
  fromMs?: number | undefined;
  /** Entries before this time (ms since the epoch). */
  toMs?: number | undefined;
  /** Entries before this one: the paging cursor. */
  beforeSeq?: number | undefined;
  /** At most this many, the newest of those that match. */
  limit: number;
}
