import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainGenesis, nextChain, sha256Hex, silentLogger } from '../core/index.ts';
import { Spool, sha256File } from './spool.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HEARING = 'h-spool';
const TRACK = 'mic-1';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-spool-'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A run file as ffmpeg leaves it under runs/<n>/<track>/, with distinct bytes. */
function runFile(
  name: string,
  size = 2048,
  hearingId = HEARING,
  track = TRACK,
): { file: string; bytes: Buffer } {
  const dir = path.join(root, hearingId, 'runs', '1', track);
  fs.mkdirSync(dir, { recursive: true });
  const bytes = crypto.randomBytes(size);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, bytes };
}

const commitOf = (spool: Spool, file: string, i: number) =>
  spool.commit({
    hearingId: HEARING,
    track: TRACK,
    sourceFile: file,
    startMs: T0 + i * 4000,
    durationMs: 4000,
  });

const journalFile = () => path.join(root, HEARING, 'journal', `${TRACK}.jsonl`);

describe('Spool', () => {
  it('assigns seqs 0, 1, 2 and chains that match core nextChain from the genesis', async () => {
    const spool = new Spool(root, silentLogger());
    const files = [runFile('seg-0.ts'), runFile('seg-1.ts'), runFile('seg-2.ts')];
    const committed = [];
    for (const [i, f] of files.entries()) committed.push(await commitOf(spool, f.file, i));

    expect(committed.map((s) => s.seq)).toEqual([0, 1, 2]);
    let prev = chainGenesis(HEARING, TRACK);
    for (const [i, s] of committed.entries()) {
      const sha256 = sha256Hex(files[i]!.bytes);
      expect(s).toMatchObject({
        hearingId: HEARING,
        track: TRACK,
        sha256,
        size: 2048,
        startMs: T0 + i * 4000,
        durationMs: 4000,
      });
      prev = nextChain(prev, { seq: i, startMs: T0 + i * 4000, durationMs: 4000, sha256 });
      expect(s.chain).toBe(prev);
      // The pending copy holds the committed bytes; the run file is gone.
      expect(fs.readFileSync(s.file)).toEqual(files[i]!.bytes);
      expect(fs.existsSync(files[i]!.file)).toBe(false);
    }
  });

  it('keeps the journal across a restart: a new Spool on the same directory continues the chain', async () => {
    const first = new Spool(root, silentLogger());
    const a = await commitOf(first, runFile('seg-0.ts').file, 0);
    const b = await commitOf(first, runFile('seg-1.ts').file, 1);

    const reopened = new Spool(root, silentLogger());
    expect(await reopened.journal(HEARING, TRACK)).toEqual([
      expect.objectContaining({ seq: 0, chain: a.chain, sha256: a.sha256 }),
      expect.objectContaining({ seq: 1, chain: b.chain, sha256: b.sha256 }),
    ]);
    expect(await reopened.tracks(HEARING)).toEqual([TRACK]);
    const next = runFile('seg-2.ts');
    const c = await commitOf(reopened, next.file, 2);
    expect(c.seq).toBe(2);
    expect(c.chain).toBe(
      nextChain(b.chain, { seq: 2, startMs: T0 + 8000, durationMs: 4000, sha256: sha256Hex(next.bytes) }),
    );
  });

  it('drops a torn last journal line left by a crash mid-append, and continues after the last whole line', async () => {
    const first = new Spool(root, silentLogger());
    const a = await commitOf(first, runFile('seg-0.ts').file, 0);
    const whole = fs.readFileSync(journalFile(), 'utf8');
    fs.appendFileSync(journalFile(), '{"seq":1,"startMs":17725');

    const reopened = new Spool(root, silentLogger());
    expect((await reopened.journal(HEARING, TRACK)).map((e) => e.seq)).toEqual([0]);
    expect(fs.readFileSync(journalFile(), 'utf8')).toBe(whole);
    const next = runFile('seg-1.ts');
    const b = await commitOf(reopened, next.file, 1);
    expect(b.seq).toBe(1);
    expect(b.chain).toBe(
      nextChain(a.chain, { seq: 1, startMs: T0 + 4000, durationMs: 4000, sha256: sha256Hex(next.bytes) }),
    );
    // The file holds exactly two whole lines again.
    expect((await new Spool(root, silentLogger()).journal(HEARING, TRACK)).map((e) => e.seq)).toEqual([0, 1]);
  });

  it('drops a last journal line that lost its newline, so the next append starts a line of its own', async () => {
    const first = new Spool(root, silentLogger());
    await commitOf(first, runFile('seg-0.ts').file, 0);
    const b = await commitOf(first, runFile('seg-1.ts').file, 1);
    // A crash after the JSON reached the disk but before its "\n" did: the line parses,
    // but it is not whole. Keeping it would glue the next entry onto it.
    const text = fs.readFileSync(journalFile(), 'utf8');
    fs.writeFileSync(journalFile(), text.slice(0, -1));

    const reopened = new Spool(root, silentLogger());
    expect((await reopened.journal(HEARING, TRACK)).map((e) => e.seq)).toEqual([0]);
    const again = runFile('seg-1-again.ts');
    const b2 = await commitOf(reopened, again.file, 1);
    expect(b2.seq).toBe(1);
    expect(b2.chain).not.toBe(b.chain);
    const third = await commitOf(reopened, runFile('seg-2.ts').file, 2);
    expect(
      (await new Spool(root, silentLogger()).journal(HEARING, TRACK)).map((e) => [e.seq, e.chain]),
    ).toEqual([
      [0, expect.any(String)],
      [1, b2.chain],
      [2, third.chain],
    ]);
  });

  it('treats a commit repeated for the same source file as a no-op', async () => {
    const spool = new Spool(root, silentLogger());
    const f = runFile('seg-0.ts');
    const first = await commitOf(spool, f.file, 0);
    const journalBefore = fs.readFileSync(journalFile(), 'utf8');
    const again = await commitOf(spool, f.file, 0);
    expect(again).toEqual(first);
    expect(fs.readFileSync(journalFile(), 'utf8')).toBe(journalBefore);
    // Also after a restart, when recovery finds the run file named in the journal; the
    // stamp of the file as hashed is kept in memory only, so the store hashes it then.
    expect(first.stamp).toMatchObject({ size: String(first.size) });
    const { stamp: _stamp, ...unstamped } = first;
    const reopened = new Spool(root, silentLogger());
    expect(await commitOf(reopened, f.file, 0)).toEqual(unstamped);
    expect(await reopened.isCommitted(HEARING, TRACK, path.relative(path.join(root, HEARING), f.file))).toBe(
      true,
    );
    expect(fs.readFileSync(journalFile(), 'utf8')).toBe(journalBefore);
  });

  it('knows each committed run file among many, in this process and after a restart, and no other', async () => {
    const spool = new Spool(root, silentLogger());
    const files = Array.from({ length: 12 }, (_, i) => runFile(`${String(i).padStart(6, '0')}.ts`, 64).file);
    const committed = [];
    for (const [i, file] of files.entries()) committed.push(await commitOf(spool, file, i));
    const source = (name: string) => path.join('runs', '1', TRACK, name);
    const journalBefore = fs.readFileSync(journalFile(), 'utf8');
    for (const reader of [spool, new Spool(root, silentLogger())]) {
      for (const i of [0, 5, 11])
        expect(await reader.isCommitted(HEARING, TRACK, source(`${String(i).padStart(6, '0')}.ts`))).toBe(
          true,
        );
      expect(await reader.isCommitted(HEARING, TRACK, source('000012.ts'))).toBe(false);
      expect(await reader.isCommitted(HEARING, 'mic-2', source('000000.ts'))).toBe(false);
      // The file is gone from the run once committed; a recovery that finds it again (a
      // crash before the unlink) gets the line it has, not a new seq.
      const again = runFile('000005.ts', 64).file;
      expect(await commitOf(reader, again, 5)).toMatchObject({ seq: 5, sha256: committed[5]!.sha256 });
    }
    expect(fs.readFileSync(journalFile(), 'utf8')).toBe(journalBefore);
  });

  it('serialises concurrent commits of one track so seqs never collide', async () => {
    const spool = new Spool(root, silentLogger());
    const files = Array.from({ length: 6 }, (_, i) => runFile(`seg-${i}.ts`));
    const committed = await Promise.all(files.map((f, i) => commitOf(spool, f.file, i)));
    expect(committed.map((s) => s.seq).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    let prev = chainGenesis(HEARING, TRACK);
    for (const e of await new Spool(root, silentLogger()).journal(HEARING, TRACK)) {
      prev = nextChain(prev, { seq: e.seq, startMs: e.startMs, durationMs: e.durationMs, sha256: e.sha256 });
      expect(e.chain).toBe(prev);
    }
  });

  it('replaces an orphan pending file left by a crash between link and journal append', async () => {
    const spool = new Spool(root, silentLogger());
    const pendingDir = path.join(root, HEARING, 'pending', TRACK);
    fs.mkdirSync(pendingDir, { recursive: true });
    fs.writeFileSync(path.join(pendingDir, '0.ts'), 'half-written leftovers of an earlier run');

    const f = runFile('seg-0.ts');
    const s = await commitOf(spool, f.file, 0);
    expect(s.seq).toBe(0);
    expect(s.file).toBe(path.join(pendingDir, '0.ts'));
    expect(fs.readFileSync(s.file)).toEqual(f.bytes);
    expect(await sha256File(s.file)).toMatchObject({ sha256: sha256Hex(f.bytes), size: f.bytes.length });
  });

  it('lists committed segments as pending until released', async () => {
    const spool = new Spool(root, silentLogger());
    const a = await commitOf(spool, runFile('seg-0.ts').file, 0);
    const b = await commitOf(spool, runFile('seg-1.ts').file, 1);
    const other = await spool.commit({
      hearingId: HEARING,
      track: 'mix',
      sourceFile: runFile('mix-0.ts', 512, HEARING, 'mix').file,
      startMs: T0,
      durationMs: 4000,
    });
    expect((await spool.pending(HEARING)).map((s) => [s.track, s.seq])).toEqual([
      ['mic-1', 0],
      ['mic-1', 1],
      ['mix', 0],
    ]);

    await spool.release(a);
    expect(fs.existsSync(a.file)).toBe(false);
    expect((await spool.pending(HEARING)).map((s) => [s.track, s.seq])).toEqual([
      ['mic-1', 1],
      ['mix', 0],
    ]);
    await spool.release(a); // twice is fine
    await spool.release(b);
    await spool.release(other);
    expect(await spool.pending(HEARING)).toEqual([]);
    // The journal remembers everything: the chain continues after release.
    const c = await commitOf(spool, runFile('seg-2.ts').file, 2);
    expect(c.seq).toBe(2);
    expect((await spool.pending(HEARING)).map((s) => s.seq)).toEqual([2]);
  });

  it("lists one track's pending segments in seq order, without those released or never journaled", async () => {
    const spool = new Spool(root, silentLogger());
    const mine = [];
    for (let i = 0; i < 12; i++) mine.push(await commitOf(spool, runFile(`seg-${i}.ts`, 256).file, i));
    await spool.commit({
      hearingId: HEARING,
      track: 'mix',
      sourceFile: runFile('mix-0.ts', 256, HEARING, 'mix').file,
      startMs: T0,
      durationMs: 4000,
    });
    await spool.release(mine[1]!);
    await spool.release(mine[10]!);
    // A crash between link and journal append leaves a pending file with no line.
    fs.writeFileSync(path.join(root, HEARING, 'pending', TRACK, '12.ts'), 'torn');

    expect((await spool.pendingOf(HEARING, TRACK)).map((s) => s.seq)).toEqual([
      0, 2, 3, 4, 5, 6, 7, 8, 9, 11,
    ]);
    expect((await spool.pendingOf(HEARING, 'mix')).map((s) => [s.track, s.seq])).toEqual([['mix', 0]]);
    expect(await spool.pendingOf(HEARING, 'mic-9')).toEqual([]);
    // The same segments as the whole hearing's list, track by track.
    expect((await spool.pendingOf(HEARING, TRACK)).map((s) => s.sha256)).toEqual(
      (await spool.pending(HEARING)).filter((s) => s.track === TRACK).map((s) => s.sha256),
    );
  });

  it('reports the bytes and segments it holds, and less after a release', async () => {
    const spool = new Spool(root, silentLogger());
    const empty = await spool.usage();
    expect(empty.freeBytes).toBeGreaterThan(0);
    const a = await commitOf(spool, runFile('seg-0.ts', 100_000).file, 0);
    await commitOf(spool, runFile('seg-1.ts', 50_000).file, 1);
    const full = await spool.usage();
    // The pending copies plus the journal (run files are removed after commit).
    expect(full.bytes).toBeGreaterThanOrEqual(150_000);
    expect(full.bytes).toBeLessThan(150_000 + 4096);
    await spool.release(a);
    const after = await spool.usage();
    expect(full.bytes - after.bytes).toBe(100_000);
    expect([empty.pendingSegments, full.pendingSegments, after.pendingSegments]).toEqual([0, 2, 1]);
  });

  it('keeps the hearing state and removes a finished hearing with its journal', async () => {
    const spool = new Spool(root, silentLogger());
    await spool.writeHearing({ hearingId: HEARING, state: 'recording', segmentSeconds: 4, updatedAtMs: T0 });
    await commitOf(spool, runFile('seg-0.ts').file, 0);
    expect(await spool.listHearings()).toEqual([HEARING]);
    expect(await new Spool(root, silentLogger()).readHearing(HEARING)).toEqual({
      hearingId: HEARING,
      state: 'recording',
      segmentSeconds: 4,
      updatedAtMs: T0,
    });
    await spool.removeHearing(HEARING);
    expect(await spool.listHearings()).toEqual([]);
    expect(await spool.readHearing(HEARING)).toBeNull();
    expect(await spool.journal(HEARING, TRACK)).toEqual([]);
    // The same hearing again (recording resumed on this node): its directories are made anew.
    const again = await commitOf(spool, runFile('seg-1.ts').file, 0);
    expect(again.seq).toBe(0);
    expect(fs.existsSync(again.file)).toBe(true);
  });
});
