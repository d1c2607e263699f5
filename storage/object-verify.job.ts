/**
 * The integrity job: streams a stored object, recomputes its SHA-256 and size, and
 * records the verdict on the segment. Runs off the request path (issue: registrations
 * are checked by a queued job, never while the recorder waits).
 */
import crypto from 'node:crypto';
import type { Clock, Logger } from '../core/index.ts';
import type { SegmentsRepository } from './catalog/index.ts';
import type { ObjectStore } from './objects/index.ts';
import type { JobPayloads } from './queue/index.ts';

export interface ObjectDigest {
  sha256: string;
  size: number;
}

/** Streams the object and returns what it really holds. */
export async function digestObject(objects: ObjectStore, key: string): Promise<ObjectDigest> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of await objects.get(key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function objectVerifyHandler(deps: {
  objects: ObjectStore;
  segments: SegmentsRepository;
  clock: Clock;
  logger: Logger;
}) {
  return async (payload: JobPayloads['object.verify']): Promise<void> => {
    const log = deps.logger.child({ key: payload.key });
    const digest = await digestObject(deps.objects, payload.key);
    const ok = digest.sha256 === payload.sha256 && digest.size === payload.size;
    await deps.segments.setVerifyState(payload.key, ok ? 'ok' : 'failed', deps.clock.now());
    if (ok) log.debug('object verified');
    else log.error({ expected: payload, actual: digest }, 'stored object does not match its registration');
  };
}
