/**
 * The microphone mapping (migration 0004) behaves the same on SQLite and PostgreSQL:
 * a hearing's whole mapping is replaced at once, read back with the participants' names,
 * refused whole when one entry is bad, and a removed participant leaves their microphone
 * unmapped.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hearingRow, openTestCatalog, type TestCatalog } from '../../test/support/catalog.ts';
import { serviceAvailable } from '../../test/support/services.ts';
import { createRepositories, type CatalogDialect, type Repositories } from './index.ts';

const postgres = await serviceAvailable('postgres', 'microphone mapping catalog (PostgreSQL)');

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

function speakersSuite(dialect: CatalogDialect) {
  let t: TestCatalog;
  let repos: Repositories;

  const hearing = (id: string, caseId: string | null) =>
    repos.hearings.insert(
      hearingRow(id, T0, { case_id: caseId, judge_user_id: null, secretary_user_id: null }),
    );
  const participant = (id: string, caseId: string, name: string, capacity: 'party' | 'representative') =>
    repos.cases.insertParticipant({ id, case_id: caseId, user_id: null, name, capacity, created_at: T0 });

  beforeAll(async () => {
    t = await openTestCatalog(dialect);
    repos = createRepositories(t.catalog.db);
    await repos.courts.insertCourt({ id: 'court-1', name: 'Court', created_at: T0 });
    await repos.courts.insertCourtroom({ id: 'room-1', court_id: 'court-1', name: 'Room', created_at: T0 });
    for (const id of ['case-1', 'case-2'])
      await repos.cases.insertCase({
        id,
        court_id: 'court-1',
        number: id,
        category: 'civil',
        created_at: T0,
      });
    await participant('p-plaintiff', 'case-1', 'Айгүл Сейітова', 'party');
    await participant('p-lawyer', 'case-1', 'Ivan Petrov', 'representative');
    await participant('p-other', 'case-2', 'Someone Else', 'party');
    await hearing('h-1', 'case-1');
    await hearing('h-2', 'case-1');
  });
  afterAll(async () => t?.dispose());

  it('stores a mapping and reads it back microphone by microphone, mic-2 before mic-10', async () => {
    await repos.speakers.replace(
      'h-1',
      [
        { track: 'mic-10', participantId: null, label: 'Свидетель' },
        { track: 'mic-1', participantId: null, label: 'Судья' },
        { track: 'mic-2', participantId: 'p-plaintiff', label: null },
        { track: 'mic-3', participantId: 'p-lawyer', label: null },
      ],
      { at: T0 + 5, by: 'demo-secretary' },
    );
    expect(await repos.speakers.speakersOfHearing('h-1')).toEqual([
      {
        track: 'mic-1',
        participantId: null,
        label: 'Судья',
        name: 'Судья',
        capacity: null,
        updatedAt: T0 + 5,
        updatedBy: 'demo-secretary',
      },
      {
        track: 'mic-2',
        participantId: 'p-plaintiff',
        label: null,
        name: 'Айгүл Сейітова',
        capacity: 'party',
        updatedAt: T0 + 5,
        updatedBy: 'demo-secretary',
      },
      {
        track: 'mic-3',
        participantId: 'p-lawyer',
        label: null,
        name: 'Ivan Petrov',
        capacity: 'representative',
        updatedAt: T0 + 5,
        updatedBy: 'demo-secretary',
      },
      {
        track: 'mic-10',
        participantId: null,
        label: 'Свидетель',
        name: 'Свидетель',
        capacity: null,
        updatedAt: T0 + 5,
        updatedBy: 'demo-secretary',
      },
    ]);
    expect((await repos.speakers.speakerOfTrack('h-1', 'mic-2'))?.name).toBe('Айгүл Сейітова');
    expect(await repos.speakers.speakerOfTrack('h-1', 'mic-4')).toBeUndefined();
    expect(await repos.speakers.speakersOfHearing('h-2')).toEqual([]);
  });

  it('replaces the whole mapping: microphones left out are unmapped, and other hearings are untouched', async () => {
    await repos.speakers.replace('h-2', [{ track: 'mic-1', participantId: null, label: 'Прокурор' }], {
      at: T0,
      by: 'x',
    });
    await repos.speakers.replace('h-1', [{ track: 'mic-1', participantId: 'p-lawyer', label: null }], {
      at: T0 + 6,
      by: 'demo-judge',
    });
    expect(
      (await repos.speakers.speakersOfHearing('h-1')).map((s) => [s.track, s.name, s.updatedBy]),
    ).toEqual([['mic-1', 'Ivan Petrov', 'demo-judge']]);
    expect((await repos.speakers.speakersOfHearing('h-2')).map((s) => s.name)).toEqual(['Прокурор']);
    await repos.speakers.replace('h-2', [], { at: T0 + 7, by: 'x' });
    expect(await repos.speakers.speakersOfHearing('h-2')).toEqual([]);
  });

  it('refuses a whole replacement when one entry names an unknown participant, keeping the old mapping', async () => {
    const before = await repos.speakers.speakersOfHearing('h-1');
    await expect(
      repos.speakers.replace(
        'h-1',
        [
          { track: 'mic-1', participantId: null, label: 'Судья' },
          { track: 'mic-2', participantId: 'p-nobody', label: null },
        ],
        { at: T0 + 8, by: 'x' },
      ),
    ).rejects.toThrow();
    expect(await repos.speakers.speakersOfHearing('h-1')).toEqual(before);
    await expect(
      repos.speakers.replace('h-none', [{ track: 'mic-1', participantId: null, label: 'x' }], {
        at: T0,
        by: 'x',
      }),
    ).rejects.toThrow();
  });

  it('refuses a row with both a participant and a label, or with neither, and a microphone twice', async () => {
    const row = (participant: string | null, label: string | null, track = 'mic-5') =>
      sql`insert into hearing_speakers (hearing_id, track, participant_id, label, updated_at, updated_by)
          values ('h-2', ${track}, ${participant}, ${label}, ${T0}, 'x')`.execute(t.catalog.db);
    await expect(row('p-plaintiff', 'Судья')).rejects.toThrow();
    await expect(row(null, null)).rejects.toThrow();
    await row(null, 'Судья');
    await expect(row(null, 'Again')).rejects.toThrow();
    await repos.speakers.replace('h-2', [], { at: T0, by: 'x' });
  });

  it("unmaps a participant's microphone when the participant is removed from the case", async () => {
    await repos.speakers.replace(
      'h-2',
      [
        { track: 'mic-1', participantId: 'p-plaintiff', label: null },
        { track: 'mic-2', participantId: null, label: 'Судья' },
      ],
      { at: T0, by: 'x' },
    );
    await participant('p-leaving', 'case-1', 'Leaving', 'party');
    await repos.speakers.replace(
      'h-1',
      [
        { track: 'mic-1', participantId: 'p-leaving', label: null },
        { track: 'mic-2', participantId: 'p-plaintiff', label: null },
      ],
      { at: T0, by: 'x' },
    );
    expect(await repos.cases.removeParticipant('p-leaving')).toBe(true);
    expect((await repos.speakers.speakersOfHearing('h-1')).map((s) => s.track)).toEqual(['mic-2']);
    expect((await repos.speakers.speakersOfHearing('h-2')).map((s) => s.track)).toEqual(['mic-1', 'mic-2']);
  });

  it('works inside a transaction the caller already opened', async () => {
    await t.catalog.db.transaction().execute(async (trx) => {
      await createRepositories(trx).speakers.replace(
        'h-2',
        [{ track: 'mic-4', participantId: null, label: 'Переводчик' }],
        { at: T0, by: 'x' },
      );
    });
    expect((await repos.speakers.speakersOfHearing('h-2')).map((s) => s.label)).toEqual(['Переводчик']);
  });
}

describe('microphone mapping on SQLite', () => speakersSuite('sqlite'));
describe.skipIf(!postgres)('microphone mapping on PostgreSQL', () => speakersSuite('postgres'));
