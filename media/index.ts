// The media module's public surface: ffmpeg (binary, runner, command specs), MPEG-TS
// helpers, and the copy maker. The recorder node and the hub's workers both use these;
// neither owns them (docs/decisions/0014-court-and-media-modules.md).
export { resolveFfmpegPath } from './ffmpeg/ffmpeg-binary.ts';
export {
  FfmpegFailedError,
  FfmpegProcess,
  toFluentCommand,
  type FfmpegExit,
} from './ffmpeg/ffmpeg-runner.ts';
export type { FfmpegInput, FfmpegOutput, FfmpegSpec } from './ffmpeg/ffmpeg-spec.ts';
export * from './ffmpeg/mpegts.ts';
export * from './copy/index.ts';
