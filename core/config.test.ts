import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, describeConfig, loadConfig } from './index.ts';

describe('configuration', () => {
  it('has a default, a unit and a description for every key', () => {
    for (const spec of Object.values(CONFIG_KEYS)) {
      expect(spec.unit.length, spec.env).toBeGreaterThan(0);
      expect(spec.doc.length, spec.env).toBeGreaterThan(10);
      expect('default' in spec, spec.env).toBe(true);
    }
  });

  it('gives a working embedded configuration from an empty environment', () => {
    const c = loadConfig({}, '/srv/hattama');
    expect(c).toMatchObject({
      dataDir: '/srv/hattama/data',
      sqlitePath: '/srv/hattama/data/catalog.sqlite',
      objectsDir: '/srv/hattama/data/objects',
      port: 8080,
      host: '127.0.0.1',
      catalog: 'sqlite',
      objects: 'fs',
      queue: 'inline',
    });
  });

  it('names every invalid key at once', () => {
    let error: unknown;
    try {
      loadConfig({
        HATTAMA_PORT: 'eighty',
        HATTAMA_CATALOG: 'mysql',
        HATTAMA_LOG_LEVEL: 'loud',
        HATTAMA_S3_BUCKET: 'Bad_Bucket',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).issues.map((i) => i.key).sort();
    expect(keys).toEqual(['HATTAMA_CATALOG', 'HATTAMA_LOG_LEVEL', 'HATTAMA_PORT', 'HATTAMA_S3_BUCKET']);
    expect((error as ConfigError).message).toMatch(/HATTAMA_PORT: must be a whole number/);
  });

  it('requires connection settings for the scaled-out drivers', () => {
    expect(() => loadConfig({ HATTAMA_CATALOG: 'postgres', HATTAMA_OBJECTS: 's3' })).toThrow(
      /HATTAMA_DATABASE_URL: required[\s\S]*HATTAMA_S3_ENDPOINT: required[\s\S]*HATTAMA_S3_ACCESS_KEY[\s\S]*HATTAMA_S3_SECRET_KEY/,
    );
  });

  it('reads a secret from NAME_FILE and never echoes a bad secret', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-config-'));
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'a-long-admin-token-from-a-file\n');
    expect(loadConfig({ HATTAMA_ADMIN_TOKEN_FILE: file }).adminToken).toBe('a-long-admin-token-from-a-file');
    try {
      loadConfig({ HATTAMA_ADMIN_TOKEN: 'short-secret' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/HATTAMA_ADMIN_TOKEN/);
      expect((e as Error).message).not.toMatch(/short-secret/);
    }
    expect(() => loadConfig({ HATTAMA_ADMIN_TOKEN_FILE: path.join(dir, 'missing') })).toThrow(
      /HATTAMA_ADMIN_TOKEN_FILE: cannot read/,
    );
    expect(() =>
      loadConfig({ HATTAMA_ADMIN_TOKEN_FILE: file, HATTAMA_ADMIN_TOKEN: 'another-long-admin-token' }),
    ).toThrow(/either HATTAMA_ADMIN_TOKEN or HATTAMA_ADMIN_TOKEN_FILE/);
  });

  it('masks secrets when describing the effective configuration', () => {
    const c = loadConfig({
      HATTAMA_CATALOG: 'postgres',
      HATTAMA_DATABASE_URL: 'postgres://court:hunter2-password@db:5432/hattama',
      HATTAMA_ADMIN_TOKEN: 'admin-token-that-is-long',
    });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toMatch(/hunter2/);
    expect(text).not.toMatch(/admin-token-that-is-long/);
    expect(text).toMatch(/court:\*\*\*\*@db:5432/);
  });
});
