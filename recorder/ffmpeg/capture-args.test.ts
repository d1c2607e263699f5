import { describe, expect, it } from 'vitest';
import { nodeSourcesSchema, DEMO_SOURCES } from '../sources/sources.ts';
import {
  buildCaptureSpec,
  escapeFilterValue,
  flushesEachPacket,
  planTracks,
  specToArgs,
} from './capture-args.ts';
import { toFluentCommand } from '../../media/ffmpeg/ffmpeg-runner.ts';

const argsOf = (spec: ReturnType<typeof buildCaptureSpec>) => specToArgs(spec);

describe('capture arguments', () => {
  it('plans video, mix and one track per microphone', () => {
    expect(planTracks(DEMO_SOURCES).map((t) => t.name)).toEqual([
      'video',
      'mix',
      'mic-1',
      'mic-2',
      'mic-3',
      'mic-4',
    ]);
    const audioOnly = nodeSourcesSchema.parse({
      camera: null,
      microphones: { kind: 'tone', frequencies: [300] },
    });
    expect(planTracks(audioOnly).map((t) => t.name)).toEqual(['mix', 'mic-1']);
  });

  it('writes every track as MPEG-TS segments with a segment list and continuous timestamps', () => {
    const args = argsOf(
      buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 4, runDir: '/spool/h1/run-0001' }),
    );
    for (const track of ['video', 'mix', 'mic-1', 'mic-4']) {
      expect(args).toContain(`/spool/h1/run-0001/${track}/%06d.ts`);
      expect(args).toContain(`/spool/h1/run-0001/${track}/segments.csv`);
    }
    const segmentFlags = args.filter((a, i) => args[i - 1] === '-segment_time');
    expect(segmentFlags).toEqual(['4', '4', '4', '4', '4', '4']);
    expect(args.filter((a, i) => args[i - 1] === '-reset_timestamps')).toEqual(Array(6).fill('0'));
    expect(args.filter((a, i) => args[i - 1] === '-flush_packets')).toEqual(Array(6).fill('1'));
  });

  it('writes sound and encoded video packet by packet, a stream-copied camera in blocks', () => {
    // Each output runs from its -map to the next one.
    const outputsOf = (args: string[]) => {
      const starts = args.flatMap((a, i) => (a === '-map' ? [i] : []));
      return starts.map((from, k) => args.slice(from, starts[k + 1] ?? args.length));
    };
    const flushes = (output: string[]) =>
      output.includes('-flush_packets') && output.includes('flush_packets=1');
    const sources = (camera: unknown) =>
      nodeSourcesSchema.parse({ camera, microphones: { kind: 'tone', frequencies: [440, 660] } });
    const copied = outputsOf(
      argsOf(
        buildCaptureSpec({
          sources: sources({ kind: 'rtsp', url: 'rtsp://10.0.0.5/s', codec: 'h264' }),
          segmentSeconds: 4,
          runDir: '/r',
        }),
      ),
    );
    expect(copied.map((o) => o[o.length - 1])).toEqual([
      '/r/video/%06d.ts',
      '/r/mix/%06d.ts',
      '/r/mic-1/%06d.ts',
      '/r/mic-2/%06d.ts',
    ]);
    expect(copied.map(flushes)).toEqual([false, true, true, true]);
    for (const camera of [
      { kind: 'rtsp', url: 'rtsp://10.0.0.5/s', codec: 'other' },
      { kind: 'test-pattern' },
      { kind: 'file', path: '/cam.mp4', copy: false },
    ]) {
      const encoded = outputsOf(
        argsOf(buildCaptureSpec({ sources: sources(camera), segmentSeconds: 4, runDir: '/r' })),
      );
      expect(encoded.map(flushes), JSON.stringify(camera)).toEqual([true, true, true, true]);
    }
    const copiedFile = sources({ kind: 'file', path: '/c.ts', copy: true }).camera;
    expect(flushesEachPacket('video', copiedFile)).toBe(false);
    expect(flushesEachPacket('audio', copiedFile)).toBe(true);
    expect(flushesEachPacket('audio', null)).toBe(true);
  });

  it('encodes a test pattern with a key frame at every segment boundary', () => {
    const args = argsOf(buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 6, runDir: '/r' })).slice(
      5,
    );
    expect(args.slice(0, 3)).toEqual(['-f', 'lavfi', '-i']);
    expect(args[3]).toMatch(/^testsrc2=size=640x360:rate=25,realtime,setpts=.*,drawtext=/);
    expect(args).toContain('expr:gte(t,n_forced*6)');
    expect(args).toContain('libx264');
  });

  it('paces a test pattern by the wall clock, as a live camera, and its tones beside it', () => {
    const args = argsOf(buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 4, runDir: '/r' }));
    // Stamped with the wall clock's frame slot; no -re to pace the input a second time.
    expect(args[args.indexOf('-i') + 1]).toContain(
      'testsrc2=size=640x360:rate=25,realtime,setpts=round((RTCTIME-RTCSTART)/(TB*1000000))',
    );
    expect(args).not.toContain('-re');
    expect(args[args.indexOf('-i') + 1]).toContain('sine=frequency=440:sample_rate=48000,arealtime[out1]');
    // The stamps are kept: a late frame leaves a gap, not copies to encode.
    const v = args.indexOf('-vsync');
    expect(args.slice(v, v + 2)).toEqual(['-vsync', 'vfr']);
    expect(args.indexOf('-vsync')).toBeLessThan(args.indexOf('/r/video/%06d.ts'));
    expect(args.indexOf('-vsync')).toBeGreaterThan(args.indexOf('-map'));
  });

  it('keeps -re for tones recorded without a test pattern, and no wall-clock stamps for a real camera', () => {
    const tones = argsOf(
      buildCaptureSpec({
        sources: nodeSourcesSchema.parse({ camera: null, microphones: { kind: 'tone', frequencies: [440] } }),
        segmentSeconds: 4,
        runDir: '/r',
      }),
    );
    expect(tones.slice(tones.indexOf('-i') - 3, tones.indexOf('-i'))).toEqual(['-re', '-f', 'lavfi']);
    expect(tones.join(' ')).not.toContain('arealtime');
    const rtsp = argsOf(
      buildCaptureSpec({
        sources: nodeSourcesSchema.parse({
          camera: { kind: 'rtsp', url: 'rtsp://10.0.0.5/s', codec: 'other' },
          microphones: null,
        }),
        segmentSeconds: 4,
        runDir: '/r',
      }),
    );
    expect(rtsp).toContain('libx264');
    expect(rtsp).not.toContain('-vsync');
  });

  it('stream-copies an H.264 IP camera and never re-encodes it', () => {
    const sources = nodeSourcesSchema.parse({
      camera: { kind: 'rtsp', url: 'rtsp://10.0.0.5/stream1' },
      microphones: { kind: 'tone', frequencies: [440] },
    });
    const args = argsOf(buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/r' })).slice(5);
    expect(args.slice(0, 4)).toEqual(['-rtsp_transport', 'tcp', '-i', 'rtsp://10.0.0.5/stream1']);
    const v = args.indexOf('0:v:0');
    expect(args.slice(v + 1, v + 3)).toEqual(['-c:v', 'copy']);
    expect(args).not.toContain('libx264');
  });

  it('encodes an IP camera whose codec is not H.264', () => {
    const sources = nodeSourcesSchema.parse({
      camera: { kind: 'rtsp', url: 'rtsp://cam/mjpeg', codec: 'other', transport: 'udp' },
      microphones: { kind: 'tone', frequencies: [440] },
    });
    expect(argsOf(buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/r' }))).toContain('libx264');
  });

  // ALSA is checked here as arguments only: CI has no sound card, and an ALSA loopback
  // needs the snd-aloop kernel module. PulseAudio is also recorded for real, in
  // test/sources-pulse.e2e.test.ts.
  it('splits one multichannel mixer input into one mono track per channel', () => {
    const sources = nodeSourcesSchema.parse({
      camera: null,
      microphones: { kind: 'alsa', device: 'hw:1', channels: 3 },
    });
    const spec = buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/r' });
    expect(spec.inputs).toEqual([
      { options: ['-f', 'alsa', '-channels', '3', '-sample_rate', '48000'], url: 'hw:1' },
    ]);
    expect(spec.filterComplex).toContain('[0:a]asplit=3[d1][d2][d3]');
    expect(spec.filterComplex).toContain('[d3]pan=mono|c0=c2,');
    expect(spec.outputs.map((o) => o.url)).toEqual([
      '/r/mix/%06d.ts',
      '/r/mic-1/%06d.ts',
      '/r/mic-2/%06d.ts',
      '/r/mic-3/%06d.ts',
    ]);
  });

  it('reads a PulseAudio mixer asking for all its channels at 48 kHz, one track per channel', () => {
    const sources = nodeSourcesSchema.parse({
      camera: null,
      microphones: { kind: 'pulse', device: 'mixer.monitor', channels: 4 },
    });
    const spec = buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/r' });
    expect(spec.inputs).toEqual([
      { options: ['-f', 'pulse', '-channels', '4', '-sample_rate', '48000'], url: 'mixer.monitor' },
    ]);
    expect(spec.filterComplex).toContain('[0:a]asplit=4[d1][d2][d3][d4]');
    for (let c = 0; c < 4; c++) expect(spec.filterComplex).toContain(`[d${c + 1}]pan=mono|c0=c${c},`);
  });

  it('loops one espeak-ng file per speech microphone, and needs every file', () => {
    const sources = nodeSourcesSchema.parse({
      camera: null,
      microphones: {
        kind: 'speech',
        phrases: [
          { text: 'Суд идёт', voice: 'ru' },
          { text: 'Сот келеді', voice: 'kk' },
        ],
      },
    });
    const spec = buildCaptureSpec({
      sources,
      segmentSeconds: 4,
      runDir: '/r',
      speechFiles: ['/c/ru.wav', '/c/kk.wav'],
    });
    expect(spec.inputs).toEqual([
      { options: ['-re', '-stream_loop', '-1'], url: '/c/ru.wav' },
      { options: ['-re', '-stream_loop', '-1'], url: '/c/kk.wav' },
    ]);
    expect(spec.filterComplex).toContain('[1:a]aformat=channel_layouts=mono,aresample=48000,');
    expect(() => buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/r' })).toThrow(
      /need 2 speech files, got 0/,
    );
  });

  it('stream-copies a camera file only when told to', () => {
    const file = (copy: boolean) =>
      specToArgs(
        buildCaptureSpec({
          sources: nodeSourcesSchema.parse({
            camera: { kind: 'file', path: '/m/cam.mp4', copy },
            microphones: null,
          }),
          segmentSeconds: 4,
          runDir: '/r',
        }),
      );
    expect(file(true)).toEqual(expect.arrayContaining(['-stream_loop', '-1', '-c:v', 'copy']));
    expect(file(true)).not.toContain('libx264');
    expect(file(false)).toContain('libx264');
  });

  it('mixes all microphones into the mix track and meters each one', () => {
    const spec = buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 4, runDir: '/r' });
    expect(spec.filterComplex).toContain('[x1][x2][x3][x4]amix=inputs=4:dropout_transition=0[mix]');
    expect(spec.filterComplex).toContain('ametadata=mode=print:file=/r/levels/mic-2.txt');
  });

  it('refuses a segment length outside 2–10 s', () => {
    expect(() => buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 1, runDir: '/r' })).toThrow(
      /2 to 10/,
    );
    expect(() => buildCaptureSpec({ sources: DEMO_SOURCES, segmentSeconds: 11, runDir: '/r' })).toThrow(
      /2 to 10/,
    );
  });

  it('escapes filtergraph special characters in paths', () => {
    expect(escapeFilterValue("C:/a b/it's[1].txt")).toBe("C\\:/a b/it\\'s\\[1\\].txt");
  });

  it('hands fluent-ffmpeg exactly these arguments, paths with spaces intact', () => {
    const sources = nodeSourcesSchema.parse({
      camera: { kind: 'file', path: '/media/court room.mp4' },
      microphones: { kind: 'file', paths: ['/media/judge mic.wav'] },
    });
    const spec = buildCaptureSpec({ sources, segmentSeconds: 4, runDir: '/spool/run 1' });
    const fluent = (
      toFluentCommand(spec, 'ffmpeg') as unknown as { _getArguments(): string[] }
    )._getArguments();
    expect(fluent).toEqual(specToArgs(spec));
  });
});
