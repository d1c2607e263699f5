/**
 * The administrator's API token (`Authorization: Bearer …`, for scripts). It is not a way
 * round the court's rules: a request that carries it acts as the account `api-token`, an
 * administrator under the same policy as every other (administrators manage courts,
 * accounts and recorder nodes and see no evidence), and every use of it is in the audit
 * log. The account has no password, so nobody logs in as it; `hattama users disable
 * api-token` turns the token off without a restart.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Clock } from '../../core/index.ts';
import type { AuditEvent, Repositories } from '../../storage/index.ts';
import { UnauthenticatedError } from './errors.ts';
import type { AuthUser } from './sessions.ts';

export const API_TOKEN_LOGIN = 'api-token';
export const API_TOKEN_USER_ID = 'u-api-token';
/** Not a scrypt hash: no password verifies against it (passwords.ts decodes it to nothing). */
const NO_PASSWORD = 'none$api-token-account';

/** The account the token acts as; made on the hub's first start. */
export async function ensureApiTokenAccount(d: {
  repos: Pick<Repositories, 'users'>;
  clock: Clock;
}): Promise<AuthUser> {
  const existing = await d.repos.users.find(API_TOKEN_USER_ID);
  if (!existing) {
    const now = d.clock.now();
    await d.repos.users
      .insert({
        id: API_TOKEN_USER_ID,
        login: API_TOKEN_LOGIN,
        display_name: 'Administrator (API token)',
        role: 'administrator',
        password_hash: NO_PASSWORD,
        locale: 'en',
        disabled_at: null,
        created_at: now,
        updated_at: now,
      })
      // Two hubs starting on one catalog: the other made it.
      .catch(async (error: unknown) => {
        if (!(await d.repos.users.find(API_TOKEN_USER_ID))) throw error;
      });
  }
  return apiTokenPerson();
}

export function apiTokenPerson(): AuthUser {
  return {
    id: API_TOKEN_USER_ID,
    login: API_TOKEN_LOGIN,
    displayName: 'Administrator (API token)',
    role: 'administrator',
    locale: 'en',
  };
}

/**
 * Lets a request without a session through when it carries the token (compared in
 * constant time), as the `api-token` account, and audits the use: who (the account), what
 * (method and path), from where. Anything else is 401.
 */
export function apiTokenGate(o: {
  token: string;
  audit: { append(event: AuditEvent): Promise<unknown> };
  /** Settles once the account exists (ensureApiTokenAccount). */
  accountReady: Promise<unknown>;
}): RequestHandler {
  const expected = crypto.createHash('sha256').update(o.token).digest();
  const person = apiTokenPerson();
  return (req, _res, next) => {
    if (req.user) return next();
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const ok =
      given !== undefined &&
      crypto.timingSafeEqual(crypto.createHash('sha256').update(given).digest(), expected);
    if (!ok)
      return next(
        new UnauthenticatedError(
          'log in, or send the administrator API token as "Authorization: Bearer <token>"',
        ),
      );
    req.user = person;
    o.accountReady
      .then(() =>
        o.audit.append({
          actor: person.login,
          role: person.role,
          action: 'api-token.use',
          target: `${req.method} ${req.originalUrl.slice(0, 300)}`,
          address: req.socket.remoteAddress ?? null,
          verdict: 'info',
        }),
      )
      .then(() => next(), next);
  };
}
