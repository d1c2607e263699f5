/**
 * `pulse` microphones: the courtroom mixer as one multichannel PulseAudio source, split
 * into one mono track per channel. The test starts its own PulseAudio daemon (user
 * mode, no default script, an anonymous socket in a temp dir; it runs as root here with
 * a warning), plays a 4-channel file with one tone per channel into a null sink, and a
 * real RecordingSession records the sink's monitor. Each mic track must carry its own
 * channel's tone and no other.
 *
 * Channel maps matter. ffmpeg's pulse input asks for N channels in WAVE order (4:
 * front-left, front-right, front-center, lfe) and PulseAudio remixes any source whose
 * map differs: an aux0…aux3 source (how multichannel interfaces often appear) reaches
 * ffmpeg as silence. Such a mixer is read through `module-remap-source` with
 * `remix=no`, which relabels its channels one to one; the second test records exactly
 * that setup.
 *
 * `alsa` microphones cannot be tested here: the machine has no sound card, and ALSA's
 * software devices (a loopback) need the snd-aloop kernel module. Their ffmpeg
 * arguments are unit-tested in recorder/ffmpeg/capture-args.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goertzelAmplitude, requireFfprobe } from './support/media.ts';
import { makeMedia, probeFile, recordFor, trackPcm, type RunningSession } from './support/session-harness.ts';
import { commandWorks, findOnPath, requireTool } from './support/tools.ts';

const SUITE = 'pulse microphones';
/** Debian's ffmpeg (on PATH) has the pulse input; the static build the recorder bundles does not. */
const PULSE_FFMPEG = process.env.FFMPEG_PATH ?? findOnPath('ffmpeg') ?? 'ffmpeg';
const TONES = [400, 700, 1000, 1300];
const WAVE_MAP = 'front-left,front-right,front-center,lfe';
const AUX_MAP = 'aux0,aux1,aux2,aux3';
const PCM_RATE = 8000;
/** Input i → channel i. Without a map, join puts a mono (front-center) input on FC first. */
const JOIN_MAP = '0.0-FL|1.0-FR|2.0-FC|3.0-BC';

const available =
  requireTool(
    (await commandWorks('pulseaudio', ['--version'])) && (await commandWorks('paplay', ['--version'])),
    SUITE,
    'pulseaudio or paplay is not installed',
    'run "apt-get install pulseaudio pulseaudio-utils"',
  ) &&
  requireTool(
    await commandWorks(PULSE_FFMPEG, ['-hide_banner', '-demuxers'], /^\s*D\S*\s+pulse\s/m),
    SUITE,
    `${PULSE_FFMPEG} has no pulse input`,
    'install Debian\'s ffmpeg ("apt-get install ffmpeg") or point FFMPEG_PATH at an ffmpeg built with libpulse',
  ) &&
  requireFfprobe(SUITE);

let dir: string;
let daemon: ChildProcess | null = null;
const players: ChildProcess[] = [];
const sessions: RunningSession[] = [];

/** Starts PulseAudio with a 4-channel null sink `mixer` and an aux-mapped mixer `desk` read through `desk_split`. */
async function startPulse(): Promise<string> {
  const socket = path.join(dir, 'pulse.sock');
  const runtime = path.join(dir, 'runtime');
  fs.mkdirSync(runtime, { mode: 0o700 });
  let stderr = '';
  daemon = spawn(
    'pulseaudio',
    [
      '-n', // no default script: only the modules below
      '--daemonize=no',
      '--use-pid-file=no',
      '--exit-idle-time=-1',
      '--disallow-exit',
      '--log-target=stderr',
      `--load=module-native-protocol-unix auth-anonymous=1 socket=${socket}`,
      `--load=module-null-sink sink_name=mixer channels=4 channel_map=${WAVE_MAP} rate=48000`,
      `--load=module-null-sink sink_name=desk channels=4 channel_map=${AUX_MAP} rate=48000`,
      `--load=module-remap-source source_name=desk_split master=desk.monitor master_channel_map=${AUX_MAP} channel_map=${WAVE_MAP} remix=no`,
    ],
    {
      // Its own home and runtime dir: nothing of a desktop session is touched or used.
      env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: path.join(dir, 'config') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  daemon.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const server = `unix:${socket}`;
  for (let i = 0; !(await commandWorks('pactl', ['--server', server, 'info'])); i++) {
    if (i > 50 || daemon.exitCode !== null) throw new Error(`PulseAudio did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

function play(server: string, sink: string, channelMap: string, file: string): void {
  const player = spawn(
    'paplay',
    ['--server', server, `--device=${sink}`, `--channel-map=${channelMap}`, file],
    {
      stdio: 'ignore',
    },
  );
  players.push(player);
}

async function checkChannels(rec: RunningSession): Promise<void> {
  expect(rec.commandLines()[0]).toContain('-f pulse -channels 4 -sample_rate 48000 -i');
  for (const [i, tone] of TONES.entries()) {
    const track = `mic-${i + 1}`;
    const segs = rec.track(track);
    expect(segs.length).toBeGreaterThanOrEqual(3);
    for (const [j, seg] of segs.entries()) {
      const probe = await probeFile(seg.file);
      expect(probe.streams[0]).toMatchObject({
        codecType: 'audio',
        codecName: 'aac',
        sampleRate: 48000,
        channels: 1,
      });
      expect(Math.abs(probe.durationSeconds * 1000 - seg.durationMs)).toBeLessThan(100);
      if (j < segs.length - 1) expect(seg.durationMs).toBeCloseTo(2000, -2);
    }
    const pcm = await trackPcm(segs, path.join(rec.dir, `${track}.ts`), PCM_RATE);
    const own = goertzelAmplitude(pcm, PCM_RATE, tone);
    expect(own, `${track} carries its ${tone} Hz`).toBeGreaterThan(0.05);
    for (const other of TONES.filter((f) => f !== tone))
      expect(goertzelAmplitude(pcm, PCM_RATE, other), `${track} has no ${other} Hz`).toBeLessThan(own / 20);
  }
  expect(rec.track('mix').length).toBeGreaterThanOrEqual(3);
}

describe.skipIf(!available)('pulse microphones: a 4-channel mixer, one track per channel', () => {
  let server: string;
  let tones: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-pulse-'));
    server = await startPulse();
    // ffmpeg's pulse input finds the test's daemon through PULSE_SERVER (this file runs in its own process).
    process.env.PULSE_SERVER = server;
    tones = path.join(dir, 'tones.wav');
    await makeMedia([
      ...TONES.flatMap((f) => ['-f', 'lavfi', '-i', `sine=frequency=${f}:sample_rate=48000:duration=60`]),
      '-filter_complex',
      `${TONES.map((_, i) => `[${i}:a]`).join('')}join=inputs=4:channel_layout=4.0:map=${JOIN_MAP}[a]`,
      '-map',
      '[a]',
      '-c:a',
      'pcm_s16le',
      tones,
    ]);
    play(server, 'mixer', WAVE_MAP, tones);
    play(server, 'desk', AUX_MAP, tones);
  });

  afterAll(() => {
    for (const p of players) p.kill('SIGKILL');
    daemon?.kill('SIGKILL');
    delete process.env.PULSE_SERVER;
    for (const s of sessions) s.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records the mixer's monitor and puts each channel's tone on its own mic track", async () => {
    const rec = await recordFor({
      sources: { camera: null, microphones: { kind: 'pulse', device: 'mixer.monitor', channels: 4 } },
      ffmpegPath: PULSE_FFMPEG,
      segmentSeconds: 2,
      seconds: 7,
    });
    sessions.push(rec);
    await checkChannels(rec);
  });

  it('records an aux-channel mixer through a remap source, channel for channel', async () => {
    const rec = await recordFor({
      sources: { camera: null, microphones: { kind: 'pulse', device: 'desk_split', channels: 4 } },
      ffmpegPath: PULSE_FFMPEG,
      segmentSeconds: 2,
      seconds: 7,
    });
    sessions.push(rec);
    await checkChannels(rec);
  });
});
