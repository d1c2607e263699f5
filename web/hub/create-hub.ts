/**
 * Wires the hub's parts: the recorder gateway, the hearing and registration services,
 * and the express app with its routes. Built over the storage backends it is given;
 * nothing here chooses a driver.
 */
import type http from 'node:http';
import type { Express } from 'express';
import type { Clock, Logger } from '../../core/index.ts';
import type { JobQueue, ObjectStore, Repositories } from '../../storage/index.ts';
import { createApp } from '../app.ts';
import type { BackendProbe } from '../routes/health.routes.ts';
import { HearingsService } from './hearings.service.ts';
import { RecorderGateway } from './recorder-gateway.ts';
import { SegmentRegistrationService } from './segment-registration.ts';

export interface HubOptions {
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  adminToken: string;
  segmentSeconds: number;
  probes: readonly BackendProbe[];
  role: string;
}

export interface Hub {
  app: Express;
  gateway: RecorderGateway;
  hearings: HearingsService;
  registration: SegmentRegistrationService;
  attach(server: http.Server): void;
  close(): Promise<void>;
}

export function createHub(o: HubOptions): Hub {
  const gateway = new RecorderGateway({ repos: o.repos, clock: o.clock, logger: o.logger });
  const hearings = new HearingsService({
    repos: o.repos,
    objects: o.objects,
    gateway,
    clock: o.clock,
    logger: o.logger,
    segmentSeconds: o.segmentSeconds,
  });
  const registration = new SegmentRegistrationService({ repos: o.repos, objects: o.objects, queue: o.queue, clock: o.clock, logger: o.logger });
  gateway.setHandlers({
    hello: (nodeId, m) => hearings.reconcile(nodeId, m.hearings),
    register: (nodeId, m) => registration.register(nodeId, { segment: m.segment, tracks: m.tracks }),
    marker: async (nodeId, m) => {
      const hearing = await hearings.get(m.hearingId);
      const node = await o.repos.recorderNodes.find(nodeId);
      if (node?.courtroom_id !== hearing.courtroom_id) return; // not this node's hearing: ignore quietly
      await o.repos.markers.insert({
        id: m.markerId,
        hearing_id: m.hearingId,
        at_ms: m.atMs,
        end_ms: m.endMs ?? null,
        kind: m.kind,
        text: m.text,
        author: `recorder:${nodeId}`,
        created_at: o.clock.now(),
      });
    },
    drained: async (nodeId, m) => {
      await hearings.onDrained(nodeId, m.hearingId, m.lastSeq);
    },
  });
  const app = createApp({
    logger: o.logger,
    probes: o.probes,
    role: o.role,
    api: { adminToken: o.adminToken, repos: o.repos, objects: o.objects, hearings, gateway, clock: o.clock },
  });
  return {
    app,
    gateway,
    hearings,
    registration,
    attach: (server) => gateway.attach(server),
    close: () => gateway.close(),
  };
}
