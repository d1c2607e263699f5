import { describe, expect, it } from 'vitest';
import { assertJsonPayload, backoffDelay, resolveEnqueueOptions, MAX_BACKOFF_MS } from './job-checks.ts';

describe('job checks', () => {
  it('doubles the backoff with each failed attempt and caps it at five minutes', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(1000, attempt))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(1000, 30)).toBe(MAX_BACKOFF_MS);
    expect(MAX_BACKOFF_MS).toBe(300_000);
  });

  it('fills in 5 attempts, a 1 s backoff and no delay by default', () => {
    expect(resolveEnqueueOptions()).toEqual({ jobId: undefined, attempts: 5, backoffMs: 1000, delayMs: 0 });
  });

  it('refuses nonsensical enqueue options', () => {
    expect(() => resolveEnqueueOptions({ attempts: 0 })).toThrow(/attempts/);
    expect(() => resolveEnqueueOptions({ backoffMs: -1 })).toThrow(/backoffMs/);
    expect(() => resolveEnqueueOptions({ delayMs: 1.5 })).toThrow(/delayMs/);
    expect(() => resolveEnqueueOptions({ jobId: '' })).toThrow(/jobId/);
  });

  it('accepts plain JSON payloads', () => {
    expect(() =>
      assertJsonPayload({ a: [1, 'x', null, true, { b: 2.5 }], c: Object.create(null) }),
    ).not.toThrow();
  });

  it.each([
    ['a Date', { at: new Date() }, '$.at is a Date'],
    ['undefined', { a: undefined }, '$.a is a undefined'],
    ['a function', { f: () => 1 }, '$.f is a function'],
    ['NaN', { list: [1, Number.NaN] }, '$.list[1] is NaN'],
    ['a bigint', { n: 1n }, '$.n is a bigint'],
    ['a Map', { m: new Map() }, '$.m is a Map'],
  ])('refuses a payload holding %s, naming where', (_what, payload, message) => {
    expect(() => assertJsonPayload(payload)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => assertJsonPayload(payload)).toThrow(message);
  });

  it('refuses a circular payload but allows a shared object seen twice', () => {
    const shared = { x: 1 };
    expect(() => assertJsonPayload({ a: shared, b: shared })).not.toThrow();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => assertJsonPayload(cycle)).toThrow('$.self is a circular reference');
  });
});
