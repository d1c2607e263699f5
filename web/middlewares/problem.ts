/**
 * Turns every error into application/problem+json (RFC 9457) with Hattama's stable
 * code, so clients branch on `code`, never on message text. Unexpected errors are
 * logged with their stack and answered without internals.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HattamaError, type Logger } from '../../core/index.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  [extra: string]: unknown;
}

export function problemFor(error: HattamaError): Problem {
  return {
    type: `https://hattama.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: error.code,
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(error.details ? { details: error.details } : {}),
  };
}

export function sendProblem(res: Parameters<RequestHandler>[1], problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: 'https://hattama.dev/problems/not-found',
    title: 'NOT_FOUND',
    status: 404,
    code: 'NOT_FOUND',
    // Mounted under /api, req.path is relative to the mount point; name the whole path.
    detail: `no route for ${req.method} ${req.baseUrl}${req.path}`,
  });
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (error instanceof HattamaError) {
      if (!error.expected) logger.error({ err: error, path: req.path }, 'request failed');
      sendProblem(res, problemFor(error));
      return;
    }
    // body-parser and friends mark client errors with a 4xx status.
    const status =
      typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status >= 500) logger.error({ err: error, path: req.path }, 'unexpected error');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    sendProblem(res, {
      type: `https://hattama.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      title: code,
      status,
      code,
      detail: status < 500 ? String(error?.message ?? 'bad request') : 'internal error; see the hub log',
    });
  };
}
