/**
 * Puts the access policy to work on a request: who the viewer is (their cases,
 * assignments and courts from the catalog), what the hearing is (case, staff, sealed
 * ranges), and where the request comes from (the court network or a registered on-site
 * terminal). Every decision about recorded content, and every refusal, is appended to
 * the audit log (docs/architecture.md invariants).
 */
import crypto from 'node:crypto';
import type { Clock, Logger } from '../core/index.ts';
import type { AuditLog, Case, Copy, Hearing, Repositories } from '../storage/index.ts';
import { type Origin, type Person } from './requester.ts';
import {
  createOnSiteMatcher,
  decide,
  decideCase,
  decideCopy,
  ensureAllowed,
  type Allowed,
  placeOf,
  type Action,
  type CaseAction,
  type CaseFacts,
  type Decision,
  type HearingFacts,
  type Place,
  type Viewer,
} from './policy/index.ts';

/** Only the hash of a terminal's token is stored. */
export function hashTerminalToken(token: string): string {
  return crypto.createHash('sha256').update(`hattama-terminal|${token}`).digest('hex');
}

/** Actions that touch recorded content: audited when allowed, not only when refused. */
const AUDITED_WHEN_ALLOWED: ReadonlySet<Action> = new Set([
  'recording.play',
  'recording.download',
  'transcript.read',
  'protocol.read',
  'audit.read',
  'range.seal',
]);

export interface AccessCheck {
  user: Person;
  hearing: Hearing | null;
  action: Action;
  origin: Origin;
  /** What exactly was asked for (a playlist name, a copy id), for the audit log. */
  target?: string;
  /** Audit even an allowed decision of an action that is not audited by default. */
  audit?: boolean;
}

export class AccessService {
  private readonly onSite: (address: string) => boolean;

  constructor(
    private readonly d: {
      repos: Repositories;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      courtNetworks: readonly string[];
    },
  ) {
    this.onSite = createOnSiteMatcher(d.courtNetworks);
  }

  async viewerFor(user: Person): Promise<Viewer> {
    const [row, links, assignments, courtIds] = await Promise.all([
      this.d.repos.users.find(user.id),
      this.d.repos.cases.participationsOfUser(user.id),
      // All of them, ended and future ones too: the policy refuses an assignment that is
      // not in force as `assignment-not-active`, which it cannot tell from "never assigned"
      // (`not-assigned-to-case`) if only the ones in force reach it.
      this.d.repos.cases.assignmentsOfUser(user.id),
      this.d.repos.users.courtIds(user.id),
    ]);
    return {
      userId: user.id,
      role: user.role,
      disabled: !row || row.disabled_at !== null,
      caseLinks: links.map((p) => ({ caseId: p.case_id, as: p.capacity })),
      assignments: assignments.map((a) => ({
        caseId: a.case_id,
        validFromMs: a.valid_from_ms,
        validUntilMs: a.valid_until_ms,
      })),
      courtIds,
    };
  }

  async hearingFacts(hearing: Hearing): Promise<HearingFacts> {
    const [room, sealed] = await Promise.all([
      this.d.repos.courts.findCourtroom(hearing.courtroom_id),
      this.d.repos.sealedRanges.listByHearing(hearing.id),
    ]);
    return {
      id: hearing.id,
      // A hearing not yet tied to a case has no participants: nobody reaches it as one.
      caseId: hearing.case_id ?? `no-case:${hearing.id}`,
      courtId: room?.court_id ?? '',
      visibility: hearing.visibility,
      judgeUserId: hearing.judge_user_id,
      secretaryUserId: hearing.secretary_user_id,
      state: hearing.state,
      sealedRanges: sealed.map((r) => ({ startMs: r.start_ms, endMs: r.end_ms })),
    };
  }

  /** Where the request comes from: a registered terminal, the court network, or remote. */
  async placeOf(origin: Origin): Promise<Place> {
    const address = origin.address ?? '';
    let onCourtNetwork = false;
    try {
      onCourtNetwork = address !== '' && this.onSite(address);
    } catch {
      onCourtNetwork = false;
    }
    const token = origin.terminalToken;
    let registeredTerminal = false;
    if (token && onCourtNetwork) {
      // A terminal token only counts from inside the court network: a stolen token
      // must not turn a home computer into an on-site terminal.
      registeredTerminal =
        (await this.d.repos.terminals.findActiveByTokenHash(hashTerminalToken(token))) !== undefined;
    }
    return placeOf({ onCourtNetwork, registeredTerminal });
  }

  /** Decides, audits, and returns the decision (does not throw). */
  async decide(check: AccessCheck): Promise<Decision> {
    const [viewer, facts, place] = await Promise.all([
      this.viewerFor(check.user),
      check.hearing ? this.hearingFacts(check.hearing) : Promise.resolve(null),
      this.placeOf(check.origin),
    ]);
    const decision = decide({
      viewer,
      hearing: facts,
      action: check.action,
      place,
      nowMs: this.d.clock.now(),
    });
    await this.record({
      check: { ...check, hearingId: check.hearing?.id ?? null },
      decision,
      audited: check.audit === true || AUDITED_WHEN_ALLOWED.has(check.action),
      allowReason: place.how,
    });
    return decision;
  }

  /** Decides and throws AccessRefusedError (403 FORBIDDEN) on a refusal. */
  async require(check: AccessCheck): Promise<Allowed> {
    return ensureAllowed(await this.decide(check));
  }

  /** The facts of a case the policy decides on: its court and the staff of its hearings. */
  async caseFacts(theCase: Pick<Case, 'id' | 'court_id'>): Promise<CaseFacts> {
    return factsOf(theCase, await this.d.repos.cases.listHearingsOfCase(theCase.id));
  }

  /**
   * Decides an action on a case (`decideCase`): seeing its participants, or preparing it
   * (pass the draft, `{ id: 'new', court_id }`, to create one). Refusals are audited; a
   * route that changes access data (adds a participant) records the change itself.
   */
  async requireCase(check: {
    user: Person;
    theCase: Pick<Case, 'id' | 'court_id'>;
    action: CaseAction;
    origin: Origin;
    target?: string;
  }): Promise<Allowed> {
    const [viewer, facts] = await Promise.all([this.viewerFor(check.user), this.caseFacts(check.theCase)]);
    const decision = decideCase({ viewer, theCase: facts, action: check.action, nowMs: this.d.clock.now() });
    await this.record({
      check: { ...check, hearingId: null, target: check.target ?? `case ${check.theCase.id}` },
      decision,
      audited: false,
      allowReason: null,
    });
    return ensureAllowed(decision);
  }

  /**
   * The cases among `cases` that `user` may read (`decideCase`, `case.read`): a list shows
   * only these, and leaving the others out is not a refusal to audit.
   */
  async readableCases<C extends Pick<Case, 'id' | 'court_id'>>(
    user: Person,
    cases: readonly C[],
  ): Promise<C[]> {
    // One read of the hearings for the whole list, not one per case.
    const [viewer, hearings] = await Promise.all([this.viewerFor(user), this.d.repos.hearings.list()]);
    const byCase = new Map<string | null, Hearing[]>();
    for (const h of hearings) {
      const list = byCase.get(h.case_id);
      if (list) list.push(h);
      else byCase.set(h.case_id, [h]);
    }
    const nowMs = this.d.clock.now();
    return cases.filter(
      (c) =>
        decideCase({ viewer, theCase: factsOf(c, byCase.get(c.id) ?? []), action: 'case.read', nowMs }).allow,
    );
  }

  /** A finished copy's links go to the one who asked for it only (`decideCopy`); refusals are audited. */
  async requireCopy(check: { user: Person; copy: Copy; origin: Origin }): Promise<Allowed> {
    const viewer = await this.viewerFor(check.user);
    const decision = decideCopy({ viewer, copy: { requestedByUserId: check.copy.viewer_user_id } });
    await this.record({
      check: {
        user: check.user,
        origin: check.origin,
        action: 'copy.download',
        hearingId: check.copy.hearing_id,
        target: check.copy.id,
      },
      decision,
      audited: false,
      allowReason: null,
    });
    return ensureAllowed(decision);
  }

  /** Appends a decision to the audit log (every refusal; an allowance when `audited`) and logs a refusal. */
  private async record(r: {
    check: {
      user: Person;
      origin: Origin;
      action: string;
      hearingId: string | null;
      target?: string | undefined;
    };
    decision: Decision;
    audited: boolean;
    /** What an allowed entry's `reason` says (where the request came from), if anything. */
    allowReason: string | null;
  }): Promise<void> {
    const { check, decision } = r;
    if (!decision.allow || r.audited) {
      await this.d.audit.append({
        actor: check.user.login,
        role: check.user.role,
        action: check.action,
        hearingId: check.hearingId,
        target: check.target ?? null,
        address: check.origin.address,
        verdict: decision.allow ? 'allow' : 'refuse',
        reason: decision.allow ? r.allowReason : decision.reason,
      });
    }
    if (!decision.allow)
      this.d.logger.info(
        {
          user: check.user.login,
          hearingId: check.hearingId ?? undefined,
          action: check.action,
          reason: decision.reason,
        },
        'access refused',
      );
  }
}

/** A case's facts for the policy: its court, and the judges and secretaries of its hearings. */
function factsOf(
  theCase: Pick<Case, 'id' | 'court_id'>,
  hearings: readonly Pick<Hearing, 'judge_user_id' | 'secretary_user_id'>[],
): CaseFacts {
  const staff = new Set<string>();
  for (const h of hearings) {
    if (h.judge_user_id) staff.add(h.judge_user_id);
    if (h.secretary_user_id) staff.add(h.secretary_user_id);
  }
  return { id: theCase.id, courtId: theCase.court_id, staffUserIds: [...staff] };
}
