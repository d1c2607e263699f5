/**
 * The recorder's hub link against a tiny ws server in the test: requests and acks,
 * timeouts and refusals, reconnecting after the hub restarts, and telemetry that is
 * dropped rather than queued while offline.
 */
import { once } from 'node:events';
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { HattamaError, RECORDER_WS_PATH, silentLogger, type RecorderMessage } from '../core/index.ts';
import { HubAgent, HubRefusedError, recorderWsUrl } from './agent.ts';

type Answer = 'ok' | 'refuse' | 'silent';

/** Just enough of a hub: accepts (or refuses) upgrades, records frames, answers requests. */
class TinyHub {
  readonly server = http.createServer();
  readonly wss = new WebSocketServer({ noServer: true });
  readonly received: (RecorderMessage & { id?: string })[] = [];
  readonly upgrades: { path: string; nodeId: string | undefined; authorization: string | undefined }[] = [];
  /** How many upgrades to refuse with 401 before accepting. */
  refuseUpgrades = 0;
  answer: Answer = 'ok';

  private constructor() {
    this.server.on('upgrade', (req, socket, head) => {
      this.upgrades.push({
        path: req.url ?? '',
        nodeId: req.headers['x-hattama-node'] as string | undefined,
        authorization: req.headers.authorization,
      });
      if (this.refuseUpgrades > 0) {
        this.refuseUpgrades--;
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
  }

  static async start(port = 0): Promise<TinyHub> {
    const hub = new TinyHub();
    hub.server.listen(port, '127.0.0.1');
    await once(hub.server, 'listening');
    return hub;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private onConnection(ws: WebSocket): void {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as RecorderMessage & { id?: string };
      this.received.push(message);
      if (message.id === undefined || this.answer === 'silent') return;
      ws.send(
        JSON.stringify(
          this.answer === 'ok'
            ? { type: 'ack', id: message.id, ok: true }
            : {
                type: 'ack',
                id: message.id,
                ok: false,
                code: 'SEQ_GAP',
                message: 'mix expects seq 3, got 5',
              },
        ),
      );
    });
  }

  /** Sends a frame to every connected node. */
  broadcast(message: object): void {
    for (const ws of this.wss.clients) ws.send(JSON.stringify(message));
  }

  types(): string[] {
    return this.received.map((m) => m.type);
  }

  /** Drops every connection and stops listening, as a hub process that exits. */
  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const NODE_ID = 'node-1';
const TOKEN = 'node-1-secret-token';

const hubs: TinyHub[] = [];
const agents: HubAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(hubs.splice(0).map((h) => h.stop().catch(() => undefined)));
});

async function startHub(port = 0): Promise<TinyHub> {
  const hub = await TinyHub.start(port);
  hubs.push(hub);
  return hub;
}

function newAgent(hub: TinyHub, options: { requestTimeoutMs?: number } = {}): HubAgent {
  const agent = new HubAgent({
    hubUrl: hub.url,
    nodeId: NODE_ID,
    token: TOKEN,
    logger: silentLogger(),
    hello: async () => ({
      type: 'hello',
      nodeId: NODE_ID,
      versions: { hattama: 'test' },
      tracks: [],
      hearings: [],
    }),
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    maxBackoffMs: 100,
  });
  agents.push(agent);
  return agent;
}

async function connectedAgent(hub: TinyHub, options: { requestTimeoutMs?: number } = {}): Promise<HubAgent> {
  const agent = newAgent(hub, options);
  const connected = once(agent, 'connected');
  agent.start();
  await connected;
  return agent;
}

const drained = { type: 'drained', hearingId: 'h-1', lastSeq: { mix: 3 } } as const;
const levels = (atMs: number): Extract<RecorderMessage, { type: 'levels' }> => ({
  type: 'levels',
  atMs,
  hearingId: 'h-1',
  channels: [{ track: 'mic-1', rmsDb: -20, peakDb: -6 }],
});
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

describe('recorderWsUrl', () => {
  it('turns the hub URL into the ws URL of the recorder endpoint', () => {
    expect(recorderWsUrl('http://hub:8080')).toBe(`ws://hub:8080${RECORDER_WS_PATH}`);
    expect(recorderWsUrl('https://hub.court.kz/')).toBe(`wss://hub.court.kz${RECORDER_WS_PATH}`);
    expect(recorderWsUrl('ws://10.0.0.5:8080/anything')).toBe(`ws://10.0.0.5:8080${RECORDER_WS_PATH}`);
  });
});

describe('HubAgent', () => {
  it('dials the recorder endpoint with its node id and token, and says hello first', async () => {
    const hub = await startHub();
    const agent = await connectedAgent(hub);
    expect(agent.connected).toBe(true);
    expect(hub.upgrades).toEqual([
      { path: RECORDER_WS_PATH, nodeId: NODE_ID, authorization: `Bearer ${TOKEN}` },
    ]);
    await vi.waitFor(() => expect(hub.types()).toEqual(['hello']));
    expect(hub.received[0]).toMatchObject({ type: 'hello', nodeId: NODE_ID });
  });

  it('resolves a request with the ack that carries its id', async () => {
    const hub = await startHub();
    const agent = await connectedAgent(hub);
    const ack = await agent.request(drained);
    expect(ack).toMatchObject({ type: 'ack', ok: true });
    const sent = hub.received.find((m) => m.type === 'drained');
    expect(sent).toEqual({ ...drained, id: ack.id });
  });

  it('rejects a refused ack with HubRefusedError carrying the hub code', async () => {
    const hub = await startHub();
    hub.answer = 'refuse';
    const agent = await connectedAgent(hub);
    const error = await agent.request(drained).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubRefusedError);
    expect(error).toMatchObject({ code: 'CONFLICT', ack: { ok: false, code: 'SEQ_GAP' } });
    expect((error as Error).message).toContain('SEQ_GAP');
    expect(agent.connected).toBe(true);
  });

  it('rejects with BACKEND_UNAVAILABLE when the hub does not answer in time', async () => {
    const hub = await startHub();
    hub.answer = 'silent';
    const agent = await connectedAgent(hub, { requestTimeoutMs: 150 });
    const started = Date.now();
    const error = await agent.request(drained).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HattamaError);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // A late ack for the abandoned request is ignored; the link still works.
    hub.answer = 'ok';
    expect(await agent.request(drained)).toMatchObject({ ok: true });
  });

  it('rejects a request at once while offline', async () => {
    const hub = await startHub();
    const agent = newAgent(hub); // never started
    await expect(agent.request(drained)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('rejects waiting requests when the connection drops', async () => {
    const hub = await startHub();
    hub.answer = 'silent';
    const agent = await connectedAgent(hub, { requestTimeoutMs: 10_000 });
    const pending = agent.request(drained);
    await vi.waitFor(() => expect(hub.types()).toContain('drained'));
    const started = Date.now();
    await hub.stop();
    await expect(pending).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('hands commands from the hub to its listeners', async () => {
    const hub = await startHub();
    const agent = await connectedAgent(hub);
    const command = once(agent, 'command');
    hub.broadcast({
      type: 'command',
      commandId: 'c-1',
      action: 'start',
      hearingId: 'h-1',
      segmentSeconds: 4,
    });
    expect(await command).toEqual([
      { type: 'command', commandId: 'c-1', action: 'start', hearingId: 'h-1', segmentSeconds: 4 },
    ]);
  });

  it('ignores a malformed frame from the hub and keeps the link', async () => {
    const hub = await startHub();
    const agent = await connectedAgent(hub);
    hub.broadcast({ type: 'ack', id: 42 });
    hub.broadcast({
      type: 'error',
      code: 'MALFORMED_FRAME',
      message: 'frame is not a valid recorder message',
    });
    expect(await agent.request(drained)).toMatchObject({ ok: true });
  });

  it('reconnects after the hub restarts, says hello again, and serves requests', async () => {
    const first = await startHub();
    const agent = await connectedAgent(first);
    const port = first.port;

    const disconnected = once(agent, 'disconnected');
    await first.stop();
    await disconnected;
    expect(agent.connected).toBe(false);
    await expect(agent.request(drained)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });

    const connected = once(agent, 'connected');
    const second = await startHub(port);
    await connected;
    expect(agent.connected).toBe(true);
    await vi.waitFor(() => expect(second.types()).toEqual(['hello']));
    expect(await agent.request(drained)).toMatchObject({ ok: true });
  });

  it('drops telemetry sent while offline instead of replaying it later', async () => {
    const first = await startHub();
    const agent = await connectedAgent(first);
    agent.send(levels(T0));
    await vi.waitFor(() => expect(first.types()).toEqual(['hello', 'levels']));
    const port = first.port;
    const disconnected = once(agent, 'disconnected');
    await first.stop();
    await disconnected;

    agent.send(levels(T0 + 1000));
    agent.send({ type: 'status', atMs: T0 + 1000, spoolBytes: 1, spoolFreeBytes: 2, pendingSegments: 3 });

    const connected = once(agent, 'connected');
    const second = await startHub(port);
    await connected;
    agent.send(levels(T0 + 2000));
    await vi.waitFor(() => expect(second.types()).toEqual(['hello', 'levels']));
    expect(second.received[1]).toMatchObject({ atMs: T0 + 2000 });
  });

  it('keeps trying after the hub refuses the upgrade, and connects once it accepts', async () => {
    // A hub that is restarting behind a proxy, or a token that is being re-issued.
    const hub = await startHub();
    hub.refuseUpgrades = 2;
    const agent = newAgent(hub);
    const connected = once(agent, 'connected');
    agent.start();
    await vi.waitFor(() => expect(hub.upgrades.length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await connected;
    expect(agent.connected).toBe(true);
    expect(await agent.request(drained)).toMatchObject({ ok: true });
  });

  it('stops reconnecting once closed, and close is safe to call twice', async () => {
    const hub = await startHub();
    const agent = await connectedAgent(hub);
    await agent.close();
    await agent.close();
    expect(agent.connected).toBe(false);
    const upgrades = hub.upgrades.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(hub.upgrades.length).toBe(upgrades);
    await expect(agent.request(drained)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
