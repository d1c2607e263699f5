/**
 * Wires the hub's parts: the recorder gateway, the live feed, the hearing, registration
 * and access services, sessions, and the express app with its routes. Built over the
 * storage backends it is given; nothing here chooses a driver.
 */
import type http from 'node:http';
import type { Express } from 'express';
import crypto from 'node:crypto';
import { loadConfig, type Clock, type Logger } from '../../core/index.ts';
import {
  AuditLog,
  UNTRACKED_CHANGES,
  UrlSigner,
  cachedReads,
  type CatalogChanges,
  type JobQueue,
  type ObjectStore,
  type Repositories,
} from '../../storage/index.ts';
import { createApp } from '../app.ts';
import {
  API_TOKEN_USER_ID,
  UserAccounts,
  apiTokenGate,
  authOptionsFromConfig,
  createAuth,
  ensureApiTokenAccount,
  type Auth,
  type AuthOptions,
} from '../auth/index.ts';
import { openApiRoutes } from '../openapi/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { accountChanges, adminRoutes } from '../routes/admin.routes.ts';
import { auditRoutes } from '../routes/audit.routes.ts';
import { copiesRoutes } from '../routes/copies.routes.ts';
import type { BackendProbe } from '../routes/health.routes.ts';
import { hearingsRoutes } from '../routes/hearings.routes.ts';
import { playerRoutes } from '../routes/player.routes.ts';
import { recordersRoutes } from '../routes/recorders.routes.ts';
import { uiRoutes } from '../ui/ui.routes.ts';
import { HearingMediaCache, hlsJsFile } from '../player/index.ts';
import {
  AccessService,
  ApprovalsService,
  AuditReadsService,
  CasesService,
  CopiesService,
  CourtsService,
  HearingDeskService,
  HearingReadsService,
  HearingsService,
  PlaybackService,
  RecorderNodesService,
  SegmentRegistrationService,
} from '../../court/index.ts';
import { LiveGateway } from './live-gateway.ts';
import { RecorderGateway } from './recorder-gateway.ts';

export interface HubOptions {
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  adminToken: string;
  segmentSeconds: number;
  /** Signs /objects URLs of the local store; a random key when not given (tests). */
  signer?: UrlSigner;
  /** Defaults below are the configuration's defaults, for tests that build a hub by hand. */
  presignExpirySeconds?: number;
  courtNetworks?: readonly string[];
  auth?: Pick<AuthOptions, 'settings' | 'cookieSecure' | 'https' | 'mediaOrigins'>;
  probes: readonly BackendProbe[];
  role: string;
  /**
   * The catalog's change token (`Catalog.changes`): with it the reads behind every
   * authorised request (session, viewer, hearing, sealed ranges) are kept in memory and
   * re-read as soon as the catalog changes. Without it they are read on every request.
   */
  catalogChanges?: CatalogChanges;
  /** Playback: a viewing idle this long is closed and its span audited (default 60 s). */
  playbackIdleSeconds?: number;
  /** Object URLs without a valid credential: per address, the burst before 429 and its window. */
  credentialless?: { burst?: number; windowMs?: number };
}

export interface Hub {
  app: Express;
  gateway: RecorderGateway;
  hearings: HearingsService;
  registration: SegmentRegistrationService;
  access: AccessService;
  playback: PlaybackService;
  audit: AuditLog;
  auth: Auth;
  attach(server: http.Server): void;
  /**
   * Writes the audit entries the hub holds back now: every open viewing's span, and the
   * counts of object URLs without a valid credential (whose per-address limits restart).
   * For tests and operators; close() does it too.
   */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export function createHub(options: HubOptions): Hub {
  const defaults = loadConfig({});
  const o = {
    ...options,
    signer: options.signer ?? new UrlSigner(crypto.randomBytes(32).toString('base64url')),
    presignExpirySeconds: options.presignExpirySeconds ?? defaults.presignExpirySeconds,
    courtNetworks: options.courtNetworks ?? defaults.courtNetworkList,
    auth: options.auth ?? authOptionsFromConfig(defaults),
  };
  const audit = new AuditLog(o.repos.auditLog, o.clock);
  // The services that answer authorised requests read through the cache; writes pass through.
  const reads = cachedReads(o.repos, o.catalogChanges ?? UNTRACKED_CHANGES);
  // The administrator token acts as this account (auth/api-token.ts); made once.
  const tokenAccount = ensureApiTokenAccount({ repos: o.repos, clock: o.clock });
  tokenAccount.catch((error: unknown) =>
    o.logger.error({ err: error }, 'could not make the api-token account; the token is refused'),
  );
  const auth = createAuth({
    repos: reads,
    clock: o.clock,
    logger: o.logger.child({ part: 'auth' }),
    audit,
    ...o.auth,
  });
  const access = new AccessService({
    repos: reads,
    audit,
    clock: o.clock,
    logger: o.logger,
    courtNetworks: o.courtNetworks,
  });
  const cases = new CasesService({ repos: o.repos, access, audit, clock: o.clock });
  const courts = new CourtsService({ repos: o.repos, access, clock: o.clock });
  const accountsFor = (actor: { login: string }) =>
    new UserAccounts({ repos: o.repos, clock: o.clock, audit, actor: actor.login });
  const approvals = new ApprovalsService({
    repos: o.repos,
    access,
    audit,
    clock: o.clock,
    cases,
    courts,
    accounts: accountChanges(accountsFor),
    machineAccountIds: [API_TOKEN_USER_ID],
  });
  const nodes = new RecorderNodesService({ repos: reads, access, clock: o.clock, logger: o.logger });
  const gateway = new RecorderGateway({ nodes, clock: o.clock, logger: o.logger });
  const live = new LiveGateway({
    sessions: auth.sessions,
    recorders: gateway,
    nodes,
    clock: o.clock,
    logger: o.logger,
    catalogChanges: o.catalogChanges,
  });
  const hearings = new HearingsService({
    cases,
    repos: reads,
    objects: o.objects,
    gateway,
    clock: o.clock,
    logger: o.logger,
    segmentSeconds: o.segmentSeconds,
  });
  const registration = new SegmentRegistrationService({
    repos: o.repos,
    objects: o.objects,
    queue: o.queue,
    clock: o.clock,
    logger: o.logger,
  });
  gateway.setHandlers({
    hello: (nodeId, m) => hearings.reconcile(nodeId, m.hearings),
    register: (nodeId, m) => registration.register(nodeId, { segment: m.segment, tracks: m.tracks }),
    marker: async (nodeId, m) => {
      await hearings.addRecorderMarker(nodeId, m);
    },
    drained: async (nodeId, m) => {
      await hearings.onDrained(nodeId, m.hearingId, m.lastSeq);
    },
  });
  const playback = new PlaybackService({
    access,
    repos: reads,
    audit,
    clock: o.clock,
    logger: o.logger,
    changes: o.catalogChanges ?? UNTRACKED_CHANGES,
    rowsCache: new HearingMediaCache(),
    ...(o.playbackIdleSeconds !== undefined ? { idleMs: o.playbackIdleSeconds * 1000 } : {}),
  });
  const player = playerRoutes({
    objects: o.objects,
    signer: o.signer,
    hearings,
    playback,
    audit,
    clock: o.clock,
    logger: o.logger,
    expirySeconds: o.presignExpirySeconds,
    ...(o.credentialless ? { credentialless: o.credentialless } : {}),
    sessionOf: async (req) => {
      const token = /(?:^|;\s*)hattama_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const s = await auth.sessions.resolve(token ? decodeURIComponent(token) : undefined);
      return s ? { binding: s.sessionId, person: s.user } : null;
    },
  });
  const app = createApp({
    logger: o.logger,
    probes: o.probes,
    role: o.role,
    api: {
      auth,
      tokenGate: apiTokenGate({ token: o.adminToken, audit, accountReady: tokenAccount }),
      publicRoutes: [
        // The player's segments go through /objects on every store (docs/decisions/0016).
        openApiRoutes({ hubSignedObjects: true }),
        uiRoutes({ hlsJsPath: hlsJsFile() }),
      ],
      hotRoutes: [player.playlist],
      administratorsOnly: (req, _res, next) => {
        courts
          .requireAdministratorQuietly(personOf(req), originOf(req), `${req.method} ${req.path}`)
          .then(() => next(), next);
      },
      routes: [
        player.router,
        auditRoutes({ auditReads: new AuditReadsService({ access, repos: o.repos }) }),
        copiesRoutes({
          copies: new CopiesService({
            repos: o.repos,
            access,
            objects: o.objects,
            queue: o.queue,
            audit,
            clock: o.clock,
            logger: o.logger,
            expirySeconds: o.presignExpirySeconds,
          }),
        }),
        adminRoutes({ cases, courts, approvals, accountsFor }),
        recordersRoutes({ nodes, gateway }),
        // Last: its /api/hearings/:id/:command would otherwise take /copies and the like.
        hearingsRoutes({
          reads: new HearingReadsService({ repos: reads, access, objects: o.objects, clock: o.clock }),
          desk: new HearingDeskService({ repos: o.repos, hearings, access, audit, clock: o.clock }),
        }),
      ],
    },
  });
  return {
    app,
    gateway,
    hearings,
    registration,
    access,
    playback,
    audit,
    auth,
    attach: (server) => {
      gateway.attach(server);
      live.attach(server);
    },
    flushAudit: async () => {
      await playback.flushIdle(true);
      await player.flushCounts();
    },
    close: async () => {
      await live.close();
      await gateway.close();
      await playback.close();
      await player.close();
    },
  };
}
