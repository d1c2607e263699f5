import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/index.ts';
import type { Hearing, HearingPageQuery, ObjectStore, Repositories, SealedRange } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import { HearingReadsService, markerTouches } from './hearing-reads.service.ts';
import type { Viewer } from './policy/index.ts';
import type { Person } from './requester.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const party: Person = { id: 'u-party', login: 'party', displayName: 'Party', role: 'party' };
const origin = { address: '203.0.113.9' };

function hearing(n: number, caseId: string, visibility: 'open' | 'closed' = 'open'): Hearing {
  return {
    id: `h-${String(n).padStart(2, '0')}`,
    courtroom_id: 'room-1',
    case_id: caseId,
    case_number: caseId,
    title: `H ${n}`,
    judge: 'Judge',
    visibility,
    language: 'ru',
    state: 'stopped',
    scheduled_at: null,
    started_at: T0,
    stopped_at: T0 + 1,
    manifest_key: null,
    manifest_sha256: null,
    created_at: T0 - n * 1000,
    updated_at: T0,
    judge_user_id: null,
    secretary_user_id: null,
  };
}

/** Strict fakes: anything the service is not meant to call throws. */
function setUp(rows: Hearing[], sealed: SealedRange[] = []) {
  const calls = {
    viewer: 0,
    place: 0,
    rooms: 0,
    sealedBatches: [] as string[][],
    pages: [] as HearingPageQuery[],
  };
  const viewer: Viewer = {
    userId: party.id,
    role: 'party',
    disabled: false,
    caseLinks: [{ caseId: 'k1', as: 'party' }],
    assignments: [],
    courtIds: [],
  };
  const refuse = () => {
    throw new Error('a list must not decide one hearing at a time nor audit');
  };
  const access = {
    viewerFor: async () => (calls.viewer++, viewer),
    placeOf: async () => (calls.place++, { onSite: false, how: 'remote' as const }),
    decide: refuse,
    require: refuse,
    hearingFacts: refuse,
  } as unknown as AccessService;
  const repos = new Proxy(
    {
      courts: {
        listCourtrooms: async () => (
          calls.rooms++,
          [{ id: 'room-1', court_id: 'court-1', name: 'R', created_at: 0 }]
        ),
      },
      sealedRanges: {
        listByHearings: async (ids: readonly string[]) => {
          calls.sealedBatches.push([...ids]);
          return sealed.filter((r) => ids.includes(r.hearing_id));
        },
      },
      hearings: {
        // Ignores the reach on purpose: the policy must still leave other cases' rows out.
        page: async (q: HearingPageQuery) => {
          calls.pages.push(q);
          const after = q.after;
          return rows
            .filter(
              (h) =>
                !after ||
                h.created_at < after.createdAt ||
                (h.created_at === after.createdAt && h.id < after.id),
            )
            .slice(0, q.limit);
        },
      },
    } as Record<string, unknown>,
    {
      get(target, key: string) {
        if (key in target) return target[key];
        throw new Error(`unexpected repository ${key}`);
      },
    },
  ) as unknown as Repositories;
  const clock: Clock = { now: () => T0 } as Clock;
  const service = new HearingReadsService({ repos, access, objects: {} as ObjectStore, clock });
  return { service, calls };
}

describe('HearingReadsService', () => {
  it('decides a page with the viewer, the place, the courtrooms and the sealed ranges read once each', async () => {
    const rows = [hearing(1, 'k1'), hearing(2, 'k2'), hearing(3, 'k1', 'closed')];
    const sealed: SealedRange[] = [
      {
        id: 's',
        hearing_id: 'h-01',
        start_ms: T0,
        end_ms: T0 + 10,
        reason: 'r',
        created_by: 'j',
        created_at: 0,
      },
    ];
    const { service, calls } = setUp(rows, sealed);
    const page = await service.visible(party, origin, rows);
    expect(page.map((v) => v.hearing.id)).toEqual(['h-01', 'h-03']);
    expect(page[0]!.play).toEqual({ allow: true, excludeRanges: [{ startMs: T0, endMs: T0 + 10 }] });
    expect(page[1]!.play).toMatchObject({ allow: false, reason: 'closed-hearing-off-site' });
    expect(calls).toMatchObject({ viewer: 1, place: 1, rooms: 1, sealedBatches: [['h-01', 'h-02', 'h-03']] });
  });

  it('reads on past rows the policy leaves out, so a page is full unless it is the last', async () => {
    const rows = Array.from({ length: 30 }, (_, n) => hearing(n, n % 3 === 0 ? 'k1' : 'k2'));
    const { service, calls } = setUp(rows);
    const first = await service.list(party, origin, { limit: 4 });
    expect(first.hearings.map((v) => v.hearing.id)).toEqual(['h-00', 'h-03', 'h-06', 'h-09']);
    expect(first.next).not.toBeNull();
    expect(calls.pages.length).toBeGreaterThan(1);
    expect(calls.pages[0]!.scope).toEqual({ caseIds: ['k1'] });
    const second = await service.list(party, origin, { limit: 4, cursor: first.next! });
    expect(second.hearings.map((v) => v.hearing.id)).toEqual(['h-12', 'h-15', 'h-18', 'h-21']);
    const last = await service.list(party, origin, { limit: 4, cursor: second.next! });
    expect(last.hearings.map((v) => v.hearing.id)).toEqual(['h-24', 'h-27']);
    expect(last.next).toBeNull();
  });

  it('refuses a cursor it did not give out', async () => {
    const { service } = setUp([]);
    await expect(service.list(party, origin, { limit: 4, cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('markerTouches', () => {
  const range = [{ startMs: 100, endMs: 200 }];
  it('counts a point from the start of a range up to, not including, its end', () => {
    expect(markerTouches({ at_ms: 100, end_ms: null }, range)).toBe(true);
    expect(markerTouches({ at_ms: 199, end_ms: null }, range)).toBe(true);
    expect(markerTouches({ at_ms: 200, end_ms: null }, range)).toBe(false);
    expect(markerTouches({ at_ms: 99, end_ms: null }, range)).toBe(false);
  });
  it('counts a span that reaches into, covers or starts inside a range', () => {
    expect(markerTouches({ at_ms: 50, end_ms: 101 }, range)).toBe(true);
    expect(markerTouches({ at_ms: 50, end_ms: 300 }, range)).toBe(true);
    expect(markerTouches({ at_ms: 150, end_ms: 300 }, range)).toBe(true);
    expect(markerTouches({ at_ms: 50, end_ms: 100 }, range)).toBe(false);
    expect(markerTouches({ at_ms: 200, end_ms: 300 }, range)).toBe(false);
  });
});
