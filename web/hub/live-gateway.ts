/**
 * The operator's console live feed: a ws endpoint (/api/live) for logged-in court staff,
 * authenticated by the session cookie in the upgrade request, that forwards recorder
 * telemetry (levels, alarms, status, online/offline, new segments) as it arrives.
 * Nothing recorded passes through here: levels and alarms only.
 *
 * Who may watch, and which nodes, is the court's (`recorders.watch` and the court
 * filter of RecorderNodesService): each socket gets only the nodes of its viewer's
 * courts. A socket lives no longer than its session: every client's session is checked
 * again on a timer and as soon as the catalog changes (log-out, a disabled account), and
 * the socket is closed with SESSION_ENDED_CLOSE and the reason (`session-revoked`,
 * `user-disabled`, `session-idle`, `session-expired`). The check does not count as
 * activity: a console left open does not keep its session alive.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock, Logger } from '../../core/index.ts';
import type { CatalogChanges } from '../../storage/index.ts';
import { SESSION_COOKIE } from '../auth/index.ts';
import type { SessionService } from '../../court/index.ts';
import {
  AccessRefusedError,
  inScope,
  type Origin,
  type Person,
  type RecorderNodesService,
  type WatchScope,
} from '../../court/index.ts';
import type { RecorderGateway } from './recorder-gateway.ts';

export const LIVE_WS_PATH = '/api/live';

/** Close code when the viewer's session has ended; the reason names why. */
export const SESSION_ENDED_CLOSE = 4401;
/** Close code when the viewer may no longer watch the recorders. */
export const NOT_ALLOWED_CLOSE = 4403;

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

interface Client {
  ws: WebSocket;
  token: string;
  person: Person;
  origin: Origin;
  scope: WatchScope;
}

export class LiveGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<Client>();
  private readonly timers: NodeJS.Timeout[] = [];
  private checking: Promise<void> | null = null;
  private lastChange: string | null = null;
  private lastFullCheck = 0;

  constructor(
    private readonly d: {
      sessions: SessionService;
      recorders: RecorderGateway;
      nodes: RecorderNodesService;
      clock: Clock;
      logger: Logger;
      /** With it, a change of the catalog (log-out, disabling) is seen within `changePollMs`. */
      catalogChanges?: CatalogChanges;
      /** How often every client's session is checked again, whatever changed. Default 2 s. */
      recheckMs?: number;
      /** How often the catalog's change token is looked at. Default 250 ms. */
      changePollMs?: number;
    },
  ) {
    d.recorders.on('live', (event) => {
      const text = JSON.stringify({ nodeId: event.nodeId, message: event.message });
      for (const c of this.clients)
        if (
          inScope(c.scope, event.courtroomId) &&
          c.ws.readyState === c.ws.OPEN &&
          c.ws.bufferedAmount < 1 << 20
        )
          c.ws.send(text);
    });
  }

  attach(server: http.Server): void {
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://hub').pathname !== LIVE_WS_PATH) return;
      void this.upgrade(req, socket, head);
    });
    if (this.timers.length > 0) return;
    const recheckMs = this.d.recheckMs ?? 2000;
    this.lastChange = this.d.catalogChanges?.token() ?? null;
    this.timers.push(
      setInterval(() => {
        if (this.clients.size === 0) return; // nobody watches: nothing to check, not even the token
        const token = this.d.catalogChanges?.token() ?? null;
        const changed = token !== null && token !== this.lastChange;
        const due = this.d.clock.now() - this.lastFullCheck >= recheckMs;
        if (!changed && !due) return;
        this.lastChange = token;
        void this.recheck();
      }, this.d.changePollMs ?? 250).unref(),
    );
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const origin: Origin = { address: req.socket.remoteAddress ?? null };
    let client: Omit<Client, 'ws'> | null = null;
    try {
      const user = (await this.d.sessions.resolve(token))?.user ?? null;
      if (user && token) {
        const person: Person = {
          id: user.id,
          login: user.login,
          displayName: user.displayName,
          role: user.role,
        };
        // Refused: audited by the court service, answered 401 below like no session.
        const scope = await this.d.nodes.watchScope(person, origin);
        client = { token, person, origin, scope };
      }
    } catch (error) {
      if (!(error instanceof AccessRefusedError))
        this.d.logger.warn({ err: error }, 'live feed: session or access check failed');
    }
    if (!client) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accepted = client;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ...accepted, ws };
      this.clients.add(c);
      ws.on('close', () => this.clients.delete(c));
      ws.on('message', () => undefined); // the feed is one-way
      ws.send(JSON.stringify({ nodeId: null, message: { type: 'hello', recorders: this.visible(c) } }));
    });
  }

  private visible(c: Client) {
    return this.d.recorders.liveState().filter((l) => inScope(c.scope, l.courtroomId));
  }

  /** Checks every client's session (and what it may watch) again; one pass at a time. */
  recheck(): Promise<void> {
    this.checking ??= (async () => {
      this.lastFullCheck = this.d.clock.now();
      try {
        // One check per session and place, however many feeds it holds open: a console
        // with many tabs (or 10,000 idle sockets) costs one session read a pass, not one each.
        const groups = new Map<string, Client[]>();
        for (const c of this.clients) {
          const key = `${c.token}\u0000${c.origin.address ?? ''}\u0000${c.origin.terminalToken ?? ''}`;
          const group = groups.get(key);
          if (group) group.push(c);
          else groups.set(key, [c]);
        }
        await Promise.all([...groups.values()].map((group) => this.recheckGroup(group)));
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  /** Checks the session and watch scope of feeds that share one session and place. */
  private async recheckGroup(group: readonly Client[]): Promise<void> {
    const first = group[0]!;
    try {
      const ended = await this.d.sessions.whyNotLive(first.token);
      if (ended) {
        for (const c of group) this.end(c, SESSION_ENDED_CLOSE, ended.reason);
        return;
      }
      const scope = await this.d.nodes.watchScope(first.person, first.origin);
      for (const c of group) c.scope = scope;
    } catch (error) {
      if (error instanceof AccessRefusedError) {
        for (const c of group) this.end(c, NOT_ALLOWED_CLOSE, 'recorders-not-watched');
        return;
      }
      this.d.logger.warn(
        { err: error, userId: first.person.id },
        'live feed: could not check a session again',
      );
    }
  }

  private end(c: Client, code: number, reason: string): void {
    this.clients.delete(c);
    this.d.logger.info({ userId: c.person.id, code, reason }, 'live feed closed');
    c.ws.close(code, reason);
  }

  async close(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
