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

export interface CatalogSchema {
  courts: CourtTable;
  courtrooms: CourtroomTable;
  recorder_nodes: RecorderNodeTable;
  hearings: HearingTable;
  tracks: TrackTable;
  segments: SegmentTable;
  markers: MarkerTable;
  audit_log: AuditLogTable;
  jobs: JobTable;
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
