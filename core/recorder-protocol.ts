/**
 * The messages between a recorder node and the hub over ws, checked with zod on both
 * ends. The node dials out (it may sit behind NAT) and authenticates with its token in
 * the upgrade request; after that every frame is one JSON object of these shapes.
 * Requests carry an id and are answered by `ack` with the same id.
 */
import { z } from 'zod';
import {
  epochMsSchema,
  idSchema,
  markerKindSchema,
  segmentRegistrationSchema,
  trackInfoSchema,
  trackNameSchema,
} from './domain.ts';

/** Frames larger than this are refused and the connection closed (1009). */
export const MAX_FRAME_BYTES = 64 * 1024;
export const RECORDER_WS_PATH = '/api/recorders/ws';

const requestId = z.string().min(1).max(64);

export const ALARM_KINDS = [
  'microphone-silent',
  'microphone-clipping',
  'camera-lost',
  'ffmpeg-restarted',
  'spool-backlog',
  'disk-low',
  'upload-failing',
  'capture-behind',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const recorderMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    nodeId: idSchema,
    versions: z.record(z.string().max(32), z.string().max(64)),
    tracks: z.array(trackInfoSchema).max(80),
    /** Hearings this node is recording or still uploading. */
    hearings: z
      .array(z.object({ hearingId: idSchema, state: z.enum(['recording', 'paused', 'stopped']) }))
      .max(100),
  }),
  z.object({
    type: z.literal('register'),
    id: requestId,
    tracks: z.array(trackInfoSchema).max(80),
    segment: segmentRegistrationSchema,
  }),
  z.object({
    type: z.literal('marker'),
    id: requestId,
    hearingId: idSchema,
    markerId: z.string().regex(/^[a-z0-9-]{8,64}$/),
    kind: markerKindSchema,
    atMs: epochMsSchema,
    endMs: epochMsSchema.optional(),
    text: z.string().max(2000),
  }),
  z.object({
    type: z.literal('drained'),
    id: requestId,
    hearingId: idSchema,
    /** Last registered seq per track; the hub writes the manifest once it has them all. */
    lastSeq: z.record(trackNameSchema, z.number().int().min(-1)),
  }),
  z.object({
    type: z.literal('levels'),
    atMs: epochMsSchema,
    hearingId: idSchema.nullable(),
    channels: z
      .array(
        z.object({ track: trackNameSchema, rmsDb: z.number().nullable(), peakDb: z.number().nullable() }),
      )
      .max(64),
  }),
  z.object({
    type: z.literal('alarm'),
    atMs: epochMsSchema,
    kind: z.enum(ALARM_KINDS),
    hearingId: idSchema.nullable(),
    track: trackNameSchema.nullable(),
    active: z.boolean(),
    message: z.string().max(2000),
  }),
  z.object({
    type: z.literal('status'),
    atMs: epochMsSchema,
    spoolBytes: z.number().int().min(0),
    spoolFreeBytes: z.number().int().min(0),
    pendingSegments: z.number().int().min(0),
  }),
  z.object({
    type: z.literal('command-result'),
    commandId: requestId,
    ok: z.boolean(),
    code: z.string().max(64).optional(),
    message: z.string().max(2000).optional(),
  }),
]);
export type RecorderMessage = z.infer<typeof recorderMessageSchema>;

export const RECORDER_COMMANDS = ['start', 'pause', 'resume', 'stop'] as const;

export const hubMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ack'),
    id: requestId,
    ok: z.boolean(),
    code: z.string().max(64).optional(),
    message: z.string().max(2000).optional(),
  }),
  z.object({
    type: z.literal('command'),
    commandId: requestId,
    action: z.enum(RECORDER_COMMANDS),
    hearingId: idSchema,
    segmentSeconds: z.number().int().min(2).max(10).optional(),
  }),
  z.object({
    type: z.literal('error'),
    code: z.string().max(64),
    message: z.string().max(2000),
  }),
]);
export type HubMessage = z.infer<typeof hubMessageSchema>;
export type RecorderCommand = Extract<HubMessage, { type: 'command' }>;
