/**
 * What a recorder node captures: one camera (or none) and its microphones, as
 * configuration. Validated with zod when the node starts; each kind maps to ffmpeg
 * input arguments in ../ffmpeg/capture-args.ts.
 */
import { z } from 'zod';

export const cameraSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    /** ffmpeg's testsrc2 pattern with the UTC wall clock burned in. */
    kind: z.literal('test-pattern'),
    width: z.number().int().min(64).max(3840).default(640),
    height: z.number().int().min(64).max(2160).default(360),
    fps: z.number().int().min(1).max(60).default(25),
    /** TrueType font for the clock; the clock is left out when the file is missing. */
    font: z.string().default('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
  }),
  z.object({
    /** A media file looped forever as a fake camera. */
    kind: z.literal('file'),
    path: z.string().min(1),
    /** Stream-copy the file's video (it must be H.264) instead of encoding it. */
    copy: z.boolean().default(false),
  }),
  z.object({
    /** An IP camera. H.264 is stream-copied, never re-encoded; other codecs are encoded. */
    kind: z.literal('rtsp'),
    url: z.string().regex(/^rtsps?:\/\//, 'must start with rtsp:// or rtsps://'),
    transport: z.enum(['tcp', 'udp']).default('tcp'),
    codec: z.enum(['h264', 'other']).default('h264'),
  }),
]);

export const microphoneSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    /** One sine tone per microphone, so channels can be told apart by frequency. */
    kind: z.literal('tone'),
    frequencies: z.array(z.number().min(20).max(20000)).min(1).max(32),
  }),
  z.object({
    /** One looped spoken phrase per microphone, made with espeak-ng. */
    kind: z.literal('speech'),
    phrases: z
      .array(z.object({ text: z.string().min(1).max(500), voice: z.enum(['ru', 'kk', 'en']) }))
      .min(1)
      .max(32),
  }),
  z.object({
    /** Media files looped forever, one per microphone. */
    kind: z.literal('file'),
    paths: z.array(z.string().min(1)).min(1).max(32),
  }),
  z.object({
    /** One multichannel audio interface (the courtroom mixer), one track per channel. */
    kind: z.enum(['alsa', 'pulse']),
    device: z.string().min(1),
    channels: z.number().int().min(1).max(32),
  }),
]);

export const nodeSourcesSchema = z
  .object({
    camera: cameraSourceSchema.nullable(),
    /** Null for a camera-only node (a second camera of a courtroom). */
    microphones: microphoneSourceSchema.nullable(),
  })
  .refine((s) => s.camera !== null || s.microphones !== null, 'a node needs a camera, microphones, or both');

export type CameraSource = z.infer<typeof cameraSourceSchema>;
export type MicrophoneSource = z.infer<typeof microphoneSourceSchema>;
export type NodeSources = z.infer<typeof nodeSourcesSchema>;

/** How many microphone tracks (`mic-1` … `mic-N`) these sources give. */
export function microphoneCount(source: MicrophoneSource | null): number {
  if (source === null) return 0;
  switch (source.kind) {
    case 'tone':
      return source.frequencies.length;
    case 'speech':
      return source.phrases.length;
    case 'file':
      return source.paths.length;
    case 'alsa':
    case 'pulse':
      return source.channels;
    default:
      return source satisfies never;
  }
}

/** The demo courtroom: a test-pattern camera and four microphones on distinct tones. */
export const DEMO_SOURCES: NodeSources = nodeSourcesSchema.parse({
  camera: { kind: 'test-pattern' },
  microphones: { kind: 'tone', frequencies: [440, 660, 880, 1100] },
});
