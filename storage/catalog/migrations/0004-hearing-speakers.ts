/**
 * Which microphone belongs to whom (issue 6, the secretary's form; docs/architecture.md flow step 1):
 * one row per microphone track of a hearing that the secretary (or the judge) has mapped,
 * either to a participant of the hearing's case or to a free label for someone who is not
 * a case participant in the catalog (the judge, the prosecutor, a witness, an interpreter).
 * The transcriber reads it to give each word its speaker (docs/architecture.md "Transcript").
 *
 * A table of its own rather than the `tracks.speaker` column of 0001: tracks appear only
 * when the recorder registers its first segment, and the mapping is made before the
 * hearing starts. Exactly one of participant and label is set (a CHECK, both dialects).
 * Removing a participant from the case removes their microphones' rows (ON DELETE CASCADE):
 * the microphone is then unmapped rather than pointing at nobody.
 */
import { sql, type Kysely } from 'kysely';

// Migrations take `Kysely<any>`: they describe the schema, they do not use it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('hearing_speakers')
    .addColumn('hearing_id', 'text', (c) => c.notNull().references('hearings.id'))
    // mic-1 … mic-99, as the recorder names its microphone tracks (core/domain.ts).
    .addColumn('track', 'text', (c) => c.notNull())
    .addColumn('participant_id', 'text', (c) => c.references('case_participants.id').onDelete('cascade'))
    .addColumn('label', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // Who set it: an account's login, or `administrator` for the administrator token.
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('hearing_speakers_pk', ['hearing_id', 'track'])
    .addCheckConstraint(
      'hearing_speakers_one_of',
      sql`(participant_id is not null and label is null) or (participant_id is null and label is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('hearing_speakers_participant')
    .on('hearing_speakers')
    .column('participant_id')
    .execute();
}
