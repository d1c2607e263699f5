/**
 * The long-running roles: `all` (embedded: hub, worker and the demo courtroom's
 * recorder in one process), and `hub`, `worker`, `recorder` (scaled out). Each opens
 * what it needs, starts its parts, and closes them in reverse order on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import crypto from 'node:crypto';
import {
  SystemClock,
  ValidationError,
  createLogger,
  errorMessage,
  loadConfig,
  type Config,
  type Logger,
} from '../../core/index.ts';
import {
  DEMO_SOURCES,
  RecorderNode,
  nodeSourcesSchema,
  type NodeSources,
  type RecorderNodeOptions,
} from '../../recorder/index.ts';
import { resolveFfmpegPath } from '../../media/index.ts';
import { assertCompleteHandlers, JOB_NAMES } from '../../storage/index.ts';
import { authOptionsFromConfig, createApp, createHub, hashNodeToken, type Hub } from '../../web/index.ts';
import { seedDemoUsers } from '../../court/index.ts';
import { adminToken, jobHandlers, openBackends, openObjectStore, type Backends } from '../backends.ts';

export type Role = 'all' | 'hub' | 'worker' | 'recorder';

export interface Running {
  backends: Backends | null;
  hub: Hub | null;
  recorder: RecorderNode | null;
  server: http.Server | null;
  url: string | null;
  adminToken: string | null;
  adminTokenFile: string | null;
  /** The demo accounts seeded by `all`, with passwords only where newly made. */
  demoUsers: DemoUsers;
  close(): Promise<void>;
}

type DemoUsers = Awaited<ReturnType<typeof seedDemoUsers>>;

export const DEMO = {
  courtId: 'demo-court',
  courtroomId: 'demo-room',
  caseId: 'demo-case',
  caseNumber: '2-0001/2026',
} as const;

/** The demo case: demo-party and demo-representative on it, demo-higher-judge assigned to it. */
async function seedDemoCase(backends: Backends): Promise<void> {
  const { repos, clock } = backends;
  const now = clock.now();
  if (!(await repos.cases.findCase(DEMO.caseId)))
    await repos.cases.insertCase({
      id: DEMO.caseId,
      number: DEMO.caseNumber,
      category: 'civil',
      court_id: DEMO.courtId,
      created_at: now,
    });
  for (const [login, capacity] of [
    ['demo-party', 'party'],
    ['demo-representative', 'representative'],
  ] as const) {
    const user = await repos.users.findByLogin(login);
    if (user)
      await repos.cases.insertParticipant({
        id: `${DEMO.caseId}-${login}`,
        case_id: DEMO.caseId,
        user_id: user.id,
        name: user.display_name,
        capacity,
        created_at: now,
      });
  }
  const higher = await repos.users.findByLogin('demo-higher-judge');
  if (higher && !(await repos.cases.activeAssignment(DEMO.caseId, higher.id, now)))
    await repos.cases.insertAssignment({
      id: `${DEMO.caseId}-appeal`,
      case_id: DEMO.caseId,
      user_id: higher.id,
      valid_from_ms: now - 86_400_000,
      valid_until_ms: null,
      created_at: now,
    });
}

/** Reads the node's sources: the built-in demo, or a JSON file checked against the schema. */
export function loadSources(spec: string): NodeSources {
  if (spec === 'demo') return DEMO_SOURCES;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(spec, 'utf8'));
  } catch (error) {
    throw new ValidationError(`HATTAMA_RECORDER_SOURCES: cannot read ${spec}: ${errorMessage(error)}`);
  }
  const parsed = nodeSourcesSchema.safeParse(raw);
  if (!parsed.success)
    throw new ValidationError(
      `HATTAMA_RECORDER_SOURCES: ${spec} is not a valid sources file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** The embedded demo courtroom and its recorder node; the node gets a fresh token each start. */
async function seedDemo(backends: Backends, nodeId: string): Promise<string> {
  const { repos, clock } = backends;
  const now = clock.now();
  if (!(await repos.courts.findCourt(DEMO.courtId)))
    await repos.courts.insertCourt({ id: DEMO.courtId, name: 'Demo District Court', created_at: now });
  if (!(await repos.courts.findCourtroom(DEMO.courtroomId)))
    await repos.courts.insertCourtroom({
      id: DEMO.courtroomId,
      court_id: DEMO.courtId,
      name: 'Courtroom 1',
      created_at: now,
    });
  const token = crypto.randomBytes(24).toString('base64url');
  if (await repos.recorderNodes.find(nodeId))
    await repos.recorderNodes.setTokenHash(nodeId, hashNodeToken(token));
  else
    await repos.recorderNodes.insert({
      id: nodeId,
      courtroom_id: DEMO.courtroomId,
      name: 'Demo recorder (test pattern and four microphones)',
      token_hash: hashNodeToken(token),
      created_at: now,
      last_seen_at: null,
      revoked_at: null,
    });
  return token;
}

export interface RoleHooks {
  /** Observes every segment the recorder has stored and registered (benchmarks, tests). */
  onSegmentDone?: RecorderNodeOptions['onSegmentDone'];
}

async function startRecorder(
  config: Config,
  logger: Logger,
  target: { hubUrl: string; token: string },
  hooks: RoleHooks,
): Promise<RecorderNode> {
  const { hubUrl, token } = target;
  const objects = await openObjectStore(config, logger);
  try {
    return await RecorderNode.create({
      nodeId: config.recorderId,
      token,
      hubUrl,
      spoolDir: config.spoolDir,
      sources: loadSources(config.recorderSources),
      segmentSeconds: config.segmentSeconds,
      ffmpegPath: resolveFfmpegPath(config.ffmpegPath),
      objects,
      clock: new SystemClock(),
      logger,
      diskFloorBytes: config.spoolFloorMb * 1024 * 1024,
      levelAlarms: { silenceDb: -70, silenceSeconds: config.silenceSeconds, clipDb: -0.1 },
      onSegmentDone: hooks.onSegmentDone,
    });
  } catch (error) {
    await objects.close();
    throw error;
  }
}

/** Starts a role; used by the CLI and by tests that need a whole stack in-process. */
export async function startRole(
  role: Role,
  config: Config,
  logger: Logger,
  hooks: RoleHooks = {},
): Promise<Running> {
  if (role === 'recorder') {
    if (!config.hubUrl)
      throw new ValidationError('HATTAMA_HUB_URL: required for the recorder role (e.g. ws://hub:8080)');
    if (!config.recorderToken)
      throw new ValidationError('HATTAMA_RECORDER_TOKEN: required for the recorder role');
    const recorder = await startRecorder(
      config,
      logger,
      { hubUrl: config.hubUrl, token: config.recorderToken },
      hooks,
    );
    return {
      backends: null,
      hub: null,
      recorder,
      server: null,
      url: null,
      adminToken: null,
      adminTokenFile: null,
      demoUsers: [],
      close: () => recorder.close(),
    };
  }

  const backends = await openBackends(config, logger);
  let server: http.Server | null = null;
  let hub: Hub | null = null;
  let recorder: RecorderNode | null = null;
  let url: string | null = null;
  let demoUsers: DemoUsers = [];
  const admin = adminToken(config);
  try {
    if (role === 'all' || role === 'worker') {
      const handlers = jobHandlers(backends, logger);
      assertCompleteHandlers(handlers, JOB_NAMES);
      await backends.queue.start(handlers, { concurrency: config.workerConcurrency });
    }
    if (role === 'all' || role === 'hub') {
      hub = createHub({
        repos: backends.repos,
        objects: backends.objects,
        queue: backends.queue,
        clock: backends.clock,
        logger,
        adminToken: admin.token,
        segmentSeconds: config.segmentSeconds,
        signer: backends.signer,
        presignExpirySeconds: config.presignExpirySeconds,
        courtNetworks: config.courtNetworkList,
        auth: authOptionsFromConfig(config),
        probes: backends.probes,
        role,
        catalogChanges: backends.catalog.changes,
      });
    }
    const app = hub?.app ?? createApp({ logger, probes: backends.probes, role });
    server = http.createServer(app);
    hub?.attach(server);
    // A worker answers only its health check, on a port of its own: a hub may run on the same host.
    const listenPort = role === 'worker' ? config.workerPort : config.port;
    server.listen(listenPort, config.host);
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listenPort;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `http://${host}:${port}`;
    if (role === 'all') {
      const token = await seedDemo(backends, config.recorderId);
      demoUsers = await seedDemoUsers(backends.repos, {
        clock: backends.clock,
        password: config.demoPassword,
        courtId: DEMO.courtId,
        audit: hub?.audit,
      });
      await seedDemoCase(backends);
      recorder = await startRecorder(
        config,
        logger.child({ role: 'recorder' }),
        { hubUrl: url, token },
        hooks,
      );
    }
  } catch (error) {
    await recorder?.close();
    server?.close();
    await hub?.close();
    await backends.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    backends,
    hub,
    recorder,
    server,
    url,
    adminToken: hub ? admin.token : null,
    adminTokenFile: hub ? admin.file : null,
    demoUsers,
    close() {
      closing ??= (async () => {
        await recorder?.close();
        await hub?.close();
        if (server) {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server!.close(() => resolve()));
        }
        await backends.close();
      })();
      return closing;
    },
  };
}

export async function serveCommand(role: Role): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel }).child({ role });
  const running = await startRole(role, config, logger);
  logger.info(
    {
      url: running.url,
      dataDir: config.dataDir,
      catalog: config.catalog,
      objects: config.objects,
      queue: config.queue,
    },
    'hattama started',
  );
  const lines = [
    running.url ? `Hattama (${role}) is listening on ${running.url}` : `Hattama (${role}) is running`,
  ];
  if (running.adminTokenFile)
    lines.push(
      `Administrator API token (Authorization: Bearer …; acts as the audited account api-token): ${running.adminTokenFile}`,
    );
  if (role === 'all')
    lines.push(
      `Demo courtroom "${DEMO.courtroomId}" with recorder "${config.recorderId}". The token manages courts, accounts and recorders, e.g.:`,
      `  curl -H "Authorization: Bearer $(cat ${running.adminTokenFile ?? '<token>'})" ${running.url}/api/recorders`,
      `Hearings are created and run by the court's secretaries and operators: log in on the pages.`,
    );
  if (running.demoUsers.length > 0) {
    lines.push(`Open ${running.url}/ and log in as one of (passwords are shown only when made):`);
    for (const u of running.demoUsers)
      lines.push(
        `  ${u.login.padEnd(20)} ${u.role.padEnd(20)} ${config.demoPassword ? '(HATTAMA_DEMO_PASSWORD)' : (u.password ?? '(unchanged)')}`,
      );
  }
  lines.push('Stop with Ctrl-C.');
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
}
