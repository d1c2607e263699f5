// The recorder module's public surface.
export { RecorderNode, type RecorderNodeOptions } from './recorder-node.ts';
export { DEMO_SOURCES, nodeSourcesSchema, microphoneCount, type NodeSources } from './sources/sources.ts';
export { planTracks, buildCaptureSpec, specToArgs, type TrackPlan } from './ffmpeg/capture-args.ts';
export type { SpooledSegment } from './spool.ts';
export { DEFAULT_LEVEL_ALARMS, type LevelAlarmOptions } from './levels.ts';
