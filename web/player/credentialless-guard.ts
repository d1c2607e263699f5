/**
 * Requests to /objects that carry no valid credential — a forged, altered or expired
 * signature, a bound URL without its live session, a malformed key — are counted per
 * address rather than audited one by one (docs/decisions/0016):
 *
 * - the first one of an address in a window is written to the audit log at once, so a
 *   probe is on record as soon as it starts;
 * - the rest of the window is counted, and one entry with the count (and the count per
 *   reason) is written when the window ends (a timer) or the hub closes;
 * - past `burst` of them in a window, the address's failing requests get 429 with
 *   Retry-After for the rest of the window (a valid URL from the same address still plays:
 *   viewers behind one NAT are not locked out by someone else's probing).
 *
 * Nothing in these entries comes from the request's path: an unauthenticated path names
 * whatever hearing the caller likes, so the entries name no hearing and no object key.
 */
import type { AuditLog } from '../../storage/index.ts';

export interface CredentiallessGuardOptions {
  audit: Pick<AuditLog, 'append'>;
  clock: { now(): number };
  onError?: (error: unknown) => void;
  /** Refusals an address may cause in a window before it gets 429; default 60. */
  burst?: number;
  /** The window, in ms; default 60 s. */
  windowMs?: number;
}

interface AddressWindow {
  startMs: number;
  count: number;
  /** How many were refused with 429 (past the burst). */
  limited: number;
  reasons: Map<string, number>;
}

/** The audit action of these entries. */
export const CREDENTIALLESS_ACTION = 'object.refused';

export class CredentiallessGuard {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly windows = new Map<string, AddressWindow>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly o: CredentiallessGuardOptions) {
    this.burst = o.burst ?? 60;
    this.windowMs = o.windowMs ?? 60_000;
  }

  /** Seconds until the address may try again, or null when it is under the limit. */
  retryAfter(address: string | null): number | null {
    const w = this.current(address ?? '');
    if (!w || w.count < this.burst) return null;
    return Math.max(1, Math.ceil((w.startMs + this.windowMs - this.o.clock.now()) / 1000));
  }

  /** Counts one refusal of `address`; writes the window's first one to the audit log. */
  async refused(address: string | null, reason: string, options: { limited?: boolean } = {}): Promise<void> {
    const at = address ?? '';
    let w = this.current(at);
    const first = !w;
    let ended: AddressWindow | undefined;
    if (!w) {
      // The window is set before anything is awaited, so concurrent refusals share it.
      ended = this.windows.get(at);
      w = { startMs: this.o.clock.now(), count: 0, limited: 0, reasons: new Map() };
      this.windows.set(at, w);
      this.arm();
    }
    w.count++;
    if (options.limited) w.limited++;
    w.reasons.set(reason, (w.reasons.get(reason) ?? 0) + 1);
    if (ended) await this.writeCount(at, ended);
    if (first)
      await this.o.audit.append({
        actor: 'anonymous',
        role: null,
        action: CREDENTIALLESS_ACTION,
        hearingId: null,
        target: 'an object URL without a valid credential (further ones from this address are counted)',
        address,
        verdict: 'refuse',
        reason,
      });
  }

  /** Writes the count of every window (ended ones only unless `all`). */
  async flushEnded(all = false): Promise<void> {
    const now = this.o.clock.now();
    for (const [address, w] of [...this.windows])
      if (all || now - w.startMs >= this.windowMs) await this.flush(address);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushEnded(true);
  }

  private current(address: string): AddressWindow | null {
    const w = this.windows.get(address);
    if (!w || this.o.clock.now() - w.startMs >= this.windowMs) return null;
    return w;
  }

  private async flush(address: string): Promise<void> {
    const w = this.windows.get(address);
    if (!w) return;
    this.windows.delete(address);
    await this.writeCount(address, w);
  }

  /** One entry for what a window counted, when it counted more than its first (already written). */
  private async writeCount(address: string, w: AddressWindow): Promise<void> {
    if (w.count <= 1) return;
    const reasons = [...w.reasons]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    await this.o.audit.append({
      actor: 'anonymous',
      role: null,
      action: CREDENTIALLESS_ACTION,
      hearingId: null,
      target:
        `${w.count} object URLs without a valid credential in ${Math.round(this.windowMs / 1000)} s ` +
        `(${reasons}; ${w.limited} answered 429)`,
      address: address === '' ? null : address,
      verdict: 'refuse',
      reason: 'no-credential',
    });
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushEnded()
        .catch((error: unknown) => this.o.onError?.(error))
        .finally(() => {
          if (this.windows.size > 0) this.arm();
        });
    }, this.windowMs);
    this.timer.unref();
  }
}
