import type { Request } from 'express';
import type { Requester } from '../../court/index.ts';
import { originOf } from './origin.ts';
import { personOf } from './person.ts';

/** Who asks and from where, as the court's services take it. */
export function requesterOf(req: Request): Requester {
  return { person: personOf(req), origin: originOf(req) };
}
