/**
 * Domain vocabulary shared by every module: identifiers, track names, the marker
 * catalogue and the shapes of docs/architecture.md ("Shared shapes"), as zod schemas so that the
 * same rules check input at every boundary (HTTP, ws, files).
 */
import { z } from 'zod';
import { isSha256Hex } from './hash-chain.ts';

/** Ids of courts, rooms, nodes, hearings: lower-case, digits and dashes. */
export const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 of a-z, 0-9 and -, starting with a letter or digit');

/**
 * Control characters (C0, DEL, C1: `\p{Cc}`) are never part of a name or a note typed
 * by a person; they break the audit CSV, the protocol's PDF and the terminal that shows
 * `hattama users` (an ESC starts an escape sequence). Free text may span lines.
 */
const hasControlChars = (s: string, multiline: boolean) =>
  /\p{Cc}/u.test(multiline ? s.replace(/[\t\n\r]/g, '') : s);

/** One line of text typed by a person (a name, a title, a case number): trimmed, 1-`max` characters. */
export function lineSchema(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !hasControlChars(s, false), 'must not contain control characters');
}

/** Free text typed by a person (a note, a reason): at most `max` characters, with tabs and line breaks. */
export function textSchema(max: number, options: { required?: boolean } = {}) {
  const base = options.required ? z.string().trim().min(1).max(max) : z.string().max(max);
  return base.refine(
    (s) => !hasControlChars(s, true),
    'must not contain control characters other than tab and line breaks',
  );
}

/** `video`, `mix`, `mic-<n>`, and `remote-<id>-audio|video` for participants over WebRTC. */
export const trackNameSchema = z
  .string()
  .regex(
    /^(video|mix|mic-[1-9][0-9]{0,1}|remote-[a-z0-9]{1,32}-(audio|video))$/,
    'must be video, mix, mic-<n> or remote-<id>-audio|video',
  );

export const sha256Schema = z.string().refine(isSha256Hex, 'must be 64 lower-case hex digits');

/** UTC epoch milliseconds. */
export const epochMsSchema = z
  .number()
  .int()
  .min(Date.UTC(2000, 0, 1))
  .max(Date.UTC(2200, 0, 1));

/** The standard marker catalogue (docs/architecture.md), plus free text on any marker. */
export const MARKER_KINDS = [
  'opening',
  'identity-check',
  'rights-explained',
  'motion',
  'testimony',
  'recess',
  'deliberation',
  'decision-announced',
  'closing',
  'recorder-restart',
  'note',
] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];
export const markerKindSchema = z.enum(MARKER_KINDS);

/** One segment of one track as the recorder registers it with the hub. */
export const segmentRegistrationSchema = z.object({
  hearingId: idSchema,
  track: trackNameSchema,
  seq: z.number().int().min(0).max(10_000_000),
  startMs: epochMsSchema,
  durationMs: z.number().int().min(0).max(600_000),
  key: z.string().min(1).max(512),
  size: z
    .number()
    .int()
    .min(1)
    .max(2 ** 40),
  sha256: sha256Schema,
  chain: sha256Schema,
});
export type SegmentRegistration = z.infer<typeof segmentRegistrationSchema>;

export const trackInfoSchema = z.object({
  name: trackNameSchema,
  kind: z.enum(['video', 'audio']),
  codec: z.string().max(32).nullable(),
  sampleRate: z.number().int().positive().nullable(),
  channels: z.number().int().positive().nullable(),
});
export type TrackInfo = z.infer<typeof trackInfoSchema>;
