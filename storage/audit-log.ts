/**
 * The append-only, hash-chained audit log (docs/architecture.md invariants): every read of a
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
  const fields = [
    e.seq,
    e.at_ms,
    e.actor,
    e.role,
    e.action,
    e.hearing_id,
    e.target,
    e.address,
    e.verdict,
    e.reason,
  ];
  return crypto
    .createHash('sha256')
    .update(e.prev_hash)
    .update('|')
    .update(JSON.stringify(fields))
    .digest('hex');
}

export type AuditVerifyResult =
  | { ok: true; entries: number; head: string }
  | {
      ok: false;
      entries: number;
      brokenAt: number;
      problem: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap';
    };

export class AuditLog {
  /**
   * Appends wait here and are written in batches: one multi-row insert (one commit) for
   * everything that arrived in the same turn of the event loop, or while the previous
   * batch was being written. The first append of a batch waits for setImmediate:
   * better-sqlite3 commits synchronously, so a drain started at once would write every
   * request alone before the next socket's request is even read. An append resolves only
   * once its batch is on disk (a crash loses nothing acknowledged); on the embedded
   * catalog the fsync runs off the event loop while the next batch is written
   * (storage/catalog/sqlite-deferred-sync.ts).
   */
  private waiting: { event: AuditEvent; resolve: (e: AuditEntry) => void; reject: (e: unknown) => void }[] =
    [];
  private draining = false;
  /**
   * The chain's tip after this process's last successful write, so a batch need not read
   * it back first. Another process appending in between makes our insert collide on
   * `seq` (the primary key); the tip is then forgotten and read again.
   */
  private tip: { seq: number; hash: string } | null = null;

  constructor(
    private readonly repo: AuditLogRepository,
    private readonly clock: Clock,
  ) {}

  /** Appends one entry; resolves once it is committed. */
  append(event: AuditEvent): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, 500);
        try {
          const { entries, durable } = await this.writeBatch(batch.map((b) => b.event));
          // Acknowledged only once on disk; the next batch need not wait for that.
          durable.then(
            () => batch.forEach((b, i) => b.resolve(entries[i]!)),
            (error: unknown) => batch.forEach((b) => b.reject(error)),
          );
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      // No await between the loop's last check and here: a later append starts a new drain.
      this.draining = false;
    }
  }

  /**
   * Chains and inserts a batch; retries when another process (another hub) appended
   * first. Resolves once committed; `durable` once the commit is on disk.
   */
  private async writeBatch(events: AuditEvent[]): Promise<{ entries: AuditEntry[]; durable: Promise<void> }> {
    for (let attempt = 0; ; attempt++) {
      let tip = this.tip;
      if (tip === null) {
        const last = await this.repo.last();
        tip = { seq: last?.seq ?? 0, hash: last?.hash ?? AUDIT_GENESIS };
      }
      let prev = tip.hash;
      let seq = tip.seq;
      const entries = events.map((event): AuditEntry => {
        const unhashed: Unhashed = {
          seq: ++seq,
          at_ms: this.clock.now(),
          actor: event.actor,
          role: event.role ?? null,
          action: event.action,
          hearing_id: event.hearingId ?? null,
          target: event.target ?? null,
          address: event.address ?? null,
          verdict: event.verdict,
          reason: event.reason ?? null,
          prev_hash: prev,
        };
        const entry = { ...unhashed, hash: auditEntryHash(unhashed) };
        prev = entry.hash;
        return entry;
      });
      try {
        const { durable } = await this.repo.insertManyCommitted(entries);
        const head = entries.at(-1);
        this.tip = head ? { seq: head.seq, hash: head.hash } : tip;
        return { entries, durable };
      } catch (error) {
        // A unique violation on seq means another writer appended first: re-read the tip.
        this.tip = null;
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 20));
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
        if (e.seq !== expectedSeq)
          return { ok: false, entries: count, brokenAt: expectedSeq, problem: 'seq-gap' };
        if (e.prev_hash !== prevHash)
          return { ok: false, entries: count, brokenAt: e.seq, problem: 'prev-hash-mismatch' };
        if (auditEntryHash(e) !== e.hash)
          return { ok: false, entries: count, brokenAt: e.seq, problem: 'hash-mismatch' };
        prevHash = e.hash;
        expectedSeq++;
        count++;
      }
    }
    return { ok: true, entries: count, head: prevHash };
  }
}
