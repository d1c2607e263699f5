import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../core/index.ts';
import { buildCaptureSpec, planTracks, specToArgs } from './ffmpeg/capture-args.ts';
import { HearingCapture, captureGroups } from './hearing-capture.ts';
import type { SessionMarker } from './session.ts';
import { DEMO_SOURCES, nodeSourcesSchema } from './sources/sources.ts';
import { Spool } from './spool.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HEARING = 'h-capture';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-capture-'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const RTSP_ROOM = nodeSourcesSchema.parse({
  camera: { kind: 'rtsp', url: 'rtsp://10.0.0.5/stream1' },
  microphones: { kind: 'speech', phrases: [{ text: 'Прошу встать', voice: 'ru' }] },
});

describe('captureGroups', () => {
  it('captures the camera and the microphones of a courtroom in separate runs dirs', () => {
    const groups = captureGroups(DEMO_SOURCES);
    expect(groups.map((g) => g.runsDir)).toEqual(['runs-video', 'runs-audio']);
    expect(groups[0]!.sources).toEqual({ camera: DEMO_SOURCES.camera, microphones: null });
    expect(groups[1]!.sources).toEqual({ camera: null, microphones: DEMO_SOURCES.microphones });
    // Together the groups record exactly the node's tracks.
    expect(groups.flatMap((g) => planTracks(g.sources).map((t) => t.name))).toEqual(
      planTracks(DEMO_SOURCES).map((t) => t.name),
    );
  });

  it('keeps one capture in runs/ for a camera-only or a microphones-only node', () => {
    const cameraOnly = { camera: DEMO_SOURCES.camera, microphones: null };
    const micsOnly = { camera: null, microphones: DEMO_SOURCES.microphones };
    expect(captureGroups(cameraOnly)).toEqual([{ runsDir: 'runs', sources: cameraOnly }]);
    expect(captureGroups(micsOnly)).toEqual([{ runsDir: 'runs', sources: micsOnly }]);
  });

  it('gives each group an ffmpeg command with only its own inputs and tracks', () => {
    const [video, audio] = captureGroups(DEMO_SOURCES).map((g) =>
      specToArgs(buildCaptureSpec({ sources: g.sources, segmentSeconds: 4, runDir: `/s/${g.runsDir}/0001` })),
    );
    expect(video!.join(' ')).toContain('testsrc2');
    expect(video!.join(' ')).not.toContain('sine=');
    expect(video!.filter((a) => a.endsWith('/%06d.ts'))).toEqual(['/s/runs-video/0001/video/%06d.ts']);
    // The tones alone, still one lavfi input pacing every microphone.
    expect(audio!.join(' ')).not.toContain('testsrc2');
    expect(audio!.filter((a) => a === '-i')).toHaveLength(1);
    expect(audio!.filter((a) => a.endsWith('/%06d.ts'))).toEqual(
      ['mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4'].map((t) => `/s/runs-audio/0001/${t}/%06d.ts`),
    );
    const [rtspVideo, speech] = captureGroups(RTSP_ROOM).map((g) =>
      specToArgs(
        buildCaptureSpec({
          sources: g.sources,
          segmentSeconds: 4,
          runDir: `/s/${g.runsDir}/0001`,
          speechFiles: ['/cache/a.wav'],
        }),
      ),
    );
    expect(rtspVideo!.join(' ')).toContain('-rtsp_transport tcp -i rtsp://10.0.0.5/stream1');
    expect(rtspVideo!.join(' ')).not.toContain('a.wav');
    expect(speech!.join(' ')).toContain('-i /cache/a.wav');
    expect(speech!.join(' ')).not.toContain('rtsp');
  });
});

describe('HearingCapture', () => {
  it('recovers a run an older version left in runs/, and both groups mark its gap', async () => {
    const spool = new Spool(root, silentLogger(), new FakeClock(T0 + 60_000));
    const runDir = path.join(root, HEARING, 'runs', '0001');
    for (const track of ['video', 'mix']) {
      fs.mkdirSync(path.join(runDir, track), { recursive: true });
      fs.writeFileSync(path.join(runDir, track, '000000.ts'), crypto.randomBytes(1880));
      fs.writeFileSync(path.join(runDir, track, 'segments.csv'), '000000.ts,0.000000,4.000000\n');
    }
    fs.writeFileSync(
      path.join(runDir, 'run.json'),
      JSON.stringify({ n: 1, spawnedAtMs: T0 - 500, t0Ms: T0, pid: null, finished: false }),
    );
    const capture = new HearingCapture({
      hearingId: HEARING,
      spool,
      sources: nodeSourcesSchema.parse({
        camera: { kind: 'test-pattern' },
        microphones: { kind: 'tone', frequencies: [440] },
      }),
      segmentSeconds: 4,
      ffmpegPath: 'ffmpeg',
      clock: new FakeClock(T0 + 60_000),
      logger: silentLogger(),
    });
    const markers: SessionMarker[] = [];
    capture.on('marker', (m) => markers.push(m));

    await capture.recoverRuns();
    for (const track of ['video', 'mix']) {
      const journal = await spool.journal(HEARING, track);
      expect(journal.map((e) => [e.source, e.startMs, e.durationMs])).toEqual([
        [`runs/0001/${track}/000000.ts`, T0, 4000],
      ]);
    }
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'))).toMatchObject({
      finished: true,
      crashed: true,
      endMs: T0 + 4000,
    });

    // Stopped before either group recorded again: each marks the gap up to the stop.
    await capture.close();
    expect(markers.map((m) => [m.text.split(';')[0], m.atMs, m.endMs]).sort()).toEqual([
      ['Recording of the picture interrupted and restarted', T0 + 4000, T0 + 60_000],
      ['Recording of the sound interrupted and restarted', T0 + 4000, T0 + 60_000],
    ]);
    expect(capture.recording).toBe(false);
  });
});
