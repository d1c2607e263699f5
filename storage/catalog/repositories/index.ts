import type { CatalogDb } from '../catalog.ts';
import { ApprovalsRepository } from './approvals.repository.ts';
import { AuditLogRepository } from './audit-log.repository.ts';
import { CasesRepository } from './cases.repository.ts';
import { CopiesRepository } from './copies.repository.ts';
import { CourtsRepository } from './courts.repository.ts';
import { HearingSpeakersRepository } from './hearing-speakers.repository.ts';
import { HearingsRepository } from './hearings.repository.ts';
import { LoginAttemptsRepository } from './login-attempts.repository.ts';
import { MarkersRepository } from './markers.repository.ts';
import { RecorderNodesRepository } from './recorder-nodes.repository.ts';
import { SealedRangesRepository } from './sealed-ranges.repository.ts';
import { SegmentsRepository } from './segments.repository.ts';
import { SessionsRepository } from './sessions.repository.ts';
import { TerminalsRepository } from './terminals.repository.ts';
import { UsersRepository } from './users.repository.ts';

export type { HearingSpeaker, SpeakerEntry } from './hearing-speakers.repository.ts';
export type { HearingPageQuery } from './hearings.repository.ts';
export type { AuditSearch } from './audit-log.repository.ts';

export {
  ApprovalsRepository,
  CopiesRepository,
  AuditLogRepository,
  CasesRepository,
  CourtsRepository,
  HearingSpeakersRepository,
  HearingsRepository,
  LoginAttemptsRepository,
  MarkersRepository,
  RecorderNodesRepository,
  SealedRangesRepository,
  SegmentsRepository,
  SessionsRepository,
  TerminalsRepository,
  UsersRepository,
};

/** Every repository over one database handle (or one transaction). */
export interface Repositories {
  courts: CourtsRepository;
  recorderNodes: RecorderNodesRepository;
  hearings: HearingsRepository;
  /** Which microphone belongs to whom (0004); `speakersOfHearing` is what transcription reads. */
  speakers: HearingSpeakersRepository;
  segments: SegmentsRepository;
  markers: MarkersRepository;
  auditLog: AuditLogRepository;
  users: UsersRepository;
  sessions: SessionsRepository;
  loginAttempts: LoginAttemptsRepository;
  cases: CasesRepository;
  copies: CopiesRepository;
  sealedRanges: SealedRangesRepository;
  terminals: TerminalsRepository;
  /** Changes proposed by one administrator, decided by another (0006). */
  approvals: ApprovalsRepository;
}

export function createRepositories(db: CatalogDb): Repositories {
  return {
    courts: new CourtsRepository(db),
    recorderNodes: new RecorderNodesRepository(db),
    hearings: new HearingsRepository(db),
    speakers: new HearingSpeakersRepository(db),
    segments: new SegmentsRepository(db),
    markers: new MarkersRepository(db),
    auditLog: new AuditLogRepository(db),
    users: new UsersRepository(db),
    sessions: new SessionsRepository(db),
    loginAttempts: new LoginAttemptsRepository(db),
    cases: new CasesRepository(db),
    copies: new CopiesRepository(db),
    sealedRanges: new SealedRangesRepository(db),
    terminals: new TerminalsRepository(db),
    approvals: new ApprovalsRepository(db),
  };
}
