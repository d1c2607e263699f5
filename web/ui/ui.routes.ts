/**
 * The browser UI, served by the hub itself with no build step: one HTML file per page
 * (`pages/*.html`), plain ES modules and one style sheet from `web/ui/`, and hls.js from
 * its npm package. Nothing is inlined, so the Content-Security-Policy of
 * `securityHeaders` (scripts and styles from 'self' only) holds for every page.
 *
 * Pages are public files: each asks `/api/auth/me` and goes to the log-in page without a
 * session; the API does every access check. Everything here is sent with
 * `Cache-Control: no-cache` (revalidate each time, ETag/Last-Modified answered with 304), so
 * a hub upgrade never leaves a browser on stale scripts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import { sendProblem } from '../middlewares/problem.ts';

/** The folder of this file: the UI's assets live beside it. */
export const UI_DIR = path.dirname(fileURLToPath(import.meta.url));

/** URL path → page file under `pages/`. `/hearings/:id` is the player. */
export const UI_PAGES: Readonly<Record<string, string>> = {
  '/': 'login.html',
  '/login': 'login.html',
  '/hearings': 'hearings.html',
  '/hearings/:id': 'player.html',
  '/console': 'console.html',
  '/secretary': 'secretary.html',
  '/admin': 'admin.html',
  '/audit': 'audit.html',
};

export const UI_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Asset names served under /ui/: a flat name with one of the extensions above, never a test or source file. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg)$/;

export interface UiRoutesOptions {
  /** The hls.js browser bundle (`hls.js/dist/hls.min.js`), served as /ui/vendor/hls.min.js. */
  hlsJsPath: string;
  /** Where the UI's files are; defaults to this folder. For tests. */
  uiDir?: string;
}

/** The UI's assets by file name: the flat .js/.css/.svg files of the folder, read once at start. */
export function listUiAssets(uiDir: string = UI_DIR): Map<string, string> {
  const assets = new Map<string, string>();
  for (const entry of fs.readdirSync(uiDir, { withFileTypes: true })) {
    if (entry.isFile() && ASSET_NAME.test(entry.name)) assets.set(entry.name, path.join(uiDir, entry.name));
  }
  return assets;
}

function sendUiFile(res: Response, file: string, contentType: string, next: (error?: unknown) => void): void {
  res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-cache' });
  // cacheControl: false keeps send from replacing our Cache-Control with "public, max-age=0".
  res.sendFile(file, { cacheControl: false, lastModified: true, etag: true, dotfiles: 'deny' }, (error) => {
    if (error && !res.headersSent) next(error);
  });
}

function uiNotFound(res: Response, what: string): void {
  sendProblem(res, {
    type: 'https://hattama.dev/problems/not-found',
    title: 'NOT_FOUND',
    status: 404,
    code: 'NOT_FOUND',
    detail: `no UI file ${what}`,
  });
}

/**
 * `GET /`, `/login`, `/hearings`, `/hearings/:id`, `/console`, `/secretary`, `/admin`,
 * `/audit` → the pages; `GET /ui/<name>.js|css|svg` → the assets; `/ui/vendor/hls.min.js`
 * → hls.js; anything else under `/ui/` → 404 problem+json.
 */
export function uiRoutes(options: UiRoutesOptions): Router {
  const uiDir = options.uiDir ?? UI_DIR;
  const pagesDir = path.join(uiDir, 'pages');
  const assets = listUiAssets(uiDir);
  const r = Router();

  for (const [route, file] of Object.entries(UI_PAGES)) {
    const full = path.join(pagesDir, file);
    if (!fs.existsSync(full)) throw new Error(`UI page ${file} is missing from ${pagesDir}`);
    r.get(route, (_req, res, next) => sendUiFile(res, full, UI_CONTENT_TYPES['.html']!, next));
  }

  r.get('/ui/vendor/hls.min.js', (_req, res, next) =>
    sendUiFile(res, options.hlsJsPath, UI_CONTENT_TYPES['.js']!, next),
  );

  r.get('/ui/:file', (req, res, next) => {
    const name = req.params.file;
    const file = assets.get(name);
    if (!file) return uiNotFound(res, `/ui/${name}`);
    sendUiFile(res, file, UI_CONTENT_TYPES[path.extname(name)]!, next);
  });

  r.use('/ui', (req, res) => uiNotFound(res, `${req.baseUrl}${req.path}`));
  return r;
}
