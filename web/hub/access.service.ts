/**
 * Puts the access policy to work on a request: who the viewer is (their cases,
 * assignments and courts from the catalog), what the hearing is (case, staff, sealed
 * ranges), and where the request comes from (the court network or a registered on-site
 * terminal). Every decision about recorded content, and every refusal, is appended to
 * the audit log (DESIGN.md invariants).
 */
import crypto from 'node:crypto';
import type { Request } from 'express';
import type { Clock, Logger } from '../../core/index.ts';
import type { AuditLog, Hearing, Repositories } from '../../storage/index.ts';
import type { AuthUser } from '../auth/index.ts';
import {
  AccessRefusedError,
  createOnSiteMatcher,
  decide,
  ensureAllowed,
  type Allowed,
  placeOf,
  type Action,
  type Decision,
  type HearingFacts,
  type Place,
  type RefusalReason,
  type Viewer,
} from '../policy/index.ts';

/** Header an on-site terminal sends with its registered token. */
export const TERMINAL_HEADER = 'x-hattama-terminal';

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
  user: AuthUser;
  hearing: Hearing | null;
  action: Action;
  req: Request;
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

  async viewerFor(user: AuthUser): Promise<Viewer> {
    const now = this.d.clock.now();
    const [row, links, assignments, courtIds] = await Promise.all([
      this.d.repos.users.find(user.id),
      this.d.repos.cases.participationsOfUser(user.id),
      this.d.repos.cases.activeAssignmentsOfUser(user.id, now),
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
  async placeOf(req: Request): Promise<Place> {
    const address = req.socket.remoteAddress ?? '';
    let onCourtNetwork = false;
    try {
      onCourtNetwork = address !== '' && this.onSite(address);
    } catch {
      onCourtNetwork = false;
    }
    const token = req.get(TERMINAL_HEADER);
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
      this.placeOf(check.req),
    ]);
    const decision = decide({
      viewer,
      hearing: facts,
      action: check.action,
      place,
      nowMs: this.d.clock.now(),
    });
    if (!decision.allow || check.audit || AUDITED_WHEN_ALLOWED.has(check.action)) {
      await this.d.audit.append({
        actor: check.user.login,
        role: check.user.role,
        action: check.action,
        hearingId: check.hearing?.id ?? null,
        target: check.target ?? null,
        address: check.req.socket.remoteAddress ?? null,
        verdict: decision.allow ? 'allow' : 'refuse',
        reason: decision.allow ? `${place.how}` : decision.reason,
      });
    }
    if (!decision.allow)
      this.d.logger.info(
        {
          user: check.user.login,
          hearingId: check.hearing?.id,
          action: check.action,
          reason: decision.reason,
        },
        'access refused',
      );
    return decision;
  }

  /** Decides and throws AccessRefusedError (403 FORBIDDEN) on a refusal. */
  async require(check: AccessCheck): Promise<Allowed> {
    return ensureAllowed(await this.decide(check));
  }

  /**
   * Records a refusal that a route decided by a rule of its own (a copy belongs to the
   * one who asked for it; only court staff watch the recorders), then throws it as
   * AccessRefusedError: every refusal is in the audit log, whoever decided it.
   */
  async refuse(r: {
    user: AuthUser;
    req: Request;
    action: string;
    hearingId?: string | null;
    target?: string;
    reason: RefusalReason;
    message: string;
  }): Promise<never> {
    await this.d.audit.append({
      actor: r.user.login,
      role: r.user.role,
      action: r.action,
      hearingId: r.hearingId ?? null,
      target: r.target ?? null,
      address: r.req.socket.remoteAddress ?? null,
      verdict: 'refuse',
      reason: r.reason,
    });
    this.d.logger.info(
      { user: r.user.login, hearingId: r.hearingId, action: r.action, reason: r.reason },
      'access refused',
    );
    throw new AccessRefusedError(r.reason, r.message);
  }
}
