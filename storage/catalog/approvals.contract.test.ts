/**
 * Approvals (migration 0006) behave the same on SQLite and PostgreSQL: a proposal is stored
 * pending, listed newest first and by state, decided exactly once (the second decision
 * changes nothing), reopened only by the one who approved it, and refused when its
 * proposer is not an account or its state is not one of the three.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import { createRepositories, type Approval, type CatalogDialect, type Repositories } from './index.ts';

const postgres = await serviceAvailable('postgres', 'approvals catalog (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

const approval = (id: string, at: number, overrides: Partial<Approval> = {}): Approval => ({
  id,
  kind: 'case.assign',
  payload: JSON.stringify({ kind: 'case.assign', caseId: 'case-1', userLogin: 'hcj' }),
  summary: `assign hcj (${id})`,
  state: 'pending',
  proposed_by: 'u-admin-1',
  proposed_at: at,
  decided_by: null,
  decided_at: null,
  ...overrides,
});

function approvalsSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    for (const login of ['admin-1', 'admin-2'])
      await repos.users.insert({
        id: `u-${login}`,
        login,
        display_name: login,
        role: 'administrator',
        password_hash: 'x',
        locale: 'en',
        disabled_at: null,
        created_at: T0,
        updated_at: T0,
      });
  });
  afterAll(async () => t?.dispose());

  it('stores a proposal pending and reads it back as it was written, times as numbers', async () => {
    await repos.approvals.insert(approval('ap-1', T0));
    expect(await repos.approvals.find('ap-1')).toEqual(approval('ap-1', T0));
    expect(await repos.approvals.find('ap-none')).toBeUndefined();
  });

  it('lists newest first, and by state', async () => {
    await repos.approvals.insert(approval('ap-2', T0 + 10));
    expect((await repos.approvals.list()).map((a) => a.id)).toEqual(['ap-2', 'ap-1']);
    expect((await repos.approvals.list({ state: 'approved' })).map((a) => a.id)).toEqual([]);
  });

  it('decides a proposal once: the second decision, whichever, changes nothing', async () => {
    expect(await repos.approvals.decide('ap-1', { state: 'approved', by: 'u-admin-2', at: T0 + 20 })).toBe(
      true,
    );
    expect(await repos.approvals.decide('ap-1', { state: 'rejected', by: 'u-admin-1', at: T0 + 30 })).toBe(
      false,
    );
    expect(await repos.approvals.decide('ap-1', { state: 'approved', by: 'u-admin-1', at: T0 + 30 })).toBe(
      false,
    );
    expect(await repos.approvals.find('ap-1')).toMatchObject({
      state: 'approved',
      decided_by: 'u-admin-2',
      decided_at: T0 + 20,
    });
    expect((await repos.approvals.list({ state: 'pending' })).map((a) => a.id)).toEqual(['ap-2']);
  });

  it('reopens an approval only for the administrator who approved it', async () => {
    expect(await repos.approvals.reopen('ap-1', 'u-admin-1')).toBe(false);
    expect(await repos.approvals.reopen('ap-1', 'u-admin-2')).toBe(true);
    expect(await repos.approvals.find('ap-1')).toMatchObject({ state: 'pending', decided_by: null });
    expect(await repos.approvals.reopen('ap-1', 'u-admin-2')).toBe(false);
  });

  it('refuses a proposer who is no account, and a state that is not pending, approved or rejected', async () => {
    await expect(repos.approvals.insert(approval('ap-x', T0, { proposed_by: 'u-nobody' }))).rejects.toThrow();
    await expect(
      sql`insert into approvals (id, kind, payload, summary, state, proposed_by, proposed_at)
          values ('ap-y', 'case.assign', '{}', 's', 'maybe', 'u-admin-1', ${T0})`.execute(t.catalog.db),
    ).rejects.toThrow();
    expect(await repos.approvals.find('ap-x')).toBeUndefined();
  });
}

describe('approvals on SQLite', () => approvalsSuite('sqlite'));
describe.skipIf(!postgres)('approvals on PostgreSQL', () => approvalsSuite('postgres'));
