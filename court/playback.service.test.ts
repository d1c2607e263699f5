import { describe, expect, it } from 'vitest';
import { FakeClock, createLogger } from '../core/index.ts';
import type { AuditEvent, Hearing, Segment } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import { PlaybackService, type PlaybackServiceDeps } from './playback.service.ts';
import type { HearingFacts, Place, Viewer } from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const PARTY: Person = { id: 'u-party', login: 'party', displayName: 'Party', role: 'party' };
const OFF_SITE: Origin = { address: '10.9.9.9' };
const ON_SITE: Origin = { address: '10.0.0.3' };

const hearing = (visibility: 'open' | 'closed'): Hearing =>
  ({
    id: 'h1',
    courtroom_id: 'room',
    visibility,
    state: 'stopped',
    case_id: 'case',
    manifest_sha256: null,
    judge_user_id: null,
    secretary_user_id: null,
  }) as Hearing;

const segment = (track: string, seq: number): Segment =>
  ({
    hearing_id: 'h1',
    track,
    seq,
    start_ms: T0 + seq * 4000,
    duration_ms: 4000,
    object_key: `hearings/h1/${track}/${String(seq).padStart(6, '0')}.ts`,
    size: 188,
  }) as Segment;

/** Strict fakes: the access service's loaders, the catalog reads, the audit log and the change token. */
function setUp(
  options: { visibility?: 'open' | 'closed'; token?: string | null; sealed?: [number, number][] } = {},
) {
  const clock = new FakeClock('2026-03-02T10:00:00.000Z');
  const audit: AuditEvent[] = [];
  const state = {
    visibility: options.visibility ?? 'open',
    disabled: false,
    token: options.token === undefined ? 't1' : options.token,
    viewerLoads: 0,
  };
  const access = {
    viewerFor: async (): Promise<Viewer> => {
      state.viewerLoads++;
      return {
        userId: PARTY.id,
        role: 'party',
        disabled: state.disabled,
        caseLinks: [{ caseId: 'case', as: 'party' }],
        assignments: [],
        courtIds: [],
      };
    },
    hearingFacts: async (): Promise<HearingFacts> => ({
      id: 'h1',
      caseId: 'case',
      courtId: 'court',
      visibility: state.visibility,
      judgeUserId: null,
      secretaryUserId: null,
      state: 'stopped',
      sealedRanges: (options.sealed ?? []).map(([startMs, endMs]) => ({ startMs, endMs })),
    }),
    placeOf: async (origin: Origin): Promise<Place> =>
      origin.address === ON_SITE.address
        ? { onSite: true, how: 'court-network' }
        : { onSite: false, how: 'remote' },
  } as unknown as AccessService;
  const segments = [0, 1, 2, 3].flatMap((seq) => [segment('video', seq), segment('mix', seq)]);
  const repos = {
    hearings: {
      find: async (id: string) => (id === 'h1' ? hearing(state.visibility) : undefined),
      listTracks: async () => [
        { name: 'video', kind: 'video', codec: 'h264', channels: null },
        { name: 'mix', kind: 'audio', codec: 'aac', channels: 1 },
      ],
    },
    segments: {
      find: async (h: string, track: string, seq: number) =>
        segments.find((s) => s.hearing_id === h && s.track === track && s.seq === seq),
      listByHearing: async () => segments,
    },
  } as unknown as PlaybackServiceDeps['repos'];
  const service = new PlaybackService({
    access,
    repos,
    audit: { append: async (e: AuditEvent) => void audit.push(e) } as unknown as PlaybackServiceDeps['audit'],
    clock,
    logger: createLogger({ level: 'silent' }),
    changes: { token: () => state.token },
    idleMs: 30_000,
  });
  return { service, clock, audit, state };
}

const request = { person: PARTY, origin: OFF_SITE, sessionId: 's1' };

describe('PlaybackService', () => {
  it('audits a viewing once when it starts and once with its span when it goes idle', async () => {
    const { service, clock, audit } = setUp();
    await service.playlist({ ...request, hearing: hearing('open'), target: 'master.m3u8' });
    await service.playlist({ ...request, hearing: hearing('open'), target: 'video.m3u8' });
    for (const seq of [0, 1, 2, 3]) {
      await service.segment({ ...request, key: segment('video', seq).object_key });
      clock.advance(4000);
    }
    await service.segment({ ...request, key: segment('mix', 1).object_key });
    expect(audit).toMatchObject([{ action: 'recording.play', verdict: 'allow', reason: 'remote' }]);
    await service.flushIdle();
    expect(audit).toHaveLength(1);
    clock.advance(30_000);
    await service.flushIdle();
    expect(audit[1]).toMatchObject({
      action: 'recording.viewed',
      actor: 'party',
      hearingId: 'h1',
      address: OFF_SITE.address,
      target:
        'mix 2026-03-02T09:00:04.000Z–2026-03-02T09:00:08.000Z (1 fetches); ' +
        'video 2026-03-02T09:00:00.000Z–2026-03-02T09:00:16.000Z (4 fetches)',
    });
    expect(service.openViewings).toBe(0);
    await service.close();
  });

  it('refuses a closed hearing’s segment off site, audited, though the playlist was given on site', async () => {
    const { service, audit } = setUp({ visibility: 'closed' });
    await service.playlist({ ...request, origin: ON_SITE, hearing: hearing('closed'), target: 'video.m3u8' });
    await service.segment({ ...request, origin: ON_SITE, key: segment('video', 0).object_key });
    await expect(service.segment({ ...request, key: segment('video', 0).object_key })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      reason: 'closed-hearing-off-site',
    });
    expect(audit.at(-1)).toMatchObject({
      verdict: 'refuse',
      reason: 'closed-hearing-off-site',
      hearingId: 'h1',
    });
    await service.close();
  });

  it('reuses a decision while the change token stands still, and decides again when it moves', async () => {
    const { service, state } = setUp();
    const key = segment('video', 0).object_key;
    await service.segment({ ...request, key });
    await service.segment({ ...request, key });
    expect(state.viewerLoads).toBe(1);
    state.disabled = true;
    state.token = 't2';
    await expect(service.segment({ ...request, key })).rejects.toMatchObject({ reason: 'disabled' });
    await service.close();
  });

  it('decides every fetch afresh when the catalog has no change token', async () => {
    const { service, state } = setUp({ token: null });
    const key = segment('video', 0).object_key;
    await service.segment({ ...request, key });
    await service.segment({ ...request, key });
    expect(state.viewerLoads).toBe(2);
    await service.close();
  });

  it('refuses a segment inside a sealed range, and a key that is no segment, both audited', async () => {
    const { service, audit } = setUp({ sealed: [[T0 + 4000, T0 + 5000]] });
    await service.segment({ ...request, key: segment('video', 0).object_key });
    await expect(service.segment({ ...request, key: segment('video', 1).object_key })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(service.segment({ ...request, key: 'hearings/h1/manifest.json' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(audit.filter((e) => e.verdict === 'refuse').map((e) => e.reason)).toEqual([
      'sealed-range',
      'not-a-segment',
    ]);
    await service.close();
  });
});
