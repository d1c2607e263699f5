import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import { AuditLog } from '../audit-log.ts';
import { FakeClock, SchemaTooNewError } from '../../core/index.ts';
import {
  MIGRATIONS,
  createRepositories,
  type CatalogDialect,
  type Repositories,
  type Segment,
} from './index.ts';

const postgres = await serviceAvailable('postgres', 'catalog repositories (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

function contractSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    await repos.courts.insertCourt({ id: 'almaty-city', name: 'Almaty City Court', created_at: T0 });
    await repos.courts.insertCourtroom({
      id: 'room-1',
      court_id: 'almaty-city',
      name: 'Room 1',
      created_at: T0,
    });
    await repos.hearings.insert({
      id: 'h1',
      courtroom_id: 'room-1',
      case_number: '2-1234/2026',
      title: 'Ivanov v. Petrov',
      judge: 'Judge A',
      visibility: 'open',
      language: 'ru',
      state: 'scheduled',
      scheduled_at: T0,
      started_at: null,
      stopped_at: null,
      manifest_key: null,
      manifest_sha256: null,
      created_at: T0,
      updated_at: T0,
    });
    for (const name of ['mic-1', 'mix', 'video']) {
      await repos.hearings.upsertTrack({
        hearing_id: 'h1',
        name,
        kind: name === 'video' ? 'video' : 'audio',
        codec: name === 'video' ? 'h264' : 'aac',
        sample_rate: name === 'video' ? null : 48000,
        channels: name === 'video' ? null : 1,
        speaker: null,
        created_at: T0,
      });
    }
  });
  afterAll(async () => t?.dispose());

  const segment = (track: string, seq: number): Segment => ({
    hearing_id: 'h1',
    track,
    seq,
    start_ms: T0 + seq * 4000,
    duration_ms: 4000,
    object_key: `hearings/h1/${track}/${String(seq).padStart(6, '0')}.m4s`,
    size: 1_000_000 + seq,
    sha256: seq.toString(16).padStart(64, 'a'),
    chain: seq.toString(16).padStart(64, 'c'),
    recorder_id: 'node-1',
    registered_at: T0 + seq * 4000 + 500,
    verify_state: 'pending',
    verified_at: null,
  });

  it('migrating twice applies nothing the second time', async () => {
    expect(await t.catalog.migrate()).toEqual({ applied: [] });
    expect(await t.catalog.executedMigrations()).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('returns a hearing exactly as it was stored, with times as numbers', async () => {
    const h = await repos.hearings.find('h1');
    expect(h).toMatchObject({
      id: 'h1',
      visibility: 'open',
      language: 'ru',
      state: 'scheduled',
      scheduled_at: T0,
    });
    expect(typeof h?.created_at).toBe('number');
    expect(await repos.hearings.find('missing')).toBeUndefined();
  });

  it('changes a hearing state only from an allowed state', async () => {
    expect(await repos.hearings.update('h1', { state: 'recording', started_at: T0 }, ['scheduled'])).toBe(
      true,
    );
    expect(await repos.hearings.update('h1', { state: 'recording' }, ['scheduled'])).toBe(false);
    expect((await repos.hearings.find('h1'))?.state).toBe('recording');
  });

  it('stores 300 segments across tracks and lists each exactly once, in seq order', async () => {
    const tracks = ['video', 'mix', 'mic-1'];
    for (let seq = 0; seq < 100; seq++)
      for (const track of tracks) expect(await repos.segments.insert(segment(track, seq))).toBe(true);
    for (const track of tracks) {
      const rows = await repos.segments.listByTrack('h1', track);
      expect(rows.map((r) => r.seq)).toEqual([...Array(100).keys()]);
      expect(rows[42]).toEqual(segment(track, 42));
    }
    expect(await repos.segments.countByTrack('h1')).toEqual([
      { track: 'mic-1', count: 100 },
      { track: 'mix', count: 100 },
      { track: 'video', count: 100 },
    ]);
    expect((await repos.segments.listByHearing('h1')).length).toBe(300);
    expect((await repos.segments.last('h1', 'video'))?.seq).toBe(99);
  });

  it('a repeated registration changes nothing and reports that it was a duplicate', async () => {
    const again = { ...segment('video', 5), sha256: 'f'.repeat(64) };
    expect(await repos.segments.insert(again)).toBe(false);
    expect((await repos.segments.find('h1', 'video', 5))?.sha256).toBe(segment('video', 5).sha256);
    expect((await repos.segments.listByTrack('h1', 'video')).length).toBe(100);
  });

  it('refuses a segment of a track the hearing does not have', async () => {
    await expect(repos.segments.insert(segment('mic-9', 0))).rejects.toThrow();
  });

  it('records the verification state of a segment by its object key', async () => {
    await repos.segments.setVerifyState(segment('mix', 3).object_key, 'ok', T0 + 99);
    expect(await repos.segments.find('h1', 'mix', 3)).toMatchObject({
      verify_state: 'ok',
      verified_at: T0 + 99,
    });
  });

  it('keeps markers in time order and ignores a replayed marker id', async () => {
    const m = {
      hearing_id: 'h1',
      kind: 'opening',
      text: '',
      author: 'operator',
      created_at: T0,
      end_ms: null,
    };
    expect(await repos.markers.insert({ ...m, id: 'm2', at_ms: T0 + 2000 })).toBe(true);
    expect(await repos.markers.insert({ ...m, id: 'm1', at_ms: T0 + 1000 })).toBe(true);
    expect(await repos.markers.insert({ ...m, id: 'm1', at_ms: T0 + 5000, text: 'replayed' })).toBe(false);
    expect((await repos.markers.listByHearing('h1')).map((x) => [x.id, x.at_ms, x.text])).toEqual([
      ['m1', T0 + 1000, ''],
      ['m2', T0 + 2000, ''],
    ]);
  });

  it('stores recorder nodes with a token hash, and revokes them', async () => {
    await repos.recorderNodes.insert({
      id: 'node-1',
      courtroom_id: 'room-1',
      name: 'Room 1 recorder',
      token_hash: 'ab'.repeat(32),
      created_at: T0,
      last_seen_at: null,
      revoked_at: null,
    });
    expect(await repos.recorderNodes.revoke('node-1', T0 + 1)).toBe(true);
    expect(await repos.recorderNodes.find('node-1')).toMatchObject({ token_hash: null, revoked_at: T0 + 1 });
    expect(await repos.recorderNodes.revoke('node-2', T0)).toBe(false);
  });

  it('appends a hash-chained audit log that the database refuses to edit or delete', async () => {
    const log = new AuditLog(repos.auditLog, new FakeClock(T0));
    for (let i = 0; i < 5; i++)
      await log.append({
        actor: `u${i}`,
        action: 'segment.read',
        hearingId: 'h1',
        verdict: i === 3 ? 'refuse' : 'allow',
      });
    expect(await log.verify()).toMatchObject({ ok: true, entries: 5 });
    expect((await repos.auditLog.list({ verdict: 'refuse' })).map((e) => e.actor)).toEqual(['u3']);
    await expect(
      sql`update audit_log set actor = 'mallory' where seq = 2`.execute(t.catalog.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = 2`.execute(t.catalog.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await log.verify()).toMatchObject({ ok: true, entries: 5 });
  });

  it('refuses to run on a catalog migrated by a newer Hattama', async () => {
    await sql`insert into hattama_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(
      t.catalog.db,
    );
    await expect(t.catalog.migrate()).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(t.catalog.migrate()).rejects.toMatchObject({ code: 'CATALOG_SCHEMA_TOO_NEW' });
  });
}

describe('catalog repositories on SQLite', () => contractSuite('sqlite'));
describe.skipIf(!postgres)('catalog repositories on PostgreSQL', () => contractSuite('postgres'));
