import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStamp, sameStamp, sha256File } from './index.ts';

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
      await expect(sha256File(file)).resolves.toMatchObject({ sha256: expected, size });
    }
  });

  it('stamps the file it read, and the stamp changes with a write that keeps the size', async () => {
    const file = write('stamped.bin', crypto.randomBytes(4096));
    const { stamp } = await sha256File(file);
    const st = fs.statSync(file, { bigint: true });
    expect(stamp).toEqual(fileStamp(st));
    expect(stamp).toMatchObject({ size: '4096', ino: String(st.ino) });
    // One byte rewritten in place: same inode and size, a later modification time.
    await new Promise((r) => setTimeout(r, 20));
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0x42]), 0, 1, 100);
    fs.closeSync(fd);
    expect(sameStamp(stamp!, fileStamp(fs.statSync(file, { bigint: true })))).toBe(false);
    expect(sameStamp(stamp!, (await sha256File(file)).stamp!)).toBe(false);
  });

  it('gives no stamp for a file written while it was read', async () => {
    const file = write('growing.bin', crypto.randomBytes(3 * 512 * 1024));
    // Another process appends all the time, as a writer that has not closed the file.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const fd=fs.openSync(process.argv[1],'a');setInterval(()=>fs.writeSync(fd,Buffer.alloc(4096)),0)`,
        file,
      ],
      { stdio: 'ignore' },
    );
    try {
      let unstamped = false;
      for (let i = 0; i < 500 && !unstamped; i++) {
        const result = await sha256File(file);
        unstamped = result.stamp === null;
        // Stamped or not, the digest is that of exactly the bytes counted: a file that grew
        // after its first fstat is read on to its end, never cut at the size fstat gave.
        const prefix = fs.readFileSync(file).subarray(0, result.size);
        expect(prefix.length).toBe(result.size);
        expect(crypto.createHash('sha256').update(prefix).digest('hex')).toBe(result.sha256);
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(unstamped).toBe(true);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('reads a large file through the thread pool, with the same digest as sha256sum', async () => {
    const file = write('large.bin', crypto.randomBytes(17 * 1024 * 1024 + 12_345));
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    try {
      await expect(sha256File(file)).resolves.toMatchObject({
        sha256: expected,
        size: 17 * 1024 * 1024 + 12_345,
      });
    } finally {
      clearInterval(ticker);
    }
    // The event loop turned between chunks (in place it could not have).
    expect(turns).toBeGreaterThan(0);
  });

  it('refuses a missing file with ENOENT', async () => {
    await expect(sha256File(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
