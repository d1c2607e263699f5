/**
 * A fake recorder node for hub tests: a raw `ws` client that speaks the recorder
 * protocol by hand (so a test can also send what a real node never would), plus the
 * arithmetic a node does for each segment: SHA-256, the key layout and the hash chain.
 */
import crypto from 'node:crypto';
import WebSocket from 'ws';
import {
  RECORDER_WS_PATH,
  chainGenesis,
  hubMessageSchema,
  nextChain,
  sha256Hex,
  type HubMessage,
  type SegmentRegistration,
  type TrackInfo,
} from '../../core/index.ts';
import { segmentKey, type ObjectStore } from '../../storage/index.ts';

export type Ack = Extract<HubMessage, { type: 'ack' }>;

function wsOptions(nodeId: string, token: string): WebSocket.ClientOptions {
  return { headers: { authorization: `Bearer ${token}`, 'x-hattama-node': nodeId }, handshakeTimeout: 5000 };
}

/**
 * Tries to connect and expects the hub to refuse the upgrade; resolves with the HTTP
 * status it answered. Rejects if a socket opens.
 */
export function refusedUpgradeStatus(wsBase: string, nodeId: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}${RECORDER_WS_PATH}`, wsOptions(nodeId, token));
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the hub opened a socket'));
    });
    ws.on('error', (error) => reject(error));
  });
}

export class FakeRecorder {
  private readonly inbox: HubMessage[] = [];
  private readonly waiters: ((m: HubMessage) => void)[] = [];
  /** Resolves with the close code and reason once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = hubMessageSchema.parse(JSON.parse(data.toString()));
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.inbox.push(message);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static connect(wsBase: string, nodeId: string, token: string): Promise<FakeRecorder> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}${RECORDER_WS_PATH}`, wsOptions(nodeId, token));
      const recorder = new FakeRecorder(ws);
      ws.once('open', () => resolve(recorder));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next message from the hub, in arrival order. */
  next(timeoutMs = 5000): Promise<HubMessage> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no message from the hub within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (m: HubMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a request with a fresh id and returns the hub's ack for it. */
  async request(message: object): Promise<Ack> {
    const id = crypto.randomUUID();
    this.send({ ...message, id });
    const answer = await this.next();
    if (answer.type !== 'ack' || answer.id !== id)
      throw new Error(`expected the ack of ${id}, got ${JSON.stringify(answer)}`);
    return answer;
  }

  register(segment: SegmentRegistration, tracks: TrackInfo[]): Promise<Ack> {
    return this.request({ type: 'register', tracks, segment });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000, 'test done');
    await this.closed;
  }
}

export const MIX_TRACK: TrackInfo = {
  name: 'mix',
  kind: 'audio',
  codec: 'aac',
  sampleRate: 48_000,
  channels: 1,
};

export const SEGMENT_MS = 4000;

/**
 * One track as a recorder node keeps it: the next seq and the chain value so far.
 * `segment()` builds the next registration for some bytes; `accepted()` advances.
 */
export class TrackWriter {
  seq = 0;
  chain: string;

  constructor(
    readonly hearingId: string,
    readonly track: string,
    readonly t0: number,
  ) {
    this.chain = chainGenesis(hearingId, track);
  }

  /** The registration of `bytes` as this track's next segment (overrides are for lying). */
  segment(
    bytes: Uint8Array,
    overrides: Partial<SegmentRegistration> & { prevChain?: string } = {},
  ): SegmentRegistration {
    const { prevChain, ...fields } = overrides;
    const seq = fields.seq ?? this.seq;
    const startMs = fields.startMs ?? this.t0 + seq * SEGMENT_MS;
    const durationMs = fields.durationMs ?? SEGMENT_MS;
    const sha256 = fields.sha256 ?? sha256Hex(bytes);
    const chain = nextChain(prevChain ?? this.chain, { seq, startMs, durationMs, sha256 });
    return {
      hearingId: this.hearingId,
      track: this.track,
      seq,
      startMs,
      durationMs,
      key: segmentKey({ hearingId: this.hearingId, track: this.track, seq, ext: 'ts' }),
      size: bytes.length,
      sha256,
      chain,
      ...fields,
    };
  }

  accepted(segment: SegmentRegistration): void {
    this.seq = segment.seq + 1;
    this.chain = segment.chain;
  }
}

/** Segment-like bytes: distinct per call, a few kB, as an uploader would put them. */
export function segmentBytes(label: string, size = 4096): Buffer {
  const out = Buffer.alloc(size);
  const seed = crypto.createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length]! ^ (i & 0xff);
  return out;
}

/** Uploads bytes under the segment's key, declaring their real SHA-256 (as the store insists). */
export async function upload(objects: ObjectStore, key: string, bytes: Uint8Array): Promise<void> {
  await objects.put(
    key,
    { bytes },
    { sha256: sha256Hex(bytes), size: bytes.length, contentType: 'video/mp2t' },
  );
}
