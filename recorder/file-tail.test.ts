import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileTail } from './file-tail.ts';

/** Whole lines are items; a line without its newline yet is left for later. */
const lines = (text: string) => {
  const end = text.lastIndexOf('\n') + 1;
  return { items: text.slice(0, end).split('\n').filter(Boolean), consumed: end };
};

describe('FileTail', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-tail-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns nothing for a file not yet created', async () => {
    await expect(new FileTail(path.join(dir, 'absent')).read(lines)).resolves.toEqual([]);
  });

  it('reads only what was appended, keeping a half-written line (and a split UTF-8 letter) for later', async () => {
    const file = path.join(dir, 'list.csv');
    const tail = new FileTail(file);
    fs.writeFileSync(file, 'a\nb\nпар');
    expect(await tail.read(lines)).toEqual(['a', 'b']);
    expect(await tail.read(lines)).toEqual([]); // unchanged
    const rest = Buffer.from('тия\nc\n');
    fs.appendFileSync(file, rest.subarray(0, 1)); // half of a two-byte letter
    expect(await tail.read(lines)).toEqual([]);
    fs.appendFileSync(file, rest.subarray(1));
    expect(await tail.read(lines)).toEqual(['партия', 'c']);
    expect(await tail.read(lines)).toEqual([]);
  });

  it('reads an append longer than one read whole, and finds the file once it is created', async () => {
    const file = path.join(dir, 'long.csv');
    const tail = new FileTail(file);
    expect(await tail.read(lines)).toEqual([]);
    const many = Array.from(
      { length: 1500 },
      (_, i) => `${String(i).padStart(6, '0')}.ts,${i * 4},${i * 4 + 4}`,
    );
    fs.writeFileSync(file, `${many.join('\n')}\n`); // ~30 KB: several reads of 4 KiB
    expect(await tail.read(lines)).toEqual(many);
    fs.appendFileSync(file, 'next\n');
    expect(await tail.read(lines)).toEqual(['next']);
    tail.close();
  });

  it('holds one descriptor while following, none after close, and reads nothing after close', async () => {
    const file = path.join(dir, 'followed.csv');
    fs.writeFileSync(file, 'a\n');
    const openOnFile = () =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false; // closed while listed
        }
      }).length;
    const tail = new FileTail(file);
    expect(await tail.read(lines)).toEqual(['a']);
    fs.appendFileSync(file, 'b\n');
    expect(await tail.read(lines)).toEqual(['b']);
    expect(openOnFile()).toBe(1);
    tail.close();
    tail.close();
    expect(openOnFile()).toBe(0);
    fs.appendFileSync(file, 'c\n');
    expect(await tail.read(lines)).toEqual([]);
    expect(openOnFile()).toBe(0);
  });
});
