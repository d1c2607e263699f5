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
import type { AuditEvent } from '../../storage/index.ts';
import { UnauthenticatedError, apiTokenPerson } from '../../court/index.ts';

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
