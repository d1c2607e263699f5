/** Turns a refusal into the typed error that the hub answers as problem+json. */
import { HattamaError } from '../../core/index.ts';
import type { Allowed, Decision, RefusalReason } from './access-policy.ts';

/** A refusal by the policy: 403 FORBIDDEN with the stable reason in the problem's details. */
export class AccessRefusedError extends HattamaError {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super('FORBIDDEN', message, { expected: true, status: 403, details: { reason } });
    this.reason = reason;
  }
}

/** Returns the allowing decision, or throws AccessRefusedError for a refusal. */
export function ensureAllowed(decision: Decision): Allowed {
  if (!decision.allow) throw new AccessRefusedError(decision.reason, decision.message);
  return decision;
}
