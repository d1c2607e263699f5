import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from './index.ts';

describe('sha256File', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-sha-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  it('matches sha256sum across the read buffer boundaries', async () => {
    // Sizes around the 512 KiB read buffer: short, exactly one read, one byte over, several reads.
    for (const size of [0, 1, 512 * 1024, 512 * 1024 + 1, 3 * 512 * 1024 - 7]) {
      const bytes = crypto.randomBytes(size);
      const file = write(`f-${size}.bin`, bytes);
      const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
      await expect(sha256File(file)).resolves.toEqual({ sha256: expected, size });
    }
  });

  it('refuses a missing file with ENOENT', async () => {
    await expect(sha256File(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
