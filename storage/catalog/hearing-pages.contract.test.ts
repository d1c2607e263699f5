/**
 * A page of hearings and the sealed ranges of many hearings read the same on SQLite and
 * PostgreSQL: newest first with a keyset that neither repeats nor skips rows (equal
 * creation times included), each filter and the viewer's reach narrowing in SQL, and one
 * query for the sealed ranges of a whole page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hearingRow, openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import {
  createRepositories,
  type CatalogDialect,
  type HearingPageQuery,
  type Repositories,
} from './index.ts';

const postgres = await serviceAvailable('postgres', 'hearing pages catalog (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HOUR = 3_600_000;

function pagesSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    for (const court of ['court-1', 'court-2']) {
      await repos.courts.insertCourt({ id: court, name: court, created_at: T0 });
      await repos.courts.insertCourtroom({
        id: `${court}-room`,
        court_id: court,
        name: 'Room',
        created_at: T0,
      });
      await repos.cases.insertCase({
        id: `${court}-case`,
        court_id: court,
        number: `${court}/1`,
        category: 'civil',
        created_at: T0,
      });
    }
    await repos.users.insert({
      id: 'judge-1',
      login: 'judge-1',
      display_name: 'Judge',
      role: 'judge',
      password_hash: 'x',
      locale: 'en',
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    });
    // 12 hearings, three at each creation time so the keyset's id tie-break is exercised.
    for (let n = 0; n < 12; n++) {
      const court = n % 2 === 0 ? 'court-1' : 'court-2';
      await repos.hearings.insert(
        hearingRow(`h-${String(n).padStart(2, '0')}`, T0 + Math.floor(n / 3), {
          courtroom_id: `${court}-room`,
          case_id: `${court}-case`,
          case_number: `${court}/1`,
          state: n < 4 ? 'stopped' : 'scheduled',
          started_at: T0 + n * HOUR,
          judge_user_id: n === 5 ? 'judge-1' : null,
        }),
      );
    }
  });
  afterAll(async () => t?.dispose());

  const all = async (q: Omit<HearingPageQuery, 'limit' | 'after'>, limit: number) => {
    const ids: string[] = [];
    let after: HearingPageQuery['after'];
    for (let i = 0; i < 20; i++) {
      const rows = await repos.hearings.page({ ...q, limit, after });
      ids.push(...rows.map((h) => h.id));
      if (rows.length < limit) break;
      const last = rows[rows.length - 1]!;
      after = { createdAt: last.created_at, id: last.id };
    }
    return ids;
  };

  it('pages newest first without repeating or skipping a row, ties broken by id', async () => {
    const expected = Array.from({ length: 12 }, (_, n) => `h-${String(11 - n).padStart(2, '0')}`);
    expect(await all({}, 5)).toEqual(expected);
    expect(await all({}, 3)).toEqual(expected);
  });

  it('filters by court, case number, state and time, and narrows to the reach given', async () => {
    expect(await all({ courtId: 'court-2' }, 4)).toEqual(['h-11', 'h-09', 'h-07', 'h-05', 'h-03', 'h-01']);
    expect(await all({ caseNumber: 'court-1/1', state: 'stopped' }, 10)).toEqual(['h-02', 'h-00']);
    expect(await all({ fromMs: T0 + 3 * HOUR, toMs: T0 + 6 * HOUR }, 10)).toEqual(['h-05', 'h-04', 'h-03']);
    expect(await all({ scope: { staffUserId: 'judge-1' } }, 10)).toEqual(['h-05']);
    expect(await all({ scope: { caseIds: ['court-1-case'] }, state: 'scheduled' }, 10)).toEqual([
      'h-10',
      'h-08',
      'h-06',
      'h-04',
    ]);
    expect(await all({ scope: { courtIds: ['court-2'], staffUserId: 'nobody' } }, 10)).toHaveLength(6);
    expect(await all({ scope: {} }, 10)).toEqual([]);
  });

  it('reads the sealed ranges of many hearings in one query, each in time order', async () => {
    for (const [id, hearing, start] of [
      ['s-2', 'h-01', 50],
      ['s-1', 'h-01', 10],
      ['s-3', 'h-02', 5],
      ['s-4', 'h-03', 1],
    ] as const)
      await repos.sealedRanges.insert({
        id,
        hearing_id: hearing,
        start_ms: T0 + start,
        end_ms: T0 + start + 5,
        reason: 'r',
        created_by: 'judge-1',
        created_at: T0,
      });
    const rows = await repos.sealedRanges.listByHearings(['h-01', 'h-02', 'h-09']);
    expect(rows.map((r) => [r.hearing_id, r.id])).toEqual([
      ['h-01', 's-1'],
      ['h-01', 's-2'],
      ['h-02', 's-3'],
    ]);
    expect(await repos.sealedRanges.listByHearings([])).toEqual([]);
  });
}

describe('hearing pages (SQLite)', () => pagesSuite('sqlite'));
describe.runIf(postgres)('hearing pages (PostgreSQL)', () => pagesSuite('postgres'));
