/** An ffmpeg command as data, built by pure functions (capture, copies) and run by FfmpegProcess. */
export interface FfmpegInput {
  options: string[];
  url: string;
}
export interface FfmpegOutput {
  options: string[];
  url: string;
}
/** An ffmpeg command as fluent-ffmpeg takes it: inputs, one filter graph, outputs. */
export interface FfmpegSpec {
  global: string[];
  inputs: FfmpegInput[];
  filterComplex: string | null;
  outputs: FfmpegOutput[];
}
