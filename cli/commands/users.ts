/**
 * `hattama users add|passwd|disable|enable|list`: user accounts in the catalog the
 * configuration names. A password comes from a file or stdin, never from the command
 * line (it would sit in the shell history and in `ps`); without one, a random password
 * is generated and printed once. Exit 0 done, 2 bad usage or unknown user, 3 backend.
 */
import fs from 'node:fs';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  createLogger,
  envIsSet,
  errorMessage,
  loadConfigWith,
} from '../../core/index.ts';
import { AuditLog, USER_ROLES } from '../../storage/index.ts';
import { UserAccounts, type PasswordOutcome, type UserView } from '../../court/index.ts';
import { openBackends } from '../backends.ts';
import { UsageError } from '../run-command.ts';

export interface UsersCommonOptions {
  /** Sets HATTAMA_DATA_DIR for this run only. */
  dataDir?: string;
  json?: boolean;
}

export interface PasswordSourceOptions {
  passwordFile?: string;
  passwordStdin?: boolean;
}

export interface UsersAddOptions extends UsersCommonOptions, PasswordSourceOptions {
  role: string;
  name?: string;
  locale?: string;
  /** Courts the user works at (repeatable --court). */
  court?: string[];
}

/** Runs `action` over the account service with the catalog open; maps refusals to exit 2. */
async function withAccounts<T>(
  options: UsersCommonOptions,
  action: (accounts: UserAccounts) => Promise<T>,
): Promise<T> {
  const config = loadConfigWith(options.dataDir === undefined ? {} : { HATTAMA_DATA_DIR: options.dataDir });
  // The command's output is its answer; only warnings go to the log unless asked for more.
  const logger = createLogger({ level: envIsSet('HATTAMA_LOG_LEVEL') ? config.logLevel : 'warn' });
  const backends = await openBackends(config, logger);
  try {
    const accounts = new UserAccounts({
      repos: backends.repos,
      clock: backends.clock,
      audit: new AuditLog(backends.repos.auditLog, backends.clock),
      actor: 'cli',
    });
    return await action(accounts);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError || error instanceof ConflictError)
      throw new UsageError(error.message);
    throw error;
  } finally {
    await backends.close();
  }
}

/** The password from --password-file or --password-stdin (one trailing newline dropped), or undefined. */
export function readPassword(options: PasswordSourceOptions): string | undefined {
  if (options.passwordFile !== undefined && options.passwordStdin)
    throw new UsageError('give either --password-file or --password-stdin, not both');
  let raw: string;
  if (options.passwordFile !== undefined) {
    try {
      raw = fs.readFileSync(options.passwordFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the password file ${options.passwordFile}: ${errorMessage(error)}`);
    }
  } else if (options.passwordStdin) {
    try {
      raw = fs.readFileSync(0, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the password from stdin: ${errorMessage(error)}`);
    }
  } else return undefined;
  const password = raw.replace(/\r?\n$/, '');
  if (password.length === 0) throw new UsageError('the password given is empty');
  return password;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printOutcome(outcome: PasswordOutcome, verb: string, options: UsersCommonOptions): void {
  const { user, generatedPassword } = outcome;
  if (options.json) {
    print(JSON.stringify({ user, ...(generatedPassword ? { password: generatedPassword } : {}) }));
    return;
  }
  print(`${verb} ${user.login} (${user.role}, "${user.displayName}")`);
  if (generatedPassword)
    print(
      `password: ${generatedPassword}\n(shown only this once; hand it over in person, or set another with "hattama users passwd")`,
    );
}

/**
 * Creates an account at once, whatever its role: the CLI is the host operator's tool and
 * acts with the host's authority over the catalog, which no approval stored in it could
 * restrain; it is also how the first administrator is made on an empty catalog. In the API,
 * administrators, higher-court judges and auditors wait for a second administrator
 * (docs/decisions/0018-separation-of-duties.md). The creation is audited (`user.create`
 * by `cli`, with the role).
 */
export async function usersAddCommand(login: string, options: UsersAddOptions): Promise<void> {
  if (!(USER_ROLES as readonly string[]).includes(options.role))
    throw new UsageError(`unknown role "${options.role}"; use one of ${USER_ROLES.join(', ')}`);
  const password = readPassword(options);
  const outcome = await withAccounts(options, (accounts) =>
    accounts.create({
      login,
      role: options.role,
      displayName: options.name,
      locale: options.locale,
      courtIds: options.court ?? [],
      password,
    }),
  );
  printOutcome(outcome, 'created user', options);
}

export async function usersPasswdCommand(
  login: string,
  options: UsersCommonOptions & PasswordSourceOptions,
): Promise<void> {
  const password = readPassword(options);
  const outcome = await withAccounts(options, (accounts) => accounts.setPassword(login, password));
  printOutcome(outcome, 'new password for', options);
}

export async function usersDisableCommand(login: string, options: UsersCommonOptions): Promise<void> {
  const { user, sessionsRevoked } = await withAccounts(options, (accounts) => accounts.disable(login));
  if (options.json) print(JSON.stringify({ user, sessionsRevoked }));
  else print(`disabled ${user.login}; ended ${sessionsRevoked} session(s)`);
}

export async function usersEnableCommand(login: string, options: UsersCommonOptions): Promise<void> {
  const user = await withAccounts(options, (accounts) => accounts.enable(login));
  if (options.json) print(JSON.stringify({ user }));
  else print(`enabled ${user.login}`);
}

export async function usersListCommand(options: UsersCommonOptions): Promise<void> {
  const users: UserView[] = await withAccounts(options, (accounts) => accounts.list());
  if (options.json) {
    print(JSON.stringify(users));
    return;
  }
  if (users.length === 0) {
    print('no users; add one with "hattama users add <login> --role <role>"');
    return;
  }
  const w = (header: string, k: keyof UserView) =>
    Math.max(header.length, ...users.map((u) => String(u[k]).length));
  const [wl, wr, wn] = [w('login', 'login'), w('role', 'role'), w('name', 'displayName')];
  print(`${'login'.padEnd(wl)}  ${'role'.padEnd(wr)}  ${'name'.padEnd(wn)}  ${'state'.padEnd(8)}  courts`);
  for (const u of users)
    print(
      `${u.login.padEnd(wl)}  ${u.role.padEnd(wr)}  ${u.displayName.padEnd(wn)}  ${(u.disabled ? 'disabled' : 'active').padEnd(8)}  ${(u.courtIds ?? []).join(',')}`.trimEnd(),
    );
}
