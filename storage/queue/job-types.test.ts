import { describe, expect, it } from 'vitest';
import { HattamaError } from '../../core/index.ts';
import { JOB_NAMES, assertCompleteHandlers, type JobHandlers, type JobName } from './job-types.ts';

interface TwoJobs {
  'a.run': { n: number };
  'b.run': { s: string };
}

describe('job registry', () => {
  it('lists every job name of the payload map at run time', () => {
    const names: readonly JobName[] = JOB_NAMES;
    expect(names).toContain('object.verify');
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses a handler map with missing jobs, naming all of them', () => {
    let caught: unknown;
    try {
      assertCompleteHandlers({ 'a.run': async () => undefined }, ['a.run', 'b.run', 'c.run']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HattamaError);
    expect(caught).toMatchObject({ code: 'JOB_HANDLER_MISSING', details: { missing: ['b.run', 'c.run'] } });
    expect((caught as Error).message).toContain('b.run, c.run');
  });

  it('accepts a complete handler map', () => {
    const handlers: JobHandlers<TwoJobs> = {
      'a.run': async (payload) => void payload.n,
      'b.run': async (payload) => void payload.s,
    };
    expect(() => assertCompleteHandlers(handlers, ['a.run', 'b.run'])).not.toThrow();
  });

  it('does not compile a handler map that misses a job or misreads a payload (checked by tsc)', () => {
    // @ts-expect-error 'b.run' has no handler
    const incomplete: JobHandlers<TwoJobs> = { 'a.run': async () => undefined };
    const wrongPayload: JobHandlers<TwoJobs> = {
      // @ts-expect-error the payload of 'a.run' has no `s`
      'a.run': async (p) => void p.s,
      'b.run': async () => undefined,
    };
    expect(incomplete).toBeDefined();
    expect(wrongPayload).toBeDefined();
  });
});
