/**
 * The auditor's door with strict fakes: `audit.read` is decided before the log is read,
 * the read is described in its own audit entry, and the paging cursor is only given while
 * older matches may remain. The SQL itself is covered by storage/catalog/audit-log.contract.test.ts
 * and the route by test/audit-identity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../storage/index.ts';
import { AuditReadsService, type AuditQuery } from './audit-reads.service.ts';
import type { AccessCheck } from './access.service.ts';
import { AccessRefusedError } from './policy/access-refused.ts';
import type { Person } from './requester.ts';

const AUDITOR: Person = { id: 'u-1', login: 'aud-nurlan', displayName: 'Nurlan', role: 'auditor' };
const ORIGIN = { address: '10.0.0.7' };

const entry = (seq: number): AuditEntry => ({
  seq,
  at_ms: seq,
  actor: 'party-dana',
  role: 'party',
  action: 'hearing.view',
  hearing_id: 'h-1',
  target: null,
  address: null,
  verdict: 'refuse',
  reason: 'not-a-participant',
  prev_hash: '0'.repeat(64),
  hash: '1'.repeat(64),
});

function service(options: { refuse?: boolean; found?: AuditEntry[] } = {}) {
  const checks: AccessCheck[] = [];
  const searches: AuditQuery[] = [];
  const reads = new AuditReadsService({
    access: {
      require: async (check: AccessCheck) => {
        checks.push(check);
        if (options.refuse) throw new AccessRefusedError('role', 'only auditors read the audit log');
        return { allow: true } as never;
      },
    },
    repos: {
      auditLog: {
        search: async (q: AuditQuery) => {
          searches.push(q);
          return options.found ?? [];
        },
      } as never,
    },
  });
  return { reads, checks, searches };
}

describe('AuditReadsService', () => {
  it('decides audit.read for the person and origin, naming the filter with ISO times, before reading', async () => {
    const { reads, checks, searches } = service({ found: [entry(7), entry(9)] });
    const page = await reads.read({
      person: AUDITOR,
      origin: ORIGIN,
      query: {
        caseNumber: '2-1/2026',
        actor: ' Party-Dana ',
        fromMs: Date.parse('2026-03-02T09:00:00.000Z'),
        limit: 50,
      },
    });
    expect(checks).toEqual([
      {
        user: AUDITOR,
        hearing: null,
        action: 'audit.read',
        origin: ORIGIN,
        target: '{"caseNumber":"2-1/2026","actor":"party-dana","limit":50,"from":"2026-03-02T09:00:00.000Z"}',
      },
    ]);
    expect(searches).toEqual([
      {
        caseNumber: '2-1/2026',
        actor: 'party-dana',
        fromMs: Date.parse('2026-03-02T09:00:00.000Z'),
        limit: 50,
      },
    ]);
    expect(page).toEqual({ entries: [entry(7), entry(9)], nextBeforeSeq: null });
  });

  it('reads nothing when audit.read is refused', async () => {
    const { reads, searches } = service({ refuse: true });
    await expect(
      reads.read({ person: AUDITOR, origin: ORIGIN, query: { limit: 10 } }),
    ).rejects.toBeInstanceOf(AccessRefusedError);
    expect(searches).toEqual([]);
  });

  it('gives the cursor of the next older page only when the page is full and older entries may exist', async () => {
    expect(
      (
        await service({ found: [entry(4), entry(5)] }).reads.read({
          person: AUDITOR,
          origin: ORIGIN,
          query: { limit: 2 },
        })
      ).nextBeforeSeq,
    ).toBe(4);
    expect(
      (
        await service({ found: [entry(1), entry(2)] }).reads.read({
          person: AUDITOR,
          origin: ORIGIN,
          query: { limit: 2 },
        })
      ).nextBeforeSeq,
    ).toBeNull();
    expect(
      (
        await service({ found: [entry(5)] }).reads.read({
          person: AUDITOR,
          origin: ORIGIN,
          query: { limit: 2 },
        })
      ).nextBeforeSeq,
    ).toBeNull();
  });
});
