import { describe, expect, it } from 'vitest';
import { FakeClock, ValidationError } from '../../core/index.ts';
import { UrlSigner, contentDisposition } from './url-signer.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

function parse(url: string): { key: string; expires: string; sig: string; filename?: string } {
  const u = new URL(url, 'http://hub.invalid');
  const parts = {
    key: u.pathname.replace(/^\/objects\//, ''),
    expires: u.searchParams.get('expires') ?? '',
    sig: u.searchParams.get('sig') ?? '',
  };
  const filename = u.searchParams.get('filename');
  return filename === null ? parts : { ...parts, filename };
}

describe('UrlSigner', () => {
  it('binds a URL to one session: it verifies with that binding only, and never as an unbound URL', () => {
    const clock = new FakeClock('2026-03-01T10:00:00.000Z');
    const signer = new UrlSigner(SECRET, clock);
    const url = signer.signBound('hearings/h1/video/000001.ts', { expirySeconds: 60, binding: 'session-a' });
    expect(url).toMatch(
      /^\/objects\/hearings\/h1\/video\/000001\.ts\?expires=\d+&bound=1&sig=[A-Za-z0-9_-]{22}$/,
    );
    const parts = parse(url);
    expect(signer.verify({ ...parts, binding: 'session-a' })).toBe('ok');
    expect(signer.verify({ ...parts, binding: 'session-b' })).toBe('bad-signature');
    expect(signer.verify(parts)).toBe('bad-signature');
    // An unbound URL's signature does not pass as a bound one either.
    expect(signer.verify({ ...parse(signer.sign('hearings/h1/video/000001.ts', 60)), binding: '' })).toBe(
      'bad-signature',
    );
    clock.advance(61_000);
    expect(signer.verify({ ...parts, binding: 'session-a' })).toBe('expired');
    expect(() => signer.signBound('hearings/h1/video/000001.ts', { expirySeconds: 60, binding: '' })).toThrow(
      ValidationError,
    );
  });

  it('signs a relative /objects URL that verifies until it expires', () => {
    const clock = new FakeClock('2026-03-01T10:00:00.000Z');
    const signer = new UrlSigner(SECRET, clock);
    const url = signer.sign('hearings/h1/video/000001.m4s', 60);
    expect(url).toMatch(/^\/objects\/hearings\/h1\/video\/000001\.m4s\?expires=\d+&sig=[A-Za-z0-9_-]{22}$/);
    expect(signer.verify(parse(url))).toBe('ok');
    clock.advance(60_000);
    expect(signer.verify(parse(url))).toBe('ok');
    clock.advance(1_000);
    expect(signer.verify(parse(url))).toBe('expired');
  });

  it('calls a tampered signature, key, expiry or filename a bad signature, never merely expired', () => {
    const clock = new FakeClock();
    const signer = new UrlSigner(SECRET, clock);
    const parts = parse(signer.sign('hearings/h1/mix/000002.m4s', 30, 'hearing.mp4'));
    const flipped = (parts.sig[0] === '0' ? '1' : '0') + parts.sig.slice(1);
    expect(signer.verify({ ...parts, sig: flipped })).toBe('bad-signature');
    expect(signer.verify({ ...parts, key: 'hearings/h1/mix/000003.m4s' })).toBe('bad-signature');
    expect(signer.verify({ ...parts, expires: String(Number(parts.expires) + 3600) })).toBe('bad-signature');
    expect(signer.verify({ ...parts, filename: 'other.mp4' })).toBe('bad-signature');
    expect(signer.verify({ ...parts, sig: 'zz' })).toBe('bad-signature');
    // Another spelling of the same 128 bits (the last character's unused low bits): refused.
    const last = parts.sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(signer.verify({ ...parts, sig: parts.sig.slice(0, -1) + sibling })).toBe('bad-signature');
    expect(signer.verify({ ...parts, key: '../etc/passwd' })).toBe('bad-signature');
    clock.advance(3_600_000);
    expect(signer.verify({ ...parts, sig: flipped })).toBe('bad-signature');
    expect(signer.verify(parts)).toBe('expired');
  });

  it('does not accept a URL signed with another secret', () => {
    const url = new UrlSigner(SECRET).sign('a/b', 60);
    expect(new UrlSigner(`${SECRET}-other`).verify(parse(url))).toBe('bad-signature');
  });

  it('refuses a short secret', () => {
    expect(() => new UrlSigner('short')).toThrow(ValidationError);
  });

  it('refuses to sign an invalid key', () => {
    expect(() => new UrlSigner(SECRET).sign('../x', 60)).toThrow(/invalid object key/);
  });
});

describe('contentDisposition', () => {
  it('keeps a Cyrillic file name exactly and gives an ASCII fallback', () => {
    const header = contentDisposition('протокол "1".pdf');
    expect(header).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
    expect(header).not.toMatch(/filename="[^"]*"[^;]*"/);
    expect(decodeURIComponent(header.split("UTF-8''")[1] ?? '')).toBe('протокол "1".pdf');
  });
});
