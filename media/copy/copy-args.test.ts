import { describe, expect, it } from 'vitest';
import { specToArgs } from '../../recorder/ffmpeg/capture-args.ts';
import {
  buildCopySpec,
  concatListText,
  escapeFilterArg,
  parseProgressSeconds,
  textLine,
  type CopyArgsOptions,
} from './copy-args.ts';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

function options(overrides: Partial<CopyArgsOptions> = {}): CopyArgsOptions {
  return {
    inputs: { videoList: '/w/video.ffconcat', audioList: '/w/audio.ffconcat' },
    watermark: { lines: ['Иванов Иван', '№ 2-1/2026 · h-1', '2026-03-01 09:15:02 UTC'] },
    notice: { lines: ['УВЕДОМЛЕНИЕ', 'Копия…', '', 'NOTICE', 'This copy…'], seconds: 6 },
    fontFile: FONT,
    textDir: '/w',
    output: '/w/copy.mp4',
    trim: { startSeconds: 2.5, durationSeconds: 4, audioStartSeconds: 2.489 },
    ...overrides,
  };
}

/** The filter graph's chains, split on the top-level `;` (none of ours is escaped). */
function chains(graph: string | null): string[] {
  return (graph ?? '').split(';');
}

function valueAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('buildCopySpec', () => {
  it('reads the video and mix concat lists as its only inputs, through the concat demuxer', () => {
    const args = specToArgs(buildCopySpec(options()));
    const inputs = args.flatMap((a, i) => (a === '-i' ? [args[i + 1]] : []));
    expect(inputs).toEqual(['/w/video.ffconcat', '/w/audio.ffconcat']);
    expect(args.slice(args.indexOf('/w/video.ffconcat') - 3, args.indexOf('/w/video.ffconcat'))).toEqual([
      '-f',
      'concat',
      '-i',
    ]);
  });

  it('puts the title card first: black, the notice drawn from a text file, with silence', () => {
    const spec = buildCopySpec(options());
    const [card, cardAudio] = chains(spec.filterComplex);
    expect(card).toMatch(/^color=c=black:s=1280x720:r=25:d=6\.000,/);
    expect(card).toContain(
      'drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:textfile=/w/notice.txt:',
    );
    expect(card).toContain(':expansion=none:');
    expect(card).toMatch(/\[cardv\]$/);
    expect(cardAudio).toBe(
      'anullsrc=r=48000:cl=mono,atrim=duration=6.000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=mono[carda]',
    );
    expect(chains(spec.filterComplex).at(-1)).toBe(
      '[cardv][carda][hearingv][hearinga]concat=n=2:v=1:a=1[outv][outa]',
    );
  });

  it('draws the watermark from a text file on every frame of the hearing, semi-transparent, in a corner', () => {
    const spec = buildCopySpec(options());
    const video = chains(spec.filterComplex).find((c) => c.endsWith('[hearingv]'))!;
    const drawtext = video.slice(video.indexOf('drawtext='));
    expect(drawtext).toContain('textfile=/w/watermark.txt');
    expect(drawtext).toContain('expansion=none');
    expect(drawtext).toContain('fontcolor=white@0.65');
    expect(drawtext).toMatch(/x=w-text_w-\d+:y=h-text_h-\d+\[hearingv\]$/);
    // No `enable=`: drawn on every frame; and no text in the graph itself.
    expect(drawtext).not.toContain('enable=');
    expect(spec.filterComplex).not.toMatch(/[:,]text=/);
    expect(spec.filterComplex).not.toContain('Иванов');
    expect(spec.textFiles).toEqual([
      { path: '/w/notice.txt', content: 'УВЕДОМЛЕНИЕ\nКопия…\n\nNOTICE\nThis copy…' },
      { path: '/w/watermark.txt', content: 'Иванов Иван\n№ 2-1/2026 · h-1\n2026-03-01 09:15:02 UTC' },
    ]);
  });

  it('trims the video and the audio to the same wall-clock stretch, each from its own offset', () => {
    const graph = chains(buildCopySpec(options()).filterComplex);
    const video = graph.find((c) => c.startsWith('[0:v:0]'))!;
    const audio = graph.find((c) => c.startsWith('[1:a:0]'))!;
    expect(video).toMatch(
      /^\[0:v:0\]setpts=PTS-STARTPTS,fps=25,trim=start=2\.500:duration=4\.000,setpts=PTS-STARTPTS,/,
    );
    expect(video).toContain('scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:');
    expect(audio).toMatch(
      /^\[1:a:0\]asetpts=PTS-STARTPTS,atrim=start=2\.489:duration=4\.000,asetpts=PTS-STARTPTS,/,
    );
    expect(audio).toMatch(/apad,atrim=duration=4\.000\[hearinga\]$/);
  });

  it('delays the audio when its list starts after the first video frame', () => {
    const graph = buildCopySpec(
      options({ trim: { startSeconds: 0, durationSeconds: 4, audioStartSeconds: -0.03 } }),
    ).filterComplex!;
    expect(graph).toContain('[1:a:0]asetpts=PTS-STARTPTS,adelay=30,');
  });

  it('writes one MP4: H.264 and AAC, with the index at the front (+faststart)', () => {
    const spec = buildCopySpec(options());
    expect(spec.outputs).toHaveLength(1);
    const out = spec.outputs[0]!;
    expect(out.url).toBe('/w/copy.mp4');
    expect(valueAfter(out.options, '-c:v')).toBe('libx264');
    expect(valueAfter(out.options, '-pix_fmt')).toBe('yuv420p');
    expect(valueAfter(out.options, '-c:a')).toBe('aac');
    expect(valueAfter(out.options, '-movflags')).toBe('+faststart');
    expect(valueAfter(out.options, '-f')).toBe('mp4');
    expect(out.options.filter((o) => o === '-map')).toHaveLength(2);
    expect(valueAfter(out.options, '-map')).toBe('[outv]');
  });

  it('reports progress in machine-readable form on stderr', () => {
    const args = specToArgs(buildCopySpec(options()));
    expect(valueAfter(args, '-progress')).toBe('pipe:2');
    expect(args).toContain('-nostats');
  });

  it('draws black under the watermark for a hearing recorded without a camera', () => {
    const spec = buildCopySpec(options({ inputs: { videoList: null, audioList: '/w/audio.ffconcat' } }));
    const args = specToArgs(spec);
    expect(args.filter((a) => a === '-i')).toHaveLength(1);
    const video = chains(spec.filterComplex).find((c) => c.endsWith('[hearingv]'))!;
    expect(video).toMatch(
      /^color=c=black:s=1280x720:r=25:d=4\.000,setsar=1,format=yuv420p,drawtext=.*textfile=\/w\/watermark\.txt/,
    );
    expect(chains(spec.filterComplex).find((c) => c.endsWith('[hearinga]'))).toMatch(/^\[0:a:0\]/);
  });

  it('adds silence under a hearing recorded without microphones', () => {
    const spec = buildCopySpec(options({ inputs: { videoList: '/w/video.ffconcat', audioList: null } }));
    expect(chains(spec.filterComplex).find((c) => c.endsWith('[hearinga]'))).toMatch(
      /^anullsrc=r=48000:cl=mono,atrim=duration=4\.000,/,
    );
  });

  it('quotes the font and text file paths for the filter graph', () => {
    const spec = buildCopySpec(options({ textDir: "/tmp/it's, [odd]: dir", fontFile: '/f;x/a.ttf' }));
    expect(spec.filterComplex).toContain("textfile=/tmp/it\\\\\\'s\\, \\[odd\\]\\\\: dir/notice.txt:");
    expect(spec.filterComplex).toContain('fontfile=/f\\;x/a.ttf:');
    expect(spec.textFiles[0]!.path).toBe("/tmp/it's, [odd]: dir/notice.txt");
  });

  it('refuses an empty copy, a missing source and an odd frame size', () => {
    expect(() => buildCopySpec(options({ inputs: { videoList: null, audioList: null } }))).toThrow(
      RangeError,
    );
    expect(() => buildCopySpec(options({ trim: { startSeconds: 0, durationSeconds: 0 } }))).toThrow(
      RangeError,
    );
    expect(() => buildCopySpec(options({ trim: { startSeconds: -1, durationSeconds: 1 } }))).toThrow(
      RangeError,
    );
    expect(() => buildCopySpec(options({ frame: { width: 1279, height: 720, fps: 25 } }))).toThrow(
      RangeError,
    );
    expect(() => buildCopySpec(options({ notice: { lines: [], seconds: 0 } }))).toThrow(RangeError);
  });
});

describe('escapeFilterArg', () => {
  it('escapes for the option level and then for the graph level', () => {
    expect(escapeFilterArg('/plain/path.ttf')).toBe('/plain/path.ttf');
    expect(escapeFilterArg('a:b')).toBe('a\\\\:b');
    expect(escapeFilterArg("it's")).toBe("it\\\\\\'s");
    expect(escapeFilterArg('a\\b')).toBe('a\\\\\\\\b');
    expect(escapeFilterArg('[x],y;z')).toBe('\\[x\\]\\,y\\;z');
  });
});

describe('concatListText', () => {
  it('lists plain file names with their catalog durations', () => {
    expect(
      concatListText([
        { file: 'video-000001.ts', durationSeconds: 4 },
        { file: 'video-000002.ts', durationSeconds: 2.2399 },
      ]),
    ).toBe(
      "ffconcat version 1.0\nfile 'video-000001.ts'\nduration 4.000\nfile 'video-000002.ts'\nduration 2.240\n",
    );
  });

  it('refuses a name the demuxer would have to unquote or treat as unsafe', () => {
    expect(() => concatListText([{ file: "a'b.ts", durationSeconds: 1 }])).toThrow(RangeError);
    expect(() => concatListText([{ file: '../a.ts', durationSeconds: 1 }])).toThrow(RangeError);
    expect(() => concatListText([{ file: '.hidden', durationSeconds: 1 }])).toThrow(RangeError);
  });
});

describe('parseProgressSeconds', () => {
  it('reads out_time and ignores every other line', () => {
    expect(parseProgressSeconds('out_time=00:01:02.500000')).toBe(62.5);
    expect(parseProgressSeconds('out_time=01:00:00.000000\r')).toBe(3600);
    expect(parseProgressSeconds('out_time_us=62500000')).toBeNull();
    expect(parseProgressSeconds('out_time=N/A')).toBeNull();
    expect(parseProgressSeconds('out_time=-577014:32:22.775808')).toBeNull();
    expect(parseProgressSeconds('progress=end')).toBeNull();
  });
});

describe('textLine', () => {
  it('keeps a line on one line and bounds its length', () => {
    expect(textLine('  Иванов\nИван\u0000 \t Иванович ')).toBe('Иванов Иван Иванович');
    expect(textLine('%{localtime} \\n 100%')).toBe('%{localtime} \\n 100%');
    const long = textLine('ж'.repeat(500));
    expect([...long]).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});
