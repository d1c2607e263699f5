import type { Request } from 'express';
import { UnauthenticatedError, type Person } from '../../court/index.ts';

/**
 * The person behind an API request: the session's account, or the `api-token` account
 * for a request that carried the administrator token. Behind the API's gate there is
 * always one; a route reached without one is refused, never served as "nobody".
 */
export function personOf(req: Request): Person {
  if (!req.user) throw new UnauthenticatedError();
  return req.user;
}
