/**
 * The operator's console live feed: a ws endpoint (/api/live) for logged-in court staff,
 * authenticated by the session cookie in the upgrade request, that forwards recorder
 * telemetry (levels, alarms, status, online/offline, new segments) as it arrives.
 * Nothing recorded passes through here: levels and alarms only.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock, Logger } from '../../core/index.ts';
import { SESSION_COOKIE, type AuthUser, type SessionService } from '../auth/index.ts';
import { decide } from '../../court/index.ts';
import type { RecorderGateway } from './recorder-gateway.ts';

export const LIVE_WS_PATH = '/api/live';

/**
 * Whether the policy lets this user watch the recorders (`recorders.watch`, the same rule
 * as GET /api/recorders). A system action depends on the role alone; the user comes from a
 * live session, which a disabled account does not have.
 */
export function mayWatchLive(user: AuthUser, nowMs: number): boolean {
  return decide({
    viewer: {
      userId: user.id,
      role: user.role,
      disabled: false,
      caseLinks: [],
      assignments: [],
      courtIds: [],
    },
    hearing: null,
    action: 'recorders.watch',
    place: { onSite: false, how: 'remote' },
    nowMs,
  }).allow;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export class LiveGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<WebSocket>();

  constructor(
    private readonly d: {
      sessions: SessionService;
      recorders: RecorderGateway;
      clock: Clock;
      logger: Logger;
    },
  ) {
    d.recorders.on('live', (event) => {
      const text = JSON.stringify(event);
      for (const ws of this.clients)
        if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20) ws.send(text);
    });
  }

  attach(server: http.Server): void {
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://hub').pathname !== LIVE_WS_PATH) return;
      void this.upgrade(req, socket, head);
    });
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let user: AuthUser | null = null;
    try {
      user = (await this.d.sessions.resolve(cookieValue(req.headers.cookie, SESSION_COOKIE)))?.user ?? null;
    } catch (error) {
      this.d.logger.warn({ err: error }, 'live feed: session lookup failed');
    }
    if (!user || !mayWatchLive(user, this.d.clock.now())) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.clients.add(ws);
      ws.on('close', () => this.clients.delete(ws));
      ws.on('message', () => undefined); // the feed is one-way
      ws.send(
        JSON.stringify({ nodeId: null, message: { type: 'hello', recorders: this.d.recorders.liveState() } }),
      );
    });
  }

  async close(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
