/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: every
 * service's environment must pass the real configuration schema, every build context
 * must have a Dockerfile, and every role it runs must be a real `hattama` command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../core/index.ts';

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  secrets?: string[];
}
const compose = parse(fs.readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const hattamaServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
const knownEnv = new Set(Object.values(CONFIG_KEYS).map((k) => k.env));
const secretEnv = new Set(
  Object.values(CONFIG_KEYS)
    .filter((k) => 'secret' in k && k.secret)
    .map((k) => k.env),
);

describe('docker-compose.yml', () => {
  it('runs the hub, a worker and a recorder from the project image, beside MinIO, PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['minio', 'minio-init', 'postgres', 'redis', 'hub', 'worker', 'recorder']),
    );
    expect(hattamaServices.map(([name]) => name).sort()).toEqual(['hub', 'recorder', 'worker']);
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build === undefined) expect(s.image, name).toMatch(/^[a-z0-9/._-]+:[a-z0-9._-]+$/);
    }
  });

  it('builds from a context that has a Dockerfile', () => {
    for (const [, s] of hattamaServices) {
      const context = typeof s.build === 'string' ? s.build : s.build!.context;
      expect(fs.existsSync(path.join(context, 'Dockerfile'))).toBe(true);
    }
  });

  it('creates the bucket with object locking', () => {
    expect(JSON.stringify(compose.services['minio-init']!.command)).toMatch(/mc mb [^"]*--with-lock/);
  });

  it('sets only configuration keys the schema knows, and _FILE only for secrets', () => {
    for (const [name, s] of hattamaServices) {
      for (const key of Object.keys(s.environment ?? {})) {
        if (key.endsWith('_FILE')) expect(secretEnv.has(key.slice(0, -5)), `${name}: ${key}`).toBe(true);
        else expect(knownEnv.has(key), `${name}: ${key}`).toBe(true);
      }
    }
  });

  it('gives every service an environment the configuration schema accepts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-compose-'));
    const fakeSecret: Record<string, string> = {
      database_url: 'postgres://hattama:pw@postgres:5432/hattama',
    };
    for (const [name, s] of hattamaServices) {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!key.endsWith('_FILE')) {
          env[key] = String(value);
          continue;
        }
        const secretName = path.basename(String(value));
        expect(s.secrets ?? [], `${name} mounts ${secretName}`).toContain(secretName);
        expect(compose.secrets[secretName], `secret ${secretName} is declared`).toBeDefined();
        const file = path.join(dir, secretName);
        fs.writeFileSync(file, fakeSecret[secretName] ?? 'x'.repeat(48));
        env[key] = file;
      }
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('runs only roles that the hattama command has', () => {
    const help = execFileSync(process.execPath, ['bin/hattama.js', '--help'], { encoding: 'utf8' });
    for (const [name, s] of hattamaServices) {
      const role = Array.isArray(s.command) ? s.command[0] : String(s.command).split(' ')[0];
      expect(help, `${name} runs "${role}"`).toMatch(new RegExp(`^\\s+${role}\\b`, 'm'));
    }
  });
});
