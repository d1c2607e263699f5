/**
 * Cases as the court keeps them: creating one, its participants, the assignments of
 * higher-court judges and auditors, and which case a hearing may belong to. Who may do
 * what is the policy's (`decideCase`, through AccessService); every refusal is audited,
 * and every change of access data is recorded in the audit log.
 */
import crypto from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type Clock } from '../core/index.ts';
import type { AuditLog, Case, CaseAssignment, CaseParticipant, Repositories } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import { AccessRefusedError } from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

export interface NewCase {
  id?: string | undefined;
  number: string;
  category: string;
  courtId: string;
}

export interface NewParticipant {
  name: string;
  capacity: 'party' | 'representative';
  userLogin?: string | undefined;
}

export interface NewAssignment {
  caseId: string;
  userLogin: string;
  validFromMs: number;
  validUntilMs: number | null;
}

export interface CasesServiceDeps {
  repos: Repositories;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
}

export class CasesService {
  constructor(private readonly d: CasesServiceDeps) {}

  async get(id: string): Promise<Case> {
    const theCase = await this.d.repos.cases.findCase(id);
    if (!theCase) throw new NotFoundError(`case ${id} does not exist`);
    return theCase;
  }

  /** The cases this person may read (`case.read`); the others are left out, not refused. */
  async listReadable(person: Person): Promise<Case[]> {
    return this.d.access.readableCases(person, await this.d.repos.cases.listCases());
  }

  async create(person: Person, origin: Origin, input: NewCase): Promise<Case> {
    await this.d.access.requireCase({
      user: person,
      theCase: { id: input.id ?? 'new', court_id: input.courtId },
      action: 'case.prepare',
      origin,
      target: `case ${input.number}`,
    });
    if (!(await this.d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await this.d.repos.cases.findCaseByNumber(input.courtId, input.number))
      throw new ConflictError(`case ${input.number} exists`);
    if (input.id && (await this.d.repos.cases.findCase(input.id)))
      throw new ConflictError(`case ${input.id} exists`);
    const theCase: Case = {
      id: input.id ?? `c-${crypto.randomUUID().slice(0, 13)}`,
      number: input.number,
      category: input.category,
      court_id: input.courtId,
      created_at: this.d.clock.now(),
    };
    await this.d.repos.cases.insertCase(theCase);
    return theCase;
  }

  /** A case's participants, for those the policy lets read the case (`case.read`). */
  async participants(person: Person, origin: Origin, caseId: string): Promise<CaseParticipant[]> {
    const theCase = await this.get(caseId);
    await this.d.access.requireCase({ user: person, theCase, action: 'case.read', origin });
    return this.d.repos.cases.listParticipants(caseId);
  }

  async addParticipant(
    person: Person,
    origin: Origin,
    caseId: string,
    input: NewParticipant,
  ): Promise<CaseParticipant> {
    const theCase = await this.get(caseId);
    const target = `${caseId} ${input.capacity} ${input.userLogin ?? input.name}`;
    await this.d.access.requireCase({ user: person, theCase, action: 'case.prepare', origin, target });
    const user = input.userLogin ? await this.d.repos.users.findByLogin(input.userLogin) : undefined;
    if (input.userLogin && !user) throw new NotFoundError(`no user ${input.userLogin}`);
    const participant: CaseParticipant = {
      id: crypto.randomUUID(),
      case_id: caseId,
      user_id: user?.id ?? null,
      name: input.name,
      capacity: input.capacity,
      created_at: this.d.clock.now(),
    };
    if (!(await this.d.repos.cases.insertParticipant(participant)))
      throw new ConflictError('this participant is already on the case');
    await this.d.audit.append({
      actor: person.login,
      role: person.role,
      action: 'case.participant.add',
      target,
      address: origin.address,
      verdict: 'info',
    });
    return participant;
  }

  /** Checks that an assignment could be made now (the case and the account exist); 404 otherwise. */
  async checkAssignment(input: NewAssignment): Promise<void> {
    await this.get(input.caseId);
    if (!(await this.d.repos.users.findByLogin(input.userLogin)))
      throw new NotFoundError(`no user ${input.userLogin}`);
  }

  /**
   * Makes an assignment. Only the approvals service calls it, once a second administrator
   * has approved it (docs/decisions/0018-separation-of-duties.md).
   */
  async assign(input: NewAssignment): Promise<CaseAssignment> {
    await this.checkAssignment(input);
    const user = (await this.d.repos.users.findByLogin(input.userLogin))!;
    const assignment: CaseAssignment = {
      id: crypto.randomUUID(),
      case_id: input.caseId,
      user_id: user.id,
      valid_from_ms: input.validFromMs,
      valid_until_ms: input.validUntilMs,
      created_at: this.d.clock.now(),
    };
    await this.d.repos.cases.insertAssignment(assignment);
    return assignment;
  }

  /**
   * Whether a hearing held in `courtId` may belong to case `caseId`, for this person: the
   * person must be allowed to prepare the case (a secretary, only the cases of their own
   * court: `decideCase`), and the case must be of the hearing's court — a hearing of one
   * court never carries another court's case, its parties and assignments. Refusals are
   * 403 `not-of-this-court`, audited.
   */
  async requireForHearing(check: {
    person: Person;
    origin: Origin;
    caseId: string;
    courtId: string;
    hearingId: string;
    /** `case.prepare` to attach the case to a hearing; `case.read` to use its participants. */
    action: 'case.prepare' | 'case.read';
  }): Promise<Case> {
    const theCase = await this.d.repos.cases.findCase(check.caseId);
    if (!theCase) throw new ValidationError(`case ${check.caseId} does not exist`, { field: 'caseId' });
    const target = `hearing ${check.hearingId} case ${check.caseId}`;
    await this.d.access.requireCase({
      user: check.person,
      theCase,
      action: check.action,
      origin: check.origin,
      target,
    });
    if (theCase.court_id !== check.courtId) {
      await this.d.audit.append({
        actor: check.person.login,
        role: check.person.role,
        action: check.action,
        hearingId: null,
        target,
        address: check.origin.address,
        verdict: 'refuse',
        reason: 'not-of-this-court',
      });
      throw new AccessRefusedError(
        'not-of-this-court',
        `case ${theCase.id} is of court ${theCase.court_id}; a hearing of court ${check.courtId} cannot belong to it`,
      );
    }
    return theCase;
  }
}
