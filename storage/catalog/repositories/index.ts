import type { CatalogDb } from '../catalog.ts';
import { AuditLogRepository } from './audit-log.repository.ts';
import { CourtsRepository } from './courts.repository.ts';
import { HearingsRepository } from './hearings.repository.ts';
import { MarkersRepository } from './markers.repository.ts';
import { RecorderNodesRepository } from './recorder-nodes.repository.ts';
import { SegmentsRepository } from './segments.repository.ts';

export {
  AuditLogRepository,
  CourtsRepository,
  HearingsRepository,
  MarkersRepository,
  RecorderNodesRepository,
  SegmentsRepository,
};

/** Every repository over one database handle (or one transaction). */
export interface Repositories {
  courts: CourtsRepository;
  recorderNodes: RecorderNodesRepository;
  hearings: HearingsRepository;
  segments: SegmentsRepository;
  markers: MarkersRepository;
  auditLog: AuditLogRepository;
}

export function createRepositories(db: CatalogDb): Repositories {
  return {
    courts: new CourtsRepository(db),
    recorderNodes: new RecorderNodesRepository(db),
    hearings: new HearingsRepository(db),
    segments: new SegmentsRepository(db),
    markers: new MarkersRepository(db),
    auditLog: new AuditLogRepository(db),
  };
}
