/**
 * The per-track hash chain of docs/architecture.md:
 *   chain_i = sha256(chain_{i-1} | seq | start | duration | sha256(segment_i))
 * as the UTF-8 text `<prev hex>|<seq>|<start ISO 8601 ms>|<duration ms>|<segment hex>`.
 * The chain starts from a genesis value bound to the hearing and the track, so a segment
 * cannot be replayed into another hearing's chain. Text, not binary, so anyone can
 * recompute it with printf and sha256sum (README, "Checking integrity without Hattama").
 */
import crypto from 'node:crypto';
import { isoTime } from './clock.ts';

export const CHAIN_VERSION = 'hattama-chain-v1';

export function sha256Hex(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** chain_{-1}: sha256("hattama-chain-v1|<hearingId>|<track>"). */
export function chainGenesis(hearingId: string, track: string): string {
  return sha256Hex(`${CHAIN_VERSION}|${hearingId}|${track}`);
}

export interface ChainLink {
  seq: number;
  startMs: number;
  durationMs: number;
  sha256: string;
}

export function chainInput(prev: string, link: ChainLink): string {
  return `${prev}|${link.seq}|${isoTime(link.startMs)}|${link.durationMs}|${link.sha256}`;
}

export function nextChain(prev: string, link: ChainLink): string {
  return sha256Hex(chainInput(prev, link));
}

const HEX64 = /^[0-9a-f]{64}$/;
export function isSha256Hex(value: string): boolean {
  return HEX64.test(value);
}
