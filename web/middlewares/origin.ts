import type { IncomingMessage } from 'node:http';
import type { Origin } from '../../court/index.ts';

/** Header an on-site terminal sends with its registered token. */
export const TERMINAL_HEADER = 'x-hattama-terminal';

/**
 * Where a request comes from, for the court's rules: the socket's peer address (no
 * forwarding header is trusted: `trust proxy` is off) and an on-site terminal's token.
 */
export function originOf(req: IncomingMessage): Origin {
  const token = req.headers[TERMINAL_HEADER];
  return {
    address: req.socket.remoteAddress ?? null,
    terminalToken: typeof token === 'string' && token !== '' ? token : undefined,
  };
}
