/**
 * A hub and a worker of a scaled-out deployment may share a host: the worker answers its
 * health check on HATTAMA_WORKER_PORT, never on the hub's HATTAMA_PORT.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { createLogger, loadConfig } from '../core/index.ts';

describe('two roles on one host', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-roles-'));
  const running: Running[] = [];

  afterAll(async () => {
    for (const r of running.reverse()) await r.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts a worker beside a hub that holds HATTAMA_PORT, on a port of its own', async () => {
    const logger = createLogger({ level: 'silent' });
    const hub = await startRole('hub', loadConfig({ HATTAMA_DATA_DIR: dir, HATTAMA_PORT: '0' }), logger);
    running.push(hub);
    const hubPort = new URL(hub.url!).port;
    const worker = await startRole(
      'worker',
      loadConfig({ HATTAMA_DATA_DIR: dir, HATTAMA_PORT: hubPort, HATTAMA_WORKER_PORT: '0' }),
      logger,
    );
    running.push(worker);
    expect(new URL(worker.url!).port).not.toBe(hubPort);
    const health = await fetch(`${worker.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});
