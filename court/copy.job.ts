/**
 * The `copy.make` job, kept thin: load the copy and its hearing; if either is
 * gone, log and return; otherwise the copies service makes it, deciding again who may
 * have what (copies.service.ts). The payload carries ids only: nothing decided when the
 * copy was asked for is trusted when it is made.
 */
import type { Logger } from '../core/index.ts';
import type { CopiesRepository, HearingsRepository, JobContext, JobPayloads } from '../storage/index.ts';
import type { CopiesService, CopyMedia } from './copies.service.ts';

export interface CopyMakeDeps {
  copies: Pick<CopiesRepository, 'find'>;
  hearings: Pick<HearingsRepository, 'find'>;
  service: Pick<CopiesService, 'make'>;
  media: CopyMedia;
  logger: Logger;
}

export function copyMakeHandler(deps: CopyMakeDeps) {
  return async (payload: JobPayloads['copy.make'], context: JobContext): Promise<void> => {
    const log = deps.logger.child({
      hearingId: payload.hearingId,
      copyId: payload.copyId,
      jobId: context.jobId,
    });
    const copy = await deps.copies.find(payload.copyId);
    if (!copy) {
      log.warn('the copy is gone; nothing made');
      return;
    }
    const hearing = await deps.hearings.find(copy.hearing_id);
    if (!hearing) {
      log.warn('the hearing is gone; no copy made');
      return;
    }
    await deps.service.make({ copy, hearing, media: deps.media, job: context, logger: log });
  };
}
