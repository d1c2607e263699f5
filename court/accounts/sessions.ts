/**
 * Log-in sessions kept in the catalog, so any hub process can serve any request.
 *
 * - The browser holds a random 256-bit token; the catalog holds only its SHA-256, so a
 *   copy of the database logs nobody in. The CSRF token is an HMAC of the session token:
 *   readable by the page, useless for logging in, and never stored.
 * - A session ends when it is revoked (log-out, new password, disabled user), after
 *   `idleMs` without requests, or `absoluteMs` after the log-in, whichever comes first.
 * - Log-in is rate-limited per account and per address in fixed windows counted in the
 *   catalog (every hub process sees the same counts). Each attempt is counted *before*
 *   the password is checked, so a burst of parallel guesses cannot slip under the limit;
 *   a successful log-in takes its own count back from the address (it does not reset
 *   it) and clears the account's.
 * - Wrong login, wrong password and disabled account get the same answer in about the
 *   same time (an unknown login is checked against a dummy hash).
 * - The audit log names the account by its login. A failed attempt is one entry until a
 *   limit is reached (so at most the address limit of typed logins per address and
 *   window); past it, only the attempt that crossed the limit is written.
 * - Passwords and tokens are never logged.
 */
import crypto from 'node:crypto';
import type { Clock, Config, Logger } from '../../core/index.ts';
import type { AuditEvent, Repositories, User, UserLocale, UserRole } from '../../storage/index.ts';
import { LoginFailedError, LoginRateLimitedError } from './errors.ts';
import {
  PASSWORD_MAX_LENGTH,
  dummyPasswordHash,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './passwords.ts';
import { LOGIN_PATTERN, normalizeLogin } from './users.service.ts';

export interface SessionSettings {
  /** A session without requests for this long ends. */
  idleMs: number;
  /** A session ends this long after its log-in. */
  absoluteMs: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  /** Window in which failures are counted. */
  windowMs: number;
}

export function sessionSettingsFromConfig(config: Config): SessionSettings {
  return {
    idleMs: config.sessionIdleMinutes * 60_000,
    absoluteMs: config.sessionMaxHours * 3_600_000,
    maxFailuresPerAccount: config.loginMaxFailuresPerAccount,
    maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
    windowMs: config.loginWindowMinutes * 60_000,
  };
}

/** The logged-in user as the rest of the hub sees it (the policy's viewer). */
export interface AuthUser {
  id: string;
  login: string;
  displayName: string;
  role: UserRole;
  locale: UserLocale;
}

export interface ResolvedSession {
  user: AuthUser;
  /** SHA-256 of the token: safe to log and to put in the audit log. */
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
}

export interface LoginResult extends ResolvedSession {
  /** The session token, for the cookie only. */
  token: string;
}

export interface LoginInput {
  login: string;
  password: string;
  /** The client's address, for the per-address limit and the audit log. */
  address: string | undefined;
  /** The token this browser presented, if any: that session is ended (rotation at log-in). */
  priorToken?: string | undefined;
}

export interface SessionServiceDeps {
  repos: Pick<Repositories, 'users' | 'sessions' | 'loginAttempts'>;
  clock: Clock;
  logger: Logger;
  settings: SessionSettings;
  /** Log-ins, refusals and log-outs are appended here when given. */
  audit?: { append(event: AuditEvent): Promise<unknown> };
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const CSRF_CONTEXT = 'hattama-csrf-v1';

export function hashSessionToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** The CSRF token of a session: HMAC-SHA256 keyed by the session token. */
export function csrfTokenFor(token: string): string {
  return crypto.createHmac('sha256', token).update(CSRF_CONTEXT).digest('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address; missing becomes `unknown`. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** Why a presented session token does not log anyone in. */
export type SessionRefusal =
  | 'malformed-session'
  | 'unknown-session'
  | 'user-disabled'
  | 'session-revoked'
  | 'session-expired'
  | 'session-idle';

/** Why a stored session no longer counts, or null while it is live. */
function endOf(
  session: { revoked_at: number | null; expires_at: number; last_seen_at: number },
  user: User,
  now: number,
  idleMs: number,
): SessionRefusal | null {
  if (user.disabled_at !== null) return 'user-disabled';
  if (session.revoked_at !== null) return 'session-revoked';
  if (now >= session.expires_at) return 'session-expired';
  if (now >= session.last_seen_at + idleMs) return 'session-idle';
  return null;
}

export function authUser(u: User): AuthUser {
  return { id: u.id, login: u.login, displayName: u.display_name, role: u.role, locale: u.locale };
}

export class SessionService {
  constructor(private readonly d: SessionServiceDeps) {}

  get settings(): SessionSettings {
    return this.d.settings;
  }

  async login(input: LoginInput): Promise<LoginResult> {
    const { repos, clock, settings } = this.d;
    const login = normalizeLogin(input.login);
    const loginValid = LOGIN_PATTERN.test(login);
    const address = normalizeAddress(input.address);
    const now = clock.now();

    // Count first, check after: parallel guesses each see the others' counts.
    const addrKey = `addr:${address}`;
    const userKey = loginValid ? `user:${login}` : null;
    const addr = await repos.loginAttempts.increment(addrKey, now, settings.windowMs);
    const acct = userKey ? await repos.loginAttempts.increment(userKey, now, settings.windowMs) : null;
    const retryAts: number[] = [];
    if (addr.failures > settings.maxFailuresPerAddress)
      retryAts.push(addr.window_start_ms + settings.windowMs);
    if (acct && acct.failures > settings.maxFailuresPerAccount)
      retryAts.push(acct.window_start_ms + settings.windowMs);
    if (retryAts.length > 0) {
      const retryAt = Math.max(...retryAts);
      this.d.logger.warn(
        { login: loginValid ? login : null, address, retryAt },
        'log-in refused: too many failures',
      );
      // Once per limit and window, not once per attempt: a locked-out address could
      // otherwise write an entry (naming a login of its choice) with every request. The
      // attempts after it are counted in login_attempts, which the limit reads.
      const crossed =
        addr.failures === settings.maxFailuresPerAddress + 1 ||
        (acct !== null && acct.failures === settings.maxFailuresPerAccount + 1);
      if (crossed)
        await this.audit({
          action: 'auth.login',
          address,
          login: loginValid ? login : null,
          user: loginValid ? await repos.users.findByLogin(login) : undefined,
          verdict: 'refuse',
          reason: 'rate-limited',
        });
      throw new LoginRateLimitedError(retryAt, now);
    }

    const user = loginValid ? await repos.users.findByLogin(login) : undefined;
    const passwordUsable = input.password.length > 0 && input.password.length <= PASSWORD_MAX_LENGTH;
    const hash = user?.password_hash ?? (await dummyPasswordHash());
    const matches = passwordUsable && (await verifyPassword(input.password, hash));
    if (!user || !matches || user.disabled_at !== null) {
      const reason = !user ? 'unknown-login' : !matches ? 'wrong-password' : 'disabled';
      this.d.logger.info({ userId: user?.id ?? null, address, reason }, 'log-in refused');
      await this.audit({
        action: 'auth.login',
        address,
        login: loginValid ? login : null,
        user,
        verdict: 'refuse',
        reason,
      });
      throw new LoginFailedError();
    }

    // A success clears the account's failures and takes back its own count from the
    // address, without forgiving the address's earlier failures.
    await repos.loginAttempts.reset(userKey!);
    await repos.loginAttempts.decrement(addrKey);

    if (input.priorToken && TOKEN_PATTERN.test(input.priorToken))
      await repos.sessions.revoke(hashSessionToken(input.priorToken), now);

    const token = crypto.randomBytes(32).toString('base64url');
    const sessionId = hashSessionToken(token);
    const expiresAt = now + settings.absoluteMs;
    await repos.sessions.insert({
      id: sessionId,
      user_id: user.id,
      created_at: now,
      expires_at: expiresAt,
      last_seen_at: now,
      address,
      revoked_at: null,
    });
    this.d.logger.info({ userId: user.id, address }, 'logged in');
    await this.audit({ action: 'auth.login', address, login, user, verdict: 'allow', reason: null });
    if (needsRehash(user.password_hash)) await this.rehash(user, input.password);
    return { token, sessionId, csrfToken: csrfTokenFor(token), user: authUser(user), expiresAt };
  }

  /**
   * The live session of a token and its user, or null when the token is unknown,
   * malformed, revoked, idle too long, past its absolute end, or its user is disabled.
   */
  async resolve(token: string | undefined): Promise<ResolvedSession | null> {
    if (!token || !TOKEN_PATTERN.test(token)) return null;
    const { repos, clock, settings } = this.d;
    const sessionId = hashSessionToken(token);
    const found = await repos.sessions.findWithUser(sessionId);
    if (!found) return null;
    const { session, user } = found;
    const now = clock.now();
    if (endOf(session, user, now, settings.idleMs) !== null) return null;
    // One write per minute at most (or per tenth of the idle time), not one per request.
    if (now - session.last_seen_at >= Math.min(60_000, settings.idleMs / 10))
      await repos.sessions.touch(sessionId, now);
    // The CSRF token is an HMAC: made only when asked for (the log-in answer, /me, a
    // state-changing request), not on every GET.
    let csrfToken: string | undefined;
    return {
      user: authUser(user),
      sessionId,
      get csrfToken() {
        return (csrfToken ??= csrfTokenFor(token));
      },
      expiresAt: Math.min(session.expires_at, now + settings.idleMs),
    };
  }

  /**
   * Why a presented token is not a live session, and whose it was where it names one;
   * null when it is live. For the audit log of the refusal that follows (the hot path
   * uses `resolve`, which says only yes or no).
   */
  async whyNotLive(token: string): Promise<{ reason: SessionRefusal; user: AuthUser | null } | null> {
    if (!TOKEN_PATTERN.test(token)) return { reason: 'malformed-session', user: null };
    const found = await this.d.repos.sessions.findWithUser(hashSessionToken(token));
    if (!found) return { reason: 'unknown-session', user: null };
    const reason = endOf(found.session, found.user, this.d.clock.now(), this.d.settings.idleMs);
    return reason === null ? null : { reason, user: authUser(found.user) };
  }

  /** Ends the token's session; returns whether a live session ended. */
  async logout(token: string | undefined, address?: string): Promise<boolean> {
    if (!token || !TOKEN_PATTERN.test(token)) return false;
    const sessionId = hashSessionToken(token);
    const found = await this.d.repos.sessions.findWithUser(sessionId);
    const ended = await this.d.repos.sessions.revoke(sessionId, this.d.clock.now());
    if (ended && found) {
      this.d.logger.info({ userId: found.user.id }, 'logged out');
      await this.audit({
        action: 'auth.logout',
        address: normalizeAddress(address),
        login: found.user.login,
        user: found.user,
        verdict: 'info',
        reason: null,
      });
    }
    return ended;
  }

  /** Whether `given` is the CSRF token of the session of `token` (constant time). */
  verifyCsrf(token: string, given: string | undefined): boolean {
    return given !== undefined && given.length > 0 && safeEqual(csrfTokenFor(token), given);
  }

  /** Deletes ended sessions and stale failure windows; call it now and then (e.g. hourly). */
  async purgeExpired(): Promise<{ sessions: number; loginAttempts: number }> {
    const now = this.d.clock.now();
    return {
      sessions: await this.d.repos.sessions.deleteEnded(now),
      loginAttempts: await this.d.repos.loginAttempts.deleteOlderThan(now - this.d.settings.windowMs),
    };
  }

  private async rehash(user: User, password: string): Promise<void> {
    try {
      const next = await hashPassword(password);
      await this.d.repos.users.replacePasswordHash(user.id, user.password_hash, next, this.d.clock.now());
    } catch (error) {
      // The log-in succeeded; an old-parameter hash stays usable until the next one.
      this.d.logger.warn({ err: error, userId: user.id }, 'could not upgrade a password hash');
    }
  }

  private async audit(e: {
    action: string;
    address: string;
    login: string | null;
    user?: User | undefined;
    verdict: 'allow' | 'refuse' | 'info';
    reason: string | null;
  }): Promise<void> {
    if (!this.d.audit) return;
    await this.d.audit.append({
      // The account by its login, as every other entry names a person; an attempt on no
      // account names nobody (`anonymous`), and its typed login goes to `target` only.
      actor: e.user?.login ?? 'anonymous',
      role: e.user?.role ?? null,
      action: e.action,
      // Only a well-formed login is recorded: people sometimes type a password there.
      target: e.login === null ? null : `user:${e.login}`,
      address: e.address,
      verdict: e.verdict,
      reason: e.reason,
    });
  }
}
