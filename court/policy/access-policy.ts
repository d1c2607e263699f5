/**
 * The access policy: the ONE place that decides who may do what with a hearing, and
 * from where (issue 6, item 2; docs/architecture.md "Invariants"; the reasons for each rule are in
 * docs/decisions/0006-access-policy.md).
 *
 * Pure: the caller loads the viewer and the hearing, works out where the request comes
 * from (see `on-site.ts`) and passes the clock's `nowMs`; nothing here reads a clock, a
 * database or the network, so the whole matrix is unit-tested cell by cell and a
 * decision costs microseconds on every playlist and segment URL.
 *
 * The rules are written as switches over the viewer's role, the action and the hearing's
 * visibility that end in `satisfies never`: adding a role, an action or a
 * visibility does not compile until every rule has said what it means for it. At run
 * time anything unknown (a role string from an old row, say) is refused, never allowed.
 */
import { USER_ROLES, type HearingState, type UserRole } from '../../storage/index.ts';
import { ValidationError, mergeRanges, type TimeRange } from '../../core/index.ts';

export type { TimeRange };

// ---------------------------------------------------------------------------
// Vocabulary

/** The roles: one list, the catalog's (the users table CHECKs it). */
export const ROLES = USER_ROLES;
export type Role = UserRole;

/** Actions on one hearing; `decide` needs the hearing's facts for these. */
export const HEARING_ACTIONS = [
  /** See the hearing listed and read its facts (case, court, time, markers' times). */
  'hearing.view',
  /** Get the HLS playlists and segment URLs. */
  'recording.play',
  /** Have a watermarked MP4 copy made (whole hearing or a range). */
  'recording.download',
  'transcript.read',
  'protocol.read',
  'marker.add',
  /** Start, pause, resume and stop the recording; watch levels and liveness. */
  'hearing.operate',
  /** The secretary's form: case, participants, visibility, microphone mapping. */
  'hearing.edit',
  /** Seal a time range of an otherwise open hearing (a closed part). */
  'range.seal',
  /** Create a hearing; pass the draft's facts (its court above all) as the hearing. */
  'hearing.create',
] as const;
export type HearingAction = (typeof HEARING_ACTIONS)[number];

/** Actions that concern no single hearing; `decide` ignores the hearing for these. */
export const SYSTEM_ACTIONS = [
  /** Read, filter and export the audit log. */
  'audit.read',
  /** Courts, courtrooms, recorder nodes, users, retention rules. */
  'admin.manage',
  /**
   * Watch the recorder nodes: who is online, levels, alarms, spool (GET /api/recorders and
   * the console's live feed /api/live). Telemetry only, nothing recorded passes there.
   */
  'recorders.watch',
] as const;
export type SystemAction = (typeof SYSTEM_ACTIONS)[number];

export const ACTIONS = [...HEARING_ACTIONS, ...SYSTEM_ACTIONS] as const;
export type Action = HearingAction | SystemAction;

export type Visibility = 'open' | 'closed';

export interface CaseLink {
  caseId: string;
  /** How the account takes part; informational: any link makes its user one of the case's people. */
  as: 'party' | 'representative';
}

/** A higher-court judge's (or an auditor's) assignment to a case under appeal or cassation. */
export interface Assignment {
  caseId: string;
  validFromMs: number;
  /** Exclusive end; null for an assignment without an end. */
  validUntilMs: number | null;
}

/** Who asks, as the hub loaded them for this request. */
export interface Viewer {
  userId: string;
  role: Role;
  disabled: boolean;
  /** Cases whose party or representative this account is. */
  caseLinks: readonly CaseLink[];
  assignments: readonly Assignment[];
  /**
   * Courts this account works at (operators, secretaries; empty for others). Operators
   * run any hearing of their courts and secretaries create hearings in them. Not in the
   * issue's list of inputs, but "any hearing of their court" cannot be decided without it.
   */
  courtIds: readonly string[];
}

/** The facts of one hearing that the rules look at. */
export interface HearingFacts {
  id: string;
  caseId: string;
  courtId: string;
  visibility: Visibility;
  judgeUserId: string | null;
  secretaryUserId: string | null;
  /**
   * Carried for the caller's logs; no rule depends on it. What may happen in which state
   * (start only when scheduled, …) is the hearings service's state machine, not access.
   */
  state: HearingState;
  /** Closed parts of the hearing, sealed by its judge. */
  sealedRanges: readonly TimeRange[];
}

/**
 * Where the request comes from. On site means inside the court: an address in a
 * configured court network range, or a registered on-site terminal. `onSite` and `how`
 * must agree; when they do not, the request counts as off site (fail closed).
 */
export interface Place {
  onSite: boolean;
  how: 'court-network' | 'terminal' | 'remote';
}

export interface DecideInput {
  viewer: Viewer;
  /** Required for hearing actions; ignored (may be null) for system actions. */
  hearing: HearingFacts | null;
  action: Action;
  place: Place;
  /** The hub clock's now, UTC epoch ms; assignments are judged against it. */
  nowMs: number;
}

/** Stable, machine-readable reasons for a refusal; the audit log and the API carry them. */
export const REFUSAL_REASONS = [
  /** The account is disabled. */
  'disabled',
  /** A hearing action was asked without a hearing. */
  'hearing-required',
  /** This role never does this action, whatever the hearing or place. */
  'role-cannot',
  /** An auditor not assigned to the case: the audit log, not what was recorded. */
  'auditor-reads-log-only',
  /** A party or representative of another case. */
  'not-a-participant',
  /** A judge or secretary who is not this hearing's judge or secretary. */
  'not-the-hearings-staff',
  /** An operator (or a secretary creating a hearing) of another court. */
  'not-of-this-court',
  /** A higher-court judge with no assignment to the hearing's case. */
  'not-assigned-to-case',
  /** An assignment to the case exists but has not started or has ended. */
  'assignment-not-active',
  /** A copy asked for by someone else: a copy carries its requester's name as a watermark. */
  'not-the-copy-requester',
  /** A closed hearing's content asked by its party or representative from off site. */
  'closed-hearing-off-site',
  /** A copy of a closed hearing asked by its party or representative (copies leave the court). */
  'closed-hearing-no-copies',
  /** An operator asked to play a closed hearing. */
  'closed-hearing-not-for-operators',
  /** An operator asked to play an open hearing from off site. */
  'on-site-only',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Allowed {
  allow: true;
  /**
   * Time ranges whose content (media, transcript words, marker texts, protocol entries)
   * must be left out of whatever is served under this decision: sorted, non-overlapping.
   * Empty when the viewer may have everything.
   */
  excludeRanges: readonly TimeRange[];
}

export interface Refused {
  allow: false;
  reason: RefusalReason;
  /** For people: says why, in English; clients branch on `reason`, never on this. */
  message: string;
}

export type Decision = Allowed | Refused;

// ---------------------------------------------------------------------------
// The decision

export function isSystemAction(action: Action): action is SystemAction {
  return (SYSTEM_ACTIONS as readonly string[]).includes(action);
}

/** Decides one request. Throws ValidationError only for malformed hearing facts. */
export function decide(input: DecideInput): Decision {
  const { viewer, hearing, action } = input;
  // A disabled account is refused before anything else is looked at.
  if (viewer.disabled) return refuse('disabled', 'this account is disabled');
  if (isSystemAction(action)) return decideSystem(viewer, action);
  if (!hearing) return refuse('hearing-required', `${action} concerns one hearing, and none was given`);
  checkSealedRanges(hearing);
  const ctx: HearingContext = {
    viewer,
    hearing,
    action,
    onSite: isPlaceOnSite(input.place),
    nowMs: input.nowMs,
  };
  switch (viewer.role) {
    case 'administrator':
      return forAdministrator(ctx);
    case 'operator':
      return forOperator(ctx);
    case 'secretary':
      return forSecretary(ctx);
    case 'judge':
      return forJudge(ctx);
    case 'party':
    case 'representative':
      return forCasePerson(ctx);
    case 'higher-court-judge':
      return forHigherCourtJudge(ctx);
    case 'auditor':
      return forAuditor(ctx);
    default:
      return unknownRole(viewer.role satisfies never);
  }
}

interface HearingContext {
  viewer: Viewer;
  hearing: HearingFacts;
  action: HearingAction;
  onSite: boolean;
  nowMs: number;
}

/**
 * The audit log is read by auditors only: administrators change access data, which the
 * log records, so they do not also audit it (separation of duties). Accounts and courts
 * are managed by administrators only.
 */
function decideSystem(viewer: Viewer, action: SystemAction): Decision {
  switch (action) {
    case 'audit.read':
      return viewer.role === 'auditor'
        ? allow(NOTHING)
        : refuse('role-cannot', 'only auditors read the audit log');
    case 'admin.manage':
      return viewer.role === 'administrator'
        ? allow(NOTHING)
        : refuse('role-cannot', 'only administrators manage courts, recorder nodes and accounts');
    case 'recorders.watch':
      return watchesRecorders(viewer.role)
        ? allow(NOTHING)
        : refuse(
            'role-cannot',
            'only court staff (operators, judges, secretaries, administrators) watch the recorder nodes',
          );
    default:
      return unknownAction(action satisfies never);
  }
}

/**
 * Court staff watch the recorder nodes and the console's live feed: levels, alarms and
 * liveness of every node, which show no recorded content. Operators run the recording;
 * judges and secretaries see that their courtroom records; administrators look after the
 * nodes. The case's people, higher-court judges and auditors review what was recorded
 * instead, through the policy's hearing actions.
 */
function watchesRecorders(role: Role): boolean {
  switch (role) {
    case 'operator':
    case 'judge':
    case 'secretary':
    case 'administrator':
      return true;
    case 'party':
    case 'representative':
    case 'higher-court-judge':
    case 'auditor':
      return false;
    default:
      return unknownRole(role satisfies never).allow;
  }
}

/**
 * Administrators run the system, not cases: evidence access is for the case's people
 * (docs/architecture.md "Who uses it"), so an administrator sees no hearing and plays nothing. An
 * administrator who must review a case gets a second account in that capacity.
 */
function forAdministrator(ctx: HearingContext): Decision {
  switch (ctx.action) {
    case 'hearing.view':
    case 'recording.play':
    case 'recording.download':
    case 'transcript.read':
    case 'protocol.read':
      return refuse(
        'role-cannot',
        "administrators manage the system; a hearing's recording, transcript and protocol are for the case's people",
      );
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
    case 'range.seal':
    case 'hearing.create':
      return refuse('role-cannot', 'administrators do not run or prepare hearings');
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/**
 * Operators run the recording of any hearing of their court (start/pause/stop, markers,
 * levels), from wherever their console is. They are not among the case's people: they
 * may play an open hearing only on site (to check the picture and sound), never a closed
 * one, and never the sealed parts of an open one; no copies, transcripts or protocols.
 */
function forOperator(ctx: HearingContext): Decision {
  const { viewer, hearing } = ctx;
  const ofThisCourt = viewer.courtIds.includes(hearing.courtId);
  const notOfThisCourt = (): Refused =>
    refuse('not-of-this-court', `operators run the hearings of their own court, not of ${hearing.courtId}`);
  switch (ctx.action) {
    case 'hearing.view':
    case 'hearing.operate':
    case 'marker.add':
      return ofThisCourt ? allow(sealedPartsOf(hearing)) : notOfThisCourt();
    case 'recording.play':
      if (!ofThisCourt) return notOfThisCourt();
      switch (hearing.visibility) {
        case 'open':
          return ctx.onSite
            ? allow(sealedPartsOf(hearing))
            : refuse('on-site-only', "operators check an open hearing's recording on site only");
        case 'closed':
          return refuse(
            'closed-hearing-not-for-operators',
            "a closed hearing is played only to its judge, secretary, the case's people on site and assigned higher-court judges",
          );
        default:
          return unknownVisibility(hearing.visibility satisfies never);
      }
    case 'recording.download':
    case 'transcript.read':
    case 'protocol.read':
      return refuse(
        'role-cannot',
        'operators run the recording; copies, transcripts and protocols are for the case',
      );
    case 'hearing.edit':
    case 'range.seal':
    case 'hearing.create':
      return refuse('role-cannot', 'operators do not prepare hearings or seal ranges');
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/**
 * The hearing's secretary (by user id) may do everything for it, from anywhere and
 * sealed parts included, except sealing: closing part of a session is the court's
 * ruling, so only the judge seals. Secretaries create hearings in their own courts.
 */
function forSecretary(ctx: HearingContext): Decision {
  const { viewer, hearing } = ctx;
  switch (ctx.action) {
    case 'hearing.create':
      return viewer.courtIds.includes(hearing.courtId)
        ? allow(NOTHING)
        : refuse(
            'not-of-this-court',
            `secretaries create hearings in their own court, not in ${hearing.courtId}`,
          );
    case 'range.seal':
      return refuse(
        'role-cannot',
        "sealing part of a hearing is the court's ruling; only the hearing's judge seals",
      );
    case 'hearing.view':
    case 'recording.play':
    case 'recording.download':
    case 'transcript.read':
    case 'protocol.read':
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
      return hearing.secretaryUserId === viewer.userId
        ? allow(NOTHING)
        : refuse('not-the-hearings-staff', `only the secretary of hearing ${hearing.id} may do this`);
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/** The hearing's judge (by user id) may do everything for it, from anywhere, sealed parts included. */
function forJudge(ctx: HearingContext): Decision {
  const { viewer, hearing } = ctx;
  switch (ctx.action) {
    case 'hearing.create':
      return refuse('role-cannot', "the court's secretaries create hearings");
    case 'hearing.view':
    case 'recording.play':
    case 'recording.download':
    case 'transcript.read':
    case 'protocol.read':
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
    case 'range.seal':
      return hearing.judgeUserId === viewer.userId
        ? allow(NOTHING)
        : refuse('not-the-hearings-staff', `only the judge of hearing ${hearing.id} may do this`);
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/**
 * Parties and representatives review their own case's hearings: an open hearing from
 * anywhere; a closed one only on site and never as a copy, since a copy leaves the court
 * (docs/architecture.md: "recordings of closed sessions are never served online to the parties").
 * They may see a closed hearing listed from anywhere, so the page can tell them to come
 * to court. Sealed parts are withheld from them everywhere, on site included.
 */
function forCasePerson(ctx: HearingContext): Decision {
  const { viewer, hearing } = ctx;
  switch (ctx.action) {
    case 'hearing.view':
    case 'recording.play':
    case 'recording.download':
    case 'transcript.read':
    case 'protocol.read':
      break;
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
    case 'range.seal':
    case 'hearing.create':
      return refuse('role-cannot', `a ${viewer.role} reviews hearings and does not run or prepare them`);
    default:
      return unknownAction(ctx.action satisfies never);
  }
  if (!viewer.caseLinks.some((link) => link.caseId === hearing.caseId)) {
    return refuse('not-a-participant', `hearing ${hearing.id} belongs to a case this account is not part of`);
  }
  const sealed = sealedPartsOf(hearing);
  switch (hearing.visibility) {
    case 'open':
      return allow(sealed);
    case 'closed':
      switch (ctx.action) {
        case 'hearing.view':
          return allow(sealed);
        case 'recording.download':
          return refuse(
            'closed-hearing-no-copies',
            'no copies are made of a closed hearing; it may be reviewed on site at the court',
          );
        case 'recording.play':
        case 'transcript.read':
        case 'protocol.read':
          return ctx.onSite
            ? allow(sealed)
            : refuse(
                'closed-hearing-off-site',
                'a closed hearing may be reviewed only on site at the court (court network or an on-site terminal)',
              );
        default:
          return unknownAction(ctx.action satisfies never);
      }
    default:
      return unknownVisibility(hearing.visibility satisfies never);
  }
}

/**
 * A higher-court judge assigned to the hearing's case reviews it whole during the
 * assignment: recording, transcript and protocol, closed hearings and sealed parts
 * included, from anywhere (docs/architecture.md invariants). Reviewing is online; they do not take
 * copies, run or change the hearing.
 */
function forHigherCourtJudge(ctx: HearingContext): Decision {
  switch (ctx.action) {
    case 'hearing.view':
    case 'recording.play':
    case 'transcript.read':
    case 'protocol.read':
      return byAssignment(ctx.viewer, ctx.hearing.caseId, ctx.nowMs, () =>
        refuse('not-assigned-to-case', `this account is not assigned to case ${ctx.hearing.caseId}`),
      );
    case 'recording.download':
      return refuse('role-cannot', 'higher-court judges review a hearing online; copies are for the case');
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
    case 'range.seal':
    case 'hearing.create':
      return refuse('role-cannot', 'higher-court judges review hearings; they do not run or change them');
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/**
 * Auditors read the audit log (see decideSystem), not what was recorded, unless they are
 * also assigned to the case: then they review it as an assigned higher-court judge does.
 */
function forAuditor(ctx: HearingContext): Decision {
  switch (ctx.action) {
    case 'hearing.view':
    case 'recording.play':
    case 'transcript.read':
    case 'protocol.read':
      return byAssignment(ctx.viewer, ctx.hearing.caseId, ctx.nowMs, () =>
        refuse(
          'auditor-reads-log-only',
          'auditors read the audit log; a hearing itself only when assigned to its case',
        ),
      );
    case 'recording.download':
    case 'marker.add':
    case 'hearing.operate':
    case 'hearing.edit':
    case 'range.seal':
    case 'hearing.create':
      return refuse('role-cannot', 'auditors do not take copies of, run or change hearings');
    default:
      return unknownAction(ctx.action satisfies never);
  }
}

/**
 * Allows the whole hearing (or case) while an assignment to the case is in force:
 * validFrom ≤ now < validUntil. An assignment that has ended or not yet begun is refused
 * as `assignment-not-active`, not as unassigned: the viewer must be given every
 * assignment, not only those in force (the hub loads them all).
 */
function byAssignment(viewer: Viewer, caseId: string, nowMs: number, unassigned: () => Refused): Decision {
  const forCase = viewer.assignments.filter((a) => a.caseId === caseId);
  if (forCase.length === 0) return unassigned();
  const active = forCase.some(
    (a) => a.validFromMs <= nowMs && (a.validUntilMs === null || nowMs < a.validUntilMs),
  );
  return active
    ? allow(NOTHING)
    : refuse('assignment-not-active', `the assignment to case ${caseId} is not in force now`);
}

// ---------------------------------------------------------------------------
// Cases: who may see a case's participants, and who prepares cases

/** Actions on one case (not on one of its hearings). */
export const CASE_ACTIONS = [
  /** See the case's participants (the secretary's form, the microphone mapping). */
  'case.read',
  /** Create the case (pass the draft's facts) and add its parties and representatives. */
  'case.prepare',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** The facts of one case that the rules look at. */
export interface CaseFacts {
  id: string;
  courtId: string;
  /** The judges and secretaries (user ids) of the case's hearings. */
  staffUserIds: readonly string[];
}

export interface DecideCaseInput {
  viewer: Viewer;
  theCase: CaseFacts;
  action: CaseAction;
  /** The hub clock's now, UTC epoch ms; assignments are judged against it. */
  nowMs: number;
}

/**
 * Decides one request about a case. Adding a participant gives an account the case's
 * recordings (open ones online), so preparing a case is for the secretaries of its court
 * and administrators only; a secretary of another court may not put anyone on it. The
 * participants are seen by whoever takes part in the case: its court's secretaries, the
 * judges and secretaries of its hearings, its own parties and representatives, and
 * higher-court judges and auditors while assigned to it.
 */
export function decideCase(input: DecideCaseInput): Decision {
  const { viewer, theCase, action } = input;
  if (viewer.disabled) return refuse('disabled', 'this account is disabled');
  const staff = theCase.staffUserIds.includes(viewer.userId);
  const ofCourt = viewer.courtIds.includes(theCase.courtId);
  switch (viewer.role) {
    case 'administrator':
      switch (action) {
        case 'case.read':
        case 'case.prepare':
          return allow(NOTHING);
        default:
          return unknownAction(action satisfies never);
      }
    case 'secretary':
      switch (action) {
        case 'case.read':
          return ofCourt || staff
            ? allow(NOTHING)
            : refuse('not-of-this-court', `case ${theCase.id} is of another court`);
        case 'case.prepare':
          return ofCourt
            ? allow(NOTHING)
            : refuse(
                'not-of-this-court',
                `secretaries prepare the cases of their own court, not of ${theCase.courtId}`,
              );
        default:
          return unknownAction(action satisfies never);
      }
    case 'judge':
      switch (action) {
        case 'case.read':
          return staff
            ? allow(NOTHING)
            : refuse(
                'not-the-hearings-staff',
                `only the judges of case ${theCase.id}'s hearings may see this`,
              );
        case 'case.prepare':
          return refuse('role-cannot', "the court's secretaries prepare cases");
        default:
          return unknownAction(action satisfies never);
      }
    case 'operator':
      return refuse('role-cannot', "operators run the recording; a case's participants are for its people");
    case 'party':
    case 'representative':
      switch (action) {
        case 'case.read':
          return viewer.caseLinks.some((link) => link.caseId === theCase.id)
            ? allow(NOTHING)
            : refuse('not-a-participant', `this account takes no part in case ${theCase.id}`);
        case 'case.prepare':
          return refuse('role-cannot', `a ${viewer.role} does not prepare cases`);
        default:
          return unknownAction(action satisfies never);
      }
    case 'higher-court-judge':
      switch (action) {
        case 'case.read':
          return byAssignment(viewer, theCase.id, input.nowMs, () =>
            refuse('not-assigned-to-case', `this account is not assigned to case ${theCase.id}`),
          );
        case 'case.prepare':
          return refuse('role-cannot', 'higher-court judges review cases; they do not prepare them');
        default:
          return unknownAction(action satisfies never);
      }
    case 'auditor':
      switch (action) {
        case 'case.read':
          return byAssignment(viewer, theCase.id, input.nowMs, () =>
            refuse('auditor-reads-log-only', 'auditors read the audit log; a case only when assigned to it'),
          );
        case 'case.prepare':
          return refuse('role-cannot', 'auditors do not prepare cases');
        default:
          return unknownAction(action satisfies never);
      }
    default:
      return unknownRole(viewer.role satisfies never);
  }
}

// ---------------------------------------------------------------------------
// Copies and sealed ranges

/**
 * A finished copy's links go only to the one who asked for it, whatever their role: the
 * copy carries its requester's name burned in as a watermark, and handing it to anyone
 * else would put that name on a file they did not take (issue 6, "Copies").
 */
export function decideCopy(input: {
  viewer: Pick<Viewer, 'userId' | 'disabled'>;
  copy: { requestedByUserId: string | null };
}): Decision {
  if (input.viewer.disabled) return refuse('disabled', 'this account is disabled');
  return input.copy.requestedByUserId !== null && input.copy.requestedByUserId === input.viewer.userId
    ? allow(NOTHING)
    : refuse('not-the-copy-requester', 'this copy was made for someone else');
}

/**
 * Whether a viewer is told a hearing's sealed ranges with their reasons: its judge (who
 * sealed them) and its secretary. Everyone else gets what they may see without learning
 * why parts are missing; the reasons may themselves be what the sealing protects.
 */
export function seesSealedRanges(
  viewer: Pick<Viewer, 'userId'>,
  hearing: Pick<HearingFacts, 'judgeUserId' | 'secretaryUserId'>,
): boolean {
  return viewer.userId === hearing.judgeUserId || viewer.userId === hearing.secretaryUserId;
}

// ---------------------------------------------------------------------------
// Helpers

const NOTHING: readonly TimeRange[] = Object.freeze([]);

function allow(excludeRanges: readonly TimeRange[]): Allowed {
  return { allow: true, excludeRanges };
}

function refuse(reason: RefusalReason, message: string): Refused {
  return { allow: false, reason, message };
}

/** On site only when both fields say so; a contradiction counts as off site. */
function isPlaceOnSite(place: Place): boolean {
  switch (place.how) {
    case 'court-network':
    case 'terminal':
      return place.onSite === true;
    case 'remote':
      return false;
    default:
      return unknownPlace(place.how satisfies never);
  }
}

function checkSealedRanges(hearing: HearingFacts): void {
  for (const r of hearing.sealedRanges) {
    if (!Number.isFinite(r.startMs) || !Number.isFinite(r.endMs) || r.startMs >= r.endMs) {
      throw new ValidationError(`hearing ${hearing.id} has a malformed sealed range`, {
        hearingId: hearing.id,
        startMs: r.startMs,
        endMs: r.endMs,
      });
    }
  }
}

/** The hearing's sealed ranges, sorted, with overlapping and touching ones merged. */
export function sealedPartsOf(hearing: Pick<HearingFacts, 'sealedRanges'>): readonly TimeRange[] {
  return hearing.sealedRanges.length === 0 ? NOTHING : mergeRanges(hearing.sealedRanges);
}

// Reached only when a value outside the types arrives at run time: refuse, never allow.
function unknownRole(role: unknown): Refused {
  return refuse('role-cannot', `unknown role ${JSON.stringify(role)}`);
}
function unknownAction(action: unknown): Refused {
  return refuse('role-cannot', `unknown action ${JSON.stringify(action)}`);
}
function unknownVisibility(visibility: unknown): Refused {
  return refuse('role-cannot', `unknown hearing visibility ${JSON.stringify(visibility)}`);
}
function unknownPlace(_how: unknown): false {
  return false;
}
