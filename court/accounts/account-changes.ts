import type { AccountChanges } from '../approvals.service.ts';
import type { Person } from '../requester.ts';
import type { UserAccounts } from './users.service.ts';

/**
 * UserAccounts as the court's approvals reach them (AccountChanges): an approved account
 * gets a generated password, shown once to the administrator who approved it — the
 * proposer never knows it.
 */
export function accountChanges(accountsFor: (actor: Person) => UserAccounts): AccountChanges {
  const system: Person = {
    id: 'approvals',
    login: 'approvals',
    displayName: 'approvals',
    role: 'administrator',
  };
  return {
    checkCreate: (c) => accountsFor(system).checkNew(c),
    async create(c, actor) {
      const out = await accountsFor(actor).create({ ...c, password: undefined });
      return { user: out.user, password: out.generatedPassword };
    },
    async checkRole(c) {
      await accountsFor(system).get(c.login);
    },
    async setRole(c, actor) {
      return { user: await accountsFor(actor).setRole(c.login, c.role) };
    },
  };
}
