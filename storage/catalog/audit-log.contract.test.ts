/**
 * The auditor's search over the audit log behaves the same on SQLite and PostgreSQL:
 * every filter (case number, hearing, actor, verdict, time, paging) is applied in SQL, and
 * a page holds the newest matching entries in chain order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hearingRow, openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import { AuditLog } from '../audit-log.ts';
import { createRepositories, type CatalogDialect, type Repositories } from './index.ts';

const postgres = await serviceAvailable('postgres', 'audit log search (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const MINUTE = 60_000;

function auditSearchSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;
  let now = T0;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    await repos.courts.insertCourt({ id: 'court', name: 'Court', created_at: T0 });
    await repos.courts.insertCourtroom({ id: 'room-1', court_id: 'court', name: 'Room 1', created_at: T0 });
    await repos.cases.insertCase({
      id: 'case-7',
      court_id: 'court',
      number: '2-7/2026',
      category: 'civil',
      created_at: T0,
    });
    // h-typed carries the number as typed; h-linked was typed differently but linked to the case.
    await repos.hearings.insert(hearingRow('h-typed', T0, { case_number: '2-7/2026' }));
    await repos.hearings.insert(hearingRow('h-linked', T0, { case_number: '2-7', case_id: 'case-7' }));
    await repos.hearings.insert(hearingRow('h-other', T0, { case_number: '2-8/2026' }));
    const log = new AuditLog(repos.auditLog, { now: () => now, sleep: async () => undefined });
    // One entry a minute: seq n is at T0 + (n - 1) minutes.
    const hearings = ['h-typed', 'h-other', 'h-linked', null, 'h-typed', 'h-other', 'h-linked', 'h-typed'];
    for (const [i, hearingId] of hearings.entries()) {
      now = T0 + i * MINUTE;
      await log.append({
        actor: i % 2 === 0 ? 'judge-a' : 'party-b',
        role: i % 2 === 0 ? 'judge' : 'party',
        action: 'recording.play',
        hearingId,
        verdict: i === 4 ? 'refuse' : 'allow',
      });
    }
  });
  afterAll(async () => t?.dispose());

  const seqs = async (filter: Parameters<Repositories['auditLog']['search']>[0]) =>
    (await repos.auditLog.search(filter)).map((e) => e.seq);

  it('finds the entries of every hearing of a case number, typed on the hearing or through the linked case', async () => {
    expect(await seqs({ caseNumber: '2-7/2026', limit: 100 })).toEqual([1, 3, 5, 7, 8]);
    expect(await seqs({ caseNumber: '2-8/2026', limit: 100 })).toEqual([2, 6]);
    expect(await seqs({ caseNumber: '9-9/2099', limit: 100 })).toEqual([]);
  });

  it('combines the case number with the actor, the verdict and the time window', async () => {
    expect(await seqs({ caseNumber: '2-7/2026', actor: 'judge-a', limit: 100 })).toEqual([1, 3, 5, 7]);
    expect(await seqs({ caseNumber: '2-7/2026', verdict: 'refuse', limit: 100 })).toEqual([5]);
    expect(
      await seqs({ caseNumber: '2-7/2026', fromMs: T0 + 2 * MINUTE, toMs: T0 + 6 * MINUTE, limit: 100 }),
    ).toEqual([3, 5]);
  });

  it('returns the newest matching entries in chain order and pages back with beforeSeq', async () => {
    expect(await seqs({ limit: 3 })).toEqual([6, 7, 8]);
    expect(await seqs({ limit: 3, beforeSeq: 6 })).toEqual([3, 4, 5]);
    expect(await seqs({ limit: 3, beforeSeq: 3 })).toEqual([1, 2]);
    expect(await seqs({ caseNumber: '2-7/2026', limit: 2, beforeSeq: 7 })).toEqual([3, 5]);
  });
}

describe('audit log search on SQLite', () => auditSearchSuite('sqlite'));
describe.skipIf(!postgres)('audit log search on PostgreSQL', () => auditSearchSuite('postgres'));
