/**
 * The recorder's link to the hub: one outbound ws connection (the node may sit behind
 * NAT), authenticated with the node's token, reconnecting with capped backoff. Requests
 * (registrations, markers, drained) wait for the hub's `ack`; telemetry (levels,
 * alarms, status) is sent when connected and dropped otherwise. Recording never waits
 * for the hub: what must not be lost sits in the spool until acknowledged.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  BackendUnavailableError,
  HattamaError,
  MAX_FRAME_BYTES,
  RECORDER_WS_PATH,
  hubMessageSchema,
  type HubMessage,
  type Logger,
  type RecorderCommand,
  type RecorderMessage,
} from '../core/index.ts';

type Ack = Extract<HubMessage, { type: 'ack' }>;
type RequestMessage = Extract<RecorderMessage, { id: string }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The hub answered a request with ok: false. */
export class HubRefusedError extends HattamaError {
  constructor(readonly ack: Ack) {
    super('CONFLICT', `hub refused: ${ack.code ?? 'UNKNOWN'}: ${ack.message ?? ''}`, {
      expected: true,
      details: { code: ack.code },
    });
  }
}

interface AgentEvents {
  connected: [];
  disconnected: [];
  command: [RecorderCommand];
}

export interface AgentOptions {
  hubUrl: string;
  nodeId: string;
  token: string;
  logger: Logger;
  /** Builds the hello sent after every (re)connect. */
  hello: () => Promise<Extract<RecorderMessage, { type: 'hello' }>>;
  requestTimeoutMs?: number;
  maxBackoffMs?: number;
}

export function recorderWsUrl(hubUrl: string): string {
  const u = new URL(hubUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = RECORDER_WS_PATH;
  return u.toString();
}

export class HubAgent extends EventEmitter<AgentEvents> {
  private ws: WebSocket | null = null;
  private ready = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private waiting = new Map<
    string,
    { resolve: (a: Ack) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly o: AgentOptions) {
    super();
  }

  get connected(): boolean {
    return this.ready;
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(recorderWsUrl(this.o.hubUrl), {
      headers: { authorization: `Bearer ${this.o.token}`, 'x-hattama-node': this.o.nodeId },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      void this.o
        .hello()
        .then((hello) => {
          ws.send(JSON.stringify(hello));
          this.ready = true;
          this.o.logger.info({ hub: this.o.hubUrl }, 'connected to the hub');
          this.emit('connected');
        })
        .catch((error: unknown) => {
          this.o.logger.error({ err: error }, 'could not build hello');
          ws.close();
        });
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('unexpected-response', (_req, res) => {
      this.o.logger.error(
        { status: res.statusCode },
        'the hub refused this node (check HATTAMA_RECORDER_TOKEN)',
      );
      // With a listener here, ws leaves the handshake to us and never emits 'close':
      // abort it, or the node would never try again (a hub restarting behind a proxy, a re-issued token).
      res.resume();
      ws.terminate();
    });
    ws.on('error', (error) => this.o.logger.debug({ err: error }, 'hub connection error'));
    ws.on('close', () => {
      const wasReady = this.ready;
      this.ready = false;
      this.ws = null;
      for (const [id, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new BackendUnavailableError('hub', 'connection closed before the answer'));
        this.waiting.delete(id);
      }
      if (wasReady) {
        this.o.logger.warn('lost the hub connection; recording continues into the spool');
        this.emit('disconnected');
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const cap = this.o.maxBackoffMs ?? 5000;
    const delay = Math.min(cap, 200 * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private onMessage(text: string): void {
    let parsed: HubMessage;
    try {
      parsed = hubMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      this.o.logger.warn({ err: error }, 'ignoring a malformed message from the hub');
      return;
    }
    switch (parsed.type) {
      case 'ack': {
        const w = this.waiting.get(parsed.id);
        if (!w) return;
        clearTimeout(w.timer);
        this.waiting.delete(parsed.id);
        w.resolve(parsed);
        return;
      }
      case 'command':
        this.emit('command', parsed);
        return;
      case 'error':
        this.o.logger.warn({ code: parsed.code, message: parsed.message }, 'the hub reported an error');
        return;
      default:
        return parsed satisfies never;
    }
  }

  /** Sends a request and waits for its ack; throws when offline, timed out, or refused. */
  async request(message: DistributiveOmit<RequestMessage, 'id'>): Promise<Ack> {
    const ws = this.ws;
    if (!ws || !this.ready) throw new BackendUnavailableError('hub', 'not connected');
    const id = crypto.randomUUID();
    const ack = await new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new BackendUnavailableError('hub', 'no answer in time'));
      }, this.o.requestTimeoutMs ?? 15_000);
      this.waiting.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...message, id }), (error) => {
        if (error) {
          clearTimeout(timer);
          this.waiting.delete(id);
          reject(new BackendUnavailableError('hub', error.message, { cause: error }));
        }
      });
    });
    if (!ack.ok) throw new HubRefusedError(ack);
    return ack;
  }

  /** Fire-and-forget telemetry; dropped when offline (it is only useful live). */
  send(message: Exclude<RecorderMessage, RequestMessage>): void {
    if (this.ws && this.ready) this.ws.send(JSON.stringify(message));
  }

  /** Resolves once connected (or immediately if connected). */
  async waitConnected(signal?: AbortSignal): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.off('connected', onConnected);
        reject(new BackendUnavailableError('hub', 'gave up waiting'));
      };
      const onConnected = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.once('connected', onConnected);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'node shutting down');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
  }
}
