/**
 * Every HTTP operation of the hub's API, one entry per express route: its path as express
 * spells it, who may call it, the zod schemas its handler validates with (taken from the
 * routes themselves, so the document cannot drift from what is enforced), what it answers
 * and which stable problem codes it may answer with besides the ones its kind of access
 * implies (document.ts adds those). test/openapi.test.ts fails when a route is added to
 * the app without an entry here, or an entry names a route the app does not have.
 */
import { z } from 'zod';
import { idSchema } from '../../core/index.ts';
import { loginBodySchema } from '../auth/index.ts';
import { createHearingSchema, markerInputSchema, sealSchema, speakersSchema } from '../../court/index.ts';
import { HLS_CONTENT_TYPE } from '../player/index.ts';
import {
  approvalsQuery,
  assignmentSchema,
  caseSchema,
  courtSchema,
  participantSchema,
  roleSchema,
  roomSchema,
  terminalSchema,
  userSchema,
} from '../routes/admin.routes.ts';
import { auditQuerySchema } from '../routes/audit.routes.ts';
import { copyRequestSchema } from '../routes/copies.routes.ts';
import { commandParam, hearingListQuery, idParam } from '../routes/hearings.routes.ts';
import { fileParam, positionQuery } from '../routes/player.routes.ts';
import { createNodeSchema } from '../routes/recorders.routes.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { ResponseSchemaName } from './schemas.ts';

/**
 * Who may call an operation, which decides its security requirement and the problems
 * every such operation may answer with:
 * - `public`: anyone (health, this document, log-in);
 * - `signed-url`: anyone holding a URL the hub signed after its policy check;
 * - `session`, `session-write`: a logged-in user; writes also need the CSRF header;
 * - `api`, `api-write`: a logged-in user or the administrator token; writes made with
 *   the session cookie also need the CSRF header.
 */
export type Access = 'public' | 'signed-url' | 'session' | 'session-write' | 'api' | 'api-write';

export interface ResponseSpec {
  description: string;
  /** A JSON body of this named shape (components.schemas). */
  schema?: ResponseSchemaName;
  /** Bodies of other media types: media type (or range) → JSON Schema of the body. */
  content?: Record<string, Record<string, unknown>>;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

/** A problem code the operation may answer with; with a status where the code has several. */
export type ProblemRef = ProblemCode | readonly [ProblemCode, number];

export interface OperationSpec {
  method: 'get' | 'post' | 'put';
  /** As registered with express: `:name` parameters, `*name` for the rest of the path. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  /** The route's own schema of req.params. */
  params?: z.ZodObject;
  paramDescriptions?: Record<string, string>;
  /** The route's own schema of req.query. */
  query?: z.ZodObject;
  /** The route's own schema of the JSON body, named for components.schemas. */
  body?: { name: string; schema: z.ZodType; description?: string };
  responses: Record<number, ResponseSpec>;
  /** Problems particular to this operation (document.ts adds those of its access). */
  problems: readonly ProblemRef[];
}

const hearingId = { id: 'The hearing (`h-…` when the hub chose it).' };
const loginParam = z.object({ login: z.string().min(1).max(64) });
const keyParam = z.object({ key: z.string().min(1) });
/** The hub's signature of an /objects URL (storage/objects/url-signer.ts). */
const signedUrlQuery = z.object({
  expires: z.string().regex(/^\d+$/).describe('Unix time (s) after which the URL is refused.'),
  sig: z.string().min(1).describe("The hub's HMAC over the key, the expiry and the filename."),
  filename: z
    .string()
    .optional()
    .describe('Asks for Content-Disposition: attachment with this name (signed too).'),
  bound: z
    .literal('1')
    .optional()
    .describe(
      "A playlist's segment URL, signed for the session it was given to: it plays only with that session's cookie.",
    ),
});
const text = (mediaType: string, description: string): ResponseSpec => ({
  description,
  content: { [mediaType]: { type: 'string' } },
});

export const OPERATIONS: readonly OperationSpec[] = [
  // — meta and health —
  {
    method: 'get',
    path: '/api/health',
    operationId: 'getHealth',
    tag: 'health',
    summary: 'Whether the service is up',
    description:
      'For probes and load balancers; needs no credentials and says only "ok" or "degraded" (versions and backends are in /api/health/details). 503 when a backend is down.',
    access: 'public',
    responses: {
      200: { description: 'Every backend answers.', schema: 'Health' },
      503: { description: 'At least one backend is down (status "degraded").', schema: 'Health' },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/api/health/details',
    operationId: 'getHealthDetails',
    tag: 'health',
    summary: 'Versions, uptime and the state of every backend (administrator)',
    description:
      'Only for an administrator (a session or the administrator token). 503 when a backend is down.',
    access: 'api',
    responses: {
      200: { description: 'Every backend answers.', schema: 'HealthDetails' },
      503: { description: 'At least one backend is down (status "degraded").', schema: 'HealthDetails' },
    },
    problems: ['FORBIDDEN'],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    summary: 'This document',
    description:
      'Public: it describes the API of this open-source hub and holds no data, so clients and tools can read it before logging in.',
    access: 'public',
    responses: {
      200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { type: 'object' } } },
    },
    problems: [],
  },
  // — accounts —
  {
    method: 'post',
    path: '/api/auth/login',
    operationId: 'logIn',
    tag: 'auth',
    summary: 'Log in: sets the session cookie and returns the CSRF token',
    description:
      'Takes application/json only. Rotates any session the browser had. Failed log-ins are limited per account and per address (429 with Retry-After).',
    access: 'public',
    body: { name: 'LogIn', schema: loginBodySchema },
    responses: {
      200: {
        description: 'Logged in. The `hattama_session` cookie is set (HttpOnly, SameSite=Strict).',
        schema: 'Session',
        headers: {
          'Set-Cookie': {
            description: 'hattama_session=…; HttpOnly; SameSite=Strict',
            schema: { type: 'string' },
          },
        },
      },
    },
    problems: ['VALIDATION_FAILED', 'LOGIN_FAILED', 'LOGIN_RATE_LIMITED'],
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    operationId: 'logOut',
    tag: 'auth',
    summary: 'Log out: ends the session and clears the cookie',
    access: 'session-write',
    responses: { 204: { description: 'Logged out.' } },
    problems: [],
  },
  {
    method: 'get',
    path: '/api/auth/me',
    operationId: 'getSession',
    tag: 'auth',
    summary: 'The logged-in user and the CSRF token of the session',
    access: 'session',
    responses: { 200: { description: 'The live session.', schema: 'Session' } },
    problems: [],
  },
  // — hearings —
  {
    method: 'post',
    path: '/api/hearings',
    operationId: 'createHearing',
    tag: 'hearings',
    summary: 'Create a hearing (secretary, administrator)',
    access: 'api-write',
    body: { name: 'CreateHearing', schema: createHearingSchema },
    responses: { 201: { description: 'Created, scheduled.', schema: 'Hearing' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'CONFLICT'],
  },
  {
    method: 'get',
    path: '/api/hearings',
    operationId: 'listHearings',
    tag: 'hearings',
    summary: 'The hearings this user may see, with whether each may be played',
    description:
      'Newest first (by creation), one page at a time: `limit` rows (default 50, at most 200) and `next`, the cursor of the following page, or null on the last one. A page is always full unless it is the last: rows the access policy leaves out are read past, not counted. Filters narrow the rows before the policy decides; a list writes no audit entry (leaving a hearing out is not a refusal). Unknown or malformed parameters are refused with 400.',
    access: 'api',
    query: hearingListQuery,
    responses: { 200: { description: 'Filtered by the access policy.', schema: 'HearingList' } },
    problems: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/api/hearings/:id',
    operationId: 'getHearing',
    tag: 'hearings',
    summary: 'One hearing: facts, tracks, markers, and (for its staff) sealed ranges',
    access: 'api',
    params: idParam,
    paramDescriptions: hearingId,
    responses: { 200: { description: 'The hearing as this viewer may see it.', schema: 'HearingDetail' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/hearings/:id/speakers',
    operationId: 'getSpeakers',
    tag: 'hearings',
    summary: 'Which microphone belongs to whom (also in the hearing as `speakers`)',
    access: 'api',
    params: idParam,
    paramDescriptions: hearingId,
    responses: {
      200: {
        description: 'The mapped microphones, mic-1 first; unmapped ones are absent.',
        schema: 'HearingSpeakers',
      },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'put',
    path: '/api/hearings/:id/speakers',
    operationId: 'setSpeakers',
    tag: 'hearings',
    summary:
      "Map the hearing's microphones to participants of its case or to labels (its secretary or judge)",
    description:
      'Replaces the whole mapping: microphones left out are unmapped, `{"speakers": []}` unmaps all. Each entry names a microphone track (`mic-1` … `mic-99`, each once) and exactly one of `participantId` (a participant of the hearing\'s case, GET /api/cases/{id}/participants) and `label` (someone who is not one: the judge, the prosecutor, a witness). A participant of another case, or any participant for a hearing without a case, is refused with 400 VALIDATION_FAILED naming the entry (`details.issues[].field`, e.g. `speakers.1.participantId`) and changes nothing. Allowed in every state of the hearing; each change is in the audit log (`hearing.speakers.set`). Transcription takes each word\'s speaker from this mapping.',
    access: 'api-write',
    params: idParam,
    paramDescriptions: hearingId,
    body: { name: 'SetSpeakers', schema: speakersSchema },
    responses: { 200: { description: 'The mapping as stored.', schema: 'HearingSpeakers' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/hearings/:id/markers',
    operationId: 'addMarker',
    tag: 'hearings',
    summary: 'Add a marker from the standard catalogue, with free text',
    access: 'api-write',
    params: idParam,
    paramDescriptions: hearingId,
    body: { name: 'MarkerInput', schema: markerInputSchema },
    responses: { 201: { description: 'The new marker’s id.', schema: 'Created' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'post',
    path: '/api/hearings/:id/sealed-ranges',
    operationId: 'sealRange',
    tag: 'hearings',
    summary: 'Seal a time range (a closed part of an open hearing; the judge)',
    access: 'api-write',
    params: idParam,
    paramDescriptions: hearingId,
    body: { name: 'SealRange', schema: sealSchema, description: '`end` must be after `start`.' },
    responses: { 201: { description: 'The sealed range.', schema: 'SealedRange' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/hearings/:id/:command',
    operationId: 'commandHearing',
    tag: 'hearings',
    summary: 'Start, pause, resume or stop the recording',
    description:
      "Sent to the courtroom's recorder node first and recorded only when the node confirms it. Idempotent: repeating a command already applied changes nothing.",
    access: 'api-write',
    params: commandParam,
    paramDescriptions: { ...hearingId, command: 'start | pause | resume | stop' },
    responses: { 200: { description: 'The hearing in its new state.', schema: 'Hearing' } },
    problems: [
      'VALIDATION_FAILED',
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      ['BACKEND_UNAVAILABLE', 502],
      ['BACKEND_UNAVAILABLE', 503],
    ],
  },
  {
    method: 'get',
    path: '/api/hearings/:id/manifest',
    operationId: 'getManifest',
    tag: 'hearings',
    summary: "The recording's manifest (canonical JSON), once the stopped hearing is delivered",
    access: 'api',
    params: idParam,
    paramDescriptions: hearingId,
    responses: {
      200: {
        description:
          "The manifest exactly as stored; its SHA-256 (the catalog's) is in x-hattama-sha256. Markers commit to their text by hash (`textSha256`, hattama-manifest-v2), so the stored bytes are handed to every viewer allowed to play the hearing and verify against that SHA-256. A manifest written before (hattama-manifest-v1) carries marker texts: a viewer kept from sealed parts gets a copy whose markers there carry `redacted: true` and the text's `textSha256` instead, marked `x-hattama-manifest: redacted` (it cannot hash to x-hattama-sha256).",
        schema: 'Manifest',
        headers: {
          'x-hattama-sha256': { description: "The manifest's SHA-256 (hex).", schema: { type: 'string' } },
          'x-hattama-manifest': {
            description: '`redacted` on a redacted copy of a v1 manifest; absent otherwise.',
            schema: { type: 'string' },
          },
        },
      },
    },
    problems: [
      'VALIDATION_FAILED',
      'FORBIDDEN',
      'NOT_FOUND',
      'OBJECT_NOT_FOUND',
      ['BACKEND_UNAVAILABLE', 503],
    ],
  },
  // — the review player —
  {
    method: 'get',
    path: '/api/hearings/:id/hls/:file',
    operationId: 'getPlaylist',
    tag: 'player',
    summary: 'HLS playlists for this viewer: master.m3u8 or <track>.m3u8',
    description:
      'After the access policy: sealed parts are absent for viewers who may not see them; segment URIs are short-lived signed URLs. Every playlist served is in the audit log. The master offers the video, the `mix` audio and each microphone as an alternate audio rendition.',
    access: 'api',
    params: fileParam,
    paramDescriptions: {
      ...hearingId,
      file: '`master.m3u8`, or a track’s playlist such as `video.m3u8`, `mix.m3u8`, `mic-1.m3u8`.',
    },
    responses: {
      200: text(HLS_CONTENT_TYPE, 'The playlist (private, no-store).'),
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/hearings/:id/position',
    operationId: 'getPosition',
    tag: 'player',
    summary: 'Where a deep link `?t=` lands: playlist time of a wall-clock time or an offset',
    access: 'api',
    params: idParam,
    paramDescriptions: hearingId,
    query: positionQuery.extend({
      t: positionQuery.shape.t.describe('An ISO 8601 wall-clock time, or an offset in seconds.'),
    }),
    responses: { 200: { description: 'The playlist position.', schema: 'Position' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/objects/*key',
    operationId: 'getSignedObject',
    tag: 'player',
    summary: 'An object through a hub-signed URL: a playlist segment (bound to a session) or a download',
    description:
      "Every playlist's segment URLs point here, whatever the object store (the hub streams the object). A segment URL (`bound=1`) is signed for the session that got the playlist: it plays only with that session's cookie, and each fetch is checked again against the access policy from the fetching address (on or off site) and the viewer's sealed ranges. An unbound URL (a copy's download link on the local store) is authorised by its signature alone. URLs expire (HATTAMA_PRESIGN_EXPIRY_SECONDS). `key` is the object key and may contain `/`. One `bytes=` Range is honoured (206). Playback is audited per viewing and refusals one by one; requests without a valid credential are counted per address, audited in aggregate, and answered 429 past a burst.",
    access: 'signed-url',
    params: keyParam,
    paramDescriptions: {
      key: 'The object key, e.g. `hearings/<id>/video/000000.ts` (slashes are not encoded).',
    },
    query: signedUrlQuery,
    responses: {
      200: {
        description: 'The whole object (immutable; the SHA-256 is its ETag).',
        content: { 'video/mp2t': {}, 'video/mp4': {}, '*/*': {} },
        headers: { ETag: { description: 'The SHA-256 of the object, quoted.', schema: { type: 'string' } } },
      },
      206: {
        description: 'The asked byte range.',
        content: { 'video/mp2t': {}, 'video/mp4': {}, '*/*': {} },
        headers: { 'Content-Range': { description: 'bytes first-last/size', schema: { type: 'string' } } },
      },
    },
    problems: [
      'OBJECT_KEY_INVALID',
      'UNAUTHENTICATED',
      'URL_SIGNATURE_INVALID',
      'URL_EXPIRED',
      'FORBIDDEN',
      'NOT_FOUND',
      'OBJECT_NOT_FOUND',
      'RANGE_NOT_SATISFIABLE',
      'RATE_LIMITED',
    ],
  },
  // — copies —
  {
    method: 'post',
    path: '/api/hearings/:id/copies',
    operationId: 'requestCopy',
    tag: 'player',
    summary: 'Ask for a watermarked MP4 copy of the hearing or a time range (party, judge)',
    description:
      "Queued: a worker makes one MP4 with the lawful-use and personal-data notice (ru/kk/en) as its first seconds and the viewer's name burned in, and the notice as a text file beside it. Sealed parts this viewer may not see are left out. The copy is decided again when it is made, with the requester's rights and the hearing's sealed ranges as they are then: a part sealed since the request is left out, and a requester who may no longer download the recording gets no copy (state voided, voidReason says why). Poll GET /api/copies/{copyId}.",
    access: 'api-write',
    params: idParam,
    paramDescriptions: hearingId,
    body: {
      name: 'RequestCopy',
      schema: copyRequestSchema,
      description: 'Both ends optional; `to` must be after `from`.',
    },
    responses: { 202: { description: 'Queued.', schema: 'CopyRequested' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/copies/:copyId',
    operationId: 'getCopy',
    tag: 'player',
    summary: "A copy's state and progress; once ready, its short-lived links (only for the one who asked)",
    description:
      'Each hand-out of the links is in the audit log with the copy’s SHA-256. The links go out only while the requester may still download the recording (403 otherwise); a copy that shows a part sealed after it was made is voided instead (state voided, voidReason sealed-after-copy, no links).',
    access: 'api',
    params: z.object({ copyId: z.string().regex(/^cp-[0-9a-f-]{36}$/) }),
    paramDescriptions: { copyId: 'As returned by POST /api/hearings/{id}/copies.' },
    responses: { 200: { description: 'The copy.', schema: 'Copy' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  // — the audit log —
  {
    method: 'get',
    path: '/api/audit',
    operationId: 'listAuditEntries',
    tag: 'audit',
    summary: 'The audit log, filtered; JSON or CSV (auditors). Reading it is itself audited',
    access: 'api',
    query: auditQuerySchema,
    responses: {
      200: {
        description:
          'The newest `limit` entries that match every filter, oldest first; `caseNumber` matches the hearings of that number (as typed on the hearing or of the linked case). For older entries ask again with `before` set to `nextBefore`.',
        schema: 'AuditEntries',
        content: { 'text/csv': { type: 'string' } },
      },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN'],
  },
  // — courts, users, cases —
  {
    method: 'get',
    path: '/api/courtrooms',
    operationId: 'listCourtrooms',
    tag: 'admin',
    summary: 'Courtrooms',
    access: 'api',
    responses: { 200: { description: 'Every courtroom.', schema: 'CourtroomList' } },
    problems: [],
  },
  {
    method: 'post',
    path: '/api/courtrooms',
    operationId: 'createCourtroom',
    tag: 'admin',
    summary: 'Add a courtroom (administrator)',
    access: 'api-write',
    body: { name: 'CreateCourtroom', schema: roomSchema },
    responses: { 201: { description: 'Created.', schema: 'Courtroom' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'get',
    path: '/api/admin/courts',
    operationId: 'listCourts',
    tag: 'admin',
    summary: 'Courts',
    access: 'api',
    responses: { 200: { description: 'Every court.', schema: 'CourtList' } },
    problems: [],
  },
  {
    method: 'post',
    path: '/api/admin/courts',
    operationId: 'createCourt',
    tag: 'admin',
    summary: 'Add a court (administrator)',
    access: 'api-write',
    body: { name: 'CreateCourt', schema: courtSchema },
    responses: { 201: { description: 'Created.', schema: 'Court' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'CONFLICT'],
  },
  {
    method: 'get',
    path: '/api/admin/users',
    operationId: 'listUsers',
    tag: 'admin',
    summary: 'User accounts (administrator)',
    access: 'api',
    responses: { 200: { description: 'Every account, without password hashes.', schema: 'UserList' } },
    problems: ['FORBIDDEN'],
  },
  {
    method: 'post',
    path: '/api/admin/users',
    operationId: 'createUser',
    tag: 'admin',
    summary: 'Add a user account (administrator); a password is generated when none is given',
    description:
      'An administrator, higher-court judge or auditor is not created at once: the request waits (202) until a second administrator approves it (POST /api/admin/approvals/{id}/approve), who is shown the generated password once; such a request takes no password.',
    access: 'api-write',
    body: { name: 'CreateUser', schema: userSchema },
    responses: {
      201: { description: 'Created; a generated password is shown once.', schema: 'CreatedUser' },
      202: { description: 'Proposed; waits for a second administrator.', schema: 'ApprovalPending' },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'CONFLICT'],
  },
  {
    method: 'put',
    path: '/api/admin/users/:login/role',
    operationId: 'setUserRole',
    tag: 'admin',
    summary: "Change an account's role and end its sessions (administrator)",
    description:
      'To administrator, higher-court judge or auditor the change waits (202) for a second administrator; any other role is set at once.',
    access: 'api-write',
    params: loginParam,
    paramDescriptions: { login: 'The log-in name.' },
    body: { name: 'SetUserRole', schema: roleSchema },
    responses: {
      200: { description: 'Changed.', schema: 'UserRole' },
      202: { description: 'Proposed; waits for a second administrator.', schema: 'ApprovalPending' },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/users/:login/disable',
    operationId: 'disableUser',
    tag: 'admin',
    summary: 'Disable an account and end all of its sessions (administrator)',
    access: 'api-write',
    params: loginParam,
    paramDescriptions: { login: 'The log-in name.' },
    responses: { 200: { description: 'Disabled (again, if it was).', schema: 'DisabledUser' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/cases',
    operationId: 'listCases',
    tag: 'admin',
    summary: 'Cases',
    access: 'api',
    responses: { 200: { description: 'Every case.', schema: 'CaseList' } },
    problems: [],
  },
  {
    method: 'post',
    path: '/api/cases',
    operationId: 'createCase',
    tag: 'admin',
    summary: "Add a case (a secretary of the case's court, administrator)",
    access: 'api-write',
    body: { name: 'CreateCase', schema: caseSchema },
    responses: { 201: { description: 'Created.', schema: 'Case' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'get',
    path: '/api/cases/:id/participants',
    operationId: 'listParticipants',
    tag: 'admin',
    summary: "A case's parties and representatives",
    description:
      "For the secretaries of the case's court, the judges and secretaries of its hearings, its own parties and representatives, higher-court judges and auditors while assigned to it, and administrators (the access policy's `case.read`). Which account a participant is linked to is not shown, only whether there is one.",
    access: 'api',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The case.' },
    responses: { 200: { description: 'In the order they were added.', schema: 'ParticipantList' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/cases/:id/participants',
    operationId: 'addParticipant',
    tag: 'admin',
    summary:
      "Add a party or representative to a case, linked to a user account (a secretary of the case's court, administrator)",
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The case.' },
    body: { name: 'AddParticipant', schema: participantSchema },
    responses: { 201: { description: 'The participant’s id.', schema: 'Created' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'post',
    path: '/api/cases/:id/assignments',
    operationId: 'addAssignment',
    tag: 'admin',
    summary: 'Propose assigning a higher-court judge or an auditor to a case for a period (administrator)',
    description: 'Takes effect only when a second administrator approves it.',
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The case.' },
    body: { name: 'AddAssignment', schema: assignmentSchema },
    responses: {
      202: { description: 'Proposed; waits for a second administrator.', schema: 'ApprovalPending' },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/terminals',
    operationId: 'createTerminal',
    tag: 'admin',
    summary: 'Propose registering an on-site terminal (administrator)',
    description:
      'Takes effect only when a second administrator approves it; the approval answer shows the terminal token once.',
    access: 'api-write',
    body: { name: 'CreateTerminal', schema: terminalSchema },
    responses: {
      202: { description: 'Proposed; waits for a second administrator.', schema: 'ApprovalPending' },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'post',
    path: '/api/admin/terminals/:id/revoke',
    operationId: 'revokeTerminal',
    tag: 'admin',
    summary: 'Propose revoking an on-site terminal (administrator)',
    description: 'Takes effect only when a second administrator approves it.',
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The terminal.' },
    responses: {
      202: { description: 'Proposed; waits for a second administrator.', schema: 'ApprovalPending' },
    },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'get',
    path: '/api/admin/approvals',
    operationId: 'listApprovals',
    tag: 'admin',
    summary: 'Changes proposed by one administrator for a second one to decide (administrator)',
    access: 'api',
    query: approvalsQuery,
    responses: { 200: { description: 'Newest first.', schema: 'ApprovalList' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN'],
  },
  {
    method: 'post',
    path: '/api/admin/approvals/:id/approve',
    operationId: 'approveChange',
    tag: 'admin',
    summary: 'Approve a pending change and make it (a second administrator, logged in)',
    description:
      'Refused (403) to its proposer (reason own-proposal) and to the administrator token (reason not-a-person); 409 when it was decided already. A generated password or terminal token is shown once, here.',
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The approval.' },
    responses: { 200: { description: 'Approved and made.', schema: 'ApprovalDone' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'post',
    path: '/api/admin/approvals/:id/reject',
    operationId: 'rejectChange',
    tag: 'admin',
    summary: 'Reject a pending change; nothing of it is made (a second administrator, logged in)',
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The approval.' },
    responses: { 200: { description: 'Rejected.', schema: 'ApprovalPending' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  // — recorder nodes —
  {
    method: 'get',
    path: '/api/recorders',
    operationId: 'listRecorders',
    tag: 'recorders',
    summary:
      "Recorder nodes: online or not, and their live levels, alarms and spool (court staff, their own courts' nodes)",
    access: 'api',
    responses: {
      200: {
        description:
          "The nodes of the viewer's courts (operators and secretaries: their courts; judges and secretaries also the courts of their hearings); every node for administrators.",
        schema: 'RecorderList',
      },
    },
    problems: ['FORBIDDEN'],
  },
  {
    method: 'post',
    path: '/api/recorders',
    operationId: 'createRecorder',
    tag: 'recorders',
    summary: 'Add a recorder node; its token is shown once (administrator)',
    access: 'api-write',
    body: { name: 'CreateRecorder', schema: createNodeSchema },
    responses: { 201: { description: 'Created.', schema: 'IssuedToken' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'post',
    path: '/api/recorders/:id/token',
    operationId: 'issueRecorderToken',
    tag: 'recorders',
    summary: 'Issue a node a new token, replacing the old one (administrator)',
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The recorder node.' },
    responses: { 200: { description: 'The new token, shown once.', schema: 'IssuedToken' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/recorders/:id/revoke',
    operationId: 'revokeRecorder',
    tag: 'recorders',
    summary: "Revoke a node's token (administrator)",
    access: 'api-write',
    params: z.object({ id: idSchema }),
    paramDescriptions: { id: 'The recorder node.' },
    responses: { 200: { description: 'Revoked.', schema: 'RecorderRevoked' } },
    problems: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'],
  },
];
