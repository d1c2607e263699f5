/**
 * Typed errors shared by every module. Each carries a stable machine-readable code,
 * the HTTP status the hub answers with, and whether it is "expected" (bad input, a
 * refusal, a backend that is down) or a bug. The hub turns them into
 * application/problem+json; the CLI turns them into an exit code and one clear line.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'OBJECT_KEY_INVALID'
  | 'OBJECT_NOT_FOUND'
  | 'OBJECT_INTEGRITY'
  | 'OBJECT_LOCKED'
  | 'CATALOG_SCHEMA_TOO_NEW'
  | 'CATALOG_MIGRATION_FAILED'
  | 'JOB_UNKNOWN'
  | 'JOB_HANDLER_MISSING'
  | 'JOB_TIMEOUT'
  | 'BACKEND_UNAVAILABLE'
  | 'FFMPEG_FAILED'
  | 'UPLOADER_CLOSED'
  | 'INTERNAL'
  | 'LOGIN_FAILED'
  | 'LOGIN_RATE_LIMITED'
  | 'CSRF_FAILED';

export interface HattamaErrorOptions {
  /** Whether this is an anticipated outcome (bad input, refusal) rather than a bug. */
  expected?: boolean;
  /** HTTP status for the hub's problem+json answer. */
  status?: number;
  /** Structured facts for logs and problem details; never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class HattamaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expected: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: HattamaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expected = options.expected ?? false;
    this.details = options.details;
  }
}

export interface ConfigIssue {
  /** The environment variable at fault, e.g. HATTAMA_PORT. */
  key: string;
  message: string;
}

/** Configuration failed validation; lists every bad key at once. */
export class ConfigError extends HattamaError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${issues.map((i) => `  ${i.key}: ${i.message}`).join('\n')}`,
      { expected: true, status: 500, details: { keys: issues.map((i) => i.key) } },
    );
    this.issues = issues;
  }
}

export class ValidationError extends HattamaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, { expected: true, status: 400, details });
  }
}

export class NotFoundError extends HattamaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, { expected: true, status: 404, details });
  }
}

export class ConflictError extends HattamaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { expected: true, status: 409, details });
  }
}

/** An object key that is malformed or could escape its prefix (`..`, absolute, NUL). */
export class InvalidObjectKeyError extends HattamaError {
  constructor(key: string, reason: string) {
    super('OBJECT_KEY_INVALID', `invalid object key ${JSON.stringify(key)}: ${reason}`, {
      expected: true,
      status: 400,
      details: { reason },
    });
  }
}

export class ObjectNotFoundError extends HattamaError {
  constructor(key: string, options: { cause?: unknown } = {}) {
    super('OBJECT_NOT_FOUND', `object ${key} does not exist`, {
      expected: true,
      status: 404,
      details: { key },
      cause: options.cause,
    });
  }
}

/** The bytes do not match the SHA-256 (or size) the caller declared. Nothing was stored. */
export class ObjectIntegrityError extends HattamaError {
  constructor(key: string, message: string, details: Record<string, unknown> = {}) {
    super('OBJECT_INTEGRITY', `object ${key}: ${message}`, {
      expected: true,
      status: 422,
      details: { key, ...details },
    });
  }
}

/** The store refused to delete or overwrite an object under retention or legal hold. */
export class ObjectLockedError extends HattamaError {
  constructor(key: string, options: { cause?: unknown } = {}) {
    super('OBJECT_LOCKED', `object ${key} is under retention or legal hold`, {
      expected: true,
      status: 409,
      details: { key },
      cause: options.cause,
    });
  }
}

/** The catalog was migrated by a newer Hattama than this one; refuse rather than corrupt it. */
export class SchemaTooNewError extends HattamaError {
  constructor(known: readonly string[], unknown: readonly string[]) {
    super(
      'CATALOG_SCHEMA_TOO_NEW',
      `the catalog has migrations this version does not know (${unknown.join(', ')}); ` +
        'upgrade Hattama or point it at another database',
      { expected: true, status: 500, details: { known: known.length, unknown } },
    );
  }
}

export class BackendUnavailableError extends HattamaError {
  constructor(backend: string, message: string, options: { cause?: unknown } = {}) {
    super('BACKEND_UNAVAILABLE', `${backend} is unavailable: ${message}`, {
      expected: true,
      status: 503,
      details: { backend },
      cause: options.cause,
    });
  }
}

export function isHattamaError(error: unknown): error is HattamaError {
  return error instanceof HattamaError;
}

/** A short message for any thrown value, for logs and CLI output. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
