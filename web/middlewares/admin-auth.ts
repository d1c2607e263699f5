/**
 * Until user accounts exist, the API is guarded by one administrator token from
 * configuration, sent as `Authorization: Bearer <token>`; compared in constant time.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { HattamaError } from '../../core/index.ts';

export class UnauthenticatedError extends HattamaError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message, { expected: true, status: 401 });
  }
}

export function requireAdminToken(token: string): RequestHandler {
  const expected = crypto.createHash('sha256').update(token).digest();
  return (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const ok =
      given !== undefined &&
      crypto.timingSafeEqual(crypto.createHash('sha256').update(given).digest(), expected);
    next(
      ok
        ? undefined
        : new UnauthenticatedError('send the administrator token as "Authorization: Bearer <token>"'),
    );
  };
}
