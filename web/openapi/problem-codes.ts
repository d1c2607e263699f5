/**
 * The stable codes of the hub's `application/problem+json` answers (RFC 9457), with the
 * HTTP statuses each is sent with. Clients branch on `code`, never on the message text;
 * a code listed here keeps its meaning for as long as the API's major version lasts.
 * Most come from the typed errors of core/errors.ts and web/auth/errors.ts; the rest from
 * the error middleware (body parsing) and the hub-signed /objects route.
 */

export interface ProblemCodeInfo {
  /** Every status this code is answered with. */
  statuses: readonly number[];
  description: string;
}

export const PROBLEM_CODES = {
  VALIDATION_FAILED: {
    statuses: [400],
    description:
      'The path, query or body does not match the documented schema, or names something that must exist (details.issues lists each bad field, or details.field names it).',
  },
  BAD_REQUEST: {
    statuses: [400],
    description: 'The request could not be read at all, e.g. a body that is not valid JSON.',
  },
  PAYLOAD_TOO_LARGE: { statuses: [413], description: 'The body is over the limit (256 kB of JSON).' },
  UNAUTHENTICATED: {
    statuses: [401],
    description: 'No live session cookie and no valid administrator token.',
  },
  LOGIN_FAILED: {
    statuses: [401],
    description: 'Wrong login, wrong password or a disabled account (one answer for all three).',
  },
  LOGIN_RATE_LIMITED: {
    statuses: [429],
    description:
      'Too many failed log-ins for the account or from the address; Retry-After says when to try again.',
  },
  CSRF_FAILED: {
    statuses: [403],
    description: 'A state-changing request with a session cookie lacks the right x-csrf-token header.',
  },
  FORBIDDEN: {
    statuses: [403],
    description:
      'The access policy refuses this user this action (details.reason is a stable refusal reason such as not-a-participant or closed-hearing-off-site); the refusal is in the audit log.',
  },
  NOT_FOUND: {
    statuses: [404],
    description: 'The hearing, case, court, user, track or route does not exist.',
  },
  CONFLICT: {
    statuses: [409],
    description:
      'The request contradicts the current state: it already exists, or the hearing is in the wrong state.',
  },
  OBJECT_KEY_INVALID: {
    statuses: [400],
    description: 'The object key is malformed or could escape its prefix (`..`, absolute, NUL).',
  },
  URL_SIGNATURE_INVALID: {
    statuses: [403],
    description: 'The object URL was not signed by this hub, or has been altered.',
  },
  RATE_LIMITED: {
    statuses: [429],
    description:
      'Too many object URLs without a valid credential from the address; Retry-After says when to try again.',
  },
  URL_EXPIRED: {
    statuses: [403],
    description: 'The object URL has expired; reload the playlist for a fresh one.',
  },
  OBJECT_NOT_FOUND: { statuses: [404], description: 'The object is not in the object store.' },
  RANGE_NOT_SATISFIABLE: {
    statuses: [416],
    description: 'The byte range starts past the end of the object (Content-Range names its size).',
  },
  BACKEND_UNAVAILABLE: {
    statuses: [502, 503],
    description:
      'A backend or the courtroom recorder node cannot do it now (503: not connected or down; 502: the node refused the command). Retry later.',
  },
  INTERNAL: {
    statuses: [500],
    description: 'A bug; the hub log has the details. Nothing is said about internals.',
  },
} as const satisfies Record<string, ProblemCodeInfo>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export const ALL_PROBLEM_CODES = Object.keys(PROBLEM_CODES) as ProblemCode[];
