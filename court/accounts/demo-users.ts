/**
 * The embedded demo's accounts: one per role, log-in names `demo-<role>`. Idempotent:
 * an existing account keeps its password unless a known demo password is given
 * (HATTAMA_DEMO_PASSWORD), which is then (re)set so scripted trials can rely on it.
 * Prints nothing: the caller shows the one-time passwords once.
 */
import type { Clock } from '../../core/index.ts';
import type { AuditEvent, Repositories, UserRole } from '../../storage/index.ts';
import { verifyPassword } from './passwords.ts';
import { UserAccounts } from './users.service.ts';

export const DEMO_USERS: readonly { login: string; role: UserRole; displayName: string }[] = [
  { login: 'demo-admin', role: 'administrator', displayName: 'Demo Administrator' },
  { login: 'demo-operator', role: 'operator', displayName: 'Demo Operator' },
  { login: 'demo-secretary', role: 'secretary', displayName: 'Demo Secretary' },
  { login: 'demo-judge', role: 'judge', displayName: 'Demo Judge' },
  { login: 'demo-party', role: 'party', displayName: 'Demo Party' },
  { login: 'demo-representative', role: 'representative', displayName: 'Demo Representative' },
  { login: 'demo-higher-judge', role: 'higher-court-judge', displayName: 'Demo Higher-Court Judge' },
  { login: 'demo-auditor', role: 'auditor', displayName: 'Demo Auditor' },
];

export interface DemoUserSeed {
  login: string;
  role: UserRole;
  userId: string;
  /** Whether this call created the account. */
  created: boolean;
  /**
   * The password to show: the generated one-time password of a new account, or the
   * given demo password; null for an account that already existed (its password is
   * unchanged and was shown when it was made).
   */
  password: string | null;
}

/** Roles whose work is tied to a court: their demo accounts are linked to the demo court. */
const COURT_STAFF: readonly UserRole[] = ['operator', 'secretary', 'judge'];

export interface SeedDemoUsersOptions {
  /** One known password for every demo user (HATTAMA_DEMO_PASSWORD); unset = one-time passwords. */
  password?: string | undefined;
  clock: Clock;
  /** The demo court: its operator, secretary and judge are linked to it. It must exist. */
  courtId?: string | undefined;
  /** Where the accounts' creation is recorded, if given. */
  audit?: { append(event: AuditEvent): Promise<unknown> } | undefined;
}

export async function seedDemoUsers(
  repos: Pick<Repositories, 'users' | 'sessions' | 'courts'>,
  options: SeedDemoUsersOptions,
): Promise<DemoUserSeed[]> {
  const accounts = new UserAccounts({
    repos,
    clock: options.clock,
    actor: 'demo-seed',
    audit: options.audit,
  });
  const seeded: DemoUserSeed[] = [];
  for (const demo of DEMO_USERS) {
    const courtIds =
      options.courtId !== undefined && COURT_STAFF.includes(demo.role) ? [options.courtId] : [];
    const existing = await repos.users.findByLogin(demo.login);
    if (!existing) {
      const { user, generatedPassword } = await accounts.create({
        login: demo.login,
        role: demo.role,
        displayName: demo.displayName,
        password: options.password,
        courtIds,
      });
      seeded.push({
        login: demo.login,
        role: demo.role,
        userId: user.id,
        created: true,
        password: options.password ?? generatedPassword,
      });
      continue;
    }
    if (options.password !== undefined && !(await verifyPassword(options.password, existing.password_hash)))
      await accounts.setPassword(demo.login, options.password);
    for (const courtId of courtIds) await accounts.addCourt(demo.login, courtId);
    seeded.push({
      login: demo.login,
      role: existing.role,
      userId: existing.id,
      created: false,
      password: options.password ?? null,
    });
  }
  return seeded;
}
