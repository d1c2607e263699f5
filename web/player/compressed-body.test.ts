import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, gzipOnce } from './compressed-body.ts';

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate, br, zstd', true],
    ['gzip', true],
    ['GZIP;q=0.5', true],
    ['br;q=1, gzip;q=0.1', true],
    ['*', true],
    ['identity', false],
    ['br, zstd', false],
    ['gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['', false],
  ])('reads %j as %s', (header, accepts) => {
    expect(acceptsGzip(header)).toBe(accepts);
    expect(acceptsGzip(header)).toBe(accepts); // and the same from memory
  });

  it('says no without the header', () => {
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('gzipOnce', () => {
  it('compresses a body once and hands the same bytes to every later request', async () => {
    const body = Buffer.from('#EXTM3U\n'.repeat(500));
    const first = gzipOnce(body);
    expect(gzipOnce(body)).toBe(first);
    expect(zlib.gunzipSync(await first).equals(body)).toBe(true);
    // Another Buffer with the same bytes is another playlist version: compressed anew.
    expect(gzipOnce(Buffer.from(body))).not.toBe(first);
  });
});
