/**
 * The copies service's rules on a real catalog, SQLite and PostgreSQL alike (migration
 * 0005's voided state and columns), with the real access service and audit log; the
 * queue and the object store's link signing are strict fakes. The MP4 itself is made by
 * ffmpeg in test/copies-rules.test.ts; here only what needs no MP4: what is queued, the
 * voids when a copy is made, and the check when a ready copy's links are asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../core/index.ts';
import {
  AuditLog,
  createRepositories,
  type Copy,
  type ObjectStore,
  type Repositories,
} from '../storage/index.ts';
import { hearingRow, openTestCatalog, type TestCatalog } from '../test/support/catalog.ts';
import { serviceAvailable } from '../test/support/services.ts';
import { AccessService } from './access.service.ts';
import { CopiesService, uncovered, type CopyMedia } from './copies.service.ts';
import type { Person } from './requester.ts';

const postgres = await serviceAvailable('postgres', 'copies service (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HOME = { address: '192.0.2.7' };
const NO_MEDIA: CopyMedia = { ffmpegPath: '/nonexistent/ffmpeg', workDir: '/nonexistent' };
const NO_JOB = { progress: async () => undefined, signal: new AbortController().signal };

describe('uncovered', () => {
  it('returns the parts of the ranges that the cover does not reach', () => {
    expect(
      uncovered(
        [
          { startMs: 0, endMs: 10 },
          { startMs: 20, endMs: 30 },
        ],
        [
          { startMs: 2, endMs: 4 },
          { startMs: 8, endMs: 22 },
        ],
      ),
    ).toEqual([
      { startMs: 0, endMs: 2 },
      { startMs: 4, endMs: 8 },
      { startMs: 22, endMs: 30 },
    ]);
  });

  it('returns nothing when the cover takes in every range, touching edges included', () => {
    expect(
      uncovered(
        [{ startMs: 5, endMs: 10 }],
        [
          { startMs: 0, endMs: 5 },
          { startMs: 5, endMs: 12 },
        ],
      ),
    ).toEqual([]);
    expect(uncovered([], [{ startMs: 0, endMs: 5 }])).toEqual([]);
  });
});

function suite(dialect: 'sqlite' | 'postgres') {
  let t: TestCatalog;
  let repos: Repositories;
  let service: CopiesService;
  const clock = new FakeClock(T0 + 3_600_000);
  const enqueued: { name: string; payload: unknown }[] = [];
  let party: Person;
  let judge: Person;

  const person = async (login: string, role: Person['role']): Promise<Person> => {
    const row = {
      id: `u-${login}`,
      login,
      display_name: `Display ${login}`,
      role,
      password_hash: 'scrypt$x',
      locale: 'en' as const,
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    };
    await repos.users.insert(row);
    return { id: row.id, login, displayName: row.display_name, role };
  };

  const readyCopy = async (id: string, over: Partial<Copy> = {}): Promise<Copy> => {
    const copy: Copy = {
      id,
      hearing_id: 'h-1',
      viewer_user_id: party.id,
      viewer_name: party.displayName,
      from_ms: T0 + 10_000,
      to_ms: T0 + 20_000,
      state: 'ready',
      progress: 100,
      mp4_key: `copies/h-1/${id}.mp4`,
      txt_key: `copies/h-1/${id}.txt`,
      sha256: 'a'.repeat(64),
      size: 1234,
      error: null,
      requested_at: T0 + 1000,
      finished_at: T0 + 2000,
      excluded_ranges: JSON.stringify([{ startMs: T0 + 12_000, endMs: T0 + 13_000 }]),
      void_reason: null,
      void_message: null,
      voided_at: null,
      requested_from: HOME.address,
      ...over,
    };
    await repos.copies.insert(copy);
    return copy;
  };

  const seal = (id: string, startMs: number, endMs: number) =>
    repos.sealedRanges.insert({
      id,
      hearing_id: 'h-1',
      start_ms: startMs,
      end_ms: endMs,
      reason: 'closed part',
      created_by: judge.id,
      created_at: clock.now(),
    });

  const auditOf = async (action: string) =>
    (await repos.auditLog.list({ hearingId: 'h-1' })).filter((e) => e.action === action);

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    await repos.courts.insertCourt({ id: 'court-1', name: 'Court', created_at: T0 });
    await repos.courts.insertCourtroom({ id: 'room-1', court_id: 'court-1', name: 'Room', created_at: T0 });
    await repos.cases.insertCase({
      id: 'case-1',
      court_id: 'court-1',
      number: '2-1',
      category: 'civil',
      created_at: T0,
    });
    party = await person('party-1', 'party');
    judge = await person('judge-1', 'judge');
    await repos.cases.insertParticipant({
      id: 'p-1',
      case_id: 'case-1',
      user_id: party.id,
      name: party.displayName,
      capacity: 'party',
      created_at: T0,
    });
    await repos.hearings.insert(
      hearingRow('h-1', T0, { case_id: 'case-1', judge_user_id: judge.id, secretary_user_id: null }),
    );
    const audit = new AuditLog(repos.auditLog, clock);
    const access = new AccessService({ repos, audit, clock, logger: silentLogger(), courtNetworks: [] });
    const objects = {
      presignGet: async (key: string) => `https://objects.example/${key}?signed`,
    } as unknown as ObjectStore;
    service = new CopiesService({
      repos,
      access,
      objects,
      queue: {
        enqueue: async (name, payload) => {
          enqueued.push({ name, payload });
          return String(enqueued.length);
        },
      },
      audit,
      clock,
      logger: silentLogger(),
      expirySeconds: 300,
    });
  });
  afterAll(async () => t?.dispose());

  it('records a request as queued, from where it came, and queues the ids only', async () => {
    const { copyId } = await service.request({
      person: party,
      origin: HOME,
      hearingId: 'h-1',
      fromMs: T0 + 1000,
      toMs: T0 + 5000,
    });
    expect(await repos.copies.find(copyId)).toMatchObject({
      state: 'queued',
      viewer_user_id: party.id,
      from_ms: T0 + 1000,
      to_ms: T0 + 5000,
      requested_from: HOME.address,
      excluded_ranges: null,
    });
    expect(enqueued.at(-1)).toEqual({ name: 'copy.make', payload: { copyId, hearingId: 'h-1' } });
  });

  it('voids a queued copy whose requester lost the case before it was made, and makes nothing', async () => {
    const { copyId } = await service.request({ person: party, origin: HOME, hearingId: 'h-1' });
    await repos.cases.removeParticipant('p-1');
    try {
      const copy = (await repos.copies.find(copyId))!;
      await service.make({
        copy,
        hearing: (await repos.hearings.find('h-1'))!,
        media: NO_MEDIA,
        job: NO_JOB,
        logger: silentLogger(),
      });
      expect(await repos.copies.find(copyId)).toMatchObject({
        state: 'voided',
        void_reason: 'not-a-participant',
        mp4_key: null,
      });
      const view = await service.view({ person: party, origin: HOME, copyId });
      expect(view).toMatchObject({ state: 'voided', voidReason: 'not-a-participant', sha256: null });
      expect(view.voidMessage).toContain('not part of');
      expect(view.mp4Url).toBeUndefined();
      expect((await auditOf('copy.voided')).filter((e) => e.target === copyId)).toEqual([
        expect.objectContaining({ actor: 'party-1', verdict: 'refuse', reason: 'not-a-participant' }),
      ]);
    } finally {
      await repos.cases.insertParticipant({
        id: 'p-1',
        case_id: 'case-1',
        user_id: party.id,
        name: party.displayName,
        capacity: 'party',
        created_at: T0,
      });
    }
  });

  it('hands out a ready copy whose sealed parts it was made without', async () => {
    await seal('s-1', T0 + 12_000, T0 + 13_000);
    await readyCopy('cp-made-without');
    const view = await service.view({ person: party, origin: HOME, copyId: 'cp-made-without' });
    expect(view).toMatchObject({ state: 'ready', voidReason: null });
    expect(view.mp4Url).toBe('https://objects.example/copies/h-1/cp-made-without.mp4?signed');
    expect((await auditOf('copy.download')).at(-1)).toMatchObject({
      actor: 'party-1',
      address: HOME.address,
    });
  });

  it('voids a ready copy that shows a range sealed after it was made, and hands out no link', async () => {
    await readyCopy('cp-sealed-after');
    await readyCopy('cp-other-part', { from_ms: T0 + 30_000, to_ms: T0 + 40_000, excluded_ranges: '[]' });
    await seal('s-2', T0 + 18_000, T0 + 19_000);
    const view = await service.view({ person: party, origin: HOME, copyId: 'cp-sealed-after' });
    expect(view).toMatchObject({ state: 'voided', voidReason: 'sealed-after-copy', sha256: null });
    expect(view.mp4Url).toBeUndefined();
    expect(await repos.copies.find('cp-sealed-after')).toMatchObject({
      state: 'voided',
      void_reason: 'sealed-after-copy',
    });
    const voided = (await auditOf('copy.voided')).filter((e) => e.target?.startsWith('cp-sealed-after'));
    expect(voided).toEqual([expect.objectContaining({ actor: 'party-1', reason: 'sealed-after-copy' })]);
    expect(voided[0]!.target).toContain(new Date(T0 + 18_000).toISOString());
    // A copy of another part of the hearing is not touched by that seal.
    expect(await service.view({ person: party, origin: HOME, copyId: 'cp-other-part' })).toMatchObject({
      state: 'ready',
      mp4Url: expect.any(String),
    });
  });

  it("does not void the judge's copy over a seal: the judge may see sealed parts", async () => {
    await readyCopy('cp-judge', { viewer_user_id: judge.id, excluded_ranges: '[]' });
    await seal('s-3', T0 + 15_000, T0 + 16_000);
    expect(await service.view({ person: judge, origin: HOME, copyId: 'cp-judge' })).toMatchObject({
      state: 'ready',
      mp4Url: expect.any(String),
    });
  });
}

describe('copies on SQLite', () => suite('sqlite'));
describe.skipIf(!postgres)('copies on PostgreSQL', () => suite('postgres'));
