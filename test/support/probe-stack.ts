/**
 * The one-door probe's stack: one embedded hub (`startRole('all')`, SQLite, the local
 * object store, the demo recorder node) with HATTAMA_COURT_NETWORKS=127.0.0.3/32, so a
 * request from 127.0.0.3 is on site and one from 127.0.0.1 is off site; log-in, raw
 * requests as a person, and the console's live feed as a ws client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startRole, type Running } from '../../cli/commands/serve.ts';
import { RECORDER_WS_PATH, createLogger, loadConfig, type Config } from '../../core/index.ts';
import { rawRequest, type RawRequest, type Reply } from './security-probes.ts';

export const PASSWORD = 'one-door-probe-password-42';
export const OFF_SITE = '127.0.0.1';
export const ON_SITE = '127.0.0.3';
export const SESSION_COOKIE = 'hattama_session';

export interface Session {
  login: string;
  token: string;
  csrf: string;
}

export interface ProbeStack {
  tmp: string;
  config: Config;
  running: Running;
  base: string;
  adminToken: string;
  close(): Promise<void>;
}

export async function startProbeStack(env: Record<string, string> = {}): Promise<ProbeStack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-one-door-'));
  const config = loadConfig({
    HATTAMA_DATA_DIR: tmp,
    HATTAMA_PORT: '0',
    HATTAMA_LOG_LEVEL: process.env.HATTAMA_TEST_LOG_LEVEL ?? 'silent',
    HATTAMA_RECORDER_SOURCES: 'demo',
    HATTAMA_SEGMENT_SECONDS: '2',
    HATTAMA_DEMO_PASSWORD: PASSWORD,
    HATTAMA_COURT_NETWORKS: `${ON_SITE}/32`,
    HATTAMA_LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    HATTAMA_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    ...env,
  });
  const running = await startRole('all', config, createLogger({ level: config.logLevel }));
  return {
    tmp,
    config,
    running,
    base: running.url!,
    adminToken: running.adminToken!,
    async close() {
      await running.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function logIn(base: string, login: string, from = OFF_SITE): Promise<Session> {
  const reply = await rawRequest(base, {
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: PASSWORD }),
    from,
  });
  if (reply.status !== 200) throw new Error(`log-in of ${login}: ${reply.status} ${reply.text}`);
  const cookie = String(reply.headers['set-cookie']?.[0] ?? '');
  const token = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(cookie)?.[1];
  if (!token) throw new Error(`log-in of ${login} set no session cookie: ${cookie}`);
  return { login, token, csrf: (reply.json as { csrfToken: string }).csrfToken };
}

/** A request as a person: a session (cookie + CSRF on writes) or the administrator token. */
export function asPerson(
  who: Session | { bearer: string },
  r: { method?: string; path: string; from: string; body?: unknown; headers?: Record<string, string> },
): RawRequest {
  const method = r.method ?? 'GET';
  const headers: Record<string, string> = { ...r.headers };
  if ('bearer' in who) headers.authorization = `Bearer ${who.bearer}`;
  else {
    headers.cookie = `${SESSION_COOKIE}=${who.token}`;
    if (method !== 'GET') headers['x-csrf-token'] = who.csrf;
  }
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method,
    path: r.path,
    headers,
    from: r.from,
    ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
  };
}

export function send(base: string, r: RawRequest): Promise<Reply> {
  return rawRequest(base, r);
}

export interface LiveAttempt {
  /** The HTTP status of a refused upgrade, or 101 when the socket opened. */
  status: number;
  frames: string[];
}

/** Opens the console's live feed with a session cookie, collects frames for `ms`, closes it. */
export function watchLive(
  base: string,
  session: Session | null,
  options: { from: string; ms: number },
): Promise<LiveAttempt> {
  const url = base.replace(/^http/, 'ws') + '/api/live';
  return new Promise((resolve) => {
    const frames: string[] = [];
    const ws = new WebSocket(url, {
      localAddress: options.from,
      headers: session ? { cookie: `${SESSION_COOKIE}=${session.token}` } : {},
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, frames });
      ws.terminate();
    });
    ws.on('error', () => resolve({ status: 0, frames }));
    ws.on('message', (data: WebSocket.RawData) => frames.push(String(data)));
    ws.on('open', () =>
      setTimeout(() => {
        ws.close();
        resolve({ status: 101, frames });
      }, options.ms),
    );
  });
}

/** A recorder connection with a node id and token; returns the socket once open, or the refusal status. */
export function connectRecorder(
  base: string,
  nodeId: string | null,
  token: string | null,
): Promise<{ ws: WebSocket | null; status: number }> {
  const url = base.replace(/^http/, 'ws') + RECORDER_WS_PATH;
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    if (nodeId) headers['x-hattama-node'] = nodeId;
    if (token) headers.authorization = `Bearer ${token}`;
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ ws: null, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => resolve({ ws: null, status: 0 }));
    ws.on('open', () => resolve({ ws, status: 101 }));
  });
}

/** Sends one request-style recorder message and waits for its ack. */
export function recorderAsk(
  ws: WebSocket,
  message: { id: string } & Record<string, unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${message.id}`)), 10_000);
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as { type?: string; id?: string };
      if (m.type === 'ack' && m.id === message.id) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(m);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(message));
  });
}
