/**
 * Pure builders of the capture command: one ffmpeg process per recorder run takes the
 * sources it is given and writes each track — `video`, `mix`, `mic-1`…`mic-N` — as
 * MPEG-TS segments through ffmpeg's segment muxer, plus one levels file per microphone.
 * A recorder node gives the camera and the microphones to separate runs, so a lost camera
 * never stops the sound (docs/decisions/0010-separate-camera-and-audio-capture.md).
 * docs/decisions/0003-segments-mpegts.md says why MPEG-TS and these flags.
 */
import type { CameraSource, MicrophoneSource, NodeSources } from '../sources/sources.ts';
import { microphoneCount } from '../sources/sources.ts';
import type { FfmpegInput, FfmpegOutput, FfmpegSpec } from '../../media/index.ts';

export interface TrackPlan {
  name: string;
  kind: 'video' | 'audio';
  codec: 'h264' | 'aac';
  sampleRate: number | null;
  channels: number | null;
}

export interface CaptureArgsOptions {
  sources: NodeSources;
  /** Target segment length in seconds (2–10). */
  segmentSeconds: number;
  /** Directory of this run; each track writes to `<runDir>/<track>/`. */
  runDir: string;
  /** espeak-ng WAV files, one per phrase, when microphones are `speech`. */
  speechFiles?: readonly string[];
  /** Whether the test pattern's clock font exists (drawtext needs it). */
  fontAvailable?: boolean;
}

export const AUDIO_SAMPLE_RATE = 48000;
const GLOBAL_OPTIONS = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
/**
 * A generated picture made live: `realtime` holds frames back to the wall clock, and
 * setpts stamps each with the frame slot (time base 1/fps) of the wall-clock time at
 * which it left. Rounded, as setpts would truncate: a frame a hair early would share
 * its predecessor's slot and be dropped. Such an input takes no -re, which would pace it
 * a second time on those rounded stamps and drop frames for nothing.
 */
const WALL_CLOCK_PACING = 'realtime,setpts=round((RTCTIME-RTCSTART)/(TB*1000000))';
/** Levels are measured over one-second blocks (astats reset per frame of 48000 samples). */
const LEVEL_BLOCK = AUDIO_SAMPLE_RATE;

/** Escapes a value for use inside a filtergraph option (ffmpeg-filters(1), "Notes on filtergraph escaping"). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\':,;[\]=]/g, (c) => `\\${c}`);
}

export function trackDir(runDir: string, track: string): string {
  return `${runDir}/${track}`;
}

export function levelsFile(runDir: string, track: string): string {
  return `${runDir}/levels/${track}.txt`;
}

export function planTracks(sources: NodeSources): TrackPlan[] {
  const tracks: TrackPlan[] = [];
  if (sources.camera)
    tracks.push({ name: 'video', kind: 'video', codec: 'h264', sampleRate: null, channels: null });
  if (sources.microphones !== null)
    tracks.push({ name: 'mix', kind: 'audio', codec: 'aac', sampleRate: AUDIO_SAMPLE_RATE, channels: 1 });
  for (let i = 1; i <= microphoneCount(sources.microphones); i++)
    tracks.push({
      name: `mic-${i}`,
      kind: 'audio',
      codec: 'aac',
      sampleRate: AUDIO_SAMPLE_RATE,
      channels: 1,
    });
  return tracks;
}

function cameraInput(camera: CameraSource, fontAvailable: boolean): FfmpegInput {
  switch (camera.kind) {
    case 'test-pattern': {
      // Paced by the wall clock and stamped with it, as a live camera is: when the machine
      // cannot encode every frame in time, frames are missed, never seconds (with -re
      // alone an overloaded encoder falls behind the clock and the picture comes up short).
      let graph = `testsrc2=size=${camera.width}x${camera.height}:rate=${camera.fps},${WALL_CLOCK_PACING}`;
      if (fontAvailable) {
        // The UTC wall clock burned into the picture, so a viewer sees when it was recorded.
        const text = '%{gmtime\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S} UTC';
        graph += `,drawtext=fontfile=${escapeFilterValue(camera.font)}:text='${text}':x=10:y=10:fontsize=${Math.round(camera.height / 14)}:fontcolor=white:box=1:boxcolor=black@0.6`;
      }
      return { options: ['-f', 'lavfi'], url: graph };
    }
    case 'file':
      return { options: ['-re', '-stream_loop', '-1'], url: camera.path };
    case 'rtsp':
      return { options: ['-rtsp_transport', camera.transport], url: camera.url };
    default:
      return camera satisfies never;
  }
}

function microphoneInputs(mics: MicrophoneSource, speechFiles: readonly string[]): FfmpegInput[] {
  switch (mics.kind) {
    case 'tone':
      return mics.frequencies.map((f) => ({
        options: ['-re', '-f', 'lavfi'],
        url: `sine=frequency=${f}:sample_rate=${AUDIO_SAMPLE_RATE}`,
      }));
    case 'speech':
      if (speechFiles.length !== mics.phrases.length)
        throw new RangeError(`need ${mics.phrases.length} speech files, got ${speechFiles.length}`);
      return speechFiles.map((file) => ({ options: ['-re', '-stream_loop', '-1'], url: file }));
    case 'file':
      return mics.paths.map((p) => ({ options: ['-re', '-stream_loop', '-1'], url: p }));
    case 'alsa':
    case 'pulse':
      return [
        {
          options: [
            '-f',
            mics.kind,
            '-channels',
            String(mics.channels),
            '-sample_rate',
            String(AUDIO_SAMPLE_RATE),
          ],
          url: mics.device,
        },
      ];
    default:
      return mics satisfies never;
  }
}

/**
 * Whether the camera's H.264 is stream-copied: kept untouched (no generation loss, little
 * CPU), segments then cut at the camera's own key frames.
 */
export function copiesVideo(camera: CameraSource): boolean {
  return (camera.kind === 'rtsp' && camera.codec === 'h264') || (camera.kind === 'file' && camera.copy);
}

/**
 * Whether a track's segment files are written packet by packet. Sound and encoded video
 * are; a stream-copied camera is written in ffmpeg's 256 KiB blocks, about a second of a
 * 2 Mbit/s camera, because a write per frame costs a copy as much CPU again as the rest
 * of the recorder (decision 0012). Its segments then end at ffmpeg's listed end: the
 * next file's first time stamp is not on disk when the list line appears.
 */
export function flushesEachPacket(kind: TrackPlan['kind'], camera: CameraSource | null): boolean {
  return kind === 'audio' || camera === null || !copiesVideo(camera);
}

function videoCodecOptions(camera: CameraSource, segmentSeconds: number): string[] {
  if (copiesVideo(camera)) return ['-c:v', 'copy'];
  const fps = camera.kind === 'test-pattern' ? camera.fps : 25;
  return [
    // Keep the wall-clock stamps of a test pattern as they are: ffmpeg would otherwise
    // fill a late frame's gap with copies, more to encode for an encoder already late.
    // (-vsync, not -fps_mode: the bundled 2018 build knows only -vsync.)
    ...(camera.kind === 'test-pattern' ? ['-vsync', 'vfr'] : []),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(fps * segmentSeconds),
    // A key frame exactly at every segment boundary, so segments cut on time.
    '-force_key_frames',
    `expr:gte(t,n_forced*${segmentSeconds})`,
  ];
}

function segmentOutputOptions(
  runDir: string,
  track: string,
  segmentSeconds: number,
  flushEach: boolean,
): string[] {
  const dir = trackDir(runDir, track);
  return [
    '-f',
    'segment',
    '-segment_time',
    String(segmentSeconds),
    '-segment_format',
    'mpegts',
    // The list gains a line (file,start,end in media seconds) when a segment closes:
    // that is the recorder's signal that the file is complete.
    '-segment_list',
    `${dir}/segments.csv`,
    '-segment_list_type',
    'csv',
    // Keep one continuous media timeline across segments (HLS plays them back to back).
    '-reset_timestamps',
    '0',
    ...(flushEach
      ? [
          // Write each packet as it is muxed, so a crash loses well under a second.
          '-flush_packets',
          '1',
          // -flush_packets reaches only the segment muxer; each segment file is written by
          // an inner mpegts muxer that buffers 256 KiB unless told to. Without this an
          // audio track loses its whole current segment to a crash.
          '-segment_format_options',
          'flush_packets=1',
        ]
      : []),
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
  ];
}

/** The whole capture command for one run of a recorder node. */
export function buildCaptureSpec(options: CaptureArgsOptions): FfmpegSpec {
  const { sources, segmentSeconds, runDir } = options;
  if (!Number.isInteger(segmentSeconds) || segmentSeconds < 2 || segmentSeconds > 10)
    throw new RangeError(
      `segment length must be a whole number of seconds from 2 to 10, got ${segmentSeconds}`,
    );
  const inputs: FfmpegInput[] = [];
  const outputs: FfmpegOutput[] = [];
  const graph: string[] = [];

  // Generated sources (test pattern, tones) share ONE lavfi input with several outputs,
  // so one clock paces them all and every track stops at the same media time.
  const lavfiGraphs: string[] = [];
  const camera = sources.camera;
  let videoStream: string | null = null;
  if (camera && camera.kind !== 'test-pattern') {
    videoStream = `${inputs.length}:v:0`;
    inputs.push(cameraInput(camera, false));
  }
  const lavfiIndex = inputs.length;
  if (camera?.kind === 'test-pattern') {
    videoStream = `${lavfiIndex}:${lavfiGraphs.length}`;
    lavfiGraphs.push(cameraInput(camera, options.fontAvailable ?? true).url);
  }
  const micSource: string[] = [];
  if (sources.microphones?.kind === 'tone') {
    for (const f of sources.microphones.frequencies) {
      micSource.push(`[${lavfiIndex}:${lavfiGraphs.length}]`);
      // Beside a wall-clock test pattern the input has no -re, so tones pace themselves.
      const pacing = camera?.kind === 'test-pattern' ? ',arealtime' : '';
      lavfiGraphs.push(`sine=frequency=${f}:sample_rate=${AUDIO_SAMPLE_RATE}${pacing}`);
    }
  }
  if (lavfiGraphs.length > 0)
    inputs.push({
      options: camera?.kind === 'test-pattern' ? ['-f', 'lavfi'] : ['-re', '-f', 'lavfi'],
      url: lavfiGraphs.map((g, i) => `${g}[out${i}]`).join(';'),
    });
  if (camera && videoStream) {
    outputs.push({
      options: [
        '-map',
        videoStream,
        ...videoCodecOptions(camera, segmentSeconds),
        ...segmentOutputOptions(runDir, 'video', segmentSeconds, flushesEachPacket('video', camera)),
      ],
      url: `${trackDir(runDir, 'video')}/%06d.ts`,
    });
  }

  const mics = sources.microphones;
  if (mics === null) {
    return { global: GLOBAL_OPTIONS, inputs, filterComplex: null, outputs };
  }
  const firstMicInput = inputs.length;
  if (mics.kind !== 'tone') inputs.push(...microphoneInputs(mics, options.speechFiles ?? []));
  const count = microphoneCount(mics);
  const micLabels: string[] = [];
  const multichannel = mics.kind === 'alsa' || mics.kind === 'pulse';
  for (let i = 1; i <= count; i++) {
    const source = multichannel
      ? `[${firstMicInput}:a]pan=mono|c0=c${i - 1}`
      : `${micSource[i - 1] ?? `[${firstMicInput + i - 1}:a]`}aformat=channel_layouts=mono`;
    // Each microphone feeds its own track, the mix and the level meter.
    graph.push(`${source},aresample=${AUDIO_SAMPLE_RATE},asplit=3[m${i}][x${i}][l${i}]`);
    graph.push(
      `[l${i}]asetnsamples=n=${LEVEL_BLOCK}:p=0,astats=metadata=1:reset=1,` +
        `ametadata=mode=print:file=${escapeFilterValue(levelsFile(runDir, `mic-${i}`))},anullsink`,
    );
    micLabels.push(`[m${i}]`);
  }
  const mixInputs = Array.from({ length: count }, (_, i) => `[x${i + 1}]`).join('');
  graph.push(
    count === 1 ? `${mixInputs}anull[mix]` : `${mixInputs}amix=inputs=${count}:dropout_transition=0[mix]`,
  );

  const audioOut = (label: string, track: string, bitrate: string): FfmpegOutput => ({
    options: [
      '-map',
      label,
      '-c:a',
      'aac',
      '-b:a',
      bitrate,
      '-ar',
      String(AUDIO_SAMPLE_RATE),
      '-ac',
      '1',
      ...segmentOutputOptions(runDir, track, segmentSeconds, flushesEachPacket('audio', camera)),
    ],
    url: `${trackDir(runDir, track)}/%06d.ts`,
  });
  outputs.push(audioOut('[mix]', 'mix', '96k'));
  micLabels.forEach((label, i) => outputs.push(audioOut(label, `mic-${i + 1}`, '64k')));

  if (multichannel) {
    // pan's outputs must exist once per channel: split the device input first.
    const dev = `[${firstMicInput}:a]`;
    const splits = Array.from({ length: count }, (_, i) => `[d${i + 1}]`).join('');
    graph.unshift(`${dev}asplit=${count}${splits}`);
    for (let i = 1; i <= count; i++) {
      const idx = graph.findIndex((g) => g.startsWith(`${dev}pan=mono|c0=c${i - 1},`));
      graph[idx] = graph[idx]!.replace(dev, `[d${i}]`);
    }
  }

  return {
    global: GLOBAL_OPTIONS,
    inputs,
    filterComplex: graph.join(';'),
    outputs,
  };
}

/**
 * The spec as the argument array ffmpeg receives, in fluent-ffmpeg's order (global
 * options, inputs, -y, filter graph, outputs), for tests and logs.
 */
export function specToArgs(spec: FfmpegSpec): string[] {
  return [
    ...spec.global,
    ...spec.inputs.flatMap((i) => [...i.options, '-i', i.url]),
    '-y',
    ...(spec.filterComplex ? ['-filter_complex', spec.filterComplex] : []),
    ...spec.outputs.flatMap((o) => [...o.options, o.url]),
  ];
}
