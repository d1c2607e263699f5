/**
 * Cases, their participants (parties and representatives, linked to accounts) and the
 * higher-court judges assigned to them. I/O only: who may see what is decided by
 * court/policy from these facts.
 */
import type { CatalogDb } from '../catalog.ts';
import type { Case, CaseAssignment, CaseParticipant, Hearing } from '../schema.ts';

export class CasesRepository {
  constructor(private readonly db: CatalogDb) {}

  /** Fails with a unique violation when the id, or the number within the court, is taken. */
  async insertCase(c: Case): Promise<void> {
    await this.db.insertInto('cases').values(c).execute();
  }

  async findCase(id: string): Promise<Case | undefined> {
    return this.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findCaseByNumber(courtId: string, number: string): Promise<Case | undefined> {
    return this.db
      .selectFrom('cases')
      .selectAll()
      .where('court_id', '=', courtId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  async listCases(filter: { courtId?: string } = {}): Promise<Case[]> {
    let q = this.db.selectFrom('cases').selectAll();
    if (filter.courtId !== undefined) q = q.where('court_id', '=', filter.courtId);
    return q.orderBy('court_id').orderBy('number').execute();
  }

  /**
   * Adds a participant. Returns false (and changes nothing) when that account already
   * takes part in the case in that capacity.
   */
  async insertParticipant(p: CaseParticipant): Promise<boolean> {
    const r = await this.db
      .insertInto('case_participants')
      .values(p)
      .onConflict((oc) => oc.columns(['case_id', 'user_id', 'capacity']).doNothing())
      .executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async listParticipants(caseId: string): Promise<CaseParticipant[]> {
    return this.db
      .selectFrom('case_participants')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Every participation of one account, across cases. */
  async participationsOfUser(userId: string): Promise<CaseParticipant[]> {
    return this.db
      .selectFrom('case_participants')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('case_id')
      .orderBy('capacity')
      .execute();
  }

  async removeParticipant(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('case_participants').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async insertAssignment(a: CaseAssignment): Promise<void> {
    await this.db.insertInto('case_assignments').values(a).execute();
  }

  async listAssignments(caseId: string): Promise<CaseAssignment[]> {
    return this.db
      .selectFrom('case_assignments')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('valid_from_ms')
      .orderBy('id')
      .execute();
  }

  /**
   * Every assignment of one account, ended and future ones included: the access policy
   * tells "assigned, but not now" (assignment-not-active) from "never assigned"
   * (not-assigned-to-case), so it needs them all, not only those in force.
   */
  async assignmentsOfUser(userId: string): Promise<CaseAssignment[]> {
    return this.db
      .selectFrom('case_assignments')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('case_id')
      .orderBy('valid_from_ms')
      .orderBy('id')
      .execute();
  }

  /** Assignments of one judge in force at `at` (valid_from ≤ at < valid_until). */
  async activeAssignmentsOfUser(userId: string, at: number): Promise<CaseAssignment[]> {
    return this.db
      .selectFrom('case_assignments')
      .selectAll()
      .where('user_id', '=', userId)
      .where('valid_from_ms', '<=', at)
      .where((eb) => eb.or([eb('valid_until_ms', 'is', null), eb('valid_until_ms', '>', at)]))
      .orderBy('case_id')
      .orderBy('valid_from_ms')
      .execute();
  }

  /** The assignment of a judge to a case in force at `at`, if any. */
  async activeAssignment(caseId: string, userId: string, at: number): Promise<CaseAssignment | undefined> {
    return this.db
      .selectFrom('case_assignments')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('user_id', '=', userId)
      .where('valid_from_ms', '<=', at)
      .where((eb) => eb.or([eb('valid_until_ms', 'is', null), eb('valid_until_ms', '>', at)]))
      .orderBy('valid_from_ms')
      .limit(1)
      .executeTakeFirst();
  }

  /** Ends an assignment at `at` (if it would otherwise last longer); returns whether it changed. */
  async endAssignment(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('case_assignments')
      .set({ valid_until_ms: at })
      .where('id', '=', id)
      .where('valid_from_ms', '<', at)
      .where((eb) => eb.or([eb('valid_until_ms', 'is', null), eb('valid_until_ms', '>', at)]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async listHearingsOfCase(caseId: string): Promise<Hearing[]> {
    return this.db
      .selectFrom('hearings')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /**
   * Hearings an account is connected to at `at`: as the hearing's judge or secretary, as a
   * participant of its case, or as a higher-court judge assigned to its case then. Each
   * hearing once, however many ways it is connected. Candidates only: the policy decides.
   */
  async listHearingsRelatedToUser(userId: string, at: number): Promise<Hearing[]> {
    return this.db
      .selectFrom('hearings')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('judge_user_id', '=', userId),
          eb('secretary_user_id', '=', userId),
          eb(
            'case_id',
            'in',
            eb
              .selectFrom('case_participants')
              .select('case_participants.case_id')
              .where('case_participants.user_id', '=', userId),
          ),
          eb(
            'case_id',
            'in',
            eb
              .selectFrom('case_assignments')
              .select('case_assignments.case_id')
              .where('case_assignments.user_id', '=', userId)
              .where('case_assignments.valid_from_ms', '<=', at)
              .where((w) =>
                w.or([
                  w('case_assignments.valid_until_ms', 'is', null),
                  w('case_assignments.valid_until_ms', '>', at),
                ]),
              ),
          ),
        ]),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  }
}
