import { describe, expect, it } from 'vitest';
import {
  buildTimeline,
  masterPlaylist,
  mediaPlaylist,
  mergeRanges,
  positionFor,
  sharedTimeline,
  wallClockAt,
  type MasterTrack,
  type TimelineSegment,
} from './hls-playlists.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

/** One recorder run of a track: back-to-back segments from `startMs`. */
function run(track: string, startMs: number, durations: number[], firstSeq = 0): TimelineSegment[] {
  let at = startMs;
  return durations.map((d, i) => {
    const seq = firstSeq + i;
    const s = {
      seq,
      start_ms: at,
      duration_ms: d,
      object_key: `hearings/h1/${track}/${String(seq).padStart(6, '0')}.ts`,
    };
    at += d;
    return s;
  });
}

const uriFor = (s: TimelineSegment) => `/objects/${s.object_key}?sig=x`;

interface ParsedEntry {
  uri: string;
  durationMs: number;
  discontinuity: boolean;
  /** The wall clock a player derives: the last PROGRAM-DATE-TIME plus the durations since. */
  wallClockMs: number;
  offsetMs: number;
}

/** Reads a media playlist the way a player does. */
function parseMedia(text: string): { tags: string[]; entries: ParsedEntry[] } {
  const lines = text.trimEnd().split('\n');
  const entries: ParsedEntry[] = [];
  let discontinuity = false;
  let clock: number | null = null;
  let duration = 0;
  let offset = 0;
  for (const line of lines) {
    if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) clock = Date.parse(line.slice(25));
    else if (line.startsWith('#EXTINF:')) duration = Math.round(Number(line.slice(8).split(',')[0]) * 1000);
    else if (!line.startsWith('#')) {
      if (clock === null) throw new Error('a segment before any PROGRAM-DATE-TIME');
      entries.push({ uri: line, durationMs: duration, discontinuity, wallClockMs: clock, offsetMs: offset });
      clock += duration;
      offset += duration;
      discontinuity = false;
    }
  }
  return { tags: lines.filter((l) => l.startsWith('#')), entries };
}

describe('mediaPlaylist', () => {
  it('lists one continuous run as a VOD playlist with one program date-time and no discontinuity', () => {
    const segments = run('video', T0, [4000, 4000, 4000, 240]);
    const text = mediaPlaylist({ segments, uriFor, targetDuration: 4, ended: true });
    const { tags, entries } = parseMedia(text);
    expect(text.startsWith('#EXTM3U\n#EXT-X-VERSION:6\n')).toBe(true);
    expect(tags).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(tags).toContain('#EXT-X-TARGETDURATION:4');
    expect(tags.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(tags.filter((t) => t.startsWith('#EXT-X-PROGRAM-DATE-TIME'))).toEqual([
      '#EXT-X-PROGRAM-DATE-TIME:2026-03-02T09:00:00.000Z',
    ]);
    expect(tags).not.toContain('#EXT-X-DISCONTINUITY');
    expect(entries.map((e) => e.durationMs)).toEqual([4000, 4000, 4000, 240]);
    expect(entries.map((e) => e.wallClockMs)).toEqual(segments.map((s) => s.start_ms));
  });

  it('raises the target duration to the longest segment, rounded up', () => {
    const text = mediaPlaylist({ segments: run('mix', T0, [4011, 3989]), uriFor, targetDuration: 4 });
    expect(text).toContain('#EXT-X-TARGETDURATION:5\n');
    expect(text).toContain('#EXTINF:4.011,\n');
  });

  it('marks a pause as a discontinuity with the wall clock after it, and takes no playing time for it', () => {
    const before = run('video', T0, [4000, 4000]);
    const after = run('video', T0 + 8000 + 95_000, [4000, 1500], 2);
    const { tags, entries } = parseMedia(
      mediaPlaylist({ segments: [...before, ...after], uriFor, ended: true }),
    );
    expect(entries.map((e) => e.discontinuity)).toEqual([false, false, true, false]);
    expect(tags.filter((t) => t.startsWith('#EXT-X-PROGRAM-DATE-TIME'))).toHaveLength(2);
    expect(entries.map((e) => e.wallClockMs)).toEqual([...before, ...after].map((s) => s.start_ms));
    expect(entries.map((e) => e.offsetMs)).toEqual([0, 4000, 8000, 12000]);
  });

  it('does not break a run for clock jitter within 100 ms, but does for a jump back', () => {
    const jitter = [...run('video', T0, [4000]), ...run('video', T0 + 4080, [4000], 1)];
    expect(mediaPlaylist({ segments: jitter, uriFor })).not.toContain('#EXT-X-DISCONTINUITY\n');
    const back = [...run('video', T0, [4000]), ...run('video', T0 + 2000, [4000], 1)];
    expect(mediaPlaylist({ segments: back, uriFor })).toContain('#EXT-X-DISCONTINUITY\n');
  });

  it('leaves out whole every segment that overlaps a sealed range, even by one millisecond', () => {
    const segments = run('video', T0, [4000, 4000, 4000, 4000, 4000]);
    // Sealed from 1 ms before the end of seq 1 to the middle of seq 3.
    const excludeRanges = [{ startMs: T0 + 7999, endMs: T0 + 14_000 }];
    const text = mediaPlaylist({ segments, excludeRanges, uriFor, ended: true });
    const { entries } = parseMedia(text);
    expect(entries.map((e) => e.uri)).toEqual([uriFor(segments[0]!), uriFor(segments[4]!)]);
    for (const seq of ['000001', '000002', '000003']) expect(text).not.toContain(`${seq}.ts`);
    expect(entries.map((e) => e.discontinuity)).toEqual([false, true]);
    expect(entries[1]!.wallClockMs).toBe(T0 + 16_000);
    expect(entries[1]!.offsetMs).toBe(4000);
  });

  it('keeps a segment that only touches a sealed range at its end', () => {
    const segments = run('video', T0, [4000, 4000, 4000]);
    const { entries } = parseMedia(
      mediaPlaylist({ segments, excludeRanges: [{ startMs: T0 + 4000, endMs: T0 + 8000 }], uriFor }),
    );
    expect(entries.map((e) => e.uri)).toEqual([uriFor(segments[0]!), uriFor(segments[2]!)]);
  });

  it('starts with the wall clock of the first segment kept when the start is sealed, without a discontinuity', () => {
    const segments = run('video', T0, [4000, 4000, 4000]);
    const text = mediaPlaylist({
      segments,
      excludeRanges: [{ startMs: T0 - 60_000, endMs: T0 + 100 }],
      uriFor,
    });
    const { entries } = parseMedia(text);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.discontinuity).toBe(false);
    expect(entries[0]!.wallClockMs).toBe(T0 + 4000);
  });

  it('is an EVENT playlist without an end while the hearing is still recording', () => {
    const text = mediaPlaylist({ segments: run('video', T0, [4000]), uriFor, ended: false });
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT\n');
    expect(text).not.toContain('#EXT-X-ENDLIST');
  });

  it('sorts segments given out of order and refuses a URI that would break the playlist', () => {
    const segments = run('video', T0, [4000, 4000, 4000]);
    const { entries } = parseMedia(mediaPlaylist({ segments: [...segments].reverse(), uriFor }));
    expect(entries.map((e) => e.wallClockMs)).toEqual(segments.map((s) => s.start_ms));
    expect(() => mediaPlaylist({ segments, uriFor: () => 'a\n#EXT-X-ENDLIST' })).toThrow(RangeError);
  });
});

describe('sharedTimeline', () => {
  // As recorded: video segments are whole frames (4000 ms), AAC ones whole frames of 1024 samples.
  const video = run('video', T0, [4000, 4000, 4000, 4000]);
  const mix = run('mix', T0, [4011, 3989, 4011, 3989]);
  const mic = run('mic-1', T0, [4011, 3989, 4011, 3989]);

  function playlists(excludeRanges: { startMs: number; endMs: number }[], tracks = [video, mix, mic]) {
    const shared = sharedTimeline({ tracks, excludeRanges });
    return tracks.map(
      (segments) => parseMedia(mediaPlaylist({ segments, ...shared, uriFor, ended: true })).entries,
    );
  }

  it('removes the same stretch from every track when boundaries differ by a few milliseconds', () => {
    // Sealed between the video's boundary (T0+4000) and the audio's (T0+4011):
    // the video loses seq 1, the audio seq 0; both must then lose seqs 0 and 1.
    const [v, a, m] = playlists([{ startMs: T0 + 4002, endMs: T0 + 4005 }]);
    expect(v!.map((e) => e.wallClockMs)).toEqual([T0 + 8000, T0 + 12_000]);
    expect(a!.map((e) => e.wallClockMs)).toEqual([T0 + 8000, T0 + 12_011]);
    expect(m!.map((e) => e.wallClockMs)).toEqual(a!.map((e) => e.wallClockMs));
  });

  it('does not let removal creep through a neighbour that reaches in by a few milliseconds', () => {
    // Sealed inside seq 1 of every track: video seq 1 ends at +8000, audio seq 0 ends at +4011,
    // which reaches 11 ms into the hole the video leaves; audio seq 0 must stay.
    const [v, a] = playlists([{ startMs: T0 + 5000, endMs: T0 + 6000 }]);
    expect(v!.map((e) => e.wallClockMs)).toEqual([T0, T0 + 8000, T0 + 12_000]);
    expect(a!.map((e) => e.wallClockMs)).toEqual([T0, T0 + 8000, T0 + 12_011]);
    expect(v!.map((e) => e.discontinuity)).toEqual(a!.map((e) => e.discontinuity));
  });

  it('still contains every sealed range', () => {
    const sealed = [
      { startMs: T0 + 4002, endMs: T0 + 4005 },
      { startMs: T0 + 13_000, endMs: T0 + 13_500 },
    ];
    const { excludeRanges } = sharedTimeline({ tracks: [video, mix], excludeRanges: sealed });
    for (const s of sealed)
      expect(excludeRanges.some((r) => r.startMs <= s.startMs && r.endMs >= s.endMs)).toBe(true);
  });

  it('breaks every track where any one of them has a gap, so their discontinuities stay in step', () => {
    // The mic lost its seq 2 (a gap at +8000..+12011); the video and mix are whole.
    const holed = mic.filter((s) => s.seq !== 2);
    const [v, a, m] = playlists([], [video, mix, holed]);
    const count = (entries: ParsedEntry[]) => entries.filter((e) => e.discontinuity).length;
    expect(count(m!)).toBe(1);
    expect(count(v!)).toBe(1);
    expect(count(a!)).toBe(1);
    expect(v!.find((e) => e.discontinuity)!.wallClockMs).toBe(T0 + 12_000);
  });
});

describe('positionFor and wallClockAt', () => {
  const segments = [
    ...run('video', T0, [4000, 4000, 4000]),
    // paused 2 minutes, then a restart after a recorder crash 30 s later
    ...run('video', T0 + 12_000 + 120_000, [4000, 4000], 3),
    ...run('video', T0 + 140_000 + 30_000, [4000, 4000, 2000], 5),
  ];
  const excludeRanges = [{ startMs: T0 + 136_500, endMs: T0 + 137_000 }]; // seals seq 4
  const input = { segments, excludeRanges };

  it('maps wall-clock times to playing time around pauses and removed segments', () => {
    expect(positionFor({ ...input, atMs: T0 })).toBe(0);
    expect(positionFor({ ...input, atMs: T0 + 5_500 })).toBe(5.5);
    // In the pause: the first moment played after it.
    expect(positionFor({ ...input, atMs: T0 + 60_000 })).toBe(12);
    expect(positionFor({ ...input, atMs: T0 + 132_000 + 1_250 })).toBe(13.25);
    // Inside the sealed segment and in the restart gap after it: the next run's start.
    expect(positionFor({ ...input, atMs: T0 + 137_500 })).toBe(16);
    expect(positionFor({ ...input, atMs: T0 + 150_000 })).toBe(16);
    expect(positionFor({ ...input, atMs: T0 + 170_000 + 9_000 })).toBe(25);
    expect(positionFor({ ...input, atMs: T0 - 1_000 })).toBe(0);
    expect(positionFor({ ...input, atMs: T0 + 10 ** 7 })).toBe(26);
  });

  it('round-trips every kept millisecond, and every playing-time offset', () => {
    const timeline = buildTimeline(input);
    for (const { segment } of timeline.entries) {
      for (let into = 0; into < segment.duration_ms; into += 97) {
        const t = segment.start_ms + into;
        expect(wallClockAt({ ...input, offsetSeconds: positionFor({ ...input, atMs: t }) })).toBe(t);
      }
    }
    for (let offset = 0; offset < timeline.durationMs / 1000; offset += 0.125) {
      const t = wallClockAt({ ...input, offsetSeconds: offset })!;
      expect(positionFor({ ...input, atMs: t })).toBeCloseTo(offset, 6);
    }
  });

  it('never maps a position into a sealed range', () => {
    // The removed segment, seq 4, is [T0+136000, T0+140000): not a millisecond of it is played.
    for (let ms = 0; ms <= 26_000; ms += 10) {
      const t = wallClockAt({ ...input, offsetSeconds: ms / 1000 })!;
      expect(t >= T0 + 136_000 && t < T0 + 140_000, `offset ${ms} ms shows ${t - T0}`).toBe(false);
    }
  });

  it('agrees with the program date-times a player reads from the playlist', () => {
    const { entries } = parseMedia(mediaPlaylist({ ...input, uriFor }));
    for (const e of entries) {
      expect(wallClockAt({ ...input, offsetSeconds: e.offsetMs / 1000 })).toBe(e.wallClockMs);
      expect(positionFor({ ...input, atMs: e.wallClockMs + 1000 })).toBe((e.offsetMs + 1000) / 1000);
    }
  });

  it('has no wall clock for an empty playlist', () => {
    expect(wallClockAt({ segments: [], offsetSeconds: 3 })).toBeNull();
    expect(positionFor({ segments: [], atMs: T0 })).toBe(0);
  });
});

describe('mergeRanges', () => {
  it('merges overlapping and touching ranges and drops empty ones', () => {
    expect(
      mergeRanges([
        { startMs: 10, endMs: 20 },
        { startMs: 0, endMs: 5 },
        { startMs: 20, endMs: 25 },
        { startMs: 7, endMs: 7 },
      ]),
    ).toEqual([
      { startMs: 0, endMs: 5 },
      { startMs: 10, endMs: 25 },
    ]);
  });
});

describe('masterPlaylist', () => {
  const tracks: MasterTrack[] = [
    { name: 'mic-2', kind: 'audio', codec: 'aac', channels: 1, peakBitrate: 150_000 },
    { name: 'video', kind: 'video', codec: 'h264', peakBitrate: 1_300_000, averageBitrate: 1_200_000 },
    { name: 'mix', kind: 'audio', codec: 'aac', channels: 1, peakBitrate: 80_000, averageBitrate: 75_000 },
    { name: 'mic-10', kind: 'audio', codec: 'aac', channels: 1, peakBitrate: 140_000 },
    { name: 'mic-1', kind: 'audio', codec: 'aac', channels: 1, peakBitrate: 140_000 },
  ];
  const uri = (t: string) => `/api/hearings/h1/hls/${t}.m3u8`;

  it('offers the video with the mix as the default audio and every microphone as an alternate', () => {
    const text = masterPlaylist({ hearingId: 'h1', tracks, uriFor: uri, language: 'kk' });
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS']);
    const media = lines.filter((l) => l.startsWith('#EXT-X-MEDIA:'));
    expect(media).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="mix",LANGUAGE="kk",AUTOSELECT=YES,DEFAULT=YES,CHANNELS="1",URI="/api/hearings/h1/hls/mix.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="mic-1",LANGUAGE="kk",AUTOSELECT=NO,DEFAULT=NO,CHANNELS="1",URI="/api/hearings/h1/hls/mic-1.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="mic-2",LANGUAGE="kk",AUTOSELECT=NO,DEFAULT=NO,CHANNELS="1",URI="/api/hearings/h1/hls/mic-2.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="mic-10",LANGUAGE="kk",AUTOSELECT=NO,DEFAULT=NO,CHANNELS="1",URI="/api/hearings/h1/hls/mic-10.m3u8"',
    ]);
    const inf = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    // BANDWIDTH: the video's peak plus the loudest audio rendition's (8216bis 4.4.6.2).
    expect(lines[inf]).toBe(
      '#EXT-X-STREAM-INF:BANDWIDTH=1450000,AVERAGE-BANDWIDTH=1350000,CODECS="avc1.640028,mp4a.40.2",AUDIO="aud"',
    );
    expect(lines[inf + 1]).toBe('/api/hearings/h1/hls/video.m3u8');
    expect(lines).toHaveLength(inf + 2);
  });

  it('plays an audio-only hearing: the mix is the variant and the microphones stay alternates', () => {
    const audioOnly = tracks.filter((t) => t.kind === 'audio');
    const lines = masterPlaylist({ hearingId: 'h1', tracks: audioOnly, uriFor: uri }).trimEnd().split('\n');
    const mix = lines.find((l) => l.includes('NAME="mix"'))!;
    expect(mix).toContain('DEFAULT=YES');
    expect(mix).not.toContain('URI=');
    expect(lines.filter((l) => /NAME="mic-\d+".*DEFAULT=NO.*URI="/.test(l))).toHaveLength(3);
    const inf = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(lines[inf]).toContain('CODECS="mp4a.40.2",AUDIO="aud"');
    expect(lines[inf + 1]).toBe('/api/hearings/h1/hls/mix.m3u8');
  });

  it('plays a video without audio tracks, and refuses a hearing with nothing to play', () => {
    const text = masterPlaylist({ hearingId: 'h1', tracks: [tracks[1]!], uriFor: uri });
    expect(text).not.toContain('#EXT-X-MEDIA');
    expect(text).toContain('CODECS="avc1.640028"\n/api/hearings/h1/hls/video.m3u8');
    expect(() => masterPlaylist({ hearingId: 'h1', tracks: [], uriFor: uri })).toThrow(RangeError);
  });
});
