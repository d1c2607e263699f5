/**
 * Separation of duties (docs/decisions/0018-separation-of-duties.md): no administrator
 * alone may give anyone — themself included — access to evidence or to the audit log.
 * Such a change is proposed by one administrator and kept pending; a second administrator,
 * logged in with an account of their own (not the proposer, not the `api-token` account a
 * script acts as), approves or rejects it. Nothing takes effect before the approval; the
 * proposal and the decision are both in the audit log.
 *
 * Which changes: creating an account with, or changing an account's role to, one of
 * ROLES_NEEDING_APPROVAL; assigning someone to a case; registering or revoking an on-site
 * terminal (which decides who counts as on site for closed hearings).
 */
import crypto from 'node:crypto';
import {
  ConflictError,
  HattamaError,
  NotFoundError,
  ValidationError,
  isoTime,
  type Clock,
} from '../core/index.ts';
import type { Approval, ApprovalState, AuditLog, Repositories, UserRole } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import type { CasesService } from './cases.service.ts';
import type { CourtsService } from './courts.service.ts';
import type { Origin, Person } from './requester.ts';

/**
 * Roles that reach evidence or the audit log by assignment (higher-court judges, auditors),
 * or that could approve on their own behalf (administrators: a second account of one's own
 * making would approve one's own proposals).
 */
export const ROLES_NEEDING_APPROVAL: readonly UserRole[] = ['administrator', 'higher-court-judge', 'auditor'];

export function needsApproval(role: string): boolean {
  return (ROLES_NEEDING_APPROVAL as readonly string[]).includes(role);
}

/** A change that waits for a second administrator. Never holds a secret. */
export type Change =
  | {
      kind: 'user.create';
      login: string;
      role: UserRole;
      displayName?: string | undefined;
      locale?: string | undefined;
      courtIds?: string[] | undefined;
    }
  | { kind: 'user.role'; login: string; role: UserRole }
  | {
      kind: 'case.assign';
      caseId: string;
      userLogin: string;
      validFromMs: number;
      validUntilMs: number | null;
    }
  | { kind: 'terminal.register'; id: string; courtId: string; name: string }
  | { kind: 'terminal.revoke'; id: string };

export type ChangeKind = Change['kind'];
export const CHANGE_KINDS: readonly ChangeKind[] = [
  'user.create',
  'user.role',
  'case.assign',
  'terminal.register',
  'terminal.revoke',
];

/**
 * Accounts live with the web adapter's UserAccounts (password hashing is there); the
 * court reaches them through this port, given by the wiring.
 */
export interface AccountChanges {
  /** Refuses (400, 404, 409) an account that could not be created now. */
  checkCreate(change: Extract<Change, { kind: 'user.create' }>): Promise<void>;
  /** Creates it with a generated password, returned once. */
  create(
    change: Extract<Change, { kind: 'user.create' }>,
    actor: Person,
  ): Promise<{ user: unknown; password: string | null }>;
  /** Refuses (400, 404) a role change that could not be made now. */
  checkRole(change: Extract<Change, { kind: 'user.role' }>): Promise<void>;
  setRole(change: Extract<Change, { kind: 'user.role' }>, actor: Person): Promise<{ user: unknown }>;
}

/** Why a decision on a proposal is refused, besides the policy's own reasons. */
export const APPROVAL_REFUSALS = [
  /** The proposer cannot decide their own proposal. */
  'own-proposal',
  /** The `api-token` account acts for scripts, not for a person: it proposes, it never decides. */
  'not-a-person',
] as const;
export type ApprovalRefusal = (typeof APPROVAL_REFUSALS)[number];

/** 403 FORBIDDEN with the reason in `details.reason`, like AccessRefusedError. */
export class ApprovalRefusedError extends HattamaError {
  readonly reason: ApprovalRefusal;
  constructor(reason: ApprovalRefusal, message: string) {
    super('FORBIDDEN', message, { expected: true, status: 403, details: { reason } });
    this.reason = reason;
  }
}

/** Who may decide a proposal (pure): a person other than its proposer. */
export function decideApproval(input: {
  decider: Pick<Person, 'id'>;
  proposerId: string;
  /** Accounts that act for scripts (the `api-token` account). */
  machineAccountIds: readonly string[];
}): { allow: true } | { allow: false; reason: ApprovalRefusal; message: string } {
  if (input.machineAccountIds.includes(input.decider.id))
    return {
      allow: false,
      reason: 'not-a-person',
      message: 'the administrator token proposes changes; a second administrator, logged in, decides them',
    };
  if (input.decider.id === input.proposerId)
    return {
      allow: false,
      reason: 'own-proposal',
      message: 'a second administrator must decide this; the proposer cannot',
    };
  return { allow: true };
}

export interface ApprovalView {
  id: string;
  kind: ChangeKind;
  summary: string;
  change: Change;
  state: ApprovalState;
  proposedBy: string;
  proposedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface ApprovalsServiceDeps {
  repos: Repositories;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
  cases: CasesService;
  courts: CourtsService;
  accounts: AccountChanges;
  /** Accounts that may propose but never decide (the `api-token` account). */
  machineAccountIds: readonly string[];
}

export class ApprovalsService {
  constructor(private readonly d: ApprovalsServiceDeps) {}

  /** Records a pending change (202 to the caller); nothing of it takes effect yet. */
  async propose(person: Person, origin: Origin, change: Change): Promise<ApprovalView> {
    const summary = summarize(change);
    await this.d.courts.requireAdministrator(person, origin, `propose ${summary}`);
    await this.check(change);
    const approval: Approval = {
      id: `ap-${crypto.randomUUID().slice(0, 13)}`,
      kind: change.kind,
      payload: JSON.stringify(change),
      summary,
      state: 'pending',
      proposed_by: person.id,
      proposed_at: this.d.clock.now(),
      decided_by: null,
      decided_at: null,
    };
    await this.d.repos.approvals.insert(approval);
    await this.d.audit.append({
      actor: person.login,
      role: person.role,
      action: 'approval.propose',
      target: `${approval.id}: ${summary}`,
      address: origin.address,
      verdict: 'info',
    });
    return this.view(approval);
  }

  async list(person: Person, origin: Origin, state?: ApprovalState): Promise<ApprovalView[]> {
    await this.d.courts.requireAdministrator(person, origin, 'approvals');
    const rows = await this.d.repos.approvals.list(state ? { state } : {});
    return Promise.all(rows.map((r) => this.view(r)));
  }

  /** Approves and makes the change; returns what it made (a generated password or token, once). */
  async approve(
    person: Person,
    origin: Origin,
    id: string,
  ): Promise<{ approval: ApprovalView; result: unknown }> {
    const approval = await this.decidable(person, origin, id, 'approve');
    const change = JSON.parse(approval.payload) as Change;
    // Still possible? (A login taken or a terminal registered since the proposal.)
    await this.check(change);
    const at = this.d.clock.now();
    if (!(await this.d.repos.approvals.decide(id, { state: 'approved', by: person.id, at })))
      throw this.alreadyDecided(id);
    let result: unknown;
    try {
      result = await this.apply(change, person);
    } catch (error) {
      // Not made: the proposal waits again rather than claim an effect it did not have.
      await this.d.repos.approvals.reopen(id, person.id);
      throw error;
    }
    await this.d.audit.append({
      actor: person.login,
      role: person.role,
      action: 'approval.approve',
      target: `${id}: ${approval.summary}`,
      address: origin.address,
      verdict: 'info',
    });
    return { approval: await this.view((await this.d.repos.approvals.find(id))!), result };
  }

  async reject(person: Person, origin: Origin, id: string): Promise<ApprovalView> {
    const approval = await this.decidable(person, origin, id, 'reject');
    if (
      !(await this.d.repos.approvals.decide(id, { state: 'rejected', by: person.id, at: this.d.clock.now() }))
    )
      throw this.alreadyDecided(id);
    await this.d.audit.append({
      actor: person.login,
      role: person.role,
      action: 'approval.reject',
      target: `${id}: ${approval.summary}`,
      address: origin.address,
      verdict: 'info',
    });
    return this.view((await this.d.repos.approvals.find(id))!);
  }

  /** The pending proposal `id`, if this person may decide it; refusals are audited. */
  private async decidable(
    person: Person,
    origin: Origin,
    id: string,
    verb: 'approve' | 'reject',
  ): Promise<Approval> {
    await this.d.courts.requireAdministrator(person, origin, `${verb} ${id}`);
    const approval = await this.d.repos.approvals.find(id);
    if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
    const decision = decideApproval({
      decider: person,
      proposerId: approval.proposed_by,
      machineAccountIds: this.d.machineAccountIds,
    });
    if (!decision.allow) {
      await this.d.audit.append({
        actor: person.login,
        role: person.role,
        action: `approval.${verb}`,
        target: `${id}: ${approval.summary}`,
        address: origin.address,
        verdict: 'refuse',
        reason: decision.reason,
      });
      throw new ApprovalRefusedError(decision.reason, decision.message);
    }
    if (approval.state !== 'pending') throw this.alreadyDecided(id, approval.state);
    return approval;
  }

  private alreadyDecided(id: string, state?: ApprovalState): ConflictError {
    return new ConflictError(`approval ${id} is ${state ?? 'decided'} already`, {
      state: state ?? 'decided',
    });
  }

  /** Refuses (4xx) a change that could not be made now. */
  private async check(change: Change): Promise<void> {
    switch (change.kind) {
      case 'user.create':
        return this.d.accounts.checkCreate(change);
      case 'user.role':
        return this.d.accounts.checkRole(change);
      case 'case.assign':
        return this.d.cases.checkAssignment(change);
      case 'terminal.register':
        return this.d.courts.checkNewTerminal(change);
      case 'terminal.revoke':
        return this.d.courts.checkRevokeTerminal(change.id);
      default:
        throw new ValidationError(`unknown change ${(change satisfies never as Change).kind}`);
    }
  }

  private async apply(change: Change, by: Person): Promise<unknown> {
    switch (change.kind) {
      case 'user.create': {
        const out = await this.d.accounts.create(change, by);
        return { user: out.user, ...(out.password ? { password: out.password } : {}) };
      }
      case 'user.role':
        return this.d.accounts.setRole(change, by);
      case 'case.assign': {
        const a = await this.d.cases.assign(change);
        return { id: a.id, validFrom: isoTime(a.valid_from_ms) };
      }
      case 'terminal.register':
        return this.d.courts.registerTerminal(change);
      case 'terminal.revoke':
        return this.d.courts.revokeTerminal(change.id);
      default:
        throw new ValidationError(`unknown change ${(change satisfies never as Change).kind}`);
    }
  }

  private async view(a: Approval): Promise<ApprovalView> {
    const [proposer, decider] = await Promise.all([
      this.d.repos.users.find(a.proposed_by),
      a.decided_by ? this.d.repos.users.find(a.decided_by) : Promise.resolve(undefined),
    ]);
    return {
      id: a.id,
      kind: a.kind as ChangeKind,
      summary: a.summary,
      change: JSON.parse(a.payload) as Change,
      state: a.state,
      proposedBy: proposer?.login ?? a.proposed_by,
      proposedAt: isoTime(a.proposed_at),
      decidedBy: a.decided_by ? (decider?.login ?? a.decided_by) : null,
      decidedAt: a.decided_at === null ? null : isoTime(a.decided_at),
    };
  }
}

/** The change in words, for the list and the audit log. */
export function summarize(change: Change): string {
  switch (change.kind) {
    case 'user.create':
      return `create user ${change.login} as ${change.role}${change.courtIds?.length ? ` (courts ${change.courtIds.join(', ')})` : ''}`;
    case 'user.role':
      return `make user ${change.login} ${change.role}`;
    case 'case.assign':
      return `assign ${change.userLogin} to case ${change.caseId} from ${isoTime(change.validFromMs)}${change.validUntilMs === null ? '' : ` until ${isoTime(change.validUntilMs)}`}`;
    case 'terminal.register':
      return `register on-site terminal ${change.id} (${change.name}) at court ${change.courtId}`;
    case 'terminal.revoke':
      return `revoke on-site terminal ${change.id}`;
    default:
      return String((change satisfies never as Change).kind);
  }
}
