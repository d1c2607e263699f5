/**
 * Checks and defaults shared by both drivers, so `inline` and `bull` refuse the same
 * input and retry on the same schedule.
 */
import { HattamaError, ValidationError } from '../../core/index.ts';
import type { EnqueueOptions } from './job-queue.ts';

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1000;
/** No wait between attempts exceeds 5 minutes, however many attempts a job is allowed. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** The queue name when none is given: the catalog's `jobs.queue` column and bull's queue name. */
export const DEFAULT_QUEUE_NAME = 'hattama';
/** How long close() waits for running handlers before aborting their signals. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

const MAX_ATTEMPTS = 100;
const MAX_JOB_ID_LENGTH = 200;

export interface ResolvedEnqueueOptions {
  jobId: string | undefined;
  attempts: number;
  backoffMs: number;
  delayMs: number;
}

/** Wait before the next attempt after attempt `attempt` (1-based) failed. */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

export function assertKnownJobName(name: string, names: readonly string[]): void {
  if (!names.includes(name)) {
    throw new HattamaError('JOB_UNKNOWN', `unknown job ${JSON.stringify(name)}`, {
      expected: true,
      status: 400,
      details: { name, known: [...names] },
    });
  }
}

/** Refuses handlers for names the queue does not know: usually a typo in a JS caller. */
export function assertNoUnknownHandlers(handlers: object, names: readonly string[]): void {
  for (const name of Object.keys(handlers)) assertKnownJobName(name, names);
}

export function assertConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ValidationError('concurrency must be a positive integer', { concurrency });
  }
}

export function resolveEnqueueOptions(options: EnqueueOptions = {}): ResolvedEnqueueOptions {
  const { jobId, attempts = DEFAULT_ATTEMPTS, backoffMs = DEFAULT_BACKOFF_MS, delayMs = 0 } = options;
  if (
    jobId !== undefined &&
    (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID_LENGTH)
  ) {
    throw new ValidationError(`jobId must be a non-empty string of at most ${MAX_JOB_ID_LENGTH} characters`);
  }
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw new ValidationError(`attempts must be an integer from 1 to ${MAX_ATTEMPTS}`, { attempts });
  }
  if (!Number.isInteger(backoffMs) || backoffMs < 0) {
    throw new ValidationError('backoffMs must be a non-negative integer', { backoffMs });
  }
  if (!Number.isInteger(delayMs) || delayMs < 0) {
    throw new ValidationError('delayMs must be a non-negative integer', { delayMs });
  }
  return { jobId, attempts, backoffMs, delayMs };
}

/**
 * Refuses a payload that would not survive JSON unchanged: functions, undefined,
 * bigint, symbols, NaN/Infinity, class instances (Date, Map, Buffer…) and cycles.
 * A payload is stored as JSON text by both drivers, so a Date would silently come back
 * as a string; failing at enqueue names the bad path instead.
 */
export function assertJsonPayload(payload: unknown): void {
  const problem = findNonJson(payload, '$', new Set());
  if (problem) throw new ValidationError(`job payload is not plain JSON: ${problem}`);
}

function findNonJson(value: unknown, path: string, seen: Set<object>): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (typeof value !== 'object') return `${path} is a ${typeof value}`;
  if (seen.has(value)) return `${path} is a circular reference`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = findNonJson(value[i], `${path}[${i}]`, seen);
        if (problem) return problem;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}, not a plain object`;
    }
    for (const [key, child] of Object.entries(value)) {
      const problem = findNonJson(child, `${path}.${key}`, seen);
      if (problem) return problem;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/** A thrown value as an Error with a message: handlers may throw anything. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new HattamaError('INTERNAL', `job handler threw a non-Error value: ${String(thrown)}`);
}
