/**
 * Creating and maintaining user accounts: the rules shared by `hattama users`, the demo
 * seed and (later) the administrator's pages. Passwords are hashed here and nowhere
 * else; a new password or a disabled account ends every session of that user.
 */
import crypto from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, isoTime, type Clock } from '../../core/index.ts';
import {
  USER_LOCALES,
  USER_ROLES,
  type AuditEvent,
  type Repositories,
  type User,
  type UserLocale,
  type UserRole,
} from '../../storage/index.ts';
import { assertAcceptablePassword, generatePassword, hashPassword } from './passwords.ts';

/** Log-in names: lower-case letters, digits, `.`, `_`, `-`; 2-64 characters. */
export const LOGIN_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** How a typed login is compared: Unicode NFC, trimmed, lower-case. */
export function normalizeLogin(login: string): string {
  return login.normalize('NFC').trim().toLowerCase();
}

export function isUserRole(value: string): value is UserRole {
  return (USER_ROLES as readonly string[]).includes(value);
}

/** What may be shown of an account: never its password hash. */
export interface UserView {
  id: string;
  login: string;
  displayName: string;
  role: UserRole;
  locale: UserLocale;
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  /** Present where the caller loaded them. */
  courtIds?: string[];
}

export function userView(u: User, courtIds?: string[]): UserView {
  return {
    id: u.id,
    login: u.login,
    displayName: u.display_name,
    role: u.role,
    locale: u.locale,
    disabled: u.disabled_at !== null,
    disabledAt: u.disabled_at === null ? null : isoTime(u.disabled_at),
    createdAt: isoTime(u.created_at),
    ...(courtIds ? { courtIds } : {}),
  };
}

export interface CreateUserInput {
  login: string;
  role: string;
  displayName?: string;
  /** Omitted: a random password is generated and returned once. */
  password?: string;
  locale?: string;
  /** Courts the account works at (operators, secretaries); each must exist. */
  courtIds?: readonly string[];
}

export interface PasswordOutcome {
  user: UserView;
  /** The generated password, to be shown exactly once; null when the caller chose one. */
  generatedPassword: string | null;
}

export interface UserAccountsDeps {
  repos: Pick<Repositories, 'users' | 'sessions' | 'courts'>;
  clock: Clock;
  /** Account changes are access-data changes: recorded when an audit log is given. */
  audit?: { append(event: AuditEvent): Promise<unknown> };
  /** Who makes the changes, for the audit log (`cli`, a user id). */
  actor?: string;
}

export class UserAccounts {
  constructor(private readonly d: UserAccountsDeps) {}

  async get(login: string): Promise<User> {
    const user = await this.d.repos.users.findByLogin(normalizeLogin(login));
    if (!user)
      throw new NotFoundError(`there is no user "${normalizeLogin(login)}"`, {
        login: normalizeLogin(login),
      });
    return user;
  }

  async list(): Promise<UserView[]> {
    const users = await this.d.repos.users.list();
    return Promise.all(users.map(async (u) => userView(u, await this.d.repos.users.courtIds(u.id))));
  }

  /** Refuses (400, 409) an account that `create` would refuse, without making it. */
  async checkNew(input: Omit<CreateUserInput, 'password'>): Promise<void> {
    await this.validate({ ...input, password: undefined });
  }

  async create(input: CreateUserInput): Promise<PasswordOutcome> {
    const { login, role, locale, displayName, generated, password, courtIds } = await this.validate(input);
    const now = this.d.clock.now();
    const user: User = {
      id: crypto.randomUUID(),
      login,
      display_name: displayName,
      role,
      password_hash: await hashPassword(password),
      locale,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.d.repos.users.insert(user);
    } catch (error) {
      // Another process created the same login meanwhile: the unique index decided.
      if (await this.d.repos.users.findByLogin(login))
        throw new ConflictError(`user "${login}" already exists`, { login });
      throw error;
    }
    for (const courtId of courtIds) await this.d.repos.users.addCourt(user.id, courtId, now);
    await this.record(
      'user.create',
      user,
      `role ${user.role}${courtIds.length ? `; courts ${courtIds.join(', ')}` : ''}`,
    );
    return { user: userView(user, courtIds), generatedPassword: generated };
  }

  /** Gives an account another role and ends its sessions (they carried the old one). */
  async setRole(login: string, role: string): Promise<UserView> {
    const user = await this.get(login);
    if (!isUserRole(role))
      throw new ValidationError(`invalid role "${role}": use one of ${USER_ROLES.join(', ')}`, {
        field: 'role',
      });
    if (user.role === role) return userView(user, await this.d.repos.users.courtIds(user.id));
    const now = this.d.clock.now();
    await this.d.repos.users.update(user.id, { role, updated_at: now });
    await this.d.repos.sessions.revokeAllForUser(user.id, now);
    await this.record('user.role', user, `role ${user.role} -> ${role}`);
    return userView({ ...user, role, updated_at: now }, await this.d.repos.users.courtIds(user.id));
  }

  private async validate(input: CreateUserInput) {
    const login = normalizeLogin(input.login);
    if (!LOGIN_PATTERN.test(login))
      throw new ValidationError(
        `invalid login "${input.login}": use 2-64 of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`,
        { field: 'login' },
      );
    if (!isUserRole(input.role))
      throw new ValidationError(`invalid role "${input.role}": use one of ${USER_ROLES.join(', ')}`, {
        field: 'role',
      });
    const locale = input.locale ?? 'ru';
    if (!(USER_LOCALES as readonly string[]).includes(locale))
      throw new ValidationError(`invalid locale "${locale}": use one of ${USER_LOCALES.join(', ')}`, {
        field: 'locale',
      });
    const displayName = (input.displayName ?? login).trim();
    if (displayName.length === 0 || displayName.length > 200)
      throw new ValidationError('the display name must have 1-200 characters', { field: 'displayName' });
    const generated = input.password === undefined ? generatePassword() : null;
    const password = input.password ?? generated!;
    assertAcceptablePassword(password);
    const courtIds = [...new Set(input.courtIds ?? [])].sort();
    for (const courtId of courtIds)
      if (!(await this.d.repos.courts.findCourt(courtId)))
        throw new ValidationError(`court "${courtId}" does not exist`, { field: 'courtIds' });

    if (await this.d.repos.users.findByLogin(login))
      throw new ConflictError(`user "${login}" already exists`, { login });
    return {
      login,
      role: input.role,
      locale: locale as UserLocale,
      displayName,
      generated,
      password,
      courtIds,
    };
  }

  /** Sets a new password (given, or generated and returned once) and ends the user's sessions. */
  async setPassword(login: string, password?: string): Promise<PasswordOutcome> {
    const user = await this.get(login);
    const generated = password === undefined ? generatePassword() : null;
    const next = password ?? generated!;
    assertAcceptablePassword(next);
    const now = this.d.clock.now();
    await this.d.repos.users.update(user.id, { password_hash: await hashPassword(next), updated_at: now });
    await this.d.repos.sessions.revokeAllForUser(user.id, now);
    await this.record('user.password', user, null);
    return { user: userView({ ...user, updated_at: now }), generatedPassword: generated };
  }

  /** Links an account to a court it works at; linking twice changes nothing. */
  async addCourt(login: string, courtId: string): Promise<UserView> {
    const user = await this.get(login);
    if (!(await this.d.repos.courts.findCourt(courtId)))
      throw new ValidationError(`court "${courtId}" does not exist`, { field: 'courtId' });
    if (await this.d.repos.users.addCourt(user.id, courtId, this.d.clock.now()))
      await this.record('user.court.add', user, `court ${courtId}`);
    return userView(user, await this.d.repos.users.courtIds(user.id));
  }

  /** Disables an account and ends its sessions; disabling twice changes nothing more. */
  async disable(login: string): Promise<{ user: UserView; sessionsRevoked: number }> {
    const user = await this.get(login);
    const now = this.d.clock.now();
    const disabledAt = user.disabled_at ?? now;
    if (user.disabled_at === null)
      await this.d.repos.users.update(user.id, { disabled_at: now, updated_at: now });
    const sessionsRevoked = await this.d.repos.sessions.revokeAllForUser(user.id, now);
    if (user.disabled_at === null) await this.record('user.disable', user, null);
    return { user: userView({ ...user, disabled_at: disabledAt }), sessionsRevoked };
  }

  async enable(login: string): Promise<UserView> {
    const user = await this.get(login);
    if (user.disabled_at === null) return userView(user);
    const now = this.d.clock.now();
    await this.d.repos.users.update(user.id, { disabled_at: null, updated_at: now });
    await this.record('user.enable', user, null);
    return userView({ ...user, disabled_at: null });
  }

  private async record(action: string, user: User, reason: string | null): Promise<void> {
    await this.d.audit?.append({
      actor: this.d.actor ?? 'system',
      action,
      target: `user:${user.login}`,
      verdict: 'info',
      reason,
    });
  }
}
