/**
 * The access policy, cell by cell. The expected outcomes are a table written out by hand
 * below (EXPECTED), one row per kind of viewer and action, one column per visibility and
 * place; nothing in it is computed by calling the policy. Every role, every action, both
 * visibilities and every place are enumerated, and a test checks that the table covers
 * ROLES and ACTIONS, so a new role or action cannot go untested.
 */
import { describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../core/index.ts';
import {
  ACTIONS,
  AccessRefusedError,
  REFUSAL_REASONS,
  ROLES,
  createOnSiteMatcher,
  decide,
  ensureAllowed,
  isOnSite,
  parseCourtNetwork,
  placeOf,
  type Action,
  type Decision,
  type HearingFacts,
  type Place,
  type RefusalReason,
  type Role,
  type TimeRange,
  type Viewer,
  type Visibility,
} from './index.ts';

// ---------------------------------------------------------------------------
// The world of the matrix

const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);
const DAY = 86_400_000;
const NOW = T0 + 10 * DAY;
const COURT = 'court-almaty-1';
const OTHER_COURT = 'court-astana-2';
const CASE = 'case-2-1234-25';
const OTHER_CASE = 'case-2-9999-25';

/** Deliberately unsorted and overlapping: the policy hands them back sorted and merged. */
const SEALED: TimeRange[] = [
  { startMs: T0 + 600_000, endMs: T0 + 900_000 },
  { startMs: T0 + 60_000, endMs: T0 + 120_000 },
  { startMs: T0 + 100_000, endMs: T0 + 180_000 },
];
const SEALED_MERGED: TimeRange[] = [
  { startMs: T0 + 60_000, endMs: T0 + 180_000 },
  { startMs: T0 + 600_000, endMs: T0 + 900_000 },
];

function hearing(visibility: Visibility, overrides: Partial<HearingFacts> = {}): HearingFacts {
  return {
    id: 'h-1',
    caseId: CASE,
    courtId: COURT,
    visibility,
    judgeUserId: 'u-judge',
    secretaryUserId: 'u-secretary',
    state: 'stopped',
    sealedRanges: SEALED,
    ...overrides,
  };
}

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
const openEnded = { caseId: CASE, validFromMs: NOW - DAY, validUntilMs: null };
const expired = { caseId: CASE, validFromMs: NOW - 3 * DAY, validUntilMs: NOW - DAY };
const future = { caseId: CASE, validFromMs: NOW + DAY, validUntilMs: NOW + 3 * DAY };
const elsewhere = { caseId: OTHER_CASE, validFromMs: NOW - DAY, validUntilMs: null };

/** Every relation a viewer of each role can have to the hearing; `who` reads in a sentence. */
const CAST = {
  administrator: { who: 'an administrator', viewer: viewer('administrator', { courtIds: [COURT] }) },
  'operator of the court': {
    who: "an operator of the hearing's court",
    viewer: viewer('operator', { courtIds: [OTHER_COURT, COURT] }),
  },
  'operator of another court': {
    who: 'an operator of another court',
    viewer: viewer('operator', { courtIds: [OTHER_COURT] }),
  },
  'secretary of the hearing': {
    who: "the hearing's secretary",
    viewer: viewer('secretary', { userId: 'u-secretary', courtIds: [COURT] }),
  },
  'secretary of the court': {
    who: 'another secretary of the same court',
    viewer: viewer('secretary', { courtIds: [COURT] }),
  },
  'secretary of another court': {
    who: 'a secretary of another court',
    viewer: viewer('secretary', { courtIds: [OTHER_COURT] }),
  },
  'judge of the hearing': { who: "the hearing's judge", viewer: viewer('judge', { userId: 'u-judge' }) },
  'another judge': { who: 'another judge', viewer: viewer('judge', { userId: 'u-judge-2' }) },
  'party to the case': {
    who: 'a party to the case',
    viewer: viewer('party', {
      caseLinks: [
        { caseId: OTHER_CASE, as: 'party' },
        { caseId: CASE, as: 'party' },
      ],
    }),
  },
  'party to another case': {
    who: 'a party to another case',
    viewer: viewer('party', { caseLinks: [{ caseId: OTHER_CASE, as: 'party' }] }),
  },
  'representative in the case': {
    who: 'a representative in the case',
    viewer: viewer('representative', { caseLinks: [{ caseId: CASE, as: 'representative' }] }),
  },
  'representative in another case': {
    who: 'a representative in another case',
    viewer: viewer('representative', { caseLinks: [{ caseId: OTHER_CASE, as: 'representative' }] }),
  },
  'higher-court judge assigned': {
    who: 'a higher-court judge assigned to the case',
    viewer: viewer('higher-court-judge', { assignments: [elsewhere, active] }),
  },
  'higher-court judge assigned open-ended': {
    who: 'a higher-court judge assigned to the case without an end date',
    viewer: viewer('higher-court-judge', { assignments: [openEnded] }),
  },
  'higher-court judge expired': {
    who: 'a higher-court judge whose assignment has ended',
    viewer: viewer('higher-court-judge', { assignments: [expired] }),
  },
  'higher-court judge future': {
    who: 'a higher-court judge whose assignment has not begun',
    viewer: viewer('higher-court-judge', { assignments: [future] }),
  },
  'higher-court judge expired, assigned elsewhere': {
    who: 'a higher-court judge whose assignment has ended, assigned to another case now',
    viewer: viewer('higher-court-judge', { assignments: [elsewhere, expired] }),
  },
  'higher-court judge expired and future': {
    who: 'a higher-court judge whose assignments to the case have ended or not begun',
    viewer: viewer('higher-court-judge', { assignments: [future, expired] }),
  },
  'higher-court judge unassigned': {
    who: 'a higher-court judge assigned to another case',
    viewer: viewer('higher-court-judge', { assignments: [elsewhere] }),
  },
  'auditor assigned': {
    who: 'an auditor assigned to the case',
    viewer: viewer('auditor', { assignments: [active] }),
  },
  'auditor assigned open-ended': {
    who: 'an auditor assigned to the case without an end date',
    viewer: viewer('auditor', { assignments: [openEnded] }),
  },
  'auditor expired': {
    who: 'an auditor whose assignment has ended',
    viewer: viewer('auditor', { assignments: [expired] }),
  },
  'auditor future': {
    who: 'an auditor whose assignment has not begun',
    viewer: viewer('auditor', { assignments: [future] }),
  },
  'auditor expired, assigned elsewhere': {
    who: 'an auditor whose assignment has ended, assigned to another case now',
    viewer: viewer('auditor', { assignments: [expired, elsewhere] }),
  },
  'auditor unassigned': { who: 'an auditor not assigned to the case', viewer: viewer('auditor') },
} satisfies Record<string, { who: string; viewer: Viewer }>;
type CastName = keyof typeof CAST;

const PLACES: { name: 'remote' | 'court-network' | 'terminal'; place: Place; where: string }[] = [
  { name: 'remote', place: { onSite: false, how: 'remote' }, where: 'from a remote address' },
  { name: 'court-network', place: { onSite: true, how: 'court-network' }, where: 'on the court network' },
  { name: 'terminal', place: { onSite: true, how: 'terminal' }, where: 'at an on-site terminal' },
];
const VISIBILITIES: Visibility[] = ['open', 'closed'];

const PHRASE: Record<Action, string> = {
  'hearing.view': 'to see {h} listed',
  'recording.play': 'to play {h}',
  'recording.download': 'to download a copy of {h}',
  'transcript.read': 'to read the transcript of {h}',
  'protocol.read': 'to read the protocol of {h}',
  'marker.add': 'to add a marker to {h}',
  'hearing.operate': 'to start, pause or stop {h}',
  'hearing.edit': 'to edit {h}',
  'range.seal': 'to seal a range of {h}',
  'hearing.create': 'to create {h}',
  'audit.read': 'to read the audit log (asked beside {h})',
  'admin.manage': 'to manage courts and accounts (asked beside {h})',
  'recorders.watch': 'to watch the recorder nodes (asked beside {h})',
};

// ---------------------------------------------------------------------------
// The expected outcomes, by hand
//
// Each cell string has six codes, in the order
//   open: remote, court network, terminal | closed: remote, court network, terminal
// or one code meaning the same in all six. Codes:
//   A  allowed, nothing excluded          S  allowed, the sealed ranges excluded
//   anything else: refused, with the reason in CODE below.

const CODE: Record<string, RefusalReason> = {
  role: 'role-cannot',
  log: 'auditor-reads-log-only',
  np: 'not-a-participant',
  staff: 'not-the-hearings-staff',
  court: 'not-of-this-court',
  unassigned: 'not-assigned-to-case',
  inactive: 'assignment-not-active',
  offsite: 'closed-hearing-off-site',
  nocopy: 'closed-hearing-no-copies',
  noop: 'closed-hearing-not-for-operators',
  onsite: 'on-site-only',
};

const ADMIN: Record<Action, string> = {
  'hearing.view': 'role',
  'recording.play': 'role',
  'recording.download': 'role',
  'transcript.read': 'role',
  'protocol.read': 'role',
  'marker.add': 'role',
  'hearing.operate': 'role',
  'hearing.edit': 'role',
  'range.seal': 'role',
  'hearing.create': 'role',
  'audit.read': 'role',
  'admin.manage': 'A',
  'recorders.watch': 'A',
};

const CASE_PERSON: Record<Action, string> = {
  'hearing.view': 'S',
  'recording.play': 'S S S offsite S S',
  'recording.download': 'S S S nocopy nocopy nocopy',
  'transcript.read': 'S S S offsite S S',
  'protocol.read': 'S S S offsite S S',
  'marker.add': 'role',
  'hearing.operate': 'role',
  'hearing.edit': 'role',
  'range.seal': 'role',
  'hearing.create': 'role',
  'audit.read': 'role',
  'admin.manage': 'role',
  'recorders.watch': 'role',
};

const OUTSIDE_PERSON: Record<Action, string> = {
  'hearing.view': 'np',
  'recording.play': 'np',
  'recording.download': 'np',
  'transcript.read': 'np',
  'protocol.read': 'np',
  'marker.add': 'role',
  'hearing.operate': 'role',
  'hearing.edit': 'role',
  'range.seal': 'role',
  'hearing.create': 'role',
  'audit.read': 'role',
  'admin.manage': 'role',
  'recorders.watch': 'role',
};

function higherCourtJudge(reading: string): Record<Action, string> {
  return {
    'hearing.view': reading,
    'recording.play': reading,
    'recording.download': 'role',
    'transcript.read': reading,
    'protocol.read': reading,
    'marker.add': 'role',
    'hearing.operate': 'role',
    'hearing.edit': 'role',
    'range.seal': 'role',
    'hearing.create': 'role',
    'audit.read': 'role',
    'admin.manage': 'role',
    'recorders.watch': 'role',
  };
}

function auditor(reading: string): Record<Action, string> {
  return {
    'hearing.view': reading,
    'recording.play': reading,
    'recording.download': 'role',
    'transcript.read': reading,
    'protocol.read': reading,
    'marker.add': 'role',
    'hearing.operate': 'role',
    'hearing.edit': 'role',
    'range.seal': 'role',
    'hearing.create': 'role',
    'audit.read': 'A',
    'admin.manage': 'role',
    'recorders.watch': 'role',
  };
}

function secretary(ofHearing: string, create: string): Record<Action, string> {
  return {
    'hearing.view': ofHearing,
    'recording.play': ofHearing,
    'recording.download': ofHearing,
    'transcript.read': ofHearing,
    'protocol.read': ofHearing,
    'marker.add': ofHearing,
    'hearing.operate': ofHearing,
    'hearing.edit': ofHearing,
    'range.seal': 'role',
    'hearing.create': create,
    'audit.read': 'role',
    'admin.manage': 'role',
    'recorders.watch': 'A',
  };
}

function judge(ofHearing: string): Record<Action, string> {
  return {
    'hearing.view': ofHearing,
    'recording.play': ofHearing,
    'recording.download': ofHearing,
    'transcript.read': ofHearing,
    'protocol.read': ofHearing,
    'marker.add': ofHearing,
    'hearing.operate': ofHearing,
    'hearing.edit': ofHearing,
    'range.seal': ofHearing,
    'hearing.create': 'role',
    'audit.read': 'role',
    'admin.manage': 'role',
    'recorders.watch': 'A',
  };
}

const EXPECTED: Record<CastName, Record<Action, string>> = {
  administrator: ADMIN,
  'operator of the court': {
    'hearing.view': 'S',
    'recording.play': 'onsite S S noop noop noop',
    'recording.download': 'role',
    'transcript.read': 'role',
    'protocol.read': 'role',
    'marker.add': 'S',
    'hearing.operate': 'S',
    'hearing.edit': 'role',
    'range.seal': 'role',
    'hearing.create': 'role',
    'audit.read': 'role',
    'admin.manage': 'role',
    'recorders.watch': 'A',
  },
  'operator of another court': {
    'hearing.view': 'court',
    'recording.play': 'court',
    'recording.download': 'role',
    'transcript.read': 'role',
    'protocol.read': 'role',
    'marker.add': 'court',
    'hearing.operate': 'court',
    'hearing.edit': 'role',
    'range.seal': 'role',
    'hearing.create': 'role',
    'audit.read': 'role',
    'admin.manage': 'role',
    'recorders.watch': 'A',
  },
  'secretary of the hearing': secretary('A', 'A'),
  'secretary of the court': secretary('staff', 'A'),
  'secretary of another court': secretary('staff', 'court'),
  'judge of the hearing': judge('A'),
  'another judge': judge('staff'),
  'party to the case': CASE_PERSON,
  'party to another case': OUTSIDE_PERSON,
  'representative in the case': CASE_PERSON,
  'representative in another case': OUTSIDE_PERSON,
  'higher-court judge assigned': higherCourtJudge('A'),
  'higher-court judge assigned open-ended': higherCourtJudge('A'),
  'higher-court judge expired': higherCourtJudge('inactive'),
  'higher-court judge future': higherCourtJudge('inactive'),
  'higher-court judge expired, assigned elsewhere': higherCourtJudge('inactive'),
  'higher-court judge expired and future': higherCourtJudge('inactive'),
  'higher-court judge unassigned': higherCourtJudge('unassigned'),
  'auditor assigned': auditor('A'),
  'auditor assigned open-ended': auditor('A'),
  'auditor expired': auditor('inactive'),
  'auditor future': auditor('inactive'),
  'auditor expired, assigned elsewhere': auditor('inactive'),
  'auditor unassigned': auditor('log'),
};

/** The six codes of one cell string, in column order. */
function columns(cell: string): string[] {
  const codes = cell.split(/[\s|]+/).filter(Boolean);
  if (codes.length === 1) return Array<string>(6).fill(codes[0]!);
  if (codes.length !== 6) throw new Error(`a cell has 1 or 6 codes: ${JSON.stringify(cell)}`);
  return codes;
}

type Expected = { allow: true; excludeRanges: TimeRange[] } | { allow: false; reason: RefusalReason };

function expectedOf(code: string): Expected {
  if (code === 'A') return { allow: true, excludeRanges: [] };
  if (code === 'S') return { allow: true, excludeRanges: SEALED_MERGED };
  const reason = CODE[code];
  if (reason === undefined) throw new Error(`unknown code ${code}`);
  return { allow: false, reason };
}

function outcome(decision: Decision): Expected {
  return decision.allow
    ? { allow: true, excludeRanges: [...decision.excludeRanges] }
    : { allow: false, reason: decision.reason };
}

interface Cell {
  name: string;
  cast: CastName;
  action: Action;
  visibility: Visibility;
  place: Place;
  expected: Expected;
}

const CELLS: Cell[] = [];
for (const cast of Object.keys(EXPECTED) as CastName[]) {
  for (const action of ACTIONS) {
    const codes = columns(EXPECTED[cast][action]);
    VISIBILITIES.forEach((visibility, v) => {
      PLACES.forEach((p, i) => {
        const expected = expectedOf(codes[v * 3 + i]!);
        const h = visibility === 'open' ? 'an open hearing' : 'a closed hearing';
        const verdict = expected.allow ? `allows ${CAST[cast].who}` : `refuses ${CAST[cast].who}`;
        const tail = expected.allow
          ? expected.excludeRanges.length > 0
            ? ', without its sealed parts'
            : ', sealed parts included'
          : ` (${expected.reason})`;
        CELLS.push({
          name: `${verdict} ${PHRASE[action].replace('{h}', h)} ${p.where}${tail}`,
          cast,
          action,
          visibility,
          place: p.place,
          expected,
        });
      });
    });
  }
}

// ---------------------------------------------------------------------------

describe('the access matrix', () => {
  it('covers every role, every action and every refusal reason', () => {
    const roles = new Set(Object.values(CAST).map((c) => c.viewer.role));
    expect([...roles].sort()).toEqual([...ROLES].sort());
    for (const row of Object.values(EXPECTED)) expect(Object.keys(row).sort()).toEqual([...ACTIONS].sort());
    const used = new Set(CELLS.flatMap((c) => (c.expected.allow ? [] : [c.expected.reason])));
    // 'disabled' and 'hearing-required' have their own tests below; 'not-the-copy-requester'
    // is decideCopy's (case-and-copy-policy.test.ts).
    expect([...used, 'disabled', 'hearing-required', 'not-the-copy-requester'].sort()).toEqual(
      [...REFUSAL_REASONS].sort(),
    );
    expect(CELLS).toHaveLength(
      Object.keys(CAST).length * ACTIONS.length * VISIBILITIES.length * PLACES.length,
    );
  });

  // A plain loop rather than it.each: it.each shortens '$name' and wraps it in quotes.
  for (const { name, cast, action, visibility, place, expected } of CELLS) {
    it(name, () => {
      const decision = decide({
        viewer: CAST[cast].viewer,
        hearing: hearing(visibility),
        action,
        place,
        nowMs: NOW,
      });
      expect(outcome(decision)).toEqual(expected);
      if (!decision.allow) expect(decision.message.length).toBeGreaterThan(0);
    });
  }
});

describe('disabled accounts', () => {
  const cells = Object.entries(CAST).flatMap(([, c]) =>
    ACTIONS.map((action) => ({
      name: `refuses ${c.who} with a disabled account ${PHRASE[action].replace('{h}', 'a hearing')}`,
      viewer: { ...c.viewer, disabled: true },
      action,
    })),
  );
  for (const { name, viewer: v, action } of cells) {
    it(name, () => {
      for (const visibility of VISIBILITIES) {
        for (const { place } of PLACES) {
          const decision = decide({ viewer: v, hearing: hearing(visibility), action, place, nowMs: NOW });
          expect(outcome(decision)).toEqual({ allow: false, reason: 'disabled' });
        }
      }
    });
  }
});

describe('sealed ranges', () => {
  const onSite: Place = { onSite: true, how: 'court-network' };
  const remote: Place = { onSite: false, how: 'remote' };
  const ask = (v: Viewer, h: HearingFacts, place: Place, action: Action = 'recording.play') =>
    decide({ viewer: v, hearing: h, action, place, nowMs: NOW });

  it('withholds the sealed parts of an open hearing from a party online, sorted and merged', () => {
    expect(ask(CAST['party to the case'].viewer, hearing('open'), remote)).toEqual({
      allow: true,
      excludeRanges: SEALED_MERGED,
    });
  });

  it('withholds the sealed parts from a party and a representative on site too', () => {
    for (const cast of ['party to the case', 'representative in the case'] as const) {
      for (const visibility of VISIBILITIES) {
        const d = ask(CAST[cast].viewer, hearing(visibility), onSite);
        expect(d).toEqual({ allow: true, excludeRanges: SEALED_MERGED });
      }
    }
  });

  it('withholds the sealed parts from transcripts, protocols and copies as well as playback', () => {
    for (const action of [
      'transcript.read',
      'protocol.read',
      'recording.download',
      'hearing.view',
    ] as const) {
      const d = ask(CAST['representative in the case'].viewer, hearing('open'), remote, action);
      expect(d).toEqual({ allow: true, excludeRanges: SEALED_MERGED });
    }
  });

  it("never withholds anything from the hearing's judge, its secretary or an assigned higher-court judge", () => {
    for (const cast of [
      'judge of the hearing',
      'secretary of the hearing',
      'higher-court judge assigned',
    ] as const) {
      for (const visibility of VISIBILITIES) {
        for (const { place } of PLACES) {
          expect(ask(CAST[cast].viewer, hearing(visibility), place)).toEqual({
            allow: true,
            excludeRanges: [],
          });
        }
      }
    }
  });

  it('withholds the sealed parts from an operator checking an open hearing on site', () => {
    expect(ask(CAST['operator of the court'].viewer, hearing('open'), onSite)).toEqual({
      allow: true,
      excludeRanges: SEALED_MERGED,
    });
  });

  it('excludes nothing for a party when the hearing has no sealed ranges', () => {
    expect(ask(CAST['party to the case'].viewer, hearing('open', { sealedRanges: [] }), remote)).toEqual({
      allow: true,
      excludeRanges: [],
    });
  });

  it('merges touching ranges and keeps separate ones apart', () => {
    const h = hearing('open', {
      sealedRanges: [
        { startMs: T0 + 2000, endMs: T0 + 3000 },
        { startMs: T0 + 1000, endMs: T0 + 2000 },
        { startMs: T0 + 5000, endMs: T0 + 6000 },
      ],
    });
    expect(ask(CAST['party to the case'].viewer, h, remote)).toEqual({
      allow: true,
      excludeRanges: [
        { startMs: T0 + 1000, endMs: T0 + 3000 },
        { startMs: T0 + 5000, endMs: T0 + 6000 },
      ],
    });
  });

  it('does not change the hearing facts it was given', () => {
    const h = hearing('open');
    const before = structuredClone(h);
    ask(CAST['party to the case'].viewer, h, remote);
    expect(h).toEqual(before);
  });

  it('refuses malformed sealed ranges with a validation error rather than guessing', () => {
    for (const bad of [
      { startMs: T0 + 10, endMs: T0 + 10 },
      { startMs: T0 + 20, endMs: T0 + 10 },
      { startMs: Number.NaN, endMs: T0 },
    ]) {
      expect(() =>
        ask(CAST['judge of the hearing'].viewer, hearing('open', { sealedRanges: [bad] }), remote),
      ).toThrow(ValidationError);
    }
  });
});

describe('assignments', () => {
  const hcj = (validFromMs: number, validUntilMs: number | null): Viewer =>
    viewer('higher-court-judge', { assignments: [{ caseId: CASE, validFromMs, validUntilMs }] });
  const play = (v: Viewer) =>
    outcome(
      decide({
        viewer: v,
        hearing: hearing('closed'),
        action: 'recording.play',
        place: { onSite: false, how: 'remote' },
        nowMs: NOW,
      }),
    );

  it('allows a higher-court judge from the first millisecond of the assignment', () => {
    expect(play(hcj(NOW, NOW + 1))).toEqual({ allow: true, excludeRanges: [] });
  });

  it('refuses a higher-court judge at the end of the assignment, which is exclusive', () => {
    expect(play(hcj(NOW - DAY, NOW))).toEqual({ allow: false, reason: 'assignment-not-active' });
  });

  it('allows a higher-court judge when any one of several assignments to the case is in force', () => {
    const v = viewer('higher-court-judge', { assignments: [expired, future, active] });
    expect(play(v)).toEqual({ allow: true, excludeRanges: [] });
  });

  it('ignores case links of a higher-court judge: only assignments count', () => {
    const v = viewer('higher-court-judge', { caseLinks: [{ caseId: CASE, as: 'party' }] });
    expect(play(v)).toEqual({ allow: false, reason: 'not-assigned-to-case' });
  });

  it('ignores assignments of a party: only case links count', () => {
    const v = viewer('party', { assignments: [active] });
    expect(play(v)).toEqual({ allow: false, reason: 'not-a-participant' });
  });
});

describe('odd input', () => {
  const party = CAST['party to the case'].viewer;

  it('refuses a hearing action asked without a hearing', () => {
    const d = decide({
      viewer: CAST['judge of the hearing'].viewer,
      hearing: null,
      action: 'recording.play',
      place: { onSite: true, how: 'terminal' },
      nowMs: NOW,
    });
    expect(outcome(d)).toEqual({ allow: false, reason: 'hearing-required' });
  });

  it('decides system actions without a hearing', () => {
    const place: Place = { onSite: false, how: 'remote' };
    expect(
      decide({ viewer: viewer('auditor'), hearing: null, action: 'audit.read', place, nowMs: NOW }).allow,
    ).toBe(true);
    expect(
      decide({ viewer: viewer('administrator'), hearing: null, action: 'admin.manage', place, nowMs: NOW })
        .allow,
    ).toBe(true);
    expect(
      decide({ viewer: viewer('administrator'), hearing: null, action: 'audit.read', place, nowMs: NOW })
        .allow,
    ).toBe(false);
  });

  it('counts a place whose fields disagree as off site', () => {
    for (const place of [
      { onSite: false, how: 'terminal' },
      { onSite: false, how: 'court-network' },
      { onSite: true, how: 'remote' },
    ] as Place[]) {
      const d = decide({
        viewer: party,
        hearing: hearing('closed'),
        action: 'recording.play',
        place,
        nowMs: NOW,
      });
      expect(outcome(d)).toEqual({ allow: false, reason: 'closed-hearing-off-site' });
    }
  });

  it('refuses a role, an action or a visibility it does not know, rather than allowing it', () => {
    const place: Place = { onSite: true, how: 'terminal' };
    const judgeOfHearing = CAST['judge of the hearing'].viewer;
    const unknown: Parameters<typeof decide>[0][] = [
      {
        viewer: { ...judgeOfHearing, role: 'clerk' as Role },
        hearing: hearing('open'),
        action: 'hearing.view',
        place,
        nowMs: NOW,
      },
      {
        viewer: judgeOfHearing,
        hearing: hearing('open'),
        action: 'hearing.delete' as Action,
        place,
        nowMs: NOW,
      },
      {
        viewer: party,
        hearing: hearing('partly' as Visibility),
        action: 'recording.play',
        place,
        nowMs: NOW,
      },
    ];
    for (const input of unknown)
      expect(outcome(decide(input))).toEqual({ allow: false, reason: 'role-cannot' });
  });

  it('refuses a closed hearing to a party when the place is unknown', () => {
    const d = decide({
      viewer: party,
      hearing: hearing('closed'),
      action: 'recording.play',
      place: { onSite: true, how: 'vpn' } as unknown as Place,
      nowMs: NOW,
    });
    expect(outcome(d)).toEqual({ allow: false, reason: 'closed-hearing-off-site' });
  });

  it('reads no clock: the decision depends on nowMs alone', () => {
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('the policy must not read the clock');
    });
    try {
      const v = viewer('higher-court-judge', { assignments: [active] });
      const at = (nowMs: number) =>
        decide({
          viewer: v,
          hearing: hearing('closed'),
          action: 'recording.play',
          place: PLACES[0]!.place,
          nowMs,
        }).allow;
      expect([at(NOW), at(active.validFromMs - 1), at(active.validUntilMs)]).toEqual([true, false, false]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('ensureAllowed', () => {
  it('passes an allowing decision through', () => {
    expect(ensureAllowed({ allow: true, excludeRanges: [] })).toEqual({ allow: true, excludeRanges: [] });
  });

  it('turns a refusal into a 403 typed error that carries the reason', () => {
    const refusal: Decision = { allow: false, reason: 'closed-hearing-off-site', message: 'on site only' };
    expect(() => ensureAllowed(refusal)).toThrow(AccessRefusedError);
    try {
      ensureAllowed(refusal);
    } catch (error) {
      expect(error).toMatchObject({
        code: 'FORBIDDEN',
        status: 403,
        expected: true,
        reason: 'closed-hearing-off-site',
        details: { reason: 'closed-hearing-off-site' },
      });
    }
  });
});

// ---------------------------------------------------------------------------

describe('isOnSite', () => {
  const NETWORKS = ['10.20.0.0/16', '192.0.2.7', '2001:db8:10::/48', '::ffff:198.51.100.0/120'];

  it.each([
    ['an IPv4 address inside a court range', '10.20.3.4', true],
    ['the first address of an IPv4 range', '10.20.0.0', true],
    ['the last address of an IPv4 range', '10.20.255.255', true],
    ['an IPv4 address just outside a range', '10.21.0.0', false],
    ['a single configured IPv4 host', '192.0.2.7', true],
    ['the neighbour of a single configured host', '192.0.2.8', false],
    ['an IPv6 address inside a court range', '2001:db8:10:ffff::1', true],
    ['an IPv6 address outside every range', '2001:db8:11::1', false],
    ['an IPv4-mapped IPv6 address in an IPv4 range', '::ffff:10.20.3.4', true],
    ['an IPv4-mapped IPv6 address in hex form', '::ffff:a14:304', true],
    ['an IPv4-mapped IPv6 address outside the IPv4 ranges', '::ffff:10.21.0.1', false],
    ['an IPv4 address in an IPv4-mapped IPv6 range', '198.51.100.9', true],
    ['an IPv6 address with a zone id', '2001:db8:10::5%eth0', true],
    ['loopback, unless configured', '127.0.0.1', false],
  ])('tells %s (%s) → %s', (_what, address, expected) => {
    expect(isOnSite(address, NETWORKS)).toBe(expected);
  });

  it('counts nothing as on site when no court network is configured', () => {
    expect(isOnSite('10.20.3.4', [])).toBe(false);
    expect(isOnSite('::1', [])).toBe(false);
  });

  it('counts every IPv4 address as on site under 0.0.0.0/0', () => {
    expect(isOnSite('203.0.113.1', ['0.0.0.0/0'])).toBe(true);
  });

  it('ignores host bits below the prefix, as firewalls do', () => {
    expect(isOnSite('10.1.2.3', ['10.9.9.9/8'])).toBe(true);
  });

  it.each([
    ['a prefix beyond 32 bits for IPv4', '10.0.0.0/33'],
    ['a prefix beyond 128 bits for IPv6', '2001:db8::/129'],
    ['a truncated IPv4 address', '10.0.0/8'],
    ['an empty prefix', '10.0.0.0/'],
    ['a missing address', '/8'],
    ['two prefixes', '10.0.0.0/8/9'],
    ['a negative prefix', '10.0.0.0/-1'],
    ['a prefix with a sign', '10.0.0.0/+8'],
    ['a host name', 'court.example/24'],
    ['a zone id in a range', 'fe80::%eth0/64'],
    ['surrounding spaces', ' 10.0.0.0/8'],
    ['an empty string', ''],
  ])('refuses %s in the court networks (%j)', (_what, cidr) => {
    expect(() => isOnSite('10.0.0.1', [cidr])).toThrow(ValidationError);
    expect(() => parseCourtNetwork(cidr)).toThrow(/is not a CIDR range/);
  });

  it.each([
    ['an empty string', ''],
    ['a word', 'not-an-ip'],
    ['an IPv4 octet over 255', '10.0.0.256'],
    ['a bracketed IPv6 address', '[::1]'],
    ['an address with a port', '10.0.0.1:8080'],
    ['leading zeros', '010.0.0.1'],
    ['surrounding spaces', ' 10.0.0.1'],
  ])('refuses %s as an address (%j)', (_what, address) => {
    expect(() => isOnSite(address, ['10.0.0.0/8'])).toThrow(ValidationError);
  });

  it('parses a network into address, prefix and family', () => {
    expect(parseCourtNetwork('10.20.0.0/16')).toEqual({ address: '10.20.0.0', prefix: 16, family: 'ipv4' });
    expect(parseCourtNetwork('2001:db8::')).toEqual({ address: '2001:db8::', prefix: 128, family: 'ipv6' });
  });

  it('builds a matcher once and answers many addresses with it', () => {
    const onSite = createOnSiteMatcher(NETWORKS);
    expect(['10.20.0.1', '10.30.0.1', '::ffff:10.20.0.1'].map(onSite)).toEqual([true, false, true]);
  });
});

describe('placeOf', () => {
  it('says a registered terminal is on site, whatever its address', () => {
    expect(placeOf({ registeredTerminal: true, onCourtNetwork: false })).toEqual({
      onSite: true,
      how: 'terminal',
    });
  });

  it('says an address on the court network is on site', () => {
    expect(placeOf({ registeredTerminal: false, onCourtNetwork: true })).toEqual({
      onSite: true,
      how: 'court-network',
    });
  });

  it('says anything else is remote', () => {
    expect(placeOf({ registeredTerminal: false, onCourtNetwork: false })).toEqual({
      onSite: false,
      how: 'remote',
    });
  });
});
