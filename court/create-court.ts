/**
 * Builds the court's services over the storage backends, once per hub process: the
 * adapters (the web hub, the workers) get services and never a repository. Reads that
 * answer authorised requests go through the catalog cache; writes pass through.
 */
import type { Clock, Logger } from '../core/index.ts';
import {
  AuditLog,
  UNTRACKED_CHANGES,
  cachedReads,
  type CatalogChanges,
  type JobQueue,
  type ObjectStore,
  type Repositories,
} from '../storage/index.ts';
import { AccessService } from './access.service.ts';
import { accountChanges } from './accounts/account-changes.ts';
import { API_TOKEN_USER_ID, ensureApiTokenAccount } from './accounts/api-token-account.ts';
import { SessionService, type SessionSettings } from './accounts/sessions.ts';
import { UserAccounts } from './accounts/users.service.ts';
import { ApprovalsService } from './approvals.service.ts';
import { AuditReadsService } from './audit-reads.service.ts';
import { CasesService } from './cases.service.ts';
import { CopiesService } from './copies.service.ts';
import { CourtsService } from './courts.service.ts';
import { HearingDeskService } from './hearing-desk.service.ts';
import { HearingReadsService } from './hearing-reads.service.ts';
import { HearingsService } from './hearings.service.ts';
import { PlaybackService } from './playback.service.ts';
import type { RecorderCommands } from './recorder-commands.ts';
import { RecorderNodesService } from './recorder-nodes.service.ts';
import type { Person } from './requester.ts';
import { SegmentRegistrationService } from './segment-registration.ts';

/** The storage a court runs on; the adapters hand it over without using it. */
export interface CourtBackends {
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** The catalog's change token: with it, cached reads are re-read as soon as the catalog changes. */
  catalogChanges?: CatalogChanges;
}

export interface CourtOptions {
  segmentSeconds: number;
  courtNetworks: readonly string[];
  sessionSettings: SessionSettings;
  presignExpirySeconds: number;
  /** Playback: a viewing idle this long is closed and its span audited (default 60 s). */
  playbackIdleSeconds?: number;
  /** Rows of hearings' media kept in memory by the playback service. */
  rowsCache: ConstructorParameters<typeof PlaybackService>[0]['rowsCache'];
}

/**
 * Forwards recording commands to the recorders' endpoint, which the web adapter makes
 * after the court (it needs the court's node service). Until then every courtroom is offline.
 */
export class RecorderCommandsRelay implements RecorderCommands {
  private target: RecorderCommands | null = null;

  connect(target: RecorderCommands): void {
    this.target = target;
  }

  nodeForCourtroom(courtroomId: string): string | null {
    return this.target?.nodeForCourtroom(courtroomId) ?? null;
  }

  async command(...args: Parameters<RecorderCommands['command']>): Promise<void> {
    if (!this.target) throw new Error('no recorder endpoint is connected to the court');
    await this.target.command(...args);
  }
}

export interface Court {
  audit: AuditLog;
  access: AccessService;
  sessions: SessionService;
  /** UserAccounts acting for this person (its changes are audited under their login). */
  accountsFor: (actor: Pick<Person, 'login'>) => UserAccounts;
  cases: CasesService;
  courts: CourtsService;
  approvals: ApprovalsService;
  nodes: RecorderNodesService;
  recorders: RecorderCommandsRelay;
  hearings: HearingsService;
  hearingReads: HearingReadsService;
  desk: HearingDeskService;
  registration: SegmentRegistrationService;
  playback: PlaybackService;
  copies: CopiesService;
  auditReads: AuditReadsService;
  /** Settles once the api-token account exists. */
  tokenAccountReady: Promise<unknown>;
}

export function createCourt(b: CourtBackends, o: CourtOptions): Court {
  const audit = new AuditLog(b.repos.auditLog, b.clock);
  const reads = cachedReads(b.repos, b.catalogChanges ?? UNTRACKED_CHANGES);
  const tokenAccountReady = ensureApiTokenAccount({ repos: b.repos, clock: b.clock });
  tokenAccountReady.catch((error: unknown) =>
    b.logger.error({ err: error }, 'could not make the api-token account; the token is refused'),
  );
  const sessions = new SessionService({
    repos: reads,
    clock: b.clock,
    logger: b.logger.child({ part: 'auth' }),
    settings: o.sessionSettings,
    audit,
  });
  const access = new AccessService({
    repos: reads,
    audit,
    clock: b.clock,
    logger: b.logger,
    courtNetworks: o.courtNetworks,
  });
  const cases = new CasesService({ repos: b.repos, access, audit, clock: b.clock });
  const courts = new CourtsService({ repos: b.repos, access, clock: b.clock });
  const accountsFor = (actor: Pick<Person, 'login'>) =>
    new UserAccounts({ repos: b.repos, clock: b.clock, audit, actor: actor.login });
  const approvals = new ApprovalsService({
    repos: b.repos,
    access,
    audit,
    clock: b.clock,
    cases,
    courts,
    accounts: accountChanges(accountsFor),
    machineAccountIds: [API_TOKEN_USER_ID],
  });
  const nodes = new RecorderNodesService({ repos: reads, access, clock: b.clock, logger: b.logger });
  const recorders = new RecorderCommandsRelay();
  const hearings = new HearingsService({
    cases,
    repos: reads,
    objects: b.objects,
    gateway: recorders,
    clock: b.clock,
    logger: b.logger,
    segmentSeconds: o.segmentSeconds,
  });
  return {
    audit,
    access,
    sessions,
    accountsFor,
    cases,
    courts,
    approvals,
    nodes,
    recorders,
    hearings,
    hearingReads: new HearingReadsService({ repos: reads, access, objects: b.objects, clock: b.clock }),
    desk: new HearingDeskService({ repos: b.repos, hearings, access, audit, clock: b.clock }),
    registration: new SegmentRegistrationService({
      repos: b.repos,
      objects: b.objects,
      queue: b.queue,
      clock: b.clock,
      logger: b.logger,
    }),
    playback: new PlaybackService({
      access,
      repos: reads,
      audit,
      clock: b.clock,
      logger: b.logger,
      changes: b.catalogChanges ?? UNTRACKED_CHANGES,
      rowsCache: o.rowsCache,
      ...(o.playbackIdleSeconds !== undefined ? { idleMs: o.playbackIdleSeconds * 1000 } : {}),
    }),
    copies: new CopiesService({
      repos: b.repos,
      access,
      objects: b.objects,
      queue: b.queue,
      audit,
      clock: b.clock,
      logger: b.logger,
      expirySeconds: o.presignExpirySeconds,
    }),
    auditReads: new AuditReadsService({ access, repos: b.repos }),
    tokenAccountReady,
  };
}
