/**
 * The policy's rules beside the hearing matrix: who sees a case's participants and who
 * prepares cases (decideCase), whose copy a copy is (decideCopy), and who is told a
 * hearing's sealed ranges (seesSealedRanges). Expected outcomes are written out by hand,
 * one row per kind of viewer; a test checks that the rows cover every role and action.
 */
import { describe, expect, it } from 'vitest';
import {
  CASE_ACTIONS,
  ROLES,
  decideCase,
  decideCopy,
  seesSealedRanges,
  type CaseAction,
  type CaseFacts,
  type Decision,
  type RefusalReason,
  type Role,
  type Viewer,
} from './index.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 2, 9, 0, 0);
const COURT = 'court-almaty-1';
const OTHER_COURT = 'court-astana-2';
const CASE = 'case-2-1234-26';
const OTHER_CASE = 'case-2-9999-26';

const THE_CASE: CaseFacts = { id: CASE, courtId: COURT, staffUserIds: ['u-judge', 'u-hearing-secretary'] };

function viewer(role: Role, overrides: Partial<Viewer> = {}): Viewer {
  return {
    userId: `u-${role}-x`,
    role,
    disabled: false,
    caseLinks: [],
    assignments: [],
    courtIds: [],
    ...overrides,
  };
}

const active = { caseId: CASE, validFromMs: NOW - DAY, validUntilMs: NOW + DAY };
const expired = { caseId: CASE, validFromMs: NOW - 3 * DAY, validUntilMs: NOW - DAY };
const future = { caseId: CASE, validFromMs: NOW + DAY, validUntilMs: null };
const elsewhere = { caseId: OTHER_CASE, validFromMs: NOW - DAY, validUntilMs: null };

/** A = allowed; anything else is the refusal reason. Columns: case.read, case.prepare. */
const ROWS: { who: string; viewer: Viewer; expected: Record<CaseAction, 'A' | RefusalReason> }[] = [
  {
    who: 'an administrator',
    viewer: viewer('administrator'),
    expected: { 'case.read': 'A', 'case.prepare': 'A' },
  },
  {
    who: "a secretary of the case's court",
    viewer: viewer('secretary', { courtIds: [OTHER_COURT, COURT] }),
    expected: { 'case.read': 'A', 'case.prepare': 'A' },
  },
  {
    who: "the secretary of one of the case's hearings, working at another court",
    viewer: viewer('secretary', { userId: 'u-hearing-secretary', courtIds: [OTHER_COURT] }),
    expected: { 'case.read': 'A', 'case.prepare': 'not-of-this-court' },
  },
  {
    who: 'a secretary of another court',
    viewer: viewer('secretary', { courtIds: [OTHER_COURT] }),
    expected: { 'case.read': 'not-of-this-court', 'case.prepare': 'not-of-this-court' },
  },
  {
    who: "the judge of one of the case's hearings",
    viewer: viewer('judge', { userId: 'u-judge' }),
    expected: { 'case.read': 'A', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'another judge',
    viewer: viewer('judge', { courtIds: [COURT] }),
    expected: { 'case.read': 'not-the-hearings-staff', 'case.prepare': 'role-cannot' },
  },
  {
    who: "an operator of the case's court",
    viewer: viewer('operator', { courtIds: [COURT] }),
    expected: { 'case.read': 'role-cannot', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a party to the case',
    viewer: viewer('party', { caseLinks: [{ caseId: CASE, as: 'party' }] }),
    expected: { 'case.read': 'A', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a representative in the case',
    viewer: viewer('representative', { caseLinks: [{ caseId: CASE, as: 'representative' }] }),
    expected: { 'case.read': 'A', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a party to another case',
    viewer: viewer('party', { caseLinks: [{ caseId: OTHER_CASE, as: 'party' }] }),
    expected: { 'case.read': 'not-a-participant', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a representative in another case',
    viewer: viewer('representative', { caseLinks: [{ caseId: OTHER_CASE, as: 'representative' }] }),
    expected: { 'case.read': 'not-a-participant', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a higher-court judge assigned to the case',
    viewer: viewer('higher-court-judge', { assignments: [elsewhere, active] }),
    expected: { 'case.read': 'A', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a higher-court judge whose assignment has ended',
    viewer: viewer('higher-court-judge', { assignments: [expired, elsewhere] }),
    expected: { 'case.read': 'assignment-not-active', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a higher-court judge whose assignment has not begun',
    viewer: viewer('higher-court-judge', { assignments: [future] }),
    expected: { 'case.read': 'assignment-not-active', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'a higher-court judge assigned to another case',
    viewer: viewer('higher-court-judge', { assignments: [elsewhere] }),
    expected: { 'case.read': 'not-assigned-to-case', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'an auditor assigned to the case',
    viewer: viewer('auditor', { assignments: [active] }),
    expected: { 'case.read': 'A', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'an auditor whose assignment has ended',
    viewer: viewer('auditor', { assignments: [expired] }),
    expected: { 'case.read': 'assignment-not-active', 'case.prepare': 'role-cannot' },
  },
  {
    who: 'an auditor not assigned to the case',
    viewer: viewer('auditor'),
    expected: { 'case.read': 'auditor-reads-log-only', 'case.prepare': 'role-cannot' },
  },
];

const PHRASE: Record<CaseAction, string> = {
  'case.read': "to see the case's participants",
  'case.prepare': 'to prepare the case (create it, add its participants)',
};

function outcome(d: Decision): 'A' | RefusalReason {
  return d.allow ? 'A' : d.reason;
}

describe('cases: who sees the participants and who prepares the case', () => {
  it('covers every role and every case action', () => {
    expect([...new Set(ROWS.map((r) => r.viewer.role))].sort()).toEqual([...ROLES].sort());
    for (const row of ROWS) expect(Object.keys(row.expected).sort()).toEqual([...CASE_ACTIONS].sort());
  });

  for (const row of ROWS)
    for (const action of CASE_ACTIONS) {
      const expected = row.expected[action];
      const verb = expected === 'A' ? 'allows' : `refuses (${expected})`;
      it(`${verb} ${row.who} ${PHRASE[action]}`, () => {
        const d = decideCase({ viewer: row.viewer, theCase: THE_CASE, action, nowMs: NOW });
        expect(outcome(d)).toBe(expected);
        if (d.allow) expect(d.excludeRanges).toEqual([]);
        else expect(d.message).toEqual(expect.any(String));
      });
    }

  it('refuses every case action to a disabled account, whatever its role', () => {
    for (const row of ROWS)
      for (const action of CASE_ACTIONS)
        expect(
          outcome(
            decideCase({
              viewer: { ...row.viewer, disabled: true },
              theCase: THE_CASE,
              action,
              nowMs: NOW,
            }),
          ),
        ).toBe('disabled');
  });

  it("lets a secretary create a case only in their own court (the draft's court is the case's)", () => {
    const secretary = viewer('secretary', { courtIds: [COURT] });
    const draft = (courtId: string): CaseFacts => ({ id: 'new', courtId, staffUserIds: [] });
    expect(
      outcome(decideCase({ viewer: secretary, theCase: draft(COURT), action: 'case.prepare', nowMs: NOW })),
    ).toBe('A');
    expect(
      outcome(
        decideCase({ viewer: secretary, theCase: draft(OTHER_COURT), action: 'case.prepare', nowMs: NOW }),
      ),
    ).toBe('not-of-this-court');
  });

  it('judges an assignment at the given time: from its first millisecond, not at its (exclusive) end', () => {
    const hcj = viewer('higher-court-judge', {
      assignments: [{ caseId: CASE, validFromMs: NOW, validUntilMs: NOW + 1 }],
    });
    const read = (nowMs: number) =>
      outcome(decideCase({ viewer: hcj, theCase: THE_CASE, action: 'case.read', nowMs }));
    expect(read(NOW - 1)).toBe('assignment-not-active');
    expect(read(NOW)).toBe('A');
    expect(read(NOW + 1)).toBe('assignment-not-active');
  });

  it('refuses a role outside the types rather than allowing it', () => {
    const odd = { ...viewer('party'), role: 'emperor' as Role };
    expect(outcome(decideCase({ viewer: odd, theCase: THE_CASE, action: 'case.read', nowMs: NOW }))).toBe(
      'role-cannot',
    );
  });
});

describe('copies: a copy is for the one who asked for it', () => {
  it("hands the copy's links to its requester", () => {
    expect(
      decideCopy({ viewer: { userId: 'u-party', disabled: false }, copy: { requestedByUserId: 'u-party' } }),
    ).toEqual({ allow: true, excludeRanges: [] });
  });

  it('refuses anyone else, whatever their role, including the judge and the secretary', () => {
    for (const userId of ['u-judge', 'u-hearing-secretary', 'u-administrator', 'u-party-2'])
      expect(
        outcome(decideCopy({ viewer: { userId, disabled: false }, copy: { requestedByUserId: 'u-party' } })),
      ).toBe('not-the-copy-requester');
  });

  it('refuses a copy that the administrator token asked for (no account) to every account', () => {
    expect(
      outcome(
        decideCopy({ viewer: { userId: 'u-party', disabled: false }, copy: { requestedByUserId: null } }),
      ),
    ).toBe('not-the-copy-requester');
  });

  it('refuses a disabled requester', () => {
    expect(
      outcome(
        decideCopy({ viewer: { userId: 'u-party', disabled: true }, copy: { requestedByUserId: 'u-party' } }),
      ),
    ).toBe('disabled');
  });
});

describe('sealed ranges: who is told which parts are sealed, and why', () => {
  const facts = { judgeUserId: 'u-judge', secretaryUserId: 'u-secretary' };

  it("tells the hearing's judge and secretary", () => {
    expect(seesSealedRanges({ userId: 'u-judge' }, facts)).toBe(true);
    expect(seesSealedRanges({ userId: 'u-secretary' }, facts)).toBe(true);
  });

  it('tells nobody else: not another judge, a party, or an assigned higher-court judge', () => {
    for (const userId of ['u-judge-2', 'u-party', 'u-higher-court-judge'])
      expect(seesSealedRanges({ userId }, facts)).toBe(false);
  });

  it('tells nobody when the hearing has no judge or secretary account', () => {
    expect(seesSealedRanges({ userId: 'u-judge' }, { judgeUserId: null, secretaryUserId: null })).toBe(false);
  });
});
