import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fsyncFd, fsyncPath, linkReplacing, removeFile, writeSynced } from './index.ts';

describe('durable small writes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-durable-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  it('writes, appends and refuses to overwrite with wx, leaving the file as it was', async () => {
    const file = path.join(dir, 'journal.jsonl');
    await writeSynced(file, '{"seq":0}\n', 'wx');
    await writeSynced(file, '{"seq":1}\n', 'a');
    await expect(writeSynced(file, 'clobbered', 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"seq":0}\n{"seq":1}\n');
    await writeSynced(file, 'replaced\n', 'w');
    expect(fs.readFileSync(file, 'utf8')).toBe('replaced\n');
  });

  it('fsyncs files and directories, and says ENOENT for a missing one', async () => {
    const file = path.join(dir, 'segment.ts');
    fs.writeFileSync(file, Buffer.alloc(4096, 1));
    await fsyncPath(file);
    await fsyncPath(dir);
    await expect(fsyncPath(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('passes an fsync error on, and leaves no descriptor open', async () => {
    const before = openFds();
    // fsync of a closed descriptor fails: the error reaches the caller.
    const fd = fs.openSync(path.join(dir, 'x'), 'w');
    fs.closeSync(fd);
    await expect(fsyncFd(fd)).rejects.toMatchObject({ code: 'EBADF' });
    for (let i = 0; i < 20; i++) {
      await writeSynced(path.join(dir, `f-${i}`), 'x', 'w');
      await fsyncPath(dir);
      await writeSynced(path.join(dir, `f-${i}`), 'x', 'wx').catch(() => undefined);
    }
    expect(openFds()).toBe(before);
  });

  it('removes a file if it is there, and refuses to remove a directory', () => {
    const file = path.join(dir, 'gone.ts');
    fs.writeFileSync(file, 'x');
    removeFile(file);
    expect(fs.existsSync(file)).toBe(false);
    removeFile(file); // already gone: nothing to do
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    expect(() => removeFile(sub)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/EISDIR|EPERM/) }),
    );
    expect(fs.existsSync(sub)).toBe(true);
  });

  it('links a file under a new name, replacing a file a crash left there', () => {
    const from = path.join(dir, 'run-000001.ts');
    const to = path.join(dir, 'pending-1.ts');
    fs.writeFileSync(from, 'segment');
    fs.writeFileSync(to, 'torn');
    linkReplacing(from, to);
    expect(fs.readFileSync(to, 'utf8')).toBe('segment');
    expect(fs.statSync(to).ino).toBe(fs.statSync(from).ino);
    linkReplacing(from, to); // the same link again: still one inode, two names
    expect(fs.statSync(from).nlink).toBe(2);
    expect(() => linkReplacing(path.join(dir, 'absent.ts'), to)).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(fs.readFileSync(to, 'utf8'), 'a failed link leaves the old name alone').toBe('segment');
  });
});
