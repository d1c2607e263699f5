/**
 * Which microphone belongs to whom, per hearing (migration 0004). I/O only: who may set
 * it, and whether a participant belongs to the hearing's case, is decided by the hub.
 * Transcription (one microphone per speaker) reads it through `speakersOfHearing`.
 */
import type { CatalogDb } from '../catalog.ts';
import type { ParticipantCapacity } from '../schema.ts';

/** One microphone's entry as it is written: exactly one of a participant of the case and a free label. */
export interface SpeakerEntry {
  track: string;
  participantId: string | null;
  label: string | null;
}

/** One microphone's speaker as it is read. */
export interface HearingSpeaker {
  /** `mic-<n>`. */
  track: string;
  /** A participant of the hearing's case (case_participants.id), or null for a label. */
  participantId: string | null;
  /** The free label (the judge, the prosecutor, …), or null for a participant. */
  label: string | null;
  /** Who speaks, for people and transcripts: the participant's name, or the label. */
  name: string;
  /** The participant's capacity; null for a label. */
  capacity: ParticipantCapacity | null;
  updatedAt: number;
  /** The login that set it, or `administrator` for the administrator token. */
  updatedBy: string;
}

/** mic-2 before mic-10. */
function micNumber(track: string): number {
  const n = /^mic-(\d+)$/.exec(track)?.[1];
  return n === undefined ? Number.MAX_SAFE_INTEGER : Number(n);
}

export class HearingSpeakersRepository {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Replaces a hearing's whole mapping with `entries` (an empty list unmaps every
   * microphone), in one transaction: a reader sees the old mapping or the new one, never
   * a mix. Fails on a foreign-key violation (unknown hearing or participant) and changes
   * nothing then. The caller checks that tracks are distinct and participants are of the case.
   */
  async replace(
    hearingId: string,
    entries: readonly SpeakerEntry[],
    meta: { at: number; by: string },
  ): Promise<void> {
    const write = async (db: CatalogDb) => {
      await db.deleteFrom('hearing_speakers').where('hearing_id', '=', hearingId).execute();
      if (entries.length === 0) return;
      await db
        .insertInto('hearing_speakers')
        .values(
          entries.map((e) => ({
            hearing_id: hearingId,
            track: e.track,
            participant_id: e.participantId,
            label: e.label,
            updated_at: meta.at,
            updated_by: meta.by,
          })),
        )
        .execute();
    };
    // Repositories may be built over a transaction already; Kysely does not nest them.
    if (this.db.isTransaction) await write(this.db);
    else await this.db.transaction().execute(write);
  }

  /**
   * The speaker of each mapped microphone of a hearing, mic-1 first; unmapped microphones
   * are absent. The one function later work (transcription) reads the mapping with.
   */
  async speakersOfHearing(hearingId: string): Promise<HearingSpeaker[]> {
    const rows = await this.db
      .selectFrom('hearing_speakers as s')
      .leftJoin('case_participants as p', 'p.id', 's.participant_id')
      .select([
        's.track',
        's.participant_id',
        's.label',
        's.updated_at',
        's.updated_by',
        'p.name as participant_name',
        'p.capacity',
      ])
      .where('s.hearing_id', '=', hearingId)
      .execute();
    return rows
      .map((r) => ({
        track: r.track,
        participantId: r.participant_id,
        label: r.label,
        name: r.participant_name ?? r.label ?? '',
        capacity: r.capacity ?? null,
        updatedAt: r.updated_at,
        updatedBy: r.updated_by,
      }))
      .sort((a, b) => micNumber(a.track) - micNumber(b.track) || a.track.localeCompare(b.track));
  }

  /** The speaker of one microphone of a hearing, or undefined when it is not mapped. */
  async speakerOfTrack(hearingId: string, track: string): Promise<HearingSpeaker | undefined> {
    return (await this.speakersOfHearing(hearingId)).find((s) => s.track === track);
  }
}
