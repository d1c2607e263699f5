/**
 * Builds the hub's OpenAPI 3.1 document in code: paths and operations from operations.ts,
 * request schemas from the routes' own zod schemas and response schemas from schemas.ts
 * (both through `z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 uses as is),
 * problem responses with the stable codes each operation may answer with, the security
 * schemes, and the two ws endpoints under `x-websockets` (OpenAPI has no words for ws).
 */
import { z } from 'zod';
import { HATTAMA_VERSION, MAX_FRAME_BYTES, RECORDER_WS_PATH } from '../../core/index.ts';
import { CSRF_HEADER, SESSION_COOKIE } from '../auth/index.ts';
import { LIVE_WS_PATH } from '../hub/live-gateway.ts';
import {
  OPERATIONS,
  type Access,
  type OperationSpec,
  type ProblemRef,
  type ResponseSpec,
} from './operations.ts';
import { PROBLEM_CODES, type ProblemCode } from './problem-codes.ts';
import { RESPONSE_SCHEMAS } from './schemas.ts';

export const OPENAPI_PATH = '/api/openapi.json';

type Json = Record<string, unknown>;

/** The document as plain JSON; typed loosely on purpose (tests walk it as data). */
export interface OpenApiDocument {
  openapi: string;
  info: Json;
  jsonSchemaDialect: string;
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  'x-websockets': Record<string, Json>;
}

export interface OpenApiOptions {
  /** The hub serves the local object store through hub-signed /objects URLs (HATTAMA_OBJECTS=fs). */
  hubSignedObjects: boolean;
}

/** `/api/hearings/:id/hls/:file` → `/api/hearings/{id}/hls/{file}`; `/objects/*key` → `/objects/{key}`. */
export function toOpenApiPath(expressPath: string): string {
  if (/[{}()?+]/.test(expressPath))
    throw new Error(`no OpenAPI template for the express path ${expressPath}`);
  return expressPath.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}');
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Every operation may meet these: a body that is not JSON or too large (any method), and a bug. */
const ALWAYS: readonly ProblemCode[] = ['BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'INTERNAL'];

const BY_ACCESS: Record<Access, { security: Json[]; problems: readonly ProblemCode[] }> = {
  public: { security: [], problems: [] },
  'signed-url': { security: [], problems: [] },
  session: { security: [{ session: [] }], problems: ['UNAUTHENTICATED'] },
  'session-write': { security: [{ session: [], csrf: [] }], problems: ['UNAUTHENTICATED', 'CSRF_FAILED'] },
  api: { security: [{ session: [] }, { adminToken: [] }], problems: ['UNAUTHENTICATED'] },
  'api-write': {
    security: [{ session: [], csrf: [] }, { adminToken: [] }],
    problems: ['UNAUTHENTICATED', 'CSRF_FAILED'],
  },
};

/** Each (status, code) an operation may answer with, from its access and its own list. */
function problemsOf(op: OperationSpec): Map<number, ProblemCode[]> {
  const refs: ProblemRef[] = [...ALWAYS, ...BY_ACCESS[op.access].problems, ...op.problems];
  const byStatus = new Map<number, ProblemCode[]>();
  for (const r of refs) {
    const [code, only] = typeof r === 'string' ? [r, undefined] : r;
    const statuses: readonly number[] = only === undefined ? PROBLEM_CODES[code].statuses : [only];
    for (const status of statuses) {
      if (!(PROBLEM_CODES[code].statuses as readonly number[]).includes(status))
        throw new Error(`${op.operationId}: ${code} is never answered with ${status}`);
      const list = byStatus.get(status) ?? [];
      if (!list.includes(code)) list.push(code);
      byStatus.set(status, list);
    }
  }
  return byStatus;
}

/** The codes an operation may answer with, for `x-problem-codes`. */
function codesOf(op: OperationSpec): ProblemCode[] {
  return [...new Set([...problemsOf(op).values()].flat())].sort();
}

function problemResponse(status: number, codes: readonly ProblemCode[]): Json {
  const headers: Json = {};
  if (codes.includes('LOGIN_RATE_LIMITED') || codes.includes('RATE_LIMITED'))
    headers['Retry-After'] = {
      description: 'Seconds until another log-in may be tried.',
      schema: { type: 'integer' },
    };
  if (codes.includes('RANGE_NOT_SATISFIABLE'))
    headers['Content-Range'] = { description: '`bytes */<size>`', schema: { type: 'string' } };
  return {
    description: codes.map((c) => `\`${c}\`: ${PROBLEM_CODES[c].description}`).join('\n\n'),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            ref('Problem'),
            { type: 'object', properties: { status: { const: status }, code: { enum: [...codes] } } },
          ],
        },
      },
    },
  };
}

function successResponse(spec: ResponseSpec): Json {
  const content: Json = {};
  if (spec.schema) content['application/json'] = { schema: ref(spec.schema) };
  for (const [mediaType, schema] of Object.entries(spec.content ?? {}))
    content[mediaType] = Object.keys(schema).length > 0 ? { schema } : {};
  return {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

/** A zod object's fields as OpenAPI parameters (JSON Schema of the input side). */
function parametersOf(
  schema: z.ZodObject,
  where: 'path' | 'query',
  descriptions: Record<string, string> = {},
): Json[] {
  const json = toJson(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => {
    const { description, ...rest } = s;
    const text = descriptions[name] ?? (description as string | undefined);
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(text ? { description: text } : {}),
      schema: rest,
    };
  });
}

function toJson(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return json;
}

/** Named schemas as components, a schema used inside another becoming a $ref to it. */
function componentsOf(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  return Object.fromEntries(
    Object.entries(out.schemas).map(([id, { $schema: _s, $id: _i, ...json }]) => [id, json]),
  );
}

const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'RFC 9457 problem details with a stable machine-readable `code`.',
  properties: {
    type: { type: 'string', description: 'https://hattama.dev/problems/<code in kebab case>' },
    title: { type: 'string', description: 'The code again, for generic clients.' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    code: ref('ProblemCode'),
    detail: { type: 'string', description: 'For people, in English; never branch on it.' },
    details: {
      type: 'object',
      description:
        'Structured facts: `issues` [{field, message}] for VALIDATION_FAILED, `reason` for FORBIDDEN refusals of the access policy, `retryAt` for LOGIN_RATE_LIMITED…',
    },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
};

const PROBLEM_CODE_SCHEMA: Json = {
  type: 'string',
  description: 'The stable problem codes. A code keeps its meaning; new ones may be added.',
  enum: Object.keys(PROBLEM_CODES),
  'x-codes': Object.fromEntries(
    Object.entries(PROBLEM_CODES).map(([code, info]) => [
      code,
      { statuses: info.statuses, description: info.description },
    ]),
  ),
};

const DESCRIPTION = `The hub of Hattama: hearings, the review player, the audit log, accounts, courts and recorder nodes.

**Authentication.** People log in with \`POST /api/auth/login\` and get an HttpOnly, SameSite=Strict session cookie (\`${SESSION_COOKIE}\`) and a CSRF token; every POST or PUT made with the cookie must carry the token in \`${CSRF_HEADER}\`. Scripts may instead send the deployment's administrator token as \`Authorization: Bearer <token>\` (no CSRF header: there is no ambient credential to abuse). What a logged-in user may do is decided by the access policy; refusals are 403 \`FORBIDDEN\` with \`details.reason\`, and are in the audit log.

**Errors.** Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\` (components.schemas.ProblemCode); each operation lists the codes it may answer with in \`x-problem-codes\`. A path the hub does not know answers 404 \`NOT_FOUND\` (401 first, under /api, without credentials).

**Times** are UTC ISO 8601 with milliseconds. **ws endpoints** are described under \`x-websockets\`.`;

export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const operations = OPERATIONS.filter((op) => options.hubSignedObjects || op.access !== 'signed-url');
  const paths: OpenApiDocument['paths'] = {};
  const requestSchemas: Record<string, z.ZodType> = {};
  for (const op of operations) {
    const template = toOpenApiPath(op.path);
    if (op.body) {
      if (requestSchemas[op.body.name] && requestSchemas[op.body.name] !== op.body.schema)
        throw new Error(`two request schemas named ${op.body.name}`);
      requestSchemas[op.body.name] = op.body.schema;
    }
    const responses: Json = {};
    for (const [status, spec] of Object.entries(op.responses)) responses[status] = successResponse(spec);
    for (const [status, codes] of [...problemsOf(op)].sort(([a], [b]) => a - b))
      responses[String(status)] = problemResponse(status, codes);
    const parameters = [
      ...(op.params ? parametersOf(op.params, 'path', op.paramDescriptions) : []),
      ...(op.query ? parametersOf(op.query, 'query') : []),
    ];
    const operation: Json = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: BY_ACCESS[op.access].security,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              ...(op.body.description ? { description: op.body.description } : {}),
              content: { 'application/json': { schema: ref(op.body.name) } },
            },
          }
        : {}),
      responses,
      'x-problem-codes': codesOf(op),
    };
    const item = (paths[template] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${template} is listed twice`);
    item[op.method] = operation;
  }
  const responseComponents = componentsOf(RESPONSE_SCHEMAS, 'output');
  const requestComponents = componentsOf(requestSchemas, 'input');
  for (const name of Object.keys(requestComponents))
    if (name in responseComponents)
      throw new Error(`schema name ${name} is used for a request and a response`);

  return {
    openapi: '3.1.1',
    info: {
      title: 'Hattama hub API',
      version: HATTAMA_VERSION,
      description: DESCRIPTION,
      license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [
      { name: 'meta', description: 'This document.' },
      { name: 'health', description: 'Liveness and backends.' },
      { name: 'auth', description: 'Log-in, log-out, the session.' },
      {
        name: 'hearings',
        description: 'Hearings, the recording commands, markers, sealed ranges, manifests.',
      },
      { name: 'player', description: 'Per-viewer HLS playlists, deep-link positions, signed objects.' },
      { name: 'audit', description: 'The hash-chained audit log.' },
      {
        name: 'admin',
        description: 'Courts, courtrooms, users, cases, participants, assignments, terminals.',
      },
      { name: 'recorders', description: 'Recorder nodes and their tokens.' },
    ],
    paths,
    components: {
      schemas: {
        Problem: PROBLEM_SCHEMA,
        ProblemCode: PROBLEM_CODE_SCHEMA,
        ...responseComponents,
        ...requestComponents,
      },
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            'The session cookie set by POST /api/auth/login (HttpOnly, SameSite=Strict; idle and absolute expiry).',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: CSRF_HEADER,
          description:
            'The session’s CSRF token (from the log-in answer or GET /api/auth/me); required on every POST or PUT made with the session cookie.',
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            "The deployment's administrator token (HATTAMA_ADMIN_TOKEN, or made once into <data>/keys/admin.token), for scripts.",
        },
        recorderToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A recorder node's token (issued by POST /api/recorders), with the node id in \`x-hattama-node\`; only for ${RECORDER_WS_PATH}.`,
        },
      },
    },
    'x-websockets': {
      [RECORDER_WS_PATH]: {
        summary: 'The recorder link: recorder nodes dial out to the hub',
        description: `A ws upgrade (GET, 101 Switching Protocols) authenticated in the upgrade request by the node id (\`x-hattama-node\` header) and its token (\`Authorization: Bearer\`); an unknown, revoked or wrongly authenticated node gets 401 and no socket. Every frame is one JSON object, checked on both ends: the node sends RecorderMessage frames (hello, segment registrations, markers, drained, levels, alarms, status, command results); the hub answers requests with \`ack\` of the same id and sends commands (HubMessage). A malformed frame is answered with an \`error\` frame and the connection kept; a frame over ${MAX_FRAME_BYTES} bytes closes it (1009). A newer connection of the same node replaces the older (close 4000).`,
        security: [{ recorderToken: [] }],
        headers: {
          'x-hattama-node': { description: 'The node id.', required: true, schema: { type: 'string' } },
        },
        maxFrameBytes: MAX_FRAME_BYTES,
        clientMessages: ref('RecorderMessage'),
        serverMessages: ref('HubMessage'),
      },
      [LIVE_WS_PATH]: {
        summary: "The operator's console live feed: recorder telemetry as it arrives",
        description:
          'A ws upgrade (GET, 101 Switching Protocols) authenticated by the session cookie in the upgrade request; for court staff (operator, judge, secretary, administrator), anyone else gets 401 and no socket. One-way: the first frame is a snapshot of the connected recorders the viewer watches (`nodeId: null`, `type: hello`), then each frame forwards one recorder message (levels, alarms, status, online/offline, new segments). A viewer gets the nodes of their own courts only, as in GET /api/recorders; administrators every node. Frames from the client are ignored; a slow client is skipped rather than buffered. The socket closes when its session ends (log-out, account disabled, idle or absolute expiry), within a few seconds, with code 4401 and the reason (`session-revoked`, `user-disabled`, `session-idle`, `session-expired`); with 4403 when the viewer may no longer watch the recorders.',
        security: [{ session: [] }],
        maxFrameBytes: 4096,
        serverMessages: ref('LiveEvent'),
      },
    },
  };
}
