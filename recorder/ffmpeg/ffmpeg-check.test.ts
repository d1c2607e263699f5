import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_SOURCES, nodeSourcesSchema } from '../sources/sources.ts';
import { resolveFfmpegPath } from '../../media/ffmpeg/ffmpeg-binary.ts';
import { checkFfmpeg, ffmpegNeeds } from './ffmpeg-check.ts';

describe('ffmpeg start-up check', () => {
  it('accepts the ffmpeg the recorder will run for the demo courtroom', async () => {
    const { version } = await checkFfmpeg(resolveFfmpegPath(undefined), ffmpegNeeds(DEMO_SOURCES));
    expect(version).toMatch(/^ffmpeg version/);
  });

  it('needs no video encoder when an H.264 camera is stream-copied', () => {
    const needs = ffmpegNeeds(
      nodeSourcesSchema.parse({ camera: { kind: 'rtsp', url: 'rtsp://cam/1' }, microphones: null }),
    );
    expect(needs.encoders).toEqual([]);
  });

  it('requires the PulseAudio input for a pulse mixer, which the static build lacks', async () => {
    const needs = ffmpegNeeds(
      nodeSourcesSchema.parse({
        camera: null,
        microphones: { kind: 'pulse', device: 'mixer.monitor', channels: 4 },
      }),
    );
    expect(needs.demuxers).toEqual(['pulse']);
    await expect(checkFfmpeg('/usr/bin/ffmpeg', needs)).resolves.toMatchObject({
      version: expect.stringMatching(/^ffmpeg/),
    });
  });

  it('names a missing binary and says how to fix it', async () => {
    await expect(checkFfmpeg('/nonexistent/ffmpeg', ffmpegNeeds(DEMO_SOURCES))).rejects.toThrow(
      /cannot run ffmpeg at \/nonexistent\/ffmpeg.*FFMPEG_PATH/,
    );
  });

  it('names every capability a binary lacks', async () => {
    // A fake "ffmpeg" that lists nothing.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-fake-ffmpeg-'));
    const fake = path.join(dir, 'ffmpeg');
    fs.writeFileSync(fake, '#!/bin/sh\n[ "$2" = "-version" ] && echo "ffmpeg version fake"\nexit 0\n', {
      mode: 0o755,
    });
    await expect(checkFfmpeg(fake, ffmpegNeeds(DEMO_SOURCES))).rejects.toThrow(
      /lacks encoder libx264, encoder aac, muxer segment, muxer mpegts, filter amix/,
    );
  });
});
