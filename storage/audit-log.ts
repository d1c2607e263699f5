/**
 * The append-only, hash-chained audit log (DESIGN.md invariants): every read of a
 * recording, transcript or protocol and every refusal is one entry. Each entry's hash
 * covers the previous entry's hash, so an edited, deleted or inserted row breaks the
 * chain at that point; `verify` names the first broken entry.
 */
import crypto from 'node:crypto';
import type { Clock } from '../core/index.ts';
import type { AuditLogRepository } from './catalog/repositories/index.ts';
import type { AuditEntry, AuditVerdict } from './catalog/schema.ts';

export const AUDIT_GENESIS = '0'.repeat(64);

export interface AuditEvent {
  actor: string;
  role?: string | null;
  action: string;
  hearingId?: string | null;
  target?: string | null;
  address?: string | null;
  verdict: AuditVerdict;
  reason?: string | null;
}

type Unhashed = Omit<AuditEntry, 'hash'>;

/** sha256 over the previous hash and every field, as a JSON array in fixed order. */
export function auditEntryHash(e: Unhashed): string {
  const fields = [e.seq, e.at_ms, e.actor, e.role, e.action, e.hearing_id, e.target, e.address, e.verdict, e.reason];
  return crypto.createHash('sha256').update(e.prev_hash).update('|').update(JSON.stringify(fields)).digest('hex');
}

export type AuditVerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; problem: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' };

export class AuditLog {
  constructor(
    private readonly repo: AuditLogRepository,
    private readonly clock: Clock,
  ) {}

  /** Appends one entry; retries when a concurrent writer (another hub) took the same seq. */
  async append(event: AuditEvent): Promise<AuditEntry> {
    for (let attempt = 0; ; attempt++) {
      const last = await this.repo.last();
      const unhashed: Unhashed = {
        seq: (last?.seq ?? 0) + 1,
        at_ms: this.clock.now(),
        actor: event.actor,
        role: event.role ?? null,
        action: event.action,
        hearing_id: event.hearingId ?? null,
        target: event.target ?? null,
        address: event.address ?? null,
        verdict: event.verdict,
        reason: event.reason ?? null,
        prev_hash: last?.hash ?? AUDIT_GENESIS,
      };
      const entry: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
      try {
        await this.repo.insert(entry);
        return entry;
      } catch (error) {
        if (attempt >= 20) throw error;
        // A unique violation on seq means another writer appended first: re-read the tip.
      }
    }
  }

  /** Recomputes the whole chain from the first entry. */
  async verify(): Promise<AuditVerifyResult> {
    let prevHash = AUDIT_GENESIS;
    let expectedSeq = 1;
    let count = 0;
    for (;;) {
      const page = await this.repo.page(expectedSeq - 1, 1000);
      if (page.length === 0) break;
      for (const e of page) {
        if (e.seq !== expectedSeq) return { ok: false, entries: count, brokenAt: expectedSeq, problem: 'seq-gap' };
        if (e.prev_hash !== prevHash) return { ok: false, entries: count, brokenAt: e.seq, problem: 'prev-hash-mismatch' };
        if (auditEntryHash(e) !== e.hash) return { ok: false, entries: count, brokenAt: e.seq, problem: 'hash-mismatch' };
        prevHash = e.hash;
        expectedSeq++;
        count++;
      }
    }
    return { ok: true, entries: count, head: prevHash };
  }
}
