import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT,
  assertAcceptablePassword,
  generatePassword,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './passwords.ts';

describe('password hashing (scrypt)', () => {
  it('encodes the parameters, a random salt and the hash as scrypt$N$r$p$salt$hash', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('correct horse');
  });

  it('gives two hashes of the same password different salts', async () => {
    const [a, b] = await Promise.all([hashPassword('same password!'), hashPassword('same password!')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password!', a)).toBe(true);
    expect(await verifyPassword('same password!', b)).toBe(true);
  });

  it('verifies the right password and refuses a wrong one, one character off, or empty', async () => {
    const encoded = await hashPassword('Şeker-Пароль-2026');
    expect(await verifyPassword('Şeker-Пароль-2026', encoded)).toBe(true);
    expect(await verifyPassword('Şeker-Пароль-2027', encoded)).toBe(false);
    expect(await verifyPassword('şeker-Пароль-2026', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('treats the composed and decomposed forms of a letter as the same password (NFC)', async () => {
    const composed = 'Qazaqstan-\u00e9l-parol';
    const decomposed = 'Qazaqstan-e\u0301l-parol';
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('matches the scrypt of RFC 7914 for the stored parameters', async () => {
    const encoded = await hashPassword('interop check', { N: 1024, r: 8, p: 1 });
    const [, , , , salt, hash] = encoded.split('$');
    const expected = crypto.scryptSync('interop check', Buffer.from(salt!, 'base64url'), 32, {
      N: 1024,
      r: 8,
      p: 1,
    });
    expect(hash).toBe(expected.toString('base64url'));
  });

  it('verifies a hash made with weaker parameters and says it needs a rehash', async () => {
    const weak = await hashPassword('an old password', { N: 1024, r: 8, p: 1 });
    expect(await verifyPassword('an old password', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword('a new password'))).toBe(false);
    expect(needsRehash('garbage')).toBe(true);
  });

  it('refuses malformed or tampered hashes without throwing', async () => {
    const good = await hashPassword('a fine password');
    const parts = good.split('$');
    const variants = [
      '',
      'plain-text-password',
      'bcrypt$10$abc',
      good.replace('scrypt$', 'scrypt2$'),
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 1), String(2 ** 24), ...parts.slice(2)].join('$'), // costs gigabytes
      [...parts.slice(0, 4), '', parts[5]].join('$'), // no salt
      [...parts.slice(0, 5), 'AAAA'].join('$'), // hash too short
      `${good}$extra`,
    ];
    for (const v of variants) expect(await verifyPassword('a fine password', v), v).toBe(false);
    // A flipped bit in the stored hash is a mismatch, not an error.
    const flipped = Buffer.from(parts[5]!, 'base64url');
    flipped[0]! ^= 1;
    expect(
      await verifyPassword(
        'a fine password',
        [...parts.slice(0, 5), flipped.toString('base64url')].join('$'),
      ),
    ).toBe(false);
  });

  it('uses at least N=2^15, r=8, p=1 by default', () => {
    expect(DEFAULT_SCRYPT.N).toBeGreaterThanOrEqual(2 ** 15);
    expect(DEFAULT_SCRYPT.r).toBeGreaterThanOrEqual(8);
    expect(DEFAULT_SCRYPT.p).toBeGreaterThanOrEqual(1);
  });

  it('generates readable random passwords that are long enough to be accepted', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(p).not.toMatch(/[01ilo]/);
      expect(() => assertAcceptablePassword(p)).not.toThrow();
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });

  it('refuses to set a password that is too short or absurdly long', () => {
    expect(() => assertAcceptablePassword('short')).toThrow(/at least 10 characters/);
    expect(() => assertAcceptablePassword('x'.repeat(1025))).toThrow(/at most 1024/);
    expect(() => assertAcceptablePassword('ten chars!')).not.toThrow();
  });
});
