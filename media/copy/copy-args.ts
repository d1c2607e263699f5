/**
 * Pure builders of the copy command: one ffmpeg process turns the recorded
 * segments of a hearing into ONE MP4 for a viewer — H.264 + AAC, `+faststart` so a browser
 * can play it while it downloads — made of
 *
 *   1. a title card: the lawful-use and personal-data notice (ru, kk, en) on black, with
 *      silence, for `notice.seconds` seconds (docs/architecture.md: "every copy handed out carries a
 *      notice"); then
 *   2. the hearing itself — the `video` track (or black, for a hearing recorded without a
 *      camera) with a semi-transparent watermark in the bottom-right corner on every frame
 *      (who got the copy, which hearing, when), and the `mix` track (or silence).
 *
 * The two parts are joined by the `concat` filter, which needs both parts in the same
 * frame size, rate and sample format: the hearing is scaled and letter-boxed into the
 * card's frame, and both audio parts are normalised to 48 kHz mono.
 *
 * Text. Every text drawn comes from a file (`drawtext=textfile=…:expansion=none`), never
 * from the filter graph: a viewer's name or a hearing title may hold any character, and
 * with `expansion=none` drawtext draws the file's bytes literally (no `%{…}` expansion, no
 * backslash escapes), so nothing in the text needs — or can break — filtergraph escaping.
 * Only the paths of those files and of the font sit in the graph; `escapeFilterArg` quotes
 * them for both levels of parsing (ffmpeg-filters(1), "Notes on filtergraph escaping").
 */
import type { FfmpegSpec } from '../ffmpeg/ffmpeg-spec.ts';

export interface CopyFrame {
  width: number;
  height: number;
  fps: number;
}

/** 720p: the notice stays readable, and courtroom cameras rarely give more detail worth keeping. */
export const DEFAULT_COPY_FRAME: CopyFrame = { width: 1280, height: 720, fps: 25 };
/** The recorder's audio rate (capture-args AUDIO_SAMPLE_RATE); the copy keeps it. */
export const COPY_SAMPLE_RATE = 48000;

/** A text file the caller writes before running the spec; drawtext reads it at start. */
export interface CopyTextFile {
  path: string;
  content: string;
}

/** An FfmpegSpec plus the text files its drawtext filters read. */
export interface CopySpec extends FfmpegSpec {
  textFiles: CopyTextFile[];
}

export interface CopyArgsOptions {
  /**
   * ffmpeg concat-demuxer list files (see `concatListText`) of the segment files of the
   * `video` and `mix` tracks that cover the requested range; null when the hearing has no
   * such track (at least one is required).
   */
  inputs: { videoList: string | null; audioList: string | null };
  /** Lines drawn over the hearing part (viewer, hearing, time of the download). */
  watermark: { lines: readonly string[] };
  /** Lines of the title card, and how long it shows. */
  notice: { lines: readonly string[]; seconds: number };
  /** A TrueType font with Cyrillic and the Kazakh letters (ә ғ қ ң ө ұ ү һ і). */
  fontFile: string;
  /** Directory for the text files drawtext reads (the copy's scratch directory). */
  textDir: string;
  output: string;
  /**
   * Where the wanted range starts in each list's own timeline (the concat demuxer plays
   * the listed files back to back from 0), and how long it lasts. `audioStartSeconds`
   * (default `startSeconds`) lets the audio list, whose segments start a few ms away from
   * the video's, reach the same wall-clock moment; negative means the audio starts that
   * much after the video, and is delayed to match.
   */
  trim: { startSeconds: number; durationSeconds: number; audioStartSeconds?: number };
  frame?: CopyFrame;
}

/** `-progress pipe:2`: machine-readable key=value progress on stderr, which the runner already reads. */
const GLOBAL_OPTIONS = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:2'];

/**
 * Escapes a value for a filter option inside `-filter_complex` (ffmpeg-filters(1), "Notes
 * on filtergraph escaping"). Two levels parse it: the filter's option parser splits on `:`
 * and honours `\` and `'`; before that, the graph parser splits on `[ ] , ;` and also
 * consumes one level of `\` and `'`. So the value is escaped for the option level first,
 * then the result again for the graph level. (A single level is enough only for values
 * without `:` `\` `'`.)
 */
export function escapeFilterArg(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** Seconds as ffmpeg reads them, to the millisecond (no exponent, no trailing noise). */
export function seconds(value: number): string {
  return (Math.round(value * 1000) / 1000).toFixed(3);
}

/**
 * An ffconcat list of files beside the list (relative names, so the demuxer's default
 * `-safe 1` accepts them). `duration` is each segment's length from the catalog (media
 * timestamps), so every next file starts exactly where the previous one ended, even where
 * segments were left out (a sealed part, a pause): the copy plays them back to back, like
 * the player.
 */
export function concatListText(entries: readonly { file: string; durationSeconds: number }[]): string {
  const lines = ['ffconcat version 1.0'];
  for (const e of entries) {
    if (!/^[A-Za-z0-9._-]+$/.test(e.file) || e.file.startsWith('.'))
      throw new RangeError(`concat list entry ${JSON.stringify(e.file)} must be a plain file name`);
    lines.push(`file '${e.file}'`, `duration ${seconds(e.durationSeconds)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The media time ffmpeg has written, in seconds, from one line of `-progress` output
 * (`out_time=00:01:02.345678`); null for any other line or an unknown time.
 */
export function parseProgressSeconds(line: string): number | null {
  const m = /^out_time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(line.trim());
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

// eslint-disable-next-line no-control-regex -- the point is to remove control characters
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One line of drawn text: no control characters (a newline would start a new line), bounded. */
export function textLine(value: string, maxLength = 120): string {
  const flat = value.replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= maxLength ? flat : `${chars.slice(0, maxLength - 1).join('')}…`;
}

function fontSizeFor(
  lines: readonly string[],
  frame: CopyFrame,
  fill: { height: number; width: number },
): number {
  const rows = Math.max(1, lines.length);
  const longest = Math.max(1, ...lines.map((l) => [...l].length));
  // DejaVu Sans: a line takes about 1.2 em with the spacing below, a Cyrillic letter ~0.62 em.
  const byHeight = (frame.height * fill.height) / (rows * 1.2);
  const byWidth = (frame.width * fill.width) / (longest * 0.62);
  return Math.max(10, Math.floor(Math.min(byHeight, byWidth)));
}

function drawtext(options: {
  fontFile: string;
  textFile: string;
  fontSize: number;
  style: string;
  x: string;
  y: string;
}): string {
  return [
    `drawtext=fontfile=${escapeFilterArg(options.fontFile)}`,
    `textfile=${escapeFilterArg(options.textFile)}`,
    // Draw the file literally: no %{…} expansion, no backslash escapes.
    'expansion=none',
    `fontsize=${options.fontSize}`,
    `line_spacing=${Math.round(options.fontSize / 5)}`,
    options.style,
    `x=${options.x}`,
    `y=${options.y}`,
  ].join(':');
}

function checkOptions(o: CopyArgsOptions): CopyFrame {
  const frame = o.frame ?? DEFAULT_COPY_FRAME;
  if (o.inputs.videoList === null && o.inputs.audioList === null)
    throw new RangeError('a copy needs a video or an audio list');
  const { startSeconds, durationSeconds, audioStartSeconds } = o.trim;
  if (!Number.isFinite(startSeconds) || startSeconds < 0) throw new RangeError('trim start must be ≥ 0');
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
    throw new RangeError('trim duration must be > 0');
  if (audioStartSeconds !== undefined && !Number.isFinite(audioStartSeconds))
    throw new RangeError('audio trim start must be finite');
  if (!Number.isFinite(o.notice.seconds) || o.notice.seconds <= 0)
    throw new RangeError('notice seconds must be > 0');
  for (const v of [frame.width, frame.height])
    if (!Number.isInteger(v) || v < 64 || v % 2 !== 0)
      throw new RangeError('frame size must be even integers ≥ 64');
  if (!Number.isInteger(frame.fps) || frame.fps < 1 || frame.fps > 60)
    throw new RangeError('fps must be 1–60');
  return frame;
}

/** The whole copy command: title card, then the watermarked hearing, as one MP4. */
export function buildCopySpec(options: CopyArgsOptions): CopySpec {
  const frame = checkOptions(options);
  const { width: W, height: H, fps } = frame;
  const size = `${W}x${H}`;
  const card = seconds(options.notice.seconds);
  const D = seconds(options.trim.durationSeconds);
  const inputs: FfmpegSpec['inputs'] = [];
  const graph: string[] = [];
  const noticeFile = `${options.textDir}/notice.txt`;
  const watermarkFile = `${options.textDir}/watermark.txt`;
  const audioFormat = `aformat=sample_fmts=fltp:sample_rates=${COPY_SAMPLE_RATE}:channel_layouts=mono`;
  const videoFormat = 'setsar=1,format=yuv420p';

  // 1. The title card, generated in the graph: black, the notice centred, and silence.
  const noticeLines = options.notice.lines.map((l) => textLine(l, 200));
  graph.push(
    `color=c=black:s=${size}:r=${fps}:d=${card},${videoFormat},` +
      drawtext({
        fontFile: options.fontFile,
        textFile: noticeFile,
        fontSize: fontSizeFor(noticeLines, frame, { height: 0.86, width: 0.92 }),
        style: 'fontcolor=white',
        x: '(w-text_w)/2',
        y: '(h-text_h)/2',
      }) +
      '[cardv]',
  );
  graph.push(`anullsrc=r=${COPY_SAMPLE_RATE}:cl=mono,atrim=duration=${card},${audioFormat}[carda]`);

  // 2. The hearing. Timestamps are made to start at 0 before trimming, whatever the
  // first segment's media time, so `trim` counts from the start of the list.
  const watermarkLines = options.watermark.lines.map((l) => textLine(l));
  const watermark = drawtext({
    fontFile: options.fontFile,
    textFile: watermarkFile,
    // About 1/32 of the height: legible, and small enough to leave the picture usable.
    fontSize: Math.max(12, Math.round(H / 32)),
    // Semi-transparent text on a faint box, readable over light and dark pictures alike.
    style: `fontcolor=white@0.65:box=1:boxcolor=black@0.35:boxborderw=${Math.max(4, Math.round(H / 90))}`,
    x: `w-text_w-${Math.round(W / 40)}`,
    y: `h-text_h-${Math.round(H / 24)}`,
  });
  if (options.inputs.videoList !== null) {
    const index = inputs.length;
    inputs.push({ options: ['-f', 'concat'], url: options.inputs.videoList });
    graph.push(
      // fps before trim: after it, ffmpeg's fps filter pads up to the EOF time that trim
      // reports (the end of the whole list), which would add frozen frames.
      `[${index}:v:0]setpts=PTS-STARTPTS,fps=${fps},` +
        `trim=start=${seconds(options.trim.startSeconds)}:duration=${D},setpts=PTS-STARTPTS,` +
        `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=black,` +
        `${videoFormat},${watermark}[hearingv]`,
    );
  } else {
    // A hearing recorded without a camera: black with the watermark under the mix.
    graph.push(`color=c=black:s=${size}:r=${fps}:d=${D},${videoFormat},${watermark}[hearingv]`);
  }
  if (options.inputs.audioList !== null) {
    const index = inputs.length;
    inputs.push({ options: ['-f', 'concat'], url: options.inputs.audioList });
    const audioStart = options.trim.audioStartSeconds ?? options.trim.startSeconds;
    const start =
      audioStart > 0 ? `atrim=start=${seconds(audioStart)}:duration=${D},asetpts=PTS-STARTPTS,` : '';
    // Negative: the audio list begins after the video's first frame; delay it to match.
    const delay = audioStart < 0 ? `adelay=${Math.round(-audioStart * 1000)},` : '';
    graph.push(
      `[${index}:a:0]asetpts=PTS-STARTPTS,${start}${delay}${audioFormat},` +
        // Pad then cut: the part lasts exactly as long as the video even if the audio
        // list ends a few ms early (concat does not pad its last segment).
        `apad,atrim=duration=${D}[hearinga]`,
    );
  } else {
    graph.push(`anullsrc=r=${COPY_SAMPLE_RATE}:cl=mono,atrim=duration=${D},${audioFormat}[hearinga]`);
  }

  // 3. Card first, then the hearing.
  graph.push('[cardv][carda][hearingv][hearinga]concat=n=2:v=1:a=1[outv][outa]');

  return {
    global: GLOBAL_OPTIONS,
    inputs,
    filterComplex: graph.join(';'),
    outputs: [
      {
        options: [
          '-map',
          '[outv]',
          '-map',
          '[outa]',
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-crf',
          '23',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          'aac',
          '-b:a',
          '128k',
          '-ar',
          String(COPY_SAMPLE_RATE),
          '-ac',
          '1',
          // The index (moov) at the front, so the copy plays while it downloads.
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ],
        url: options.output,
      },
    ],
    textFiles: [
      // No trailing newline: drawtext would draw an empty last line.
      { path: noticeFile, content: noticeLines.join('\n') },
      { path: watermarkFile, content: watermarkLines.join('\n') },
    ],
  };
}
