/**
 * The shapes the hub answers with, as zod schemas: the routes build these objects by hand
 * (hearingView, userView, …), so this file is their written contract, and
 * test/openapi.test.ts checks real answers against the JSON Schema made from it. Objects
 * are strict (no undocumented field passes the test); the few open-ended ones (backend
 * health, a recorder's live state) say so with `looseObject`.
 *
 * Request schemas are not here: the document takes them from the routes themselves.
 */
import { z } from 'zod';
import { hubMessageSchema, recorderMessageSchema } from '../../core/index.ts';
import { USER_LOCALES, USER_ROLES, manifestSchema } from '../../storage/index.ts';
import { REFUSAL_REASONS } from '../../court/index.ts';

/** What `isoTime` renders: UTC ISO 8601 with milliseconds. */
const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const int = z.number().int().min(0);

export const authUserSchema = z.object({
  id: z.string(),
  login: z.string(),
  displayName: z.string(),
  role: z.enum(USER_ROLES),
  locale: z.enum(USER_LOCALES),
});

export const sessionSchema = z.object({
  user: authUserSchema,
  /** Send it back as `x-csrf-token` on every POST made with the session cookie. */
  csrfToken: z.string(),
  expiresAt: iso,
});

/** What anyone may know: whether the service is up. */
export const healthSchema = z.strictObject({ status: z.enum(['ok', 'degraded']) });

/** Versions and backends: for administrators only (GET /api/health/details). */
export const healthDetailsSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  role: z.string(),
  versions: z.object({ hattama: z.string(), node: z.string() }),
  uptimeSeconds: int,
  backends: z.record(z.string(), z.object({ driver: z.string(), ok: z.boolean(), detail: z.string() })),
});

export const hearingSchema = z.object({
  id: z.string(),
  courtroomId: z.string(),
  caseId: z.string().nullable(),
  caseNumber: z.string(),
  title: z.string(),
  judge: z.string(),
  visibility: z.enum(['open', 'closed']),
  language: z.enum(['ru', 'kk']),
  state: z.enum(['scheduled', 'recording', 'paused', 'stopped']),
  scheduledAt: iso.nullable(),
  startedAt: iso.nullable(),
  stoppedAt: iso.nullable(),
  /** The recording manifest, once the stopped hearing is fully delivered. */
  manifest: z.object({ key: z.string(), sha256: z.string().nullable() }).nullable(),
});

/** Whether this viewer may play the recording, and if not, the policy's stable reason. */
export const playAccessSchema = z.union([
  z.object({ play: z.literal(true) }),
  z.object({ play: z.literal(false), reason: z.enum(REFUSAL_REASONS), message: z.string() }),
]);

export const hearingListSchema = z.object({
  /** Only the hearings the policy lets this user see (one page, newest first), each with whether it may be played. */
  hearings: z.array(hearingSchema.extend({ access: playAccessSchema.optional() })),
  /** The cursor of the next page (pass it as `cursor`); null on the last page. */
  next: z.string().nullable(),
});

export const trackSummarySchema = z.object({
  name: z.string(),
  kind: z.enum(['video', 'audio']),
  codec: z.string().nullable(),
  sampleRate: z.number().int().nullable(),
  channels: z.number().int().nullable(),
  speaker: z.string().nullable(),
  segments: int,
  durationMs: int,
  verified: int,
  failedVerification: z.array(int),
});

export const markerViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  at: iso,
  end: iso.nullable(),
  /** Null when this viewer may see the hearing but not play it (times and kinds only). */
  text: z.string().nullable(),
  author: z.string(),
});

export const sealedRangeSchema = z.object({ id: z.string(), start: iso, end: iso, reason: z.string() });

/** Who speaks into one microphone: a participant of the hearing's case, or a label. */
export const speakerSchema = z.object({
  track: z.string(),
  /** A participant of the hearing's case; null for a label. */
  participantId: z.string().nullable(),
  /** Someone who is not a case participant (the judge, the prosecutor); null for a participant. */
  label: z.string().nullable(),
  /** The participant's name, or the label. */
  name: z.string(),
  capacity: z.enum(['party', 'representative']).nullable(),
});
export const hearingSpeakersSchema = z.object({ hearingId: z.string(), speakers: z.array(speakerSchema) });

export const participantSchema = z.object({
  id: z.string(),
  name: z.string(),
  capacity: z.enum(['party', 'representative']),
  /** Whether the participant has an account (and so reviews the case's hearings online). */
  hasAccount: z.boolean(),
});
export const participantListSchema = z.object({
  caseId: z.string(),
  participants: z.array(participantSchema),
});

export const hearingDetailSchema = hearingSchema.extend({
  /** `speaker` of a microphone track is the name from the mapping (`speakers`). */
  tracks: z.array(trackSummarySchema),
  /** Which microphone belongs to whom, mic-1 first; unmapped microphones are absent. */
  speakers: z.array(speakerSchema),
  /** Markers inside a part this viewer may not see are left out. */
  markers: z.array(markerViewSchema),
  /** Only for the hearing's judge and secretary (and the administrator token). */
  sealedRanges: z.array(sealedRangeSchema).optional(),
  access: playAccessSchema,
});

export const createdSchema = z.object({ id: z.string() });

export const positionSchema = z.object({
  /** Playlist time (s) of the asked moment: what the player seeks to. */
  offsetSeconds: z.number().min(0),
  wallClock: iso.nullable(),
  durationSeconds: z.number().min(0),
});

export const auditEntrySchema = z.object({
  seq: z.number().int().min(1),
  at: iso,
  actor: z.string(),
  role: z.string().nullable(),
  action: z.string(),
  hearingId: z.string().nullable(),
  target: z.string().nullable(),
  address: z.string().nullable(),
  verdict: z.enum(['allow', 'refuse', 'info']),
  reason: z.string().nullable(),
  /** This entry's link in the audit log's hash chain. */
  hash: z.string(),
});

export const auditEntriesSchema = z.object({
  entries: z.array(auditEntrySchema),
  /** Pass as `before` for the next older page; null when this page reached the oldest match. */
  nextBefore: z.number().int().min(1).nullable(),
});

export const courtSchema = z.object({ id: z.string(), name: z.string() });
export const courtListSchema = z.object({ courts: z.array(courtSchema) });
export const courtroomSchema = z.object({ id: z.string(), name: z.string(), courtId: z.string() });
export const courtroomListSchema = z.object({ courtrooms: z.array(courtroomSchema) });

export const userViewSchema = z.object({
  id: z.string(),
  login: z.string(),
  displayName: z.string(),
  role: z.enum(USER_ROLES),
  locale: z.enum(USER_LOCALES),
  disabled: z.boolean(),
  disabledAt: iso.nullable(),
  createdAt: iso,
  courtIds: z.array(z.string()).optional(),
});
export const userListSchema = z.object({ users: z.array(userViewSchema) });
export const createdUserSchema = z.object({
  user: userViewSchema,
  /** The generated password, shown once, when none was given. */
  password: z.string().optional(),
});
export const disabledUserSchema = z.object({ user: userViewSchema, sessionsRevoked: int });

export const caseSchema = z.object({
  id: z.string(),
  number: z.string(),
  category: z.string(),
  courtId: z.string(),
});
export const caseListSchema = z.object({ cases: z.array(caseSchema) });
export const assignmentCreatedSchema = z.object({ id: z.string(), validFrom: iso });

/** A change waiting for a second administrator (court/approvals.service.ts). */
export const approvalSchema = z.object({
  id: z.string(),
  kind: z.enum(['user.create', 'user.role', 'case.assign', 'terminal.register', 'terminal.revoke']),
  /** What is asked, in words. */
  summary: z.string(),
  /** The change itself; never a secret. */
  change: z.looseObject({ kind: z.string() }),
  state: z.enum(['pending', 'approved', 'rejected']),
  proposedBy: z.string(),
  proposedAt: iso,
  decidedBy: z.string().nullable(),
  decidedAt: iso.nullable(),
});
export const approvalPendingSchema = z.object({ approval: approvalSchema });
export const approvalListSchema = z.object({ approvals: z.array(approvalSchema) });
/** What an approval made: the account (and its generated password, once), the assignment, the terminal (and its token, once). */
export const approvalDoneSchema = z.object({
  approval: approvalSchema,
  result: z.union([
    createdUserSchema,
    assignmentCreatedSchema,
    z.object({ id: z.string(), token: z.string() }),
    z.object({ id: z.string(), revoked: z.literal(true) }),
  ]),
});
export const userRoleSchema = z.object({ user: userViewSchema });

/** A token is shown once, in this answer; the hub keeps only its hash. */
export const issuedTokenSchema = z.object({ id: z.string(), token: z.string() });

export const copyRequestedSchema = z.object({ copyId: z.string() });
export const copySchema = z.object({
  copyId: z.string(),
  hearingId: z.string(),
  /** `voided`: checked again when made or handed out, and withdrawn; `voidReason` says why. */
  state: z.enum(['queued', 'running', 'ready', 'failed', 'voided']),
  /** Whole percent, while running. */
  progress: z.number().int().min(0).max(100),
  requestedAt: iso,
  finishedAt: iso.nullable(),
  sha256: z.string().nullable(),
  size: int.nullable(),
  error: z.string().nullable(),
  /**
   * When voided: why, as a code (an access refusal reason such as `not-a-participant`, or
   * `sealed-after-copy`, `requester-unknown`) and in words. A voided copy has no links.
   */
  voidReason: z.string().nullable(),
  voidMessage: z.string().nullable(),
  /** When ready: short-lived links to the MP4 and to the notice beside it, for the one who asked. */
  mp4Url: z.string().optional(),
  noticeUrl: z.string().optional(),
});

/** A connected recorder node's last telemetry (recorder-gateway.ts NodeLive). */
export const nodeLiveSchema = z.object({
  nodeId: z.string(),
  courtroomId: z.string().nullable(),
  connectedAtMs: int,
  tracks: z.array(z.looseObject({ name: z.string(), kind: z.string() })),
  levels: z
    .object({
      atMs: int,
      hearingId: z.string().nullable(),
      channels: z.array(
        z.object({ track: z.string(), rmsDb: z.number().nullable(), peakDb: z.number().nullable() }),
      ),
    })
    .nullable(),
  alarms: z.array(
    z.object({
      kind: z.string(),
      hearingId: z.string().nullable(),
      track: z.string().nullable(),
      message: z.string(),
      atMs: int,
    }),
  ),
  status: z.looseObject({ spoolBytes: int, spoolFreeBytes: int, pendingSegments: int, atMs: int }).nullable(),
});

export const recorderSchema = z.object({
  id: z.string(),
  courtroomId: z.string().nullable(),
  name: z.string(),
  online: z.boolean(),
  revoked: z.boolean(),
  lastSeenAt: iso.nullable(),
  live: nodeLiveSchema.nullable(),
});
export const recorderListSchema = z.object({ recorders: z.array(recorderSchema) });
export const recorderRevokedSchema = z.object({ id: z.string(), revoked: z.literal(true) });

/** One frame of the /api/live feed: a recorder's telemetry, or the first frame's snapshot. */
export const liveEventSchema = z.union([
  z.object({
    nodeId: z.null(),
    message: z.object({ type: z.literal('hello'), recorders: z.array(nodeLiveSchema) }),
  }),
  z.object({
    nodeId: z.string(),
    message: z.union([z.object({ type: z.enum(['online', 'offline']) }), recorderMessageSchema]),
  }),
]);

/**
 * Every named response shape, by its name under components.schemas. The registry lets
 * z.toJSONSchema turn a schema used inside another into a $ref instead of a copy.
 */
export const RESPONSE_SCHEMAS = {
  AuthUser: authUserSchema,
  Session: sessionSchema,
  Health: healthSchema,
  HealthDetails: healthDetailsSchema,
  Hearing: hearingSchema,
  PlayAccess: playAccessSchema,
  HearingList: hearingListSchema,
  TrackSummary: trackSummarySchema,
  MarkerView: markerViewSchema,
  SealedRange: sealedRangeSchema,
  Speaker: speakerSchema,
  HearingSpeakers: hearingSpeakersSchema,
  HearingDetail: hearingDetailSchema,
  Created: createdSchema,
  Position: positionSchema,
  AuditEntry: auditEntrySchema,
  AuditEntries: auditEntriesSchema,
  Court: courtSchema,
  CourtList: courtListSchema,
  Courtroom: courtroomSchema,
  CourtroomList: courtroomListSchema,
  UserView: userViewSchema,
  UserList: userListSchema,
  CreatedUser: createdUserSchema,
  DisabledUser: disabledUserSchema,
  Case: caseSchema,
  CaseList: caseListSchema,
  Participant: participantSchema,
  ParticipantList: participantListSchema,
  AssignmentCreated: assignmentCreatedSchema,
  Approval: approvalSchema,
  ApprovalPending: approvalPendingSchema,
  ApprovalList: approvalListSchema,
  ApprovalDone: approvalDoneSchema,
  UserRole: userRoleSchema,
  CopyRequested: copyRequestedSchema,
  Copy: copySchema,
  IssuedToken: issuedTokenSchema,
  NodeLive: nodeLiveSchema,
  Recorder: recorderSchema,
  RecorderList: recorderListSchema,
  RecorderRevoked: recorderRevokedSchema,
  Manifest: manifestSchema,
  LiveEvent: liveEventSchema,
  RecorderMessage: recorderMessageSchema,
  HubMessage: hubMessageSchema,
} as const satisfies Record<string, z.ZodType>;

export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;
