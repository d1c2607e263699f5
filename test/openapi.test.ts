/**
 * The OpenAPI document against the hub itself (issue 6, item 7):
 * (a) every route the express app registers under /api and /objects is documented with the
 *     same method and path template, and every documented operation exists — so a route
 *     added without documenting it fails here;
 * (b) the document is structurally valid OpenAPI 3.1: every $ref resolves, every operation
 *     has problem+json responses with the codes it lists;
 * (c) real requests against a running embedded stack (a short recorded hearing, the demo
 *     accounts) answer with documented statuses, media types and bodies that validate
 *     against the documented schemas, and every 4xx is problem+json with a code listed for
 *     that route.
 * Pages served to browsers (HTML, not under /api) are not part of the API document.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHearing, type DemoSummary } from '../cli/commands/demo.ts';
import { DEMO, startRole, type Running } from '../cli/commands/serve.ts';
import { RECORDER_WS_PATH, loadConfig, silentLogger } from '../core/index.ts';
import { LIVE_WS_PATH } from '../web/hub/live-gateway.ts';
import {
  ALL_PROBLEM_CODES,
  OPENAPI_PATH,
  appRoutes,
  buildOpenApiDocument,
  toOpenApiPath,
  type OpenApiDocument,
} from '../web/openapi/index.ts';
import { resolvePointer, validateJson } from './support/json-schema.ts';

const PASSWORD = 'openapi-demo-password-7d1';
const SECONDS = 6;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

type Json = Record<string, unknown>;

let tmp: string;
let running: Running | null = null;
let summary: DemoSummary;
let base: string;
let doc: OpenApiDocument;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'hattama-openapi-'));
  const config = loadConfig({
    HATTAMA_DATA_DIR: tmp,
    HATTAMA_PORT: '0',
    HATTAMA_HOST: '127.0.0.1',
    HATTAMA_LOG_LEVEL: 'silent',
    HATTAMA_RECORDER_SOURCES: 'demo',
    HATTAMA_DEMO_PASSWORD: PASSWORD,
  });
  running = await startRole('all', config, silentLogger());
  base = running.url!;
  summary = await recordHearing({ running, config, seconds: SECONDS });
  doc = buildOpenApiDocument({ hubSignedObjects: true });
}, 240_000);

afterAll(async () => {
  await running?.close();
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

/** Every operation of the document as `METHOD /template`. */
function documentedOperations(d: OpenApiDocument): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [template, item] of Object.entries(d.paths))
    for (const [method, op] of Object.entries(item))
      if (METHODS.includes(method)) out.set(`${method.toUpperCase()} ${template}`, op);
  return out;
}

/** Every `$ref` anywhere under `node`, with where it was found. */
function refsIn(
  node: unknown,
  at = '#',
  out: { at: string; ref: string }[] = [],
): { at: string; ref: string }[] {
  if (Array.isArray(node)) node.forEach((v, i) => refsIn(v, `${at}/${i}`, out));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else refsIn(v, `${at}/${k}`, out);
    }
  return out;
}

describe('(a) the document and the app have the same routes', () => {
  const apiRoutes = () =>
    appRoutes(running!.hub!.app).filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/objects/'));

  it("finds the routes of every router the hub mounts (the walk of the app's router stack works)", () => {
    const found = apiRoutes().map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'GET /api/health',
      'POST /api/auth/login',
      'GET /api/hearings/:id',
      'GET /api/hearings/:id/hls/:file',
      'GET /objects/*key',
      'GET /api/audit',
      'POST /api/admin/users',
      'POST /api/recorders/:id/revoke',
      `GET ${OPENAPI_PATH}`,
    ])
      expect(found).toContain(expected);
  });

  it('documents every route the app registers, with the same method and path template', () => {
    const documented = documentedOperations(doc);
    const undocumented = apiRoutes()
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`)
      .filter((key) => !documented.has(key));
    expect(undocumented, 'routes missing from web/openapi/operations.ts').toEqual([]);
  });

  it('documents no operation that the app does not have', () => {
    const registered = new Set(apiRoutes().map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    const phantom = [...documentedOperations(doc).keys()].filter((key) => !registered.has(key));
    expect(phantom).toEqual([]);
  });

  it('serves the same document at /api/openapi.json to anyone, without credentials, with an ETag', async () => {
    const res = await fetch(`${base}${OPENAPI_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}${OPENAPI_PATH}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('leaves /objects out of the document of a hub whose player gets S3 presigned URLs', () => {
    const s3 = buildOpenApiDocument({ hubSignedObjects: false });
    expect(Object.keys(s3.paths)).not.toContain('/objects/{key}');
    expect(Object.keys(doc.paths)).toContain('/objects/{key}');
  });

  it('turns express paths into OpenAPI templates and refuses ones it cannot express', () => {
    expect(toOpenApiPath('/api/hearings/:id/hls/:file')).toBe('/api/hearings/{id}/hls/{file}');
    expect(toOpenApiPath('/objects/*key')).toBe('/objects/{key}');
    expect(() => toOpenApiPath('/api/things{/:optional}')).toThrow();
  });
});

describe('(b) the document is valid OpenAPI 3.1', () => {
  it('has the OpenAPI 3.1 top level: openapi, info, paths, components', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.jsonSchemaDialect).toBe('https://spec.openapis.org/oas/3.1/dialect/base');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    expect(Object.keys(doc.components.schemas)).toContain('Problem');
  });

  it('resolves every $ref in the document', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(50);
    const broken = refs.filter((r) => resolvePointer(doc, r.ref) === undefined);
    expect(broken).toEqual([]);
  });

  it('uses every component schema somewhere', () => {
    const used = new Set(refsIn(doc).map((r) => r.ref.replace('#/components/schemas/', '')));
    const unused = Object.keys(doc.components.schemas).filter(
      (name) => !used.has(name) && name !== 'Problem',
    );
    expect(unused).toEqual([]);
  });

  it('gives every path template its path parameters, and every operation a unique id, a declared tag and a security requirement', () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    const schemes = doc.components.securitySchemes;
    for (const [key, op] of documentedOperations(doc)) {
      const template = key.split(' ')[1]!;
      expect(template, key).toMatch(/^\/[^{}]*(\{[A-Za-z_]\w*\}[^{}]*)*$/);
      expect(typeof op.operationId, key).toBe('string');
      expect(ids.has(op.operationId as string), `${key}: duplicate operationId`).toBe(false);
      ids.add(op.operationId as string);
      for (const tag of op.tags as string[]) expect(tags.has(tag), `${key}: tag ${tag}`).toBe(true);
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        expect(['path', 'query', 'header', 'cookie'], key).toContain(p.in);
        expect(p.schema, `${key} ${String(p.name)}`).toBeTypeOf('object');
      }
      const inTemplate = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const pathParams = params.filter((p) => p.in === 'path');
      expect(pathParams.map((p) => p.name).sort(), key).toEqual(inTemplate);
      for (const p of pathParams) expect(p.required, `${key} ${String(p.name)}`).toBe(true);
      expect(Array.isArray(op.security), key).toBe(true);
      for (const requirement of op.security as Json[])
        for (const name of Object.keys(requirement))
          expect(schemes[name], `${key}: scheme ${name}`).toBeDefined();
      const body = op.requestBody as Json | undefined;
      if (body) expect(Object.keys(body.content as Json), key).toEqual(['application/json']);
    }
    for (const [name, scheme] of Object.entries(schemes)) {
      if (scheme.type === 'apiKey')
        expect(scheme, name).toMatchObject({ name: expect.any(String), in: expect.any(String) });
      else expect(scheme, name).toMatchObject({ type: 'http', scheme: 'bearer' });
    }
  });

  it('answers every error of every operation as problem+json with the stable codes it lists', () => {
    const known = new Set<string>(ALL_PROBLEM_CODES);
    for (const [key, op] of documentedOperations(doc)) {
      const responses = op.responses as Record<string, Json>;
      expect(Object.keys(responses).length, key).toBeGreaterThan(0);
      for (const status of Object.keys(responses)) expect(status, key).toMatch(/^[1-5]\d\d$/);
      const isProblem = (s: string) => 'application/problem+json' in ((responses[s]!.content ?? {}) as Json);
      const problemStatuses = Object.keys(responses).filter(isProblem);
      // Every 4xx is a problem; a 5xx is too, except the health checks' own 503 "degraded" report.
      for (const status of Object.keys(responses).filter((s) => Number(s) >= 400))
        if (Number(status) < 500 || !['getHealth', 'getHealthDetails'].includes(String(op.operationId)))
          expect(problemStatuses, key).toContain(status);
      expect(
        problemStatuses.some((s) => Number(s) >= 400 && Number(s) < 500),
        `${key} documents no 4xx`,
      ).toBe(true);
      const listed = new Set<string>();
      for (const status of problemStatuses) {
        const content = responses[status]!.content as Record<string, { schema: Json }>;
        expect(Number(status), `${key} ${status}`).toBeGreaterThanOrEqual(400);
        expect(Object.keys(content), `${key} ${status}`).toEqual(['application/problem+json']);
        const [problemRef, narrowing] = content['application/problem+json']!.schema.allOf as Json[];
        expect(problemRef, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        const properties = narrowing!.properties as { status: { const: number }; code: { enum: string[] } };
        expect(properties.status.const).toBe(Number(status));
        for (const code of properties.code.enum) {
          expect(known.has(code), `${key} ${status}: unknown code ${code}`).toBe(true);
          listed.add(code);
        }
      }
      expect([...listed].sort(), `${key}: x-problem-codes`).toEqual(op['x-problem-codes']);
    }
  });

  it('holds answers to the schemas strictly: an unknown field, a missing one or a wrong type fails', () => {
    const hearing = {
      id: 'h-1',
      courtroomId: 'room-1',
      caseId: null,
      caseNumber: '2-1/2026',
      title: 'T',
      judge: 'J',
      visibility: 'open',
      language: 'ru',
      state: 'stopped',
      scheduledAt: null,
      startedAt: '2026-01-01T10:00:00.000Z',
      stoppedAt: '2026-01-01T11:00:00.000Z',
      manifest: null,
    };
    const schema = { $ref: '#/components/schemas/Hearing' };
    expect(validateJson(schema, hearing, doc)).toEqual([]);
    expect(validateJson(schema, { ...hearing, secret: 1 }, doc)).toEqual([
      { at: '/secret', message: 'property not in the schema' },
    ]);
    const { title: _t, ...untitled } = hearing;
    expect(validateJson(schema, untitled, doc)).toEqual([
      { at: '', message: 'missing required property "title"' },
    ]);
    expect(validateJson(schema, { ...hearing, state: 'lost' }, doc)).toHaveLength(1);
    expect(validateJson(schema, { ...hearing, startedAt: '2026-01-01' }, doc)).toHaveLength(1);
    const problem = (doc.paths['/api/hearings/{id}']!.get!.responses as Record<string, Json>)['404']!;
    const problemSchema = (problem.content as Record<string, { schema: Json }>)['application/problem+json']!
      .schema;
    const notFound = {
      type: 'https://hattama.dev/problems/not-found',
      title: 'NOT_FOUND',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'x',
    };
    expect(validateJson(problemSchema, notFound, doc)).toEqual([]);
    expect(validateJson(problemSchema, { ...notFound, code: 'CONFLICT' }, doc)).toHaveLength(1);
  });

  it('describes the two ws endpoints under x-websockets with their message schemas', () => {
    expect(Object.keys(doc['x-websockets']).sort()).toEqual([LIVE_WS_PATH, RECORDER_WS_PATH].sort());
    for (const ws of Object.values(doc['x-websockets'])) {
      expect(ws.description).toEqual(expect.stringContaining('101'));
      expect(ws.serverMessages).toMatchObject({ $ref: expect.stringMatching(/^#\/components\/schemas\//) });
    }
  });
});

// — (c) real requests —

interface Actor {
  name: string;
  cookie?: string;
  csrf?: string;
  bearer?: string;
}

interface Answer {
  status: number;
  headers: Headers;
  mediaType: string;
  body: unknown;
  text: string;
  operationId: string;
}

const anonymous: Actor = { name: 'anonymous' };

/** The documented operation for a concrete request path: literal segments beat templates. */
function operationFor(method: string, pathname: string): { template: string; op: Json } {
  const candidates = Object.entries(doc.paths)
    .filter(([, item]) => item[method.toLowerCase()])
    .map(([template, item]) => {
      const pattern = template
        .split('/')
        .map((seg) =>
          seg === '{key}' && template.startsWith('/objects/')
            ? '.+'
            : /^\{\w+\}$/.test(seg)
              ? '[^/]+'
              : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/');
      return {
        template,
        op: item[method.toLowerCase()]!,
        params: (template.match(/\{/g) ?? []).length,
        re: new RegExp(`^${pattern}$`),
      };
    })
    .filter((c) => c.re.test(pathname))
    .sort((a, b) => a.params - b.params);
  if (candidates.length === 0) throw new Error(`${method} ${pathname} matches no documented operation`);
  return candidates[0]!;
}

function mediaTypeMatches(documented: string, actual: string): boolean {
  if (documented === '*/*' || documented === actual) return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
}

const exercised = new Set<string>();

/**
 * One request, checked against the document: its status is documented for the operation,
 * its media type too, a JSON body validates against the documented schema, and a 4xx is
 * problem+json with a code the operation lists.
 */
async function call(
  actor: Actor,
  method: string,
  target: string,
  init: { json?: unknown; body?: string; headers?: Record<string, string>; csrf?: boolean } = {},
): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (actor.cookie) headers.set('cookie', actor.cookie);
  if (actor.bearer) headers.set('authorization', `Bearer ${actor.bearer}`);
  if (actor.csrf && method !== 'GET' && init.csrf !== false) headers.set('x-csrf-token', actor.csrf);
  let body = init.body;
  if (init.json !== undefined) body = JSON.stringify(init.json);
  if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const res = await fetch(`${base}${target}`, { method, headers, body });
  const text = await res.text();
  const url = new URL(target, base);
  const { template, op } = operationFor(method, decodeURI(url.pathname));
  const what = `${actor.name}: ${method} ${target} → ${res.status} (${template})`;
  const responses = op.responses as Record<string, Json>;
  const documented = responses[String(res.status)];
  expect(documented, `${what}: status not documented; body ${text.slice(0, 300)}`).toBeDefined();
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const content = (documented!.content ?? {}) as Record<string, { schema?: Json }>;
  let parsed: unknown = undefined;
  if (Object.keys(content).length === 0) {
    expect(text, `${what}: documented without a body`).toBe('');
  } else {
    const entry = Object.entries(content).find(([m]) => mediaTypeMatches(m, mediaType));
    expect(
      entry,
      `${what}: media type ${mediaType} not documented (${Object.keys(content).join(', ')})`,
    ).toBeDefined();
    const schema = entry![1].schema;
    if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
      parsed = JSON.parse(text);
      if (schema)
        expect(validateJson(schema, parsed, doc), `${what}: body does not match the document`).toEqual([]);
    } else if (schema) {
      expect(validateJson(schema, text, doc), what).toEqual([]);
    }
  }
  if (res.status >= 400 && res.status < 500) {
    expect(mediaType, what).toBe('application/problem+json');
    const problem = parsed as { code: string; status: number };
    expect(op['x-problem-codes'] as string[], `${what}: code ${problem.code} not listed`).toContain(
      problem.code,
    );
    expect(problem.status, what).toBe(res.status);
  }
  exercised.add(`${String(op.operationId)} ${res.status}`);
  return {
    status: res.status,
    headers: res.headers,
    mediaType,
    body: parsed,
    text,
    operationId: String(op.operationId),
  };
}

async function logIn(login: string): Promise<Actor> {
  const res = await call(anonymous, 'POST', '/api/auth/login', { json: { login, password: PASSWORD } });
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('hattama_session='));
  expect(cookie).toBeDefined();
  return { name: login, cookie, csrf: (res.body as { csrfToken: string }).csrfToken };
}

describe('(c) real answers match the document', () => {
  let party: Actor;
  let judge: Actor;
  let secretary: Actor;
  let operator: Actor;
  let auditor: Actor;
  let adminUser: Actor;
  let admin: Actor;
  let hearingId: string;

  beforeAll(async () => {
    hearingId = summary.hearingId;
    admin = { name: 'admin-token', bearer: running!.adminToken! };
    party = await logIn('demo-party');
    judge = await logIn('demo-judge');
    secretary = await logIn('demo-secretary');
    operator = await logIn('demo-operator');
    auditor = await logIn('demo-auditor');
    adminUser = await logIn('demo-admin');
  });

  it('answers the health check and this document without credentials, and 401 on the API', async () => {
    expect((await call(anonymous, 'GET', '/api/health')).body).toEqual({ status: 'ok' });
    expect((await call(anonymous, 'GET', '/api/health/details')).status).toBe(401);
    expect((await call(admin, 'GET', '/api/health/details')).body).toMatchObject({ status: 'ok' });
    expect((await call(party, 'GET', '/api/health/details')).status).toBe(403);
    expect((await call(anonymous, 'GET', OPENAPI_PATH)).status).toBe(200);
    expect((await call(anonymous, 'GET', '/api/hearings')).body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await call(anonymous, 'GET', '/api/auth/me')).status).toBe(401);
  });

  it('refuses a wrong password, a malformed log-in and a body that is not JSON with the documented problems', async () => {
    const wrong = await call(anonymous, 'POST', '/api/auth/login', {
      json: { login: 'demo-party', password: 'not-the-password' },
    });
    expect(wrong.body).toMatchObject({ code: 'LOGIN_FAILED' });
    expect((await call(anonymous, 'POST', '/api/auth/login', { json: { login: '' } })).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await call(anonymous, 'POST', '/api/auth/login', { body: '{"login":' })).body).toMatchObject({
      code: 'BAD_REQUEST',
    });
    const huge = await call(admin, 'POST', '/api/cases', {
      body: JSON.stringify({ number: 'x'.repeat(300_000) }),
    });
    expect(huge.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('reads the session back for a logged-in user', async () => {
    expect((await call(party, 'GET', '/api/auth/me')).body).toMatchObject({
      user: { login: 'demo-party', role: 'party' },
    });
  });

  it('lists and shows the recorded hearing to a party of its case, and its sealed ranges to its judge', async () => {
    const list = (await call(party, 'GET', '/api/hearings')).body as {
      hearings: { id: string; access: unknown }[];
    };
    expect(list.hearings.find((h) => h.id === hearingId)).toMatchObject({ access: { play: true } });
    const detail = (await call(party, 'GET', `/api/hearings/${hearingId}`)).body as {
      tracks: unknown[];
      sealedRanges?: unknown;
    };
    expect(detail.tracks).toHaveLength(6);
    expect(detail.sealedRanges).toBeUndefined();
    expect((await call(judge, 'GET', `/api/hearings/${hearingId}`)).body).toHaveProperty('sealedRanges');
    expect((await call(admin, 'GET', '/api/hearings')).status).toBe(200);
    expect((await call(party, 'GET', '/api/hearings/h-does-not-exist')).body).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await call(party, 'GET', '/api/hearings/Bad%20Id!')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('serves the party its playlists, a deep-link position and signed segments, and refuses bad ones', async () => {
    const master = await call(party, 'GET', `/api/hearings/${hearingId}/hls/master.m3u8`);
    expect(master.text).toMatch(/^#EXTM3U/);
    const video = await call(party, 'GET', `/api/hearings/${hearingId}/hls/video.m3u8`);
    const uri = video.text.split('\n').find((l) => l.startsWith('/objects/'))!;
    expect(uri).toBeDefined();
    // Segment URLs are bound to the session that got the playlist (docs/decisions/0016).
    const segment = await call(party, 'GET', uri);
    expect(segment.mediaType).toBe('video/mp2t');
    expect((await call(party, 'GET', uri, { headers: { range: 'bytes=0-187' } })).status).toBe(206);
    expect((await call(party, 'GET', uri, { headers: { range: 'bytes=999999999-' } })).body).toMatchObject({
      code: 'RANGE_NOT_SATISFIABLE',
    });
    expect((await call(anonymous, 'GET', uri)).body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await call(party, 'GET', uri.replace(/sig=[^&]+/, 'sig=AAAA'))).body).toMatchObject({
      code: 'URL_SIGNATURE_INVALID',
    });
    expect((await call(party, 'GET', uri.replace(/expires=\d+/, 'expires=1'))).status).toBe(403);
    expect(
      (await call(anonymous, 'GET', '/objects/hearings/..%2Fkeys/x.ts?expires=1&sig=x')).body,
    ).toMatchObject({
      code: 'OBJECT_KEY_INVALID',
    });
    expect((await call(party, 'GET', `/api/hearings/${hearingId}/hls/mic-9.m3u8`)).body).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await call(party, 'GET', `/api/hearings/${hearingId}/hls/video.mp4`)).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await call(party, 'GET', `/api/hearings/${hearingId}/position?t=3`)).body).toMatchObject({
      offsetSeconds: 3,
    });
    expect((await call(party, 'GET', `/api/hearings/${hearingId}/position`)).status).toBe(400);
  });

  it('serves the manifest of the stopped hearing', async () => {
    const manifest = await call(party, 'GET', `/api/hearings/${hearingId}/manifest`);
    expect(manifest.headers.get('x-hattama-sha256')).toBe(summary.manifest.sha256);
  });

  it("lets the hearing's judge add a marker and seal a range with the CSRF token, and refuses a write without it", async () => {
    const json = { kind: 'motion', text: 'a motion to adjourn' };
    expect(
      (await call(judge, 'POST', `/api/hearings/${hearingId}/markers`, { json, csrf: false })).body,
    ).toMatchObject({
      code: 'CSRF_FAILED',
    });
    expect((await call(judge, 'POST', `/api/hearings/${hearingId}/markers`, { json })).status).toBe(201);
    expect(
      (await call(judge, 'POST', `/api/hearings/${hearingId}/markers`, { json: { kind: 'nap' } })).status,
    ).toBe(400);
    const start = summary.startedAt!;
    const end = new Date(Date.parse(start) + 2000).toISOString();
    const sealed = await call(judge, 'POST', `/api/hearings/${hearingId}/sealed-ranges`, {
      json: { start, end, reason: 'a minor testifies' },
    });
    expect(sealed.status).toBe(201);
    expect(
      (
        await call(party, 'POST', `/api/hearings/${hearingId}/sealed-ranges`, {
          json: { start, end, reason: 'x' },
        })
      ).body,
    ).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it("maps the secretary's hearing's microphones to its case's participants and labels, and refuses bad mappings", async () => {
    const participants = (await call(secretary, 'GET', `/api/cases/${DEMO.caseId}/participants`)).body as {
      participants: { id: string; name: string }[];
    };
    expect(participants.participants.length).toBeGreaterThan(0);
    const json = {
      speakers: [
        { track: 'mic-1', label: 'Судья' },
        { track: 'mic-2', participantId: participants.participants[0]!.id },
      ],
    };
    // The recorded hearing's judge maps it (the demo hearing was made by the demo, not by a secretary's account).
    const set = await call(judge, 'PUT', `/api/hearings/${hearingId}/speakers`, { json });
    expect(set.body).toMatchObject({ hearingId, speakers: [{ track: 'mic-1' }, { track: 'mic-2' }] });
    expect((await call(party, 'GET', `/api/hearings/${hearingId}/speakers`)).body).toEqual(set.body);
    const detail = (await call(party, 'GET', `/api/hearings/${hearingId}`)).body as {
      tracks: { name: string; speaker: string | null }[];
      speakers: unknown[];
    };
    expect(detail.speakers).toHaveLength(2);
    expect(detail.tracks.find((t) => t.name === 'mic-1')?.speaker).toBe('Судья');
    expect(
      (
        await call(judge, 'PUT', `/api/hearings/${hearingId}/speakers`, {
          json: {
            speakers: [
              { track: 'mic-1', label: 'a' },
              { track: 'mic-1', label: 'b' },
            ],
          },
        })
      ).body,
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await call(party, 'PUT', `/api/hearings/${hearingId}/speakers`, { json })).body).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(
      (await call(judge, 'PUT', `/api/hearings/${hearingId}/speakers`, { json, csrf: false })).body,
    ).toMatchObject({ code: 'CSRF_FAILED' });
    expect((await call(judge, 'PUT', '/api/hearings/h-does-not-exist/speakers', { json })).status).toBe(404);
  });

  it('creates a hearing for the secretary, refuses a duplicate, and refuses commands its state or name does not allow', async () => {
    const json = {
      id: 'h-openapi',
      courtroomId: DEMO.courtroomId,
      caseNumber: DEMO.caseNumber,
      title: 'Scheduled for the OpenAPI test',
      judge: 'Demo Judge',
      caseId: DEMO.caseId,
    };
    expect((await call(secretary, 'POST', '/api/hearings', { json })).body).toMatchObject({
      id: 'h-openapi',
      state: 'scheduled',
    });
    expect((await call(secretary, 'POST', '/api/hearings', { json })).body).toMatchObject({
      code: 'CONFLICT',
    });
    expect((await call(secretary, 'POST', '/api/hearings/h-openapi/stop')).body).toMatchObject({
      code: 'CONFLICT',
    });
    // Repeating a command already applied is answered with the hearing, unchanged.
    expect((await call(judge, 'POST', `/api/hearings/${hearingId}/stop`)).body).toMatchObject({
      state: 'stopped',
    });
    expect((await call(secretary, 'POST', '/api/hearings/h-openapi/rewind')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(
      (await call(secretary, 'POST', '/api/hearings/h-openapi/markers', { json: { kind: 'opening' } })).body,
    ).toMatchObject({
      code: 'CONFLICT',
    });
    expect((await call(party, 'POST', '/api/hearings/h-openapi/start')).status).toBe(403);
  });

  it('keeps the audit log from parties and gives it to the auditor as JSON and CSV', async () => {
    expect((await call(party, 'GET', '/api/audit')).body).toMatchObject({ code: 'FORBIDDEN' });
    const entries = (await call(auditor, 'GET', `/api/audit?hearingId=${hearingId}&limit=50`)).body as {
      entries: unknown[];
    };
    expect(entries.entries.length).toBeGreaterThan(0);
    expect((await call(auditor, 'GET', '/api/audit?format=csv&limit=5')).mediaType).toBe('text/csv');
    expect((await call(auditor, 'GET', '/api/audit?limit=0')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('lets the administrator manage courts, courtrooms, cases, participants, assignments and terminals', async () => {
    const a = adminUser;
    expect(
      (await call(a, 'POST', '/api/admin/courts', { json: { id: 'court-oa', name: 'OpenAPI Court' } }))
        .status,
    ).toBe(201);
    expect(
      (await call(a, 'POST', '/api/admin/courts', { json: { id: 'court-oa', name: 'Again' } })).body,
    ).toMatchObject({
      code: 'CONFLICT',
    });
    expect((await call(a, 'GET', '/api/admin/courts')).status).toBe(200);
    expect(
      (
        await call(a, 'POST', '/api/courtrooms', {
          json: { id: 'room-oa', courtId: 'court-oa', name: 'Room' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(a, 'POST', '/api/courtrooms', {
          json: { id: 'room-x', courtId: 'court-none', name: 'Room' },
        })
      ).body,
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await call(party, 'GET', '/api/courtrooms')).status).toBe(200);
    // A secretary prepares the cases of her own court; another court's are refused.
    expect(
      (await call(secretary, 'POST', '/api/cases', { json: { number: '2-78/2026', courtId: 'court-oa' } }))
        .body,
    ).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not-of-this-court' } });
    const created = await call(secretary, 'POST', '/api/cases', {
      json: { number: '2-77/2026', courtId: DEMO.courtId },
    });
    const caseId = (created.body as { id: string }).id;
    expect((await call(a, 'GET', '/api/cases')).status).toBe(200);
    expect(
      (
        await call(secretary, 'POST', `/api/cases/${caseId}/participants`, {
          json: { name: 'Demo Party', capacity: 'party', userLogin: 'demo-party' },
        })
      ).status,
    ).toBe(201);
    expect((await call(secretary, 'GET', `/api/cases/${caseId}/participants`)).body).toMatchObject({
      caseId,
      participants: [{ name: 'Demo Party', capacity: 'party', hasAccount: true }],
    });
    expect((await call(operator, 'GET', `/api/cases/${caseId}/participants`)).body).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await call(a, 'GET', '/api/cases/c-none/participants')).status).toBe(404);
    // Access to evidence waits for a second administrator: the token proposes, demo-admin approves.
    const assignment = await call(admin, 'POST', `/api/cases/${caseId}/assignments`, {
      json: { userLogin: 'demo-higher-judge', validFrom: '2026-01-01T00:00:00.000Z' },
    });
    expect(assignment.status).toBe(202);
    const assignmentId = (assignment.body as { approval: { id: string } }).approval.id;
    expect(
      ((await call(a, 'GET', '/api/admin/approvals?state=pending')).body as { approvals: { id: string }[] })
        .approvals,
    ).toContainEqual(expect.objectContaining({ id: assignmentId }));
    expect((await call(admin, 'POST', `/api/admin/approvals/${assignmentId}/approve`)).body).toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not-a-person' },
    });
    expect((await call(a, 'POST', `/api/admin/approvals/${assignmentId}/approve`)).body).toMatchObject({
      approval: { state: 'approved' },
      result: { validFrom: '2026-01-01T00:00:00.000Z' },
    });
    expect((await call(a, 'POST', `/api/admin/approvals/${assignmentId}/reject`)).status).toBe(409);
    expect(
      (
        await call(a, 'POST', '/api/cases/c-none/assignments', {
          json: { userLogin: 'demo-party', validFrom: '2026-01-01T00:00:00.000Z' },
        })
      ).status,
    ).toBe(404);
    const terminal = await call(admin, 'POST', '/api/admin/terminals', {
      json: { id: 'term-oa', courtId: 'court-oa', name: 'Kiosk' },
    });
    expect(terminal.status).toBe(202);
    const terminalId = (terminal.body as { approval: { id: string } }).approval.id;
    expect((await call(a, 'POST', `/api/admin/approvals/${terminalId}/approve`)).body).toMatchObject({
      result: { id: 'term-oa', token: expect.any(String) },
    });
    const revoke = await call(admin, 'POST', '/api/admin/terminals/term-oa/revoke');
    expect(revoke.status).toBe(202);
    const revokeId = (revoke.body as { approval: { id: string } }).approval.id;
    expect((await call(a, 'POST', `/api/admin/approvals/${revokeId}/reject`)).body).toMatchObject({
      approval: { state: 'rejected' },
    });
    expect((await call(a, 'POST', '/api/admin/terminals/term-none/revoke')).status).toBe(404);
    expect(
      (await call(party, 'POST', '/api/admin/courts', { json: { id: 'court-p', name: 'No' } })).body,
    ).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('lets the administrator manage user accounts', async () => {
    const a = adminUser;
    expect(
      ((await call(a, 'GET', '/api/admin/users')).body as { users: unknown[] }).users.length,
    ).toBeGreaterThanOrEqual(8);
    const made = await call(a, 'POST', '/api/admin/users', {
      json: { login: 'openapi-user', role: 'party' },
    });
    expect(made.body).toMatchObject({ user: { login: 'openapi-user' }, password: expect.any(String) });
    expect(
      (await call(a, 'POST', '/api/admin/users', { json: { login: 'openapi-user', role: 'party' } })).status,
    ).toBe(409);
    expect(
      (await call(a, 'POST', '/api/admin/users', { json: { login: 'x', role: 'emperor' } })).status,
    ).toBe(400);
    expect(
      (await call(a, 'PUT', '/api/admin/users/openapi-user/role', { json: { role: 'representative' } })).body,
    ).toMatchObject({ user: { role: 'representative' } });
    const promoted = await call(a, 'PUT', '/api/admin/users/openapi-user/role', {
      json: { role: 'auditor' },
    });
    expect(promoted.body).toMatchObject({ approval: { state: 'pending', kind: 'user.role' } });
    const auditorProposal = await call(admin, 'POST', '/api/admin/users', {
      json: { login: 'openapi-auditor', role: 'auditor' },
    });
    expect(auditorProposal.status).toBe(202);
    expect(
      (
        await call(
          a,
          'POST',
          `/api/admin/approvals/${(auditorProposal.body as { approval: { id: string } }).approval.id}/approve`,
        )
      ).body,
    ).toMatchObject({
      result: { user: { login: 'openapi-auditor', role: 'auditor' }, password: expect.any(String) },
    });
    expect((await call(a, 'POST', '/api/admin/users/openapi-user/disable')).body).toMatchObject({
      user: { disabled: true },
    });
    expect((await call(a, 'POST', '/api/admin/users/nobody-here/disable')).status).toBe(404);
    expect((await call(party, 'GET', '/api/admin/users')).status).toBe(403);
  });

  it("shows the recorder nodes and their live state to court staff, and manages the nodes' tokens", async () => {
    const list = (await call(operator, 'GET', '/api/recorders')).body as { recorders: { online: boolean }[] };
    expect(list.recorders.some((r) => r.online)).toBe(true);
    expect((await call(party, 'GET', '/api/recorders')).body).toMatchObject({ code: 'FORBIDDEN' });
    const json = { id: 'node-oa', courtroomId: DEMO.courtroomId, name: 'Spare recorder' };
    expect((await call(admin, 'POST', '/api/recorders', { json })).status).toBe(201);
    expect((await call(admin, 'POST', '/api/recorders', { json })).status).toBe(409);
    expect((await call(admin, 'POST', '/api/recorders/node-oa/token')).body).toMatchObject({
      token: expect.any(String),
    });
    expect((await call(admin, 'POST', '/api/recorders/node-oa/revoke')).body).toMatchObject({
      revoked: true,
    });
    expect((await call(admin, 'POST', '/api/recorders/node-none/revoke')).status).toBe(404);
  });

  it('queues a copy for the party and shows its state only to the party', async () => {
    const asked = await call(party, 'POST', `/api/hearings/${hearingId}/copies`, { json: {} });
    expect(asked.status).toBe(202);
    const copyId = (asked.body as { copyId: string }).copyId;
    expect((await call(party, 'GET', `/api/copies/${copyId}`)).body).toMatchObject({ copyId, hearingId });
    expect((await call(judge, 'GET', `/api/copies/${copyId}`)).status).toBe(403);
    expect((await call(party, 'GET', '/api/copies/not-a-copy')).status).toBe(400);
  });

  it('logs out, after which the session is refused', async () => {
    expect((await call(party, 'POST', '/api/auth/logout')).status).toBe(204);
    expect((await call(party, 'GET', '/api/auth/me')).body).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('held a real success answer of every documented operation against the document', () => {
    // A new route needs an entry in web/openapi/operations.ts and one request above, so its
    // documented answer has been checked against a real one at least once.
    const succeeded = new Set(
      [...exercised].filter((e) => Number(e.split(' ')[1]) < 400).map((e) => e.split(' ')[0]),
    );
    const missed = [...documentedOperations(doc).values()]
      .map((op) => op.operationId)
      .filter((id) => !succeeded.has(id as string));
    expect(missed, 'operations without a successful request in this file').toEqual([]);
  });
});
