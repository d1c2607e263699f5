import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG, FFPROBE, requireFfprobe } from '../../test/support/media.ts';
import {
  MIN_SEGMENT_PACKETS,
  padShortSegment,
  ptsRange,
  truncateTornTail,
  wholePacketPrefix,
  TS_PACKET,
} from './mpegts.ts';

/** The tests that read the result with ffprobe skip without it (decision 0023). */
const withFfprobe = it.skipIf(!requireFfprobe('MPEG-TS recovery read by ffprobe'));

// Real ffmpeg makes the input: a 3 s tone as MPEG-TS starting at 4 s of media time.
let file: string;
beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-ts-'));
  file = path.join(dir, 'tone.ts');
  execFileSync(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=3',
    '-c:a',
    'aac',
    '-ar',
    '48000',
    '-ac',
    '1',
    '-output_ts_offset',
    '4',
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
    '-f',
    'mpegts',
    file,
  ]);
});

describe('MPEG-TS recovery', () => {
  it('reads the media time span from PES timestamps', () => {
    const r = ptsRange(fs.readFileSync(file))!;
    expect(r.firstSeconds).toBeCloseTo(4, 1);
    expect(r.endSeconds).toBeGreaterThan(6.8);
    expect(r.endSeconds).toBeLessThan(7.2);
  });

  withFfprobe('keeps whole packets and cuts a torn tail', async () => {
    const torn = `${file}.torn`;
    const full = fs.readFileSync(file);
    const cut = Math.floor(full.length / 2) + 77; // mid-packet, as a crash leaves it
    fs.writeFileSync(torn, full.subarray(0, cut));
    const kept = await truncateTornTail(torn);
    expect(kept % TS_PACKET).toBe(0);
    expect(kept).toBe(cut - (cut % TS_PACKET));
    expect(fs.statSync(torn).size).toBe(kept);
    const r = ptsRange(fs.readFileSync(torn))!;
    expect(r.endSeconds).toBeLessThan(6);
    // ffprobe still reads what was kept.
    const probed = execFileSync(
      FFPROBE,
      ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', torn],
      {
        encoding: 'utf8',
      },
    );
    expect(probed.split('\n').filter(Boolean)[0]).toBe('aac');
  });

  it('stops at the first packet without a sync byte', () => {
    const data = new Uint8Array(TS_PACKET * 3).fill(0);
    data[0] = 0x47;
    data[TS_PACKET] = 0x47;
    expect(wholePacketPrefix(data)).toBe(TS_PACKET * 2);
    expect(ptsRange(data)).toBeNull();
  });

  withFfprobe('pads a segment of a few AAC frames with null packets, so ffprobe reads it as MPEG-TS', () => {
    // What a run stopped just after a segment boundary leaves: 10 ms of sound, 7 packets.
    const tiny = path.join(path.dirname(file), 'tiny.ts');
    execFileSync(FFMPEG, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', 'sine=frequency=440:sample_rate=48000:duration=0.01'],
      ...['-c:a', 'aac', '-ac', '1', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', tiny],
    ]);
    const before = fs.readFileSync(tiny);
    expect(before.length / TS_PACKET).toBeLessThan(MIN_SEGMENT_PACKETS);

    const added = padShortSegment(tiny);
    const after = fs.readFileSync(tiny);
    expect(added).toBe(MIN_SEGMENT_PACKETS - before.length / TS_PACKET);
    expect(after.length).toBe(MIN_SEGMENT_PACKETS * TS_PACKET);
    expect(after.subarray(0, before.length).equals(before), 'the media bytes are untouched').toBe(true);
    expect(ptsRange(after)).toEqual({ ...ptsRange(before)!, packets: MIN_SEGMENT_PACKETS });
    const probed = execFileSync(
      FFPROBE,
      [
        ...['-v', 'error', '-show_entries', 'format=format_name:stream=codec_name,sample_rate,channels'],
        ...['-of', 'json', tiny],
      ],
      { encoding: 'utf8' },
    );
    const json = JSON.parse(probed) as { format: { format_name: string }; streams: unknown[] };
    expect(json.format.format_name).toBe('mpegts');
    expect(json.streams).toEqual([{ codec_name: 'aac', sample_rate: '48000', channels: 1 }]);

    expect(padShortSegment(tiny), 'a second call adds nothing').toBe(0);
  });

  it('leaves a segment of enough packets, and a torn one, as they are', () => {
    const full = fs.readFileSync(file);
    expect(padShortSegment(file)).toBe(0);
    expect(fs.readFileSync(file).equals(full)).toBe(true);
    const torn = path.join(path.dirname(file), 'short-torn.ts');
    fs.writeFileSync(torn, full.subarray(0, TS_PACKET * 3 + 50));
    expect(padShortSegment(torn)).toBe(0);
    expect(fs.statSync(torn).size).toBe(TS_PACKET * 3 + 50);
  });
});
