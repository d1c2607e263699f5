/**
 * Wires the hub's parts: the recorder gateway, the live feed, the hearing, registration
 * and access services, sessions, and the express app with its routes. Built over the
 * storage backends it is given; nothing here chooses a driver.
 */
import type http from 'node:http';
import type { Express } from 'express';
import crypto from 'node:crypto';
import { loadConfig } from '../../core/index.ts';
import { UrlSigner, type AuditLog } from '../../storage/index.ts';
import {
  createCourt,
  type AccessService,
  type Court,
  type CourtBackends,
  type HearingsService,
  type PlaybackService,
  type SegmentRegistrationService,
} from '../../court/index.ts';
import { createApp } from '../app.ts';
import {
  apiTokenGate,
  authOptionsFromConfig,
  createAuth,
  type Auth,
  type HubAuthOptions,
} from '../auth/index.ts';
import { openApiRoutes } from '../openapi/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { adminRoutes } from '../routes/admin.routes.ts';
import { auditRoutes } from '../routes/audit.routes.ts';
import { copiesRoutes } from '../routes/copies.routes.ts';
import type { BackendProbe } from '../routes/health.routes.ts';
import { hearingsRoutes } from '../routes/hearings.routes.ts';
import { playerRoutes } from '../routes/player.routes.ts';
import { recordersRoutes } from '../routes/recorders.routes.ts';
import { uiRoutes } from '../ui/ui.routes.ts';
import { HearingMediaCache, hlsJsFile } from '../player/index.ts';
import { LiveGateway } from './live-gateway.ts';
import { RecorderGateway } from './recorder-gateway.ts';

/** The storage backends (handed to the court module, which alone uses them) and the hub's settings. */
export interface HubOptions extends CourtBackends {
  adminToken: string;
  segmentSeconds: number;
  /** Signs /objects URLs of the local store; a random key when not given (tests). */
  signer?: UrlSigner;
  /** Defaults below are the configuration's defaults, for tests that build a hub by hand. */
  presignExpirySeconds?: number;
  courtNetworks?: readonly string[];
  auth?: HubAuthOptions;
  probes: readonly BackendProbe[];
  role: string;
  /** Playback: a viewing idle this long is closed and its span audited (default 60 s). */
  playbackIdleSeconds?: number;
  /** Object URLs without a valid credential: per address, the burst before 429 and its window. */
  credentialless?: { burst?: number; windowMs?: number };
}

export interface Hub {
  app: Express;
  /** The court's services the hub was built over (the CLI's demo and tests drive them). */
  court: Court;
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
  const court = createCourt(o, {
    segmentSeconds: o.segmentSeconds,
    courtNetworks: o.courtNetworks,
    sessionSettings: o.auth.settings,
    presignExpirySeconds: o.presignExpirySeconds,
    rowsCache: new HearingMediaCache(),
    ...(o.playbackIdleSeconds !== undefined ? { playbackIdleSeconds: o.playbackIdleSeconds } : {}),
  });
  const { audit, access, hearings, registration, playback, nodes } = court;
  const auth = createAuth({ sessions: court.sessions, audit, ...o.auth });
  const gateway = new RecorderGateway({ nodes, clock: o.clock, logger: o.logger });
  court.recorders.connect(gateway);
  const live = new LiveGateway({
    sessions: auth.sessions,
    recorders: gateway,
    nodes,
    clock: o.clock,
    logger: o.logger,
    catalogChanges: o.catalogChanges,
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
  const player = playerRoutes({
    objects: o.objects,
    signer: o.signer,
    hearings,
    playback,
    copies: court.copies,
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
      tokenGate: apiTokenGate({ token: o.adminToken, audit, accountReady: court.tokenAccountReady }),
      publicRoutes: [
        // The player's segments go through /objects on every store (docs/decisions/0016).
        openApiRoutes({ hubSignedObjects: true }),
        uiRoutes({ hlsJsPath: hlsJsFile() }),
      ],
      hotRoutes: [player.playlist],
      administratorsOnly: (req, _res, next) => {
        court.courts
          .requireAdministratorQuietly(personOf(req), originOf(req), `${req.method} ${req.path}`)
          .then(() => next(), next);
      },
      routes: [
        player.router,
        auditRoutes({ auditReads: court.auditReads }),
        copiesRoutes({ copies: court.copies }),
        adminRoutes({
          cases: court.cases,
          courts: court.courts,
          approvals: court.approvals,
          accountsFor: court.accountsFor,
        }),
        recordersRoutes({ nodes, gateway }),
        // Last: its /api/hearings/:id/:command would otherwise take /copies and the like.
        hearingsRoutes({
          reads: court.hearingReads,
          desk: court.desk,
        }),
      ],
    },
  });
  return {
    app,
    court,
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
