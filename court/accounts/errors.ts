/** The refusals of log-in, session and CSRF checks, as typed errors for the problem+json middleware. */
import { HattamaError, isoTime } from '../../core/index.ts';

/**
 * Wrong login, wrong password, or a disabled account: one answer for all three, so the
 * answer never tells whether a login exists.
 */
export class LoginFailedError extends HattamaError {
  constructor() {
    super('LOGIN_FAILED', 'the login or the password is wrong', { expected: true, status: 401 });
  }
}

/** Too many failed log-ins for the account or from the address; says when to try again. */
export class LoginRateLimitedError extends HattamaError {
  readonly retryAfterSeconds: number;
  constructor(retryAtMs: number, nowMs: number) {
    const retryAfterSeconds = Math.max(1, Math.ceil((retryAtMs - nowMs) / 1000));
    super(
      'LOGIN_RATE_LIMITED',
      `too many failed log-ins; try again after ${isoTime(retryAtMs)} (in ${Math.ceil(retryAfterSeconds / 60)} min)`,
      { expected: true, status: 429, details: { retryAt: isoTime(retryAtMs), retryAfterSeconds } },
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class UnauthenticatedError extends HattamaError {
  constructor(message = 'log in first: this needs a valid session') {
    super('UNAUTHENTICATED', message, { expected: true, status: 401 });
  }
}

export class ForbiddenError extends HattamaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('FORBIDDEN', message, { expected: true, status: 403, details });
  }
}

export class CsrfFailedError extends HattamaError {
  constructor() {
    super('CSRF_FAILED', 'missing or wrong x-csrf-token header; get the token from GET /api/auth/me', {
      expected: true,
      status: 403,
    });
  }
}
