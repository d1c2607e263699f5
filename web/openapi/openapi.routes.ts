/**
 * `GET /api/openapi.json`: the API's OpenAPI 3.1 document. Public, like /api/health: it
 * describes the API of open-source code and holds no data, and clients, the browser UI and
 * tools need it before anyone logs in. Built once per hub (the document depends only on
 * which object store the hub serves) and answered with an ETag, so a client may revalidate.
 */
import crypto from 'node:crypto';
import { Router } from 'express';
import { OPENAPI_PATH, buildOpenApiDocument, type OpenApiOptions } from './document.ts';

export function openApiRoutes(options: OpenApiOptions): Router {
  const body = JSON.stringify(buildOpenApiDocument(options));
  const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const r = Router();
  r.get(OPENAPI_PATH, (req, res) => {
    res.set({ 'Cache-Control': 'no-cache', ETag: etag });
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });
  return r;
}
