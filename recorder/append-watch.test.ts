import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchAppends, type AppendWatch } from './append-watch.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-append-watch-'));
  dirs.push(d);
  return d;
}

/** A watch on a new list in a fresh directory, counting its wake-ups. */
function countingWatch(): { file: string; watch: AppendWatch; wakes: () => number } {
  const file = path.join(tmpDir(), 'segments.csv');
  let wakes = 0;
  const watch = watchAppends(
    [file],
    () => wakes++,
    () => undefined,
  );
  return { file, watch, wakes: () => wakes };
}

describe('watchAppends', () => {
  it('creates a missing list empty and wakes on an append, also after a truncating open as ffmpeg does', async () => {
    const { file, watch, wakes } = countingWatch();
    try {
      expect(watch.complete).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
      // ffmpeg opens the list with O_TRUNC: the same inode, so the watch holds.
      const fd = fs.openSync(file, 'w');
      fs.writeSync(fd, '000000.ts,0.000000,4.000000\n');
      await vi.waitFor(() => expect(wakes()).toBeGreaterThan(0));
      const before = wakes();
      fs.writeSync(fd, '000001.ts,4.000000,8.000000\n');
      fs.closeSync(fd);
      await vi.waitFor(() => expect(wakes()).toBeGreaterThan(before));
    } finally {
      watch.close();
    }
  });

  it('keeps what a list already holds', () => {
    const file = path.join(tmpDir(), 'segments.csv');
    fs.writeFileSync(file, '000000.ts,0.000000,4.000000\n');
    const watch = watchAppends(
      [file],
      () => undefined,
      () => undefined,
    );
    watch.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('000000.ts,0.000000,4.000000\n');
  });

  it('says it is incomplete, and why, when a list cannot be watched, so the caller polls', () => {
    const file = path.join(tmpDir(), 'no-such-dir', 'segments.csv');
    const errors: string[] = [];
    const watch = watchAppends(
      [file],
      () => undefined,
      (f) => errors.push(f),
    );
    watch.close();
    expect(watch.complete).toBe(false);
    expect(errors).toEqual([file]);
  });

  it('stops waking once closed', async () => {
    const { file, watch, wakes } = countingWatch();
    watch.close();
    fs.appendFileSync(file, 'x\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(wakes()).toBe(0);
  });
});
