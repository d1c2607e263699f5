/**
 * The browser UI as the hub serves it: pages and assets with the right content types and
 * caching, nothing outside the UI reachable under /ui/, every HTML page free of inline
 * script and style (the CSP forbids them), the three languages complete and covering the
 * domain's catalogues, and every test id the README promises present in some page.
 */
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALARM_KINDS, MARKER_KINDS } from '../../core/index.ts';
import { hlsJsFile } from '../player/assets.ts';
import { REFUSAL_REASONS, ROLES } from '../../court/policy/index.ts';
import { APPROVAL_REFUSALS, ROLES_NEEDING_APPROVAL } from '../../court/index.ts';
import { UI_DIR, UI_PAGES, listUiAssets, uiRoutes } from './ui.routes.ts';

type Dict = Record<string, string>;
interface I18nModule {
  LANGS: string[];
  DICTIONARY: Record<string, Dict>;
}

const PAGES_DIR = path.join(UI_DIR, 'pages');
const pageFiles = fs.readdirSync(PAGES_DIR).filter((f) => f.endsWith('.html'));
const html = new Map(pageFiles.map((f) => [f, fs.readFileSync(path.join(PAGES_DIR, f), 'utf8')]));
const scripts = [...listUiAssets().entries()].filter(([name]) => name.endsWith('.js'));
/** Script sources without comments, so what the checks below find is code. */
const stripComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const js = new Map(scripts.map(([name, file]) => [name, stripComments(fs.readFileSync(file, 'utf8'))]));

let server: http.Server;
let base: string;
let i18n: I18nModule;

beforeAll(async () => {
  const app = express();
  app.use(uiRoutes({ hlsJsPath: hlsJsFile() }));
  server = http.createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The dictionary is browser code with no types; load it as the module it is.
  i18n = (await import(pathToFileURL(path.join(UI_DIR, 'i18n.js')).href)) as I18nModule;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

// ------------------------------------------------------------------ a small HTML tag reader

interface Tag {
  name: string;
  closing: boolean;
  attrs: Map<string, string>;
  start: number;
  end: number;
}

const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Start and end tags of a document, comments removed; attribute names lower-cased. */
function parseTags(source: string): Tag[] {
  const text = source.replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length));
  const tags: Tag[] = [];
  const re =
    /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
  for (const m of text.matchAll(re)) {
    const attrs = new Map<string, string>();
    for (const a of (m[3] ?? '').matchAll(ATTR)) attrs.set(a[1]!.toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '');
    tags.push({
      name: m[2]!.toLowerCase(),
      closing: m[1] === '/',
      attrs,
      start: m.index!,
      end: m.index! + m[0].length,
    });
  }
  return tags;
}

const testIdsInHtml = (source: string) =>
  parseTags(source)
    .map((t) => t.attrs.get('data-testid'))
    .filter((v): v is string => Boolean(v));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * A GET over plain node:http: the path goes out exactly as written (fetch would normalize
 * `%2e%2e`), and no Cache-Control is added (fetch adds `no-cache` to conditional requests,
 * which makes every server answer 200).
 */
function fetchPath(p: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = http.get({ hostname, port, path: p, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

// ------------------------------------------------------------------ serving

describe('the UI routes', () => {
  it.each([
    ['/', 'login.html'],
    ['/login', 'login.html'],
    ['/hearings', 'hearings.html'],
    ['/hearings/h-2024-001', 'player.html'],
    ['/console', 'console.html'],
    ['/secretary', 'secretary.html'],
    ['/admin', 'admin.html'],
    ['/audit', 'audit.html'],
  ])('serves %s as the page %s, as HTML that browsers revalidate', async (route, file) => {
    const res = await fetchPath(route);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBe(html.get(file));
  });

  it('routes every page file, and only page files', () => {
    expect(new Set(Object.values(UI_PAGES))).toEqual(new Set(pageFiles));
  });

  it('answers a conditional request for an unchanged page with 304', async () => {
    const first = await fetchPath('/hearings');
    const etag = first.headers.etag;
    expect(etag).toBeTruthy();
    const again = await fetchPath('/hearings', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
  });

  it.each([
    ['/ui/styles.css', 'text/css; charset=utf-8'],
    ['/ui/i18n.js', 'text/javascript; charset=utf-8'],
    ['/ui/player.js', 'text/javascript; charset=utf-8'],
    ['/ui/icon.svg', 'image/svg+xml'],
  ])('serves the asset %s as %s with no-cache', async (route, type) => {
    const res = await fetchPath(route);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves hls.js from its npm package at /ui/vendor/hls.min.js', async () => {
    const res = await fetchPath('/ui/vendor/hls.min.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBe(fs.readFileSync(hlsJsFile(), 'utf8'));
  });

  it.each([
    '/ui/nothing.js',
    '/ui/ui.routes.ts',
    '/ui/ui.routes.test.ts',
    '/ui/README.md',
    '/ui/pages/login.html',
    '/ui/vendor/other.js',
    '/ui/..%2F..%2Fpackage.json',
    '/ui/%2e%2e/app.ts',
    '/ui/',
  ])('refuses %s with a 404 problem', async (route) => {
    const res = await fetchPath(route);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text).code).toBe('NOT_FOUND');
  });

  it('leaves paths outside the UI to the rest of the app', async () => {
    expect((await fetchPath('/api/hearings')).status).toBe(404);
    expect((await fetchPath('/hearings/a/b')).status).toBe(404);
  });
});

// ------------------------------------------------------------------ the pages themselves

describe('the HTML pages', () => {
  it.each(pageFiles)('%s has no inline script, inline style or event handler attribute', (file) => {
    const source = html.get(file)!;
    const tags = parseTags(source);
    expect(tags.some((t) => t.name === 'style')).toBe(false);
    for (const tag of tags) {
      for (const [name, value] of tag.attrs) {
        expect(name, `${file}: <${tag.name} ${name}>`).not.toBe('style');
        expect(name.startsWith('on'), `${file}: <${tag.name} ${name}>`).toBe(false);
        expect(value.trim().toLowerCase().startsWith('javascript:'), `${file}: ${name}="${value}"`).toBe(
          false,
        );
      }
    }
    const opened = tags.filter((t) => t.name === 'script' && !t.closing);
    expect(opened.length).toBeGreaterThan(0);
    for (const tag of opened) {
      expect(tag.attrs.get('src'), `${file}: a <script> without src`).toMatch(/^\/ui\//);
      const close = tags.find((t) => t.name === 'script' && t.closing && t.start >= tag.end);
      expect(close, `${file}: unclosed <script>`).toBeTruthy();
      expect(source.slice(tag.end, close!.start).trim(), `${file}: inline script body`).toBe('');
    }
  });

  it.each(pageFiles)('%s sets lang, charset, viewport, landmarks and a skip link', (file) => {
    const tags = parseTags(html.get(file)!);
    const open = (name: string) => tags.filter((t) => t.name === name && !t.closing);
    expect(['ru', 'kk', 'en']).toContain(open('html')[0]?.attrs.get('lang'));
    expect(open('meta').some((t) => t.attrs.get('charset') === 'utf-8')).toBe(true);
    expect(open('meta').some((t) => t.attrs.get('name') === 'viewport')).toBe(true);
    expect(open('header')).toHaveLength(1);
    expect(open('main')).toHaveLength(1);
    expect(open('main')[0]!.attrs.get('id')).toBe('main');
    expect(
      open('a').some((t) => t.attrs.get('href') === '#main' && t.attrs.get('class') === 'skip-link'),
    ).toBe(true);
    expect(open('footer')).toHaveLength(1);
  });

  it.each(pageFiles)('%s labels every form control', (file) => {
    const tags = parseTags(html.get(file)!);
    const labelled = new Set(
      tags.filter((t) => t.name === 'label' && !t.closing).map((t) => t.attrs.get('for')),
    );
    for (const tag of tags.filter((t) => ['input', 'select', 'textarea'].includes(t.name) && !t.closing)) {
      if (['hidden', 'submit', 'button'].includes(tag.attrs.get('type') ?? '')) continue;
      const named =
        labelled.has(tag.attrs.get('id')) || tag.attrs.has('aria-label') || tag.attrs.has('aria-labelledby');
      expect(named, `${file}: <${tag.name} id="${tag.attrs.get('id')}"> has no label`).toBe(true);
    }
  });

  it.each(pageFiles)('%s refers only to UI files that are served', async (file) => {
    const tags = parseTags(html.get(file)!);
    const refs = tags
      .flatMap((t) => [t.attrs.get('src'), t.attrs.get('href')])
      .filter((v): v is string => Boolean(v?.startsWith('/ui/')));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect((await fetchPath(ref)).status, ref).toBe(200);
  });

  it('has unique ids in each page', () => {
    for (const [file, source] of html) {
      const ids = parseTags(source)
        .map((t) => t.attrs.get('id'))
        .filter(Boolean);
      expect(new Set(ids).size, file).toBe(ids.length);
    }
  });

  it('imports in every script resolve to a served UI module', () => {
    const names = new Set(js.keys());
    for (const [name, source] of js) {
      for (const m of source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const target = m[1]!;
        expect(target.startsWith('./'), `${name} imports ${target}`).toBe(true);
        expect(names.has(target.slice(2)), `${name} imports ${target}`).toBe(true);
      }
      expect(source, `${name} must not build inline styles`).not.toMatch(
        /\.style\s*=|setAttribute\(\s*['"]style['"]|innerHTML/,
      );
    }
  });
});

// ------------------------------------------------------------------ languages

describe('the dictionary', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('has ru, kk and en with the same keys, none empty, the same placeholders', () => {
    expect(i18n.LANGS).toEqual(['ru', 'kk', 'en']);
    const en = i18n.DICTIONARY.en!;
    const keys = Object.keys(en).sort();
    expect(keys.length).toBeGreaterThan(100);
    for (const lang of i18n.LANGS) {
      const dict = i18n.DICTIONARY[lang]!;
      expect(Object.keys(dict).sort(), lang).toEqual(keys);
      for (const key of keys) {
        expect(dict[key]!.trim(), `${lang} ${key}`).not.toBe('');
        expect(placeholders(dict[key]!), `${lang} ${key}`).toEqual(placeholders(en[key]!));
      }
    }
  });

  it('is really translated: Russian and Kazakh texts are not the English ones', () => {
    const en = i18n.DICTIONARY.en!;
    const same = (lang: string) =>
      Object.keys(en).filter(
        (k) => i18n.DICTIONARY[lang]![k] === en[k] && /[a-z]{3}/i.test(en[k]!.replace(/\{\w+\}/g, '')),
      );
    // Words that are the same in every language (Hattama, SHA-256, CSV, MP4) only.
    expect(same('ru').filter((k) => !/Hattama|SHA-256|MP4|CSV/.test(en[k]!))).toEqual([]);
    expect(same('kk').filter((k) => !/Hattama|SHA-256|MP4|CSV/.test(en[k]!))).toEqual([]);
    // Kazakh has its own letters; a Kazakh dictionary without them is Russian in disguise.
    const kkText = Object.values(i18n.DICTIONARY.kk!).join(' ');
    expect(kkText).toMatch(/[әғқңөұүһі]/);
    expect(kkText).not.toBe(Object.values(i18n.DICTIONARY.ru!).join(' '));
  });

  it('covers every role, marker kind, alarm kind and refusal reason of the domain', () => {
    const en = i18n.DICTIONARY.en!;
    for (const role of ROLES) expect(en, `role.${role}`).toHaveProperty([`role.${role}`]);
    for (const kind of MARKER_KINDS) expect(en, `marker.${kind}`).toHaveProperty([`marker.${kind}`]);
    for (const kind of ALARM_KINDS) expect(en, `alarm.${kind}`).toHaveProperty([`alarm.${kind}`]);
    for (const reason of REFUSAL_REASONS) expect(en, `reason.${reason}`).toHaveProperty([`reason.${reason}`]);
    for (const state of ['scheduled', 'recording', 'paused', 'stopped'])
      expect(en, `state.${state}`).toHaveProperty([`state.${state}`]);
  });

  it("names the court's refusals of an approval, and knows which roles wait for one", () => {
    const en = i18n.DICTIONARY.en!;
    for (const reason of APPROVAL_REFUSALS)
      expect(en, `reason.${reason}`).toHaveProperty([`reason.${reason}`]);
    // The administrator's page disables the password field for these roles (the hub
    // generates one at approval); the list must be the court's own.
    const listed = /export const APPROVAL_ROLES = \[([^\]]*)\]/.exec(js.get('admin.js') ?? '')?.[1];
    expect(listed, 'admin.js exports APPROVAL_ROLES').toBeTruthy();
    const roles = [...listed!.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(new Set(roles)).toEqual(new Set(ROLES_NEEDING_APPROVAL));
  });

  it('has every key the pages and scripts use', () => {
    const en = i18n.DICTIONARY.en!;
    const used = new Set<string>();
    for (const source of html.values()) {
      for (const tag of parseTags(source)) {
        const key = tag.attrs.get('data-i18n');
        if (key) used.add(key);
        for (const pair of (tag.attrs.get('data-i18n-attr') ?? '').split(';').filter(Boolean))
          used.add(pair.split(':')[1]!.trim());
        const labelKey = tag.attrs.get('data-label-key');
        if (labelKey) used.add(labelKey);
      }
    }
    const groups = new Set<string>();
    for (const source of js.values()) {
      for (const m of source.matchAll(/\bt\(\s*'([^']+)'/g)) used.add(m[1]!);
      for (const m of source.matchAll(/\b(?:i18n|confirmKey|labelKey):\s*'([^']+)'/g)) used.add(m[1]!);
      for (const m of source.matchAll(/\blabel\(\s*'([^']+)'/g)) groups.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    for (const key of used) expect(en, key).toHaveProperty([key]);
    for (const group of groups)
      expect(
        Object.keys(en).some((k) => k.startsWith(`${group}.`)),
        group,
      ).toBe(true);
  });
});

// ------------------------------------------------------------------ test ids

describe('the README', () => {
  const readme = fs.readFileSync(path.join(UI_DIR, 'README.md'), 'utf8');

  /** Test ids listed in the README's "Test ids" table (first column, in backticks). */
  function listedTestIds(): string[] {
    const section = readme.split(/^## /m).find((s) => s.startsWith('Test ids'));
    expect(section, 'README has a "## Test ids" section').toBeTruthy();
    const ids: string[] = [];
    for (const line of section!.split('\n')) {
      if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
      const first = line.split('|')[1] ?? '';
      for (const m of first.matchAll(/`([a-z0-9-]+)`/g)) ids.push(m[1]!);
    }
    return ids;
  }

  it('lists test ids that every exist in some page', () => {
    const present = new Set<string>();
    const prefixes: string[] = [];
    for (const source of html.values()) for (const id of testIdsInHtml(source)) present.add(id);
    for (const source of js.values()) {
      for (const m of source.matchAll(/testid:\s*'([a-z0-9-]+)'/g)) present.add(m[1]!);
      for (const m of source.matchAll(/testid:\s*`([a-z0-9-]+)\$\{/g)) prefixes.push(m[1]!);
    }
    const listed = listedTestIds();
    expect(listed.length).toBeGreaterThan(40);
    for (const id of listed)
      expect(present.has(id) || prefixes.some((p) => id.startsWith(p)), `test id ${id}`).toBe(true);
  });

  it('lists the key test ids the end-to-end test drives', () => {
    const listed = new Set(listedTestIds());
    for (const id of [
      'login-name',
      'login-password',
      'login-submit',
      'hearing-row',
      'player-video',
      'player-clock',
      'player-marker',
      'player-audio',
      'level-meter',
      'alarm-list',
      'alarm-item',
    ])
      expect(listed.has(id), id).toBe(true);
  });
});
