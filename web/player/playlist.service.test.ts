import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock, NotFoundError } from '../../core/index.ts';
import { UrlSigner, type PresignOptions } from '../../storage/index.ts';
import { hlsJsFile } from './assets.ts';
import { HearingMediaCache } from './hearing-media-cache.ts';
import { PlaylistService, type HearingMedia, type PlaylistSegment } from './playlist.service.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TRACKS = ['video', 'mix', 'mic-1', 'mic-2'];

function segmentsOf(count: number, tracks = TRACKS): PlaylistSegment[] {
  const out: PlaylistSegment[] = [];
  for (const track of tracks)
    for (let seq = 0; seq < count; seq++)
      out.push({
        track,
        seq,
        start_ms: T0 + seq * 4000,
        duration_ms: 4000,
        object_key: `hearings/h1/${track}/${String(seq).padStart(6, '0')}.ts`,
        size: track === 'video' ? 600_000 : 35_000,
      });
  return out;
}

function hearingMedia(segments: PlaylistSegment[], state: 'recording' | 'stopped' = 'stopped'): HearingMedia {
  return {
    hearing: { id: 'h1', state, language: 'ru' },
    tracks: [...new Set(segments.map((s) => s.track))].map((name) => ({
      name,
      kind: name === 'video' ? ('video' as const) : ('audio' as const),
      codec: name === 'video' ? 'h264' : 'aac',
      channels: name === 'video' ? null : 1,
    })),
    segments,
    excludeRanges: [],
  };
}

/** A strict fake of the object store's presignGet that counts what it signs. */
class CountingStore {
  signed: string[] = [];
  constructor(private readonly sign: (key: string, options: PresignOptions) => string) {}
  async presignGet(key: string, options: PresignOptions): Promise<string> {
    this.signed.push(key);
    return this.sign(key, options);
  }
}

function uris(playlist: string): string[] {
  return playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('PlaylistService', () => {
  it('points the master at the hub routes and each media playlist at signed segment URLs', async () => {
    const clock = new FakeClock(T0 + 3_600_000);
    const signer = new UrlSigner('playlist-service-test-secret-0123456789', clock);
    const objects = new CountingStore((key, o) => signer.sign(key, o.expirySeconds));
    const service = new PlaylistService({
      objects,
      expirySeconds: 300,
      hubBase: 'https://hub.example/',
      clock,
    });
    const media = hearingMedia(segmentsOf(3));

    const master = service.master(media);
    expect(master).toContain('URI="https://hub.example/api/hearings/h1/hls/mic-2.m3u8"');
    expect(uris(master)).toEqual(['https://hub.example/api/hearings/h1/hls/video.m3u8']);
    expect(objects.signed).toEqual([]);

    const list = uris(await service.media({ ...media, track: 'mic-1' }));
    expect(list).toHaveLength(3);
    for (const [i, url] of list.entries()) {
      const u = new URL(url);
      expect(u.origin).toBe('https://hub.example');
      expect(u.pathname).toBe(`/objects/hearings/h1/mic-1/00000${i}.ts`);
      const verdict = signer.verify({
        key: u.pathname.slice('/objects/'.length),
        expires: u.searchParams.get('expires')!,
        sig: u.searchParams.get('sig')!,
      });
      expect(verdict).toBe('ok');
      expect(Number(u.searchParams.get('expires'))).toBe(Math.floor(clock.now() / 1000) + 300);
    }
  });

  it('leaves absolute (S3 presigned) URLs as they are', async () => {
    const objects = new CountingStore((key) => `https://s3.example/bucket/${key}?X-Amz-Signature=abc`);
    const service = new PlaylistService({ objects, expirySeconds: 300, hubBase: 'https://hub.example' });
    const list = uris(await service.media({ ...hearingMedia(segmentsOf(2)), track: 'video' }));
    expect(list[0]).toBe('https://s3.example/bucket/hearings/h1/video/000000.ts?X-Amz-Signature=abc');
  });

  it('reuses URLs only while they keep at least 80 % of their life, and never hands out an older one', async () => {
    const clock = new FakeClock(T0);
    const objects = new CountingStore((key) => `/objects/${key}?t=${clock.now()}`);
    const service = new PlaylistService({ objects, expirySeconds: 300, clock });
    const media = { ...hearingMedia(segmentsOf(5)), track: 'video' };
    const first = await service.media(media);
    expect(objects.signed).toHaveLength(5);
    clock.advance(59_000);
    expect(await service.media(media)).toBe(first);
    expect(objects.signed).toHaveLength(5);
    clock.advance(2_000);
    const later = await service.media(media);
    expect(objects.signed).toHaveLength(10);
    for (const url of uris(later)) expect(url).toContain(`t=${T0 + 61_000}`);
  });

  it('signs only the new segment of a hearing still recording, in an EVENT playlist without an end', async () => {
    const clock = new FakeClock(T0);
    const objects = new CountingStore((key) => `/objects/${key}?s=1`);
    const service = new PlaylistService({ objects, expirySeconds: 300, clock });
    const all = segmentsOf(4);
    const before = await service.media({
      ...hearingMedia(
        all.filter((s) => s.seq < 3),
        'recording',
      ),
      track: 'mix',
    });
    expect(before).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(before).not.toContain('#EXT-X-ENDLIST');
    objects.signed = [];
    clock.advance(4_000);
    const after = await service.media({ ...hearingMedia(all, 'recording'), track: 'mix' });
    expect(uris(after)).toHaveLength(4);
    expect(objects.signed).toEqual(['hearings/h1/mix/000003.ts']);
    const stopped = await service.media({ ...hearingMedia(all, 'stopped'), track: 'mix' });
    expect(stopped).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(stopped.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
  });

  it('gives each viewer the playlist of their own exclusions', async () => {
    const service = new PlaylistService({
      objects: new CountingStore((k) => `/objects/${k}`),
      expirySeconds: 300,
    });
    const media = hearingMedia(segmentsOf(5));
    const judge = await service.media({ ...media, track: 'video' });
    const party = await service.media({
      ...media,
      track: 'video',
      excludeRanges: [{ startMs: T0 + 5000, endMs: T0 + 6000 }],
    });
    expect(uris(judge)).toHaveLength(5);
    expect(uris(party)).toHaveLength(4);
    expect(party).not.toContain('000001.ts');
    expect(await service.media({ ...media, track: 'video' })).toBe(judge);
  });

  it('answers 404 for a track the hearing does not have', async () => {
    const service = new PlaylistService({
      objects: new CountingStore((k) => `/objects/${k}`),
      expirySeconds: 300,
    });
    const error = await service
      .media({ ...hearingMedia(segmentsOf(1)), track: 'mic-9' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
  });

  it('maps deep-link times on the video, or on the mix when there is no video', () => {
    const service = new PlaylistService({
      objects: new CountingStore((k) => `/objects/${k}`),
      expirySeconds: 300,
    });
    const segments = [
      ...segmentsOf(2),
      ...segmentsOf(2).map((s) => ({ ...s, seq: s.seq + 2, start_ms: s.start_ms + 60_000 })),
    ];
    const timeline = service.timeline(hearingMedia(segments));
    expect(timeline.mainTrack).toBe('video');
    expect(timeline.durationSeconds).toBe(16);
    expect(timeline.positionFor(T0 + 61_000)).toBe(9);
    expect(timeline.positionFor(T0 + 30_000)).toBe(8); // in the pause: where it resumes
    expect(timeline.wallClockAt(9)).toBe(T0 + 61_000);
    const audioOnly = service.timeline(hearingMedia(segmentsOf(2, ['mic-1', 'mix'])));
    expect(audioOnly.mainTrack).toBe('mix');
  });

  it('serves a two-hour hearing’s playlist from memory once its URLs are signed', async () => {
    // 2 h of 4 s segments on six tracks; the local store's real HMAC signer. What is
    // asserted is the work done (URLs signed), not the time: speed lives in the hub bench.
    const segments = segmentsOf(1800, ['video', 'mix', 'mic-1', 'mic-2', 'mic-3', 'mic-4']);
    const signer = new UrlSigner('playlist-service-speed-secret-0123456789');
    let signed = 0;
    const objects = {
      presignGet: async (key: string, o: PresignOptions) => {
        signed++;
        return signer.sign(key, o.expirySeconds);
      },
    };
    const service = new PlaylistService({ objects, expirySeconds: 300 });
    const media = { ...hearingMedia(segments), track: 'video' };
    const cold = await service.media(media);
    expect(uris(cold)).toHaveLength(1800);
    const signedCold = signed;
    expect(signedCold).toBeGreaterThanOrEqual(1800);
    for (let i = 0; i < 200; i++)
      expect(await service.media({ ...media, segments: [...segments] })).toBe(cold);
    expect(signed).toBe(signedCold);
  });
});

describe('HearingMediaCache', () => {
  const rows = () => ({ tracks: hearingMedia(segmentsOf(2)).tracks, segments: segmentsOf(2) });

  it('reads a finished hearing once per manifest, and a recording one every time', async () => {
    const cache = new HearingMediaCache();
    let loads = 0;
    const load = async () => {
      loads++;
      return rows();
    };
    const stopped = { id: 'h1', state: 'stopped' as const, manifest_sha256: 'a'.repeat(64) };
    const first = await cache.get(stopped, load);
    expect(await cache.get(stopped, load)).toBe(first);
    expect(loads).toBe(1);
    await cache.get({ ...stopped, manifest_sha256: 'b'.repeat(64) }, load);
    expect(loads).toBe(2);
    await cache.get({ id: 'h2', state: 'recording', manifest_sha256: null }, load);
    await cache.get({ id: 'h2', state: 'recording', manifest_sha256: null }, load);
    expect(loads).toBe(4);
    await cache.get({ id: 'h3', state: 'stopped', manifest_sha256: null }, load);
    await cache.get({ id: 'h3', state: 'stopped', manifest_sha256: null }, load);
    expect(loads).toBe(6);
  });

  it('keeps only the most recently used hearings', async () => {
    const cache = new HearingMediaCache(2);
    let loads = 0;
    const load = async () => {
      loads++;
      return rows();
    };
    const h = (id: string) => ({ id, state: 'stopped' as const, manifest_sha256: 'c'.repeat(64) });
    await cache.get(h('a'), load);
    await cache.get(h('b'), load);
    await cache.get(h('a'), load);
    await cache.get(h('c'), load); // evicts b, the least recently used
    expect(loads).toBe(3);
    await cache.get(h('a'), load);
    expect(loads).toBe(3);
    await cache.get(h('b'), load);
    expect(loads).toBe(4);
  });
});

describe('hlsJsFile', () => {
  it('finds the hls.js browser bundle the player page loads', () => {
    const file = hlsJsFile();
    expect(file.endsWith(path.join('node_modules', 'hls.js', 'dist', 'hls.min.js'))).toBe(true);
    expect(fs.statSync(file).size).toBeGreaterThan(100_000);
  });
});
