/**
 * Table types of the catalog, shared by both dialects. Times are epoch milliseconds
 * (UTC) in BIGINT columns: sortable, exact, and identical in SQLite and PostgreSQL;
 * the API renders them as ISO 8601. Booleans are 0/1 integers for the same reason.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';

export interface CourtTable {
  id: string;
  name: string;
  created_at: number;
}

export interface CourtroomTable {
  id: string;
  court_id: string;
  name: string;
  created_at: number;
}

export interface RecorderNodeTable {
  id: string;
  courtroom_id: string | null;
  name: string;
  /** SHA-256 of the node's token; the token itself is never stored. */
  token_hash: string | null;
  created_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
}

export type HearingVisibility = 'open' | 'closed';
export type HearingLanguage = 'ru' | 'kk';
export type HearingState = 'scheduled' | 'recording' | 'paused' | 'stopped';

export interface HearingTable {
  id: string;
  courtroom_id: string;
  case_number: string;
  title: string;
  judge: string;
  visibility: HearingVisibility;
  language: HearingLanguage;
  state: HearingState;
  scheduled_at: number | null;
  started_at: number | null;
  stopped_at: number | null;
  manifest_key: string | null;
  manifest_sha256: string | null;
  created_at: number;
  updated_at: number;
  /** The case this hearing belongs to (0002); null for hearings created before cases existed. */
  case_id: string | null;
  /** The presiding judge's and the secretary's accounts (0002), for the access policy. */
  judge_user_id: string | null;
  secretary_user_id: string | null;
}

export type TrackKind = 'video' | 'audio';

export interface TrackTable {
  hearing_id: string;
  name: string;
  kind: TrackKind;
  codec: string | null;
  sample_rate: number | null;
  channels: number | null;
  /** Who speaks into this microphone (a label until participants exist). */
  speaker: string | null;
  created_at: number;
}

export type SegmentVerifyState = 'pending' | 'ok' | 'failed';

export interface SegmentTable {
  hearing_id: string;
  track: string;
  seq: number;
  start_ms: number;
  duration_ms: number;
  object_key: string;
  size: number;
  sha256: string;
  chain: string;
  recorder_id: string | null;
  registered_at: number;
  verify_state: SegmentVerifyState;
  verified_at: number | null;
}

export interface MarkerTable {
  id: string;
  hearing_id: string;
  at_ms: number;
  /** End of a span (a recorder restart's gap); null for a point in time. */
  end_ms: number | null;
  kind: string;
  text: string;
  author: string;
  created_at: number;
}

export type AuditVerdict = 'allow' | 'refuse' | 'info';

export interface AuditLogTable {
  /** Position in the hash chain, 1-based, assigned by the writer. */
  seq: number;
  at_ms: number;
  actor: string;
  role: string | null;
  action: string;
  hearing_id: string | null;
  target: string | null;
  address: string | null;
  verdict: AuditVerdict;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export type JobState = 'waiting' | 'active' | 'completed' | 'failed';

export interface JobTable {
  id: string;
  queue: string;
  name: string;
  /** JSON text. */
  payload: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** The roles, the one list (the access policy's ROLES is this); the users table CHECKs it (migration 0002). */
export const USER_ROLES = [
  'administrator',
  'operator',
  'secretary',
  'judge',
  'party',
  'representative',
  'higher-court-judge',
  'auditor',
] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const USER_LOCALES = ['ru', 'kk', 'en'] as const;
export type UserLocale = (typeof USER_LOCALES)[number];

export interface UserTable {
  id: string;
  /** Lower-case; unique. */
  login: string;
  display_name: string;
  role: UserRole;
  /** `scrypt$N$r$p$salt$hash` (court/accounts/passwords.ts); never a plain password. */
  password_hash: string;
  locale: UserLocale;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A court an account works at (operators, secretaries): the policy's `Viewer.courtIds`. */
export interface UserCourtTable {
  user_id: string;
  court_id: string;
  created_at: number;
}

export interface SessionTable {
  /** SHA-256 (hex) of the session token; the token itself is never stored. */
  id: string;
  user_id: string;
  created_at: number;
  /** Absolute end of the session, whatever its activity. */
  expires_at: number;
  /** Last request seen (updated at most once a minute); idle expiry counts from here. */
  last_seen_at: number;
  address: string | null;
  revoked_at: number | null;
}

/** Failed log-ins in a fixed window, shared by every hub process through the catalog. */
export interface LoginAttemptTable {
  /** `user:<login>` or `addr:<ip>`. */
  key: string;
  window_start_ms: number;
  failures: number;
}

export interface CaseTable {
  id: string;
  court_id: string;
  /** Unique within its court, e.g. 2-1234/2026. */
  number: string;
  /** civil, criminal, administrative, … (free text; courts name their own categories). */
  category: string;
  created_at: number;
}

export type ParticipantCapacity = 'party' | 'representative';

export interface CaseParticipantTable {
  id: string;
  case_id: string;
  /** The participant's account, if they have one. */
  user_id: string | null;
  name: string;
  /** In what capacity they take part ("as" party or representative). */
  capacity: ParticipantCapacity;
  created_at: number;
}

/** A higher-court judge assigned to a case under appeal or cassation, for a period. */
export interface CaseAssignmentTable {
  id: string;
  case_id: string;
  user_id: string;
  valid_from_ms: number;
  /** Exclusive end; null = until further notice. */
  valid_until_ms: number | null;
  created_at: number;
}

/** A closed part of an otherwise open hearing, [start_ms, end_ms) in wall-clock time. */
export interface SealedRangeTable {
  id: string;
  hearing_id: string;
  start_ms: number;
  end_ms: number;
  reason: string;
  /** User id of the judge who sealed it. */
  created_by: string;
  created_at: number;
}

/** A registered terminal at the court: a party using it counts as on site. */
export interface OnsiteTerminalTable {
  id: string;
  court_id: string;
  name: string;
  /** SHA-256 of the terminal's token; null once revoked. */
  token_hash: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** `voided` (0005): checked again when made or handed out, and withdrawn (void_reason says why). */
export type CopyState = 'queued' | 'running' | 'ready' | 'failed' | 'voided';
export type ApprovalState = 'pending' | 'approved' | 'rejected';

/** A change one administrator proposed and a second one decides (0006). */
export interface ApprovalTable {
  id: string;
  /** What kind of change: user.create, user.role, case.assign, terminal.register, terminal.revoke. */
  kind: string;
  /** The change as JSON; never a secret. */
  payload: string;
  summary: string;
  state: ApprovalState;
  /** User id of the proposer. */
  proposed_by: string;
  proposed_at: number;
  /** User id of the administrator who approved or rejected it. */
  decided_by: string | null;
  decided_at: number | null;
}

export interface CopyTable {
  id: string;
  hearing_id: string;
  viewer_user_id: string | null;
  viewer_name: string;
  from_ms: number | null;
  to_ms: number | null;
  state: CopyState;
  progress: number;
  mp4_key: string | null;
  txt_key: string | null;
  sha256: string | null;
  size: number | null;
  error: string | null;
  requested_at: number;
  finished_at: number | null;
  /** 0005: the sealed ranges the copy was made without, JSON `[{ startMs, endMs }]`; null until made. */
  excluded_ranges: string | null;
  /** 0005: why a voided copy was withdrawn: a policy refusal reason or `sealed-after-copy`. */
  void_reason: string | null;
  void_message: string | null;
  voided_at: number | null;
  /** 0005: the address the copy was asked from. */
  requested_from: string | null;
}

/**
 * Who speaks into one microphone track of a hearing (0004): a participant of the
 * hearing's case, or a free label for someone who is not one (the judge, the prosecutor).
 * Exactly one of `participant_id` and `label` is set.
 */
export interface HearingSpeakerTable {
  hearing_id: string;
  /** `mic-<n>`. */
  track: string;
  participant_id: string | null;
  label: string | null;
  updated_at: number;
  /** The login that set it, or `administrator` for the administrator token. */
  updated_by: string;
}

export interface CatalogSchema {
  approvals: ApprovalTable;
  copies: CopyTable;
  hearing_speakers: HearingSpeakerTable;
  courts: CourtTable;
  courtrooms: CourtroomTable;
  recorder_nodes: RecorderNodeTable;
  hearings: HearingTable;
  tracks: TrackTable;
  segments: SegmentTable;
  markers: MarkerTable;
  audit_log: AuditLogTable;
  jobs: JobTable;
  users: UserTable;
  user_courts: UserCourtTable;
  sessions: SessionTable;
  login_attempts: LoginAttemptTable;
  cases: CaseTable;
  case_participants: CaseParticipantTable;
  case_assignments: CaseAssignmentTable;
  sealed_ranges: SealedRangeTable;
  onsite_terminals: OnsiteTerminalTable;
}

export type Court = Selectable<CourtTable>;
export type Courtroom = Selectable<CourtroomTable>;
export type RecorderNode = Selectable<RecorderNodeTable>;
export type Hearing = Selectable<HearingTable>;
export type NewHearing = Insertable<HearingTable>;
export type HearingUpdate = Updateable<HearingTable>;
export type Track = Selectable<TrackTable>;
export type Segment = Selectable<SegmentTable>;
export type NewSegment = Insertable<SegmentTable>;
export type Marker = Selectable<MarkerTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type Job = Selectable<JobTable>;
export type Copy = Selectable<CopyTable>;
export type HearingSpeakerRow = Selectable<HearingSpeakerTable>;
export type User = Selectable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type UserCourt = Selectable<UserCourtTable>;
export type Session = Selectable<SessionTable>;
export type LoginAttempt = Selectable<LoginAttemptTable>;
export type Case = Selectable<CaseTable>;
export type CaseParticipant = Selectable<CaseParticipantTable>;
export type CaseAssignment = Selectable<CaseAssignmentTable>;
export type SealedRange = Selectable<SealedRangeTable>;
export type OnsiteTerminal = Selectable<OnsiteTerminalTable>;
export type Approval = Selectable<ApprovalTable>;
