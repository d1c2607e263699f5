import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainGenesis, chainInput, nextChain, sha256Hex } from './index.ts';

describe('hash chain', () => {
  const link = {
    seq: 3,
    startMs: Date.parse('2026-03-02T09:00:12.000Z'),
    durationMs: 4000,
    sha256: 'ab'.repeat(32),
  };

  it('hashes the text prev|seq|start|duration|sha256', () => {
    const prev = chainGenesis('h1', 'mic-1');
    expect(chainInput(prev, link)).toBe(`${prev}|3|2026-03-02T09:00:12.000Z|4000|${'ab'.repeat(32)}`);
    expect(nextChain(prev, link)).toBe(sha256Hex(chainInput(prev, link)));
  });

  it('gives the same value as printf and sha256sum', () => {
    const prev = chainGenesis('h1', 'video');
    const shell = execFileSync(
      'sh',
      ['-c', `printf '%s' "$1" | sha256sum | cut -d' ' -f1`, 'sh', chainInput(prev, link)],
      {
        encoding: 'utf8',
      },
    ).trim();
    expect(nextChain(prev, link)).toBe(shell);
  });

  it('changes when any field changes', () => {
    const prev = chainGenesis('h1', 'video');
    const base = nextChain(prev, link);
    expect(nextChain(prev, { ...link, seq: 4 })).not.toBe(base);
    expect(nextChain(prev, { ...link, startMs: link.startMs + 1 })).not.toBe(base);
    expect(nextChain(prev, { ...link, durationMs: 4001 })).not.toBe(base);
    expect(nextChain(chainGenesis('h2', 'video'), link)).not.toBe(base);
  });
});

describe('canonical JSON', () => {
  it('sorts keys, drops undefined and has no white space', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1.5, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":0,"z":1.5}}',
    );
  });

  it('refuses values JSON cannot hold exactly', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN at \$\.a/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/function/);
  });
});
