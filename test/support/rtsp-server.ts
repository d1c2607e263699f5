/**
 * A minimal RTSP relay on 127.0.0.1 for tests: a publisher (ffmpeg `-f rtsp
 * -rtsp_transport tcp rtsp://127.0.0.1:<port>/<name>`) ANNOUNCEs a stream and RECORDs
 * into it; players (the recorder's ffmpeg, as with an IP camera) DESCRIBE, SETUP and
 * PLAY it, and get the publisher's RTP packets relayed as they arrive.
 *
 * Why not ffmpeg alone: ffmpeg's RTSP *muxer* only pushes to a server, and its demuxer's
 * `-rtsp_flags listen` makes the *recorder* the server, which is not how a camera is
 * read. Why not an npm server: rtsp-streaming-server (the maintained small one) relays
 * over UDP only and answers a TCP SETUP with 461, while the recorder reads cameras over
 * TCP by default. So this speaks just enough RTSP 1.0 (RFC 2326) over TCP-interleaved
 * transport (section 10.12): OPTIONS, ANNOUNCE, DESCRIBE, SETUP, RECORD, PLAY,
 * GET_PARAMETER, TEARDOWN. When a publisher goes away, its players' connections are
 * closed, as when a camera reboots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import { FFMPEG } from './media.ts';

interface Mount {
  path: string;
  sdp: string;
  publisher: net.Socket;
  /** Publisher's interleaved channel → control name (e.g. `streamid=0`) and RTP/RTCP role. */
  channels: Map<number, { control: string; rtcp: boolean }>;
  players: Set<Player>;
}

interface Player {
  socket: net.Socket;
  /** Control name → the player's interleaved RTP channel (RTCP is the next one). */
  channels: Map<string, number>;
  playing: boolean;
}

interface Request {
  method: string;
  url: string;
  headers: Map<string, string>;
  body: string;
}

const PUBLIC = 'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, GET_PARAMETER, TEARDOWN';

function pathOf(url: string): string {
  return new URL(url).pathname.replace(/\/+$/, '');
}

export class RtspRelay {
  private readonly server: net.Server;
  private readonly mounts = new Map<string, Mount>();
  private readonly sockets = new Set<net.Socket>();

  private constructor() {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(): Promise<RtspRelay> {
    const relay = new RtspRelay();
    await new Promise<void>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(0, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  url(name: string): string {
    return `rtsp://127.0.0.1:${this.port}/${name}`;
  }

  /** Whether a publisher is recording into `name`. */
  isPublished(name: string): boolean {
    return this.mounts.has(`/${name}`);
  }

  /** How many players are receiving `name`. */
  players(name: string): number {
    return [...(this.mounts.get(`/${name}`)?.players ?? [])].filter((p) => p.playing).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let publishing: Mount | null = null;
    const player: Player = { socket, channels: new Map(), playing: false };
    let playerMount: Mount | null = null;

    const reply = (req: Request, status: string, headers: Record<string, string> = {}, body = '') => {
      const lines = [`RTSP/1.0 ${status}`, `CSeq: ${req.headers.get('cseq') ?? '0'}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    const sessionId = crypto.randomBytes(6).toString('hex');

    const handle = (req: Request) => {
      switch (req.method) {
        case 'OPTIONS':
        case 'GET_PARAMETER':
          return reply(req, '200 OK', { Public: PUBLIC, Session: sessionId });
        case 'ANNOUNCE': {
          const path = pathOf(req.url);
          const previous = this.mounts.get(path);
          if (previous) this.unpublish(previous);
          publishing = { path, sdp: req.body, publisher: socket, channels: new Map(), players: new Set() };
          this.mounts.set(path, publishing);
          return reply(req, '200 OK');
        }
        case 'DESCRIBE': {
          const mount = this.mounts.get(pathOf(req.url));
          if (!mount) return reply(req, '404 Not Found');
          return reply(
            req,
            '200 OK',
            { 'Content-Base': `${req.url.replace(/\/+$/, '')}/`, 'Content-Type': 'application/sdp' },
            mount.sdp,
          );
        }
        case 'SETUP': {
          const transport = req.headers.get('transport') ?? '';
          const interleaved = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
          if (!/RTP\/AVP\/TCP/i.test(transport) || !interleaved)
            return reply(req, '461 Unsupported Transport');
          const rtp = Number(interleaved[1]);
          const setupPath = pathOf(req.url);
          if (publishing) {
            const control = setupPath.slice(publishing.path.length + 1);
            publishing.channels.set(rtp, { control, rtcp: false });
            publishing.channels.set(rtp + 1, { control, rtcp: true });
          } else {
            const mount = [...this.mounts.values()].find((m) => setupPath.startsWith(`${m.path}/`));
            if (!mount) return reply(req, '404 Not Found');
            playerMount = mount;
            player.channels.set(setupPath.slice(mount.path.length + 1), rtp);
          }
          return reply(req, '200 OK', { Transport: transport, Session: `${sessionId};timeout=60` });
        }
        case 'RECORD':
          return reply(req, publishing ? '200 OK' : '455 Method Not Valid in This State', {
            Session: sessionId,
          });
        case 'PLAY':
          if (!playerMount || !this.mounts.has(playerMount.path)) return reply(req, '454 Session Not Found');
          reply(req, '200 OK', { Session: sessionId, Range: 'npt=0.000-' });
          player.playing = true;
          playerMount.players.add(player);
          return;
        case 'TEARDOWN':
          reply(req, '200 OK', { Session: sessionId });
          socket.end();
          return;
        default:
          return reply(req, '501 Not Implemented');
      }
    };

    const relay = (channel: number, frame: Buffer) => {
      if (!publishing) return; // a player's RTCP receiver reports: nothing to do
      const route = publishing.channels.get(channel);
      if (!route) return;
      for (const p of publishing.players) {
        const base = p.channels.get(route.control);
        if (base === undefined || !p.playing) continue;
        const out = Buffer.from(frame);
        out[1] = base + (route.rtcp ? 1 : 0);
        p.socket.write(out);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length > 0 && buffer[0] === 0x24) {
          if (buffer.length < 4) return;
          const size = 4 + buffer.readUInt16BE(2);
          if (buffer.length < size) return;
          relay(buffer[1]!, buffer.subarray(0, size));
          buffer = buffer.subarray(size);
          continue;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [start = '', ...lines] = buffer.subarray(0, end).toString('utf8').split('\r\n');
        const headers = new Map<string, string>();
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get('content-length') ?? 0);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        const [method = '', url = ''] = start.split(' ');
        try {
          handle({ method, url, headers, body });
        } catch {
          socket.destroy();
          return;
        }
      }
    });
    const gone = () => {
      this.sockets.delete(socket);
      if (publishing && this.mounts.get(publishing.path) === publishing) this.unpublish(publishing);
      playerMount?.players.delete(player);
    };
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
  }

  /** The publisher left: its players lose the stream, as from a camera that went away. */
  private unpublish(mount: Mount): void {
    this.mounts.delete(mount.path);
    for (const p of mount.players) p.socket.destroy();
    mount.players.clear();
    mount.publisher.destroy();
  }
}

/** A camera as IP cameras usually stream: H.264 Main, no B-frames, a key frame every second. */
export const H264_CAMERA = [
  '-c:v',
  'libx264',
  '-profile:v',
  'main',
  '-bf',
  '0',
  '-g',
  '25',
  '-pix_fmt',
  'yuv420p',
];

/**
 * Starts a fake camera: ffmpeg publishing a test pattern of `size`, encoded with `codec`,
 * as stream `name` of the relay until killed. Resolves once the relay has the stream.
 */
export async function publishFakeCamera(
  relay: RtspRelay,
  name: string,
  options: { codec: string[]; size: string },
): Promise<ChildProcess> {
  const child = spawn(
    FFMPEG,
    [
      '-v',
      'error',
      '-nostdin',
      '-re',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${options.size}:rate=25`,
      ...options.codec,
      '-f',
      'rtsp',
      '-rtsp_transport',
      'tcp',
      relay.url(name),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; !relay.isPublished(name); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the fake camera did not publish ${name}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}
