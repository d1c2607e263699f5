import { describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from '../../core/index.ts';
import {
  MAX_KEY_LENGTH,
  copyKey,
  hearingPrefix,
  isValidObjectKey,
  manifestKey,
  segmentKey,
  validateObjectKey,
  validatePrefix,
  validateTrack,
} from './keys.ts';

function refusal(fn: () => unknown): InvalidObjectKeyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidObjectKeyError);
    expect((error as InvalidObjectKeyError).code).toBe('OBJECT_KEY_INVALID');
    return error as InvalidObjectKeyError;
  }
  throw new Error('expected an InvalidObjectKeyError');
}

describe('validateObjectKey', () => {
  it('accepts the keys the layout produces and other plain relative paths', () => {
    for (const key of [
      'hearings/h1/video/000001.m4s',
      'hearings/2026-civ-17/mic-3/000000.mp4',
      'a',
      'a/b/c.d.e',
      '..a/b..',
      'x_y-z.0/...x',
      'a'.repeat(MAX_KEY_LENGTH),
    ]) {
      expect(validateObjectKey(key), key).toBe(key);
    }
  });

  it('refuses a ".." component that would climb out of the prefix', () => {
    expect(refusal(() => validateObjectKey('hearings/../etc/passwd')).message).toMatch(
      /"\.\." path components/,
    );
    refusal(() => validateObjectKey('..'));
    refusal(() => validateObjectKey('a/..'));
    refusal(() => validateObjectKey('../a'));
  });

  it('refuses an absolute path', () => {
    expect(refusal(() => validateObjectKey('/etc/passwd')).message).toMatch(/relative/);
  });

  it('refuses a NUL byte anywhere in the key', () => {
    expect(refusal(() => validateObjectKey('hearings/h1/a\0.mp4')).message).toMatch(/NUL/);
    refusal(() => validateObjectKey('\0'));
  });

  it.each([
    ['the empty string', ''],
    ['a key one character too long', 'a'.repeat(MAX_KEY_LENGTH + 1)],
    ['a "." component', 'hearings/./h1'],
    ['a lone "."', '.'],
    ['an empty component', 'hearings//h1'],
    ['a trailing slash', 'hearings/h1/'],
    ['a backslash', 'hearings\\h1'],
    ['a Windows traversal', '..\\..\\windows'],
    ['a newline', 'hearings/h1\n'],
    ['a tab', 'hearings/\th1'],
    ['DEL', 'hearings/h1\u007f'],
    ['a space', 'hearings/h 1'],
    ['a percent escape', 'hearings/%2e%2e/x'],
    ['a question mark', 'hearings/h1?x=1'],
    ['a hash', 'hearings/h1#x'],
    ['a colon', 'c:/x'],
    ['a tilde', '~/x'],
    ['an at sign', 'hearings/h1@'],
    ['Cyrillic letters', 'hearings/дело'],
    ['a full-width solidus', 'a\uff0fb'],
    ['a unicode dot leader', 'a/\u2024\u2024/b'],
  ])('refuses %s', (_what, key) => {
    refusal(() => validateObjectKey(key));
    expect(isValidObjectKey(key)).toBe(false);
  });

  it('refuses values that are not strings', () => {
    refusal(() => validateObjectKey(undefined as unknown as string));
    refusal(() => validateObjectKey(42 as unknown as string));
  });
});

describe('validatePrefix', () => {
  it('accepts the empty prefix, a directory prefix and a partial last component', () => {
    expect(validatePrefix('')).toBe('');
    expect(validatePrefix('hearings/h1/')).toBe('hearings/h1/');
    expect(validatePrefix('hearings/h')).toBe('hearings/h');
  });

  it('refuses prefixes that could escape or are malformed', () => {
    for (const prefix of ['/', '/hearings', '../', 'hearings/../', 'a//', 'a\0', 'a\\b/', './']) {
      refusal(() => validatePrefix(prefix));
    }
  });
});

describe('key builders', () => {
  it('builds a segment key with the seq padded to six digits', () => {
    expect(segmentKey({ hearingId: 'h-2026-001', track: 'video', seq: 42, ext: 'm4s' })).toBe(
      'hearings/h-2026-001/video/000042.m4s',
    );
  });

  it('uses seq 0 for the init segment, the head of the track chain', () => {
    expect(segmentKey({ hearingId: 'h1', track: 'mic-2', seq: 0, ext: 'mp4' })).toBe(
      'hearings/h1/mic-2/000000.mp4',
    );
  });

  it('accepts every kind of track', () => {
    for (const track of ['video', 'mix', 'mic-1', 'mic-12', 'remote-p7-audio', 'remote-counsel-2-video']) {
      expect(validateTrack(track)).toBe(track);
      expect(segmentKey({ hearingId: 'h1', track, seq: 1, ext: 'm4s' })).toBe(
        `hearings/h1/${track}/000001.m4s`,
      );
    }
  });

  it('builds the manifest, prefix and copy keys', () => {
    expect(manifestKey('h1')).toBe('hearings/h1/manifest.json');
    expect(hearingPrefix('h1')).toBe('hearings/h1/');
    expect(copyKey({ hearingId: 'h1', copyId: 'c-9', ext: 'mp4' })).toBe('hearings/h1/copies/c-9.mp4');
  });

  it.each([
    ['a hearing id with ".."', { hearingId: '..', track: 'video', seq: 1, ext: 'm4s' }],
    ['a hearing id with a slash', { hearingId: 'a/b', track: 'video', seq: 1, ext: 'm4s' }],
    ['an upper-case hearing id', { hearingId: 'H1', track: 'video', seq: 1, ext: 'm4s' }],
    ['a hearing id starting with a hyphen', { hearingId: '-h1', track: 'video', seq: 1, ext: 'm4s' }],
    ['a hearing id of 65 characters', { hearingId: 'a'.repeat(65), track: 'video', seq: 1, ext: 'm4s' }],
    ['an empty hearing id', { hearingId: '', track: 'video', seq: 1, ext: 'm4s' }],
    ['an unknown track', { hearingId: 'h1', track: 'audio', seq: 1, ext: 'm4s' }],
    ['mic-0', { hearingId: 'h1', track: 'mic-0', seq: 1, ext: 'm4s' }],
    ['mic-01', { hearingId: 'h1', track: 'mic-01', seq: 1, ext: 'm4s' }],
    ['a remote track without a kind', { hearingId: 'h1', track: 'remote-p7', seq: 1, ext: 'm4s' }],
    ['a track with ".."', { hearingId: 'h1', track: '../video', seq: 1, ext: 'm4s' }],
    ['a negative seq', { hearingId: 'h1', track: 'video', seq: -1, ext: 'm4s' }],
    ['a fractional seq', { hearingId: 'h1', track: 'video', seq: 1.5, ext: 'm4s' }],
    ['a seq past six digits', { hearingId: 'h1', track: 'video', seq: 1_000_000, ext: 'm4s' }],
    ['an extension with a dot', { hearingId: 'h1', track: 'video', seq: 1, ext: 'tar.gz' }],
    ['an empty extension', { hearingId: 'h1', track: 'video', seq: 1, ext: '' }],
    ['an extension with a slash', { hearingId: 'h1', track: 'video', seq: 1, ext: 'm4s/..' }],
  ])('refuses a segment key with %s', (_what, parts) => {
    refusal(() => segmentKey(parts));
  });

  it('refuses malformed ids in the other builders', () => {
    refusal(() => manifestKey('../h1'));
    refusal(() => hearingPrefix('h1/'));
    refusal(() => copyKey({ hearingId: 'h1', copyId: '..', ext: 'mp4' }));
    refusal(() => copyKey({ hearingId: 'h1', copyId: 'c1', ext: 'MP4' }));
  });
});
