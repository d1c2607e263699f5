/**
 * The hub's end of the recorder link: a ws endpoint that recorder nodes dial out to.
 * A node is authenticated in the upgrade request (its id and token, checked by the
 * court's recorder-node service); an unknown or revoked node gets 401 and no socket.
 * Every frame is validated with zod; a malformed frame is answered with an error and
 * the connection kept, a frame over the size limit closes it (1009). Registrations,
 * markers and "drained" are answered with `ack`; commands go the other way.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  HattamaError,
  MAX_FRAME_BYTES,
  RECORDER_WS_PATH,
  errorMessage,
  recorderMessageSchema,
  type AlarmKind,
  type Clock,
  type HubMessage,
  type Logger,
  type RecorderMessage,
} from '../../core/index.ts';
import type { AuthenticatedNode } from '../../court/index.ts';

export { hashNodeToken } from '../../court/index.ts';

/** What the gateway needs of the court about nodes: their tokens and their last sighting. */
export interface NodeDirectory {
  authenticate(nodeId: string, token: string): Promise<AuthenticatedNode | null>;
  seen(nodeId: string): Promise<void>;
}

export interface NodeLive {
  nodeId: string;
  courtroomId: string | null;
  connectedAtMs: number;
  tracks: { name: string; kind: string }[];
  levels: {
    atMs: number;
    hearingId: string | null;
    channels: { track: string; rmsDb: number | null; peakDb: number | null }[];
  } | null;
  alarms: {
    kind: AlarmKind;
    hearingId: string | null;
    track: string | null;
    message: string;
    atMs: number;
  }[];
  status: { spoolBytes: number; spoolFreeBytes: number; pendingSegments: number; atMs: number } | null;
}

interface GatewayEvents {
  /** Telemetry and state changes for live pages; `courtroomId` is the node's, for their court filter. */
  live: [
    {
      nodeId: string;
      courtroomId: string | null;
      message: RecorderMessage | { type: 'online' | 'offline' };
    },
  ];
}

export interface RecorderHandlers {
  hello(nodeId: string, message: Extract<RecorderMessage, { type: 'hello' }>): Promise<void>;
  register(
    nodeId: string,
    message: Extract<RecorderMessage, { type: 'register' }>,
  ): Promise<{ duplicate: boolean }>;
  marker(nodeId: string, message: Extract<RecorderMessage, { type: 'marker' }>): Promise<void>;
  drained(nodeId: string, message: Extract<RecorderMessage, { type: 'drained' }>): Promise<void>;
}

export class CommandFailedError extends HattamaError {
  constructor(nodeId: string, code: string, message: string) {
    super('BACKEND_UNAVAILABLE', `recorder ${nodeId} could not apply the command: ${message}`, {
      expected: true,
      status: 502,
      details: { nodeId, code },
    });
  }
}

export class RecorderGateway extends EventEmitter<GatewayEvents> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly live = new Map<string, NodeLive>();
  private readonly commands = new Map<
    string,
    { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private handlers: RecorderHandlers | null = null;

  constructor(
    private readonly d: { nodes: NodeDirectory; clock: Clock; logger: Logger; commandTimeoutMs?: number },
  ) {
    super();
  }

  setHandlers(handlers: RecorderHandlers): void {
    this.handlers = handlers;
  }

  /** Takes over upgrade requests to the recorder path of an HTTP server. */
  attach(server: http.Server): void {
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://hub');
      if (url.pathname !== RECORDER_WS_PATH) return; // another endpoint's upgrade
      void this.upgrade(req, socket, head);
    });
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const nodeId = String(req.headers['x-hattama-node'] ?? '');
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const address = req.socket.remoteAddress ?? null;
    const refuse = (status: number, reason: string) => {
      this.d.logger.warn({ recorderId: nodeId || null, address, reason }, 'refused a recorder connection');
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    };
    try {
      const node = nodeId ? await this.d.nodes.authenticate(nodeId, token) : null;
      if (!node) return refuse(401, 'unknown node or wrong token');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, nodeId, node.courtroomId));
    } catch (error) {
      this.d.logger.error({ err: error }, 'recorder upgrade failed');
      refuse(400, errorMessage(error));
    }
  }

  private onConnection(ws: WebSocket, nodeId: string, courtroomId: string | null): void {
    const log = this.d.logger.child({ recorderId: nodeId });
    const previous = this.sockets.get(nodeId);
    if (previous) previous.close(4000, 'replaced by a newer connection of the same node');
    this.sockets.set(nodeId, ws);
    this.live.set(nodeId, {
      nodeId,
      courtroomId,
      connectedAtMs: this.d.clock.now(),
      tracks: [],
      levels: null,
      alarms: [],
      status: null,
    });
    log.info('recorder connected');
    this.emit('live', { nodeId, courtroomId, message: { type: 'online' } });
    this.d.nodes
      .seen(nodeId)
      .catch((error: unknown) => log.warn({ err: error }, 'could not note that the recorder was seen'));

    ws.on(
      'message',
      (data, isBinary) => void this.onFrame(ws, nodeId, isBinary ? null : data.toString(), log),
    );
    ws.on('close', (code) => {
      if (this.sockets.get(nodeId) === ws) {
        this.sockets.delete(nodeId);
        this.live.delete(nodeId);
        this.emit('live', { nodeId, courtroomId, message: { type: 'offline' } });
      }
      log.info({ code }, 'recorder disconnected');
    });
    ws.on('error', (error) => log.warn({ err: error }, 'recorder connection error'));
  }

  private send(ws: WebSocket, message: HubMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  private async onFrame(ws: WebSocket, nodeId: string, text: string | null, log: Logger): Promise<void> {
    let message: RecorderMessage;
    try {
      if (text === null) throw new Error('binary frames are not part of the protocol');
      message = recorderMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'refused a malformed frame from a recorder');
      this.send(ws, {
        type: 'error',
        code: 'MALFORMED_FRAME',
        message: 'frame is not a valid recorder message',
      });
      return;
    }
    const live = this.live.get(nodeId);
    const courtroomId = live?.courtroomId ?? null;
    switch (message.type) {
      case 'hello':
        if (message.nodeId !== nodeId) {
          this.send(ws, { type: 'error', code: 'NODE_MISMATCH', message: 'hello names another node' });
          ws.close(4001, 'node mismatch');
          return;
        }
        if (live) live.tracks = message.tracks.map((t) => ({ name: t.name, kind: t.kind }));
        this.emit('live', { nodeId, courtroomId, message });
        void this.handlers
          ?.hello(nodeId, message)
          .catch((e: unknown) => log.error({ err: e }, 'hello handling failed'));
        return;
      case 'levels':
        if (live)
          live.levels = { atMs: message.atMs, hearingId: message.hearingId, channels: message.channels };
        this.emit('live', { nodeId, courtroomId, message });
        return;
      case 'alarm':
        if (live) {
          live.alarms = live.alarms.filter((a) => !(a.kind === message.kind && a.track === message.track));
          if (message.active)
            live.alarms.push({
              kind: message.kind,
              hearingId: message.hearingId,
              track: message.track,
              message: message.message,
              atMs: message.atMs,
            });
        }
        (message.active ? log.warn.bind(log) : log.info.bind(log))(
          { alarm: message.kind, track: message.track },
          message.message,
        );
        this.emit('live', { nodeId, courtroomId, message });
        return;
      case 'status':
        if (live) live.status = { ...message };
        this.emit('live', { nodeId, courtroomId, message });
        return;
      case 'command-result': {
        const waiting = this.commands.get(message.commandId);
        if (!waiting) return;
        clearTimeout(waiting.timer);
        this.commands.delete(message.commandId);
        if (message.ok) waiting.resolve();
        else
          waiting.reject(
            new CommandFailedError(nodeId, message.code ?? 'FAILED', message.message ?? 'no reason given'),
          );
        return;
      }
      case 'register':
      case 'marker':
      case 'drained':
        await this.answer(ws, nodeId, message, log);
        return;
      default:
        return message satisfies never;
    }
  }

  private async answer(
    ws: WebSocket,
    nodeId: string,
    message: Extract<RecorderMessage, { id: string }>,
    log: Logger,
  ): Promise<void> {
    const handlers = this.handlers;
    if (!handlers) {
      this.send(ws, {
        type: 'ack',
        id: message.id,
        ok: false,
        code: 'NOT_READY',
        message: 'hub is starting',
      });
      return;
    }
    try {
      if (message.type === 'register') {
        const result = await handlers.register(nodeId, message);
        this.send(ws, {
          type: 'ack',
          id: message.id,
          ok: true,
          ...(result.duplicate ? { code: 'SEGMENT_DUPLICATE' } : {}),
        });
        if (!result.duplicate)
          this.emit('live', { nodeId, courtroomId: this.live.get(nodeId)?.courtroomId ?? null, message });
      } else if (message.type === 'marker') {
        await handlers.marker(nodeId, message);
        this.send(ws, { type: 'ack', id: message.id, ok: true });
      } else {
        await handlers.drained(nodeId, message);
        this.send(ws, { type: 'ack', id: message.id, ok: true });
      }
    } catch (error) {
      const refusal =
        error instanceof HattamaError
          ? String((error.details as { refusal?: string } | undefined)?.refusal ?? error.code)
          : 'INTERNAL';
      if (!(error instanceof HattamaError) || !error.expected)
        log.error({ err: error }, `${message.type} failed`);
      else
        log.warn(
          { refusal, reason: error.message, type: message.type },
          `refused a recorder ${message.type}`,
        );
      this.send(ws, { type: 'ack', id: message.id, ok: false, code: refusal, message: errorMessage(error) });
    }
  }

  /** The connected node that records a courtroom, if any. */
  nodeForCourtroom(courtroomId: string): string | null {
    for (const l of this.live.values()) if (l.courtroomId === courtroomId) return l.nodeId;
    return null;
  }

  isOnline(nodeId: string): boolean {
    return this.sockets.has(nodeId);
  }

  liveState(): NodeLive[] {
    return [...this.live.values()];
  }

  /** Sends a command and waits for the node's result. */
  async command(
    nodeId: string,
    command: { action: 'start' | 'pause' | 'resume' | 'stop'; hearingId: string; segmentSeconds?: number },
  ): Promise<void> {
    const ws = this.sockets.get(nodeId);
    if (!ws) throw new CommandFailedError(nodeId, 'OFFLINE', 'the node is not connected');
    const commandId = crypto.randomUUID();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commands.delete(commandId);
        reject(new CommandFailedError(nodeId, 'TIMEOUT', 'no answer in time'));
      }, this.d.commandTimeoutMs ?? 20_000);
      this.commands.set(commandId, { resolve, reject, timer });
      this.send(ws, { type: 'command', commandId, ...command });
    });
  }

  /** Closes every recorder connection; safe to call twice. */
  async close(): Promise<void> {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    for (const c of this.commands.values()) clearTimeout(c.timer);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
