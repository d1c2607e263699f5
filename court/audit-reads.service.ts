/**
 * The auditor's door to the audit log: `audit.read` is decided (and, allowed or not,
 * written to the log) here, then the log is searched in SQL. Adapters pass who asks and
 * from where; nothing here reads HTTP.
 */
import { isoTime } from '../core/index.ts';
import type { AuditEntry, AuditSearch, Repositories } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import type { Origin, Person } from './requester.ts';

/** What the auditor filters by; every field given narrows the result (the repository's search). */
export type AuditQuery = AuditSearch;

export interface AuditPage {
  /** Oldest first. */
  entries: AuditEntry[];
  /** The `beforeSeq` of the next older page; null when this page reached the oldest match. */
  nextBeforeSeq: number | null;
}

export class AuditReadsService {
  constructor(
    private readonly d: {
      access: Pick<AccessService, 'require'>;
      repos: Pick<Repositories, 'auditLog'>;
    },
  ) {}

  /**
   * One page of the log for an auditor. The request itself is audited first (with the
   * filter as its target), so a refused reader is on record and an allowed one sees their
   * own read at the end of the newest page.
   */
  async read(r: { person: Person; origin: Origin; query: AuditQuery }): Promise<AuditPage> {
    const query: AuditQuery = {
      ...r.query,
      ...(r.query.actor === undefined ? {} : { actor: r.query.actor.trim().toLowerCase() }),
    };
    await this.d.access.require({
      user: r.person,
      hearing: null,
      action: 'audit.read',
      origin: r.origin,
      target: describe(query),
    });
    const entries = await this.d.repos.auditLog.search(query);
    const oldest = entries[0];
    return {
      entries,
      nextBeforeSeq:
        entries.length === query.limit && oldest !== undefined && oldest.seq > 1 ? oldest.seq : null,
    };
  }
}

/** The filter as the audit entry of the read names it: times in ISO 8601, absent fields left out. */
function describe(q: AuditQuery): string {
  const { fromMs, toMs, ...rest } = q;
  return JSON.stringify({
    ...rest,
    ...(fromMs === undefined ? {} : { from: isoTime(fromMs) }),
    ...(toMs === undefined ? {} : { to: isoTime(toMs) }),
  });
}
