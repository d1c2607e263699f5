import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/index.ts';
import { createRepositories, type Repositories } from '../../storage/index.ts';
import { openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { DEMO_USERS, seedDemoUsers } from './demo-users.ts';
import { verifyPassword } from './passwords.ts';

describe('demo users', () => {
  let t: TestCatalog;
  let repos: Repositories;
  const clock = new FakeClock('2026-03-02T09:00:00.000Z');

  beforeAll(async () => {
    t = await openTestCatalog('sqlite');
    repos = createRepositories(t.catalog.db);
  });
  afterAll(async () => t?.dispose());

  it('creates one user per role with a one-time password each', async () => {
    await repos.courts.insertCourt({
      id: 'demo-court',
      name: 'Demo District Court',
      created_at: clock.now(),
    });
    const seeded = await seedDemoUsers(repos, { clock, courtId: 'demo-court' });
    expect(seeded.map((s) => [s.login, s.role])).toEqual([
      ['demo-admin', 'administrator'],
      ['demo-operator', 'operator'],
      ['demo-secretary', 'secretary'],
      ['demo-judge', 'judge'],
      ['demo-party', 'party'],
      ['demo-representative', 'representative'],
      ['demo-higher-judge', 'higher-court-judge'],
      ['demo-auditor', 'auditor'],
    ]);
    expect(new Set(seeded.map((s) => s.password)).size).toBe(DEMO_USERS.length);
    for (const s of seeded) {
      expect(s.created).toBe(true);
      const user = await repos.users.findByLogin(s.login);
      expect(await verifyPassword(s.password!, user!.password_hash)).toBe(true);
      const courts = await repos.users.courtIds(user!.id);
      expect(courts, s.login).toEqual(
        ['operator', 'secretary', 'judge'].includes(s.role) ? ['demo-court'] : [],
      );
    }
  });

  it('changes nothing when run again, and shows no password for existing users', async () => {
    const before = await repos.users.list();
    const again = await seedDemoUsers(repos, { clock, courtId: 'demo-court' });
    expect(again.every((s) => !s.created && s.password === null)).toBe(true);
    expect(await repos.users.list()).toEqual(before);
  });

  it('sets the given demo password on every demo user, new or existing', async () => {
    const seeded = await seedDemoUsers(repos, { clock, password: 'scripted-trial-password' });
    expect(seeded.every((s) => s.password === 'scripted-trial-password')).toBe(true);
    for (const s of seeded) {
      const user = await repos.users.findByLogin(s.login);
      expect(await verifyPassword('scripted-trial-password', user!.password_hash)).toBe(true);
    }
    expect((await repos.users.list()).length).toBe(DEMO_USERS.length);
  });
});
