/**
 * `hattama users …` end to end: the real CLI in a child process over an embedded data
 * directory, checked through the catalog it leaves behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, createRepositories, type Repositories } from '../storage/index.ts';
import { verifyPassword } from '../court/index.ts';

let dataDir: string;
let catalog: Catalog | null = null;

/** The child's environment: this machine's HATTAMA_* settings must not leak into the run. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HATTAMA_')));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function hattama(args: string[], input?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/hattama.js', ...args], {
      env: { ...childEnv, HATTAMA_DATA_DIR: dataDir },
      cwd: process.cwd(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The catalog the CLI wrote, opened after the child has exited. */
async function repos(): Promise<Repositories> {
  catalog ??= await Catalog.open({ dialect: 'sqlite', path: path.join(dataDir, 'catalog.sqlite') });
  return createRepositories(catalog.db);
}

async function passwordWorks(login: string, password: string): Promise<boolean> {
  const user = await (await repos()).users.findByLogin(login);
  return user !== undefined && (await verifyPassword(password, user.password_hash));
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-users-cli-'));
});

afterAll(async () => {
  await catalog?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('hattama users', () => {
  it('adds a user with a generated password printed once', async () => {
    const r = await hattama(['users', 'add', 'Aliya.Judge', '--role', 'judge', '--name', 'Алия Судья']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created user aliya\.judge \(judge, "Алия Судья"\)/);
    const password = /password: (\S+)/.exec(r.stdout)?.[1];
    expect(password).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(await passwordWorks('aliya.judge', password!)).toBe(true);
  });

  it('adds a user with a password from a file or from stdin, and prints none', async () => {
    const file = path.join(dataDir, 'pw.txt');
    fs.writeFileSync(file, 'password-from-a-file\n', { mode: 0o600 });
    const a = await hattama([
      'users',
      'add',
      'secretary-1',
      '--role',
      'secretary',
      '--password-file',
      file,
      '--json',
    ]);
    expect(a.code).toBe(0);
    const body = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ user: { login: 'secretary-1', role: 'secretary', disabled: false } });
    expect(body).not.toHaveProperty('password');
    expect(a.stdout).not.toMatch(/password-from-a-file|scrypt/);
    expect(await passwordWorks('secretary-1', 'password-from-a-file')).toBe(true);

    const b = await hattama(
      ['users', 'add', 'party-1', '--role', 'party', '--password-stdin'],
      'password-from-stdin\n',
    );
    expect(b.code).toBe(0);
    expect(b.stdout).not.toContain('password-from-stdin');
    expect(await passwordWorks('party-1', 'password-from-stdin')).toBe(true);
  });

  it('links a user to the courts given with --court, and refuses an unknown court', async () => {
    await (
      await repos()
    ).courts.insertCourt({ id: 'almaty-city', name: 'Almaty City Court', created_at: Date.now() });
    const file = path.join(dataDir, 'pw-op.txt');
    fs.writeFileSync(file, 'operator-password');
    const ok = await hattama([
      'users',
      'add',
      'operator-1',
      '--role',
      'operator',
      '--court',
      'almaty-city',
      '--password-file',
      file,
    ]);
    expect(ok.code).toBe(0);
    const user = await (await repos()).users.findByLogin('operator-1');
    expect(await (await repos()).users.courtIds(user!.id)).toEqual(['almaty-city']);
    const bad = await hattama([
      'users',
      'add',
      'operator-2',
      '--role',
      'operator',
      '--court',
      'nowhere',
      '--password-file',
      file,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/court "nowhere" does not exist/);
    expect(await (await repos()).users.findByLogin('operator-2')).toBeUndefined();
  });

  it('refuses an unknown role with exit 2, naming the roles, and adds nothing', async () => {
    const r = await hattama(['users', 'add', 'mallory', '--role', 'king']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown role "king".*administrator.*higher-court-judge.*auditor/);
    expect(await (await repos()).users.findByLogin('mallory')).toBeUndefined();
  });

  it('refuses bad usage with exit 2: a taken login, a short password, two password sources, a missing role, a bad login', async () => {
    const file = path.join(dataDir, 'pw2.txt');
    fs.writeFileSync(file, 'another-long-password');
    const cases: [string[], string | undefined, RegExp][] = [
      [['users', 'add', 'aliya.judge', '--role', 'party'], undefined, /already exists/],
      [['users', 'add', 'shorty', '--role', 'party', '--password-stdin'], 'short', /at least 10 characters/],
      [
        ['users', 'add', 'twice', '--role', 'party', '--password-file', file, '--password-stdin'],
        'x',
        /either --password-file or --password-stdin/,
      ],
      [['users', 'add', 'no-role'], undefined, /--role/],
      [['users', 'add', 'Bad Login!', '--role', 'party'], undefined, /invalid login/],
      [
        ['users', 'add', 'no-file', '--role', 'party', '--password-file', path.join(dataDir, 'missing')],
        undefined,
        /cannot read the password file/,
      ],
    ];
    for (const [args, input, message] of cases) {
      const r = await hattama(args, input);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const logins = (await (await repos()).users.list()).map((u) => u.login);
    expect(logins).not.toContain('shorty');
    expect(logins).not.toContain('twice');
  });

  it('sets a new password: the old one stops working', async () => {
    const r = await hattama(['users', 'passwd', 'party-1', '--password-stdin'], 'a brand new password\n');
    expect(r.code).toBe(0);
    expect(await passwordWorks('party-1', 'a brand new password')).toBe(true);
    expect(await passwordWorks('party-1', 'password-from-stdin')).toBe(false);
    const generated = await hattama(['users', 'passwd', 'party-1', '--json']);
    expect(generated.code).toBe(0);
    const { password } = JSON.parse(generated.stdout) as { password: string };
    expect(await passwordWorks('party-1', password)).toBe(true);
  });

  it('refuses an unknown user with exit 2', async () => {
    for (const args of [
      ['users', 'passwd', 'nobody'],
      ['users', 'disable', 'nobody'],
      ['users', 'enable', 'nobody'],
    ]) {
      const r = await hattama(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/there is no user "nobody"/);
    }
  });

  it('disables a user, and lists users without their password hashes', async () => {
    const d = await hattama(['users', 'disable', 'secretary-1']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/disabled secretary-1/);
    expect((await (await repos()).users.findByLogin('secretary-1'))?.disabled_at).toEqual(expect.any(Number));

    const list = await hattama(['users', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(/scrypt|password/);
    const users = JSON.parse(list.stdout) as { login: string; role: string; disabled: boolean }[];
    expect(users.map((u) => [u.login, u.role, u.disabled])).toEqual([
      ['aliya.judge', 'judge', false],
      ['operator-1', 'operator', false],
      ['party-1', 'party', false],
      ['secretary-1', 'secretary', true],
    ]);
    const table = await hattama(['users', 'list']);
    expect(table.stdout).toMatch(/^login\s+role\s+name\s+state\s+courts$/m);
    expect(table.stdout).toMatch(/^operator-1\s+operator\s+operator-1\s+active\s+almaty-city$/m);
    expect(table.stdout).toMatch(/^secretary-1\s+secretary\s+secretary-1\s+disabled$/m);

    expect((await hattama(['users', 'enable', 'secretary-1'])).code).toBe(0);
    expect((await (await repos()).users.findByLogin('secretary-1'))?.disabled_at).toBeNull();
  });

  it('records every account change in the audit log, without passwords', async () => {
    const entries = await (await repos()).auditLog.list();
    expect(entries.map((e) => `${e.action} ${e.target}`)).toEqual([
      'user.create user:aliya.judge',
      'user.create user:secretary-1',
      'user.create user:party-1',
      'user.create user:operator-1',
      'user.password user:party-1',
      'user.password user:party-1',
      'user.disable user:secretary-1',
      'user.enable user:secretary-1',
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/password-from|brand new/);
  });
});
