/**
 * The only reader of process.env. Every key has a default, a unit and a one-line
 * description; secrets may also come from `<NAME>_FILE` (Docker/Kubernetes secrets).
 * `loadConfig` validates every key at once and throws a ConfigError listing them all.
 * The README's configuration reference is generated from `CONFIG_KEYS`
 * (`npm run docs:config`), and a test fails when it drifts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

interface KeySpec<T> {
  /** Environment variable name. */
  env: string;
  schema: z.ZodType<T>;
  /** Default as it would be written in the environment; undefined = unset by default. */
  default: string | undefined;
  unit: string;
  doc: string;
  /** Masked in `hattama config`, redacted in logs, readable from `<env>_FILE`. */
  secret?: boolean;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );
const nonEmpty = z.string().min(1, 'must not be empty');
const cidrList = z.string().refine(
  (s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .every((p) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(p)),
  'must be a comma-separated list of CIDR ranges, e.g. 10.20.0.0/16,fd00::/8',
);

function key<T>(spec: KeySpec<T>): KeySpec<T> {
  return spec;
}

/** Every configuration key, in the order the README lists them. */
export const CONFIG_KEYS = {
  dataDir: key({
    env: 'HATTAMA_DATA_DIR',
    schema: nonEmpty,
    default: './data',
    unit: 'path',
    doc: 'Directory for the embedded catalog, objects, spool and keys; created on start.',
  }),
  host: key({
    env: 'HATTAMA_HOST',
    schema: nonEmpty,
    default: '127.0.0.1',
    unit: 'address',
    doc: 'Address the hub listens on; 0.0.0.0 exposes it to the court network.',
  }),
  port: key({
    env: 'HATTAMA_PORT',
    schema: int(0, 65535),
    default: '8080',
    unit: 'TCP port',
    doc: 'Port the hub listens on (0 picks a free one).',
  }),
  workerPort: key({
    env: 'HATTAMA_WORKER_PORT',
    schema: int(0, 65535),
    default: '8081',
    unit: 'TCP port',
    doc: "Port a worker's health endpoint listens on (0 picks a free one); apart from the hub's, so both roles run on one host.",
  }),
  publicUrl: key({
    env: 'HATTAMA_PUBLIC_URL',
    schema: url(['http:', 'https:']).optional(),
    default: undefined,
    unit: 'URL',
    doc: 'Base URL of the hub as users reach it (playback links, QR codes); defaults to http://host:port.',
  }),
  logLevel: key({
    env: 'HATTAMA_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    unit: 'level',
    doc: 'Minimum level of log lines written to stderr (JSON, one per line).',
  }),
  catalog: key({
    env: 'HATTAMA_CATALOG',
    schema: z.enum(['sqlite', 'postgres']),
    default: 'sqlite',
    unit: 'driver',
    doc: 'Catalog database: sqlite (embedded file) or postgres (scaled out).',
  }),
  sqlitePath: key({
    env: 'HATTAMA_SQLITE_PATH',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'path',
    doc: 'SQLite catalog file; defaults to <HATTAMA_DATA_DIR>/catalog.sqlite.',
  }),
  databaseUrl: key({
    env: 'HATTAMA_DATABASE_URL',
    schema: url(['postgres:', 'postgresql:']).optional(),
    default: undefined,
    unit: 'URL',
    doc: 'PostgreSQL connection URL, required when HATTAMA_CATALOG=postgres.',
    secret: true,
  }),
  databaseSchema: key({
    env: 'HATTAMA_DATABASE_SCHEMA',
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier'),
    default: 'public',
    unit: 'identifier',
    doc: 'PostgreSQL schema holding the catalog tables; created if missing.',
  }),
  objects: key({
    env: 'HATTAMA_OBJECTS',
    schema: z.enum(['fs', 's3']),
    default: 'fs',
    unit: 'driver',
    doc: 'Object store: fs (local directory) or s3 (MinIO or another S3 server).',
  }),
  objectsDir: key({
    env: 'HATTAMA_OBJECTS_DIR',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'path',
    doc: 'Directory of the fs object store; defaults to <HATTAMA_DATA_DIR>/objects.',
  }),
  s3Endpoint: key({
    env: 'HATTAMA_S3_ENDPOINT',
    schema: url(['http:', 'https:']).optional(),
    default: undefined,
    unit: 'URL',
    doc: 'S3 endpoint, e.g. http://minio:9000; required when HATTAMA_OBJECTS=s3.',
  }),
  s3Region: key({
    env: 'HATTAMA_S3_REGION',
    schema: nonEmpty,
    default: 'us-east-1',
    unit: 'name',
    doc: 'S3 region used for request signing.',
  }),
  s3Bucket: key({
    env: 'HATTAMA_S3_BUCKET',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    default: 'hattama',
    unit: 'name',
    doc: 'Bucket for recordings and manifests; created with object locking if missing.',
  }),
  s3AccessKey: key({
    env: 'HATTAMA_S3_ACCESS_KEY',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'string',
    doc: 'S3 access key id; required when HATTAMA_OBJECTS=s3.',
    secret: true,
  }),
  s3SecretKey: key({
    env: 'HATTAMA_S3_SECRET_KEY',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'string',
    doc: 'S3 secret key; required when HATTAMA_OBJECTS=s3.',
    secret: true,
  }),
  retentionDays: key({
    env: 'HATTAMA_RETENTION_DAYS',
    schema: int(0, 36500),
    default: '0',
    unit: 'days',
    doc: 'Object-lock retention (COMPLIANCE) set on every recording object; 0 = none.',
  }),
  presignExpirySeconds: key({
    env: 'HATTAMA_PRESIGN_EXPIRY_SECONDS',
    schema: int(10, 3600),
    default: '300',
    unit: 'seconds',
    doc: 'Lifetime of presigned or hub-signed object URLs handed to players.',
  }),
  urlSigningSecret: key({
    env: 'HATTAMA_URL_SIGNING_SECRET',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    default: undefined,
    unit: 'string',
    doc: 'HMAC key for hub-signed object URLs; generated into the data directory if unset.',
    secret: true,
  }),
  queue: key({
    env: 'HATTAMA_QUEUE',
    schema: z.enum(['inline', 'bull']),
    default: 'inline',
    unit: 'driver',
    doc: 'Job queue: inline (in-process, persisted in the catalog) or bull (Redis).',
  }),
  redisUrl: key({
    env: 'HATTAMA_REDIS_URL',
    schema: url(['redis:', 'rediss:']),
    default: 'redis://127.0.0.1:6379',
    unit: 'URL',
    doc: 'Redis connection URL for the bull queue.',
    secret: true,
  }),
  queuePrefix: key({
    env: 'HATTAMA_QUEUE_PREFIX',
    schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -'),
    default: 'hattama',
    unit: 'string',
    doc: 'Redis key prefix of the bull queues, so several deployments can share a Redis.',
  }),
  workerConcurrency: key({
    env: 'HATTAMA_WORKER_CONCURRENCY',
    schema: int(1, 64),
    default: '2',
    unit: 'jobs',
    doc: 'Jobs one worker process runs at once.',
  }),
  adminToken: key({
    env: 'HATTAMA_ADMIN_TOKEN',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    unit: 'string',
    doc: 'Bearer token for scripts: acts as the audited administrator account api-token (courts, accounts, recorder nodes; no evidence); generated if unset.',
    secret: true,
  }),
  courtNetworks: key({
    env: 'HATTAMA_COURT_NETWORKS',
    schema: cidrList,
    default: '127.0.0.0/8,::1/128',
    unit: 'CIDR list',
    doc: 'Addresses that count as on site at the court (closed hearings are served only there).',
  }),
  ffmpegPath: key({
    env: 'FFMPEG_PATH',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'path',
    doc: 'ffmpeg binary; defaults to the one from @ffmpeg-installer/ffmpeg, then ffmpeg on PATH.',
  }),
  ffprobePath: key({
    env: 'FFPROBE_PATH',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'path',
    doc: 'ffprobe binary; defaults to ffprobe beside ffmpeg, then on PATH.',
  }),
  segmentSeconds: key({
    env: 'HATTAMA_SEGMENT_SECONDS',
    schema: int(2, 10),
    // 6 s, not 4: each segment's durable commit is a fixed cost (decision 0013).
    default: '6',
    unit: 'seconds',
    doc: 'Length of the recorded segments of every track.',
  }),
  spoolDir: key({
    env: 'HATTAMA_SPOOL_DIR',
    schema: nonEmpty.optional(),
    default: undefined,
    unit: 'path',
    doc: "Recorder node's local spool; defaults to <HATTAMA_DATA_DIR>/spool. Keep it on a local disk.",
  }),
  spoolFloorMb: key({
    env: 'HATTAMA_SPOOL_FLOOR_MB',
    schema: int(0, 10_000_000),
    default: '1024',
    unit: 'MiB',
    doc: 'Free space on the spool disk below which the recorder raises a disk-low alarm.',
  }),
  silenceSeconds: key({
    env: 'HATTAMA_SILENCE_SECONDS',
    schema: int(2, 3600),
    default: '10',
    unit: 'seconds',
    doc: 'A microphone quieter than -70 dBFS for this long raises a microphone-silent alarm.',
  }),
  recorderSources: key({
    env: 'HATTAMA_RECORDER_SOURCES',
    schema: nonEmpty,
    default: 'demo',
    unit: 'path or "demo"',
    doc: 'JSON file describing the camera and microphones of this node; "demo" = test pattern and four tones.',
  }),
  hubUrl: key({
    env: 'HATTAMA_HUB_URL',
    schema: url(['ws:', 'wss:', 'http:', 'https:']).optional(),
    default: undefined,
    unit: 'URL',
    doc: 'Hub a recorder node connects to (scaled out); `hattama all` uses its own.',
  }),
  recorderId: key({
    env: 'HATTAMA_RECORDER_ID',
    schema: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and -'),
    default: 'demo-recorder',
    unit: 'identifier',
    doc: 'Identity of this recorder node.',
  }),
  recorderToken: key({
    env: 'HATTAMA_RECORDER_TOKEN',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    unit: 'string',
    doc: 'Per-node token the recorder presents to the hub.',
    secret: true,
  }),
  sessionIdleMinutes: key({
    env: 'HATTAMA_SESSION_IDLE_MINUTES',
    schema: int(1, 7 * 24 * 60),
    default: '30',
    unit: 'minutes',
    doc: 'A log-in session without any request for this long ends.',
  }),
  sessionMaxHours: key({
    env: 'HATTAMA_SESSION_MAX_HOURS',
    schema: int(1, 30 * 24),
    default: '12',
    unit: 'hours',
    doc: 'A log-in session ends this long after the log-in, however active it is.',
  }),
  loginMaxFailuresPerAccount: key({
    env: 'HATTAMA_LOGIN_MAX_FAILURES_PER_ACCOUNT',
    schema: int(1, 1000),
    default: '5',
    unit: 'attempts',
    doc: 'Failed log-ins to one account per window before further attempts are refused (HTTP 429).',
  }),
  loginMaxFailuresPerAddress: key({
    env: 'HATTAMA_LOGIN_MAX_FAILURES_PER_ADDRESS',
    schema: int(1, 100_000),
    default: '20',
    unit: 'attempts',
    doc: 'Failed log-ins from one address per window before further attempts are refused (HTTP 429).',
  }),
  loginWindowMinutes: key({
    env: 'HATTAMA_LOGIN_WINDOW_MINUTES',
    schema: int(1, 24 * 60),
    default: '15',
    unit: 'minutes',
    doc: 'Length of the window in which failed log-ins are counted.',
  }),
  cookieSecure: key({
    env: 'HATTAMA_COOKIE_SECURE',
    schema: z.enum(['auto', 'true', 'false']),
    default: 'auto',
    unit: 'auto|true|false',
    doc: 'Secure flag of the session cookie; auto = when HATTAMA_PUBLIC_URL is https or the request came over TLS.',
  }),
  demoPassword: key({
    env: 'HATTAMA_DEMO_PASSWORD',
    schema: z.string().min(10, 'must be at least 10 characters').max(1024).optional(),
    default: undefined,
    unit: 'string',
    doc: 'One known password for every demo user of `hattama all` (scripted trials); unset = random one-time passwords.',
    secret: true,
  }),
} as const;

type Keys = typeof CONFIG_KEYS;
type ValueOf<K extends keyof Keys> = Keys[K] extends KeySpec<infer T> ? T : never;
type RawConfig = { [K in keyof Keys]: ValueOf<K> };

/** The validated configuration, with derived paths resolved to absolute ones. */
export interface Config extends Omit<RawConfig, 'sqlitePath' | 'objectsDir' | 'spoolDir'> {
  sqlitePath: string;
  objectsDir: string;
  spoolDir: string;
  courtNetworkList: readonly string[];
}

export type ConfigKeyName = keyof Keys;

function readRaw(env: Env, spec: KeySpec<unknown>, issues: ConfigIssue[]): string | undefined {
  const direct = env[spec.env];
  const fileVar = `${spec.env}_FILE`;
  const file = spec.secret ? env[fileVar] : undefined;
  if (direct !== undefined && file !== undefined) {
    issues.push({ key: spec.env, message: `set either ${spec.env} or ${fileVar}, not both` });
    return undefined;
  }
  if (file !== undefined) {
    try {
      return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      issues.push({
        key: fileVar,
        message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      });
      return undefined;
    }
  }
  // An empty variable counts as unset, as in most twelve-factor tools.
  return direct === '' ? spec.default : (direct ?? spec.default);
}

/**
 * Validates the environment. Throws ConfigError naming every invalid key; reads
 * nothing from disk but `_FILE` secrets and never creates directories.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const issues: ConfigIssue[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_KEYS) as [string, KeySpec<unknown>][]) {
    const value = readRaw(env, spec, issues);
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) raw[name] = parsed.data;
    else {
      const msg = parsed.error.issues.map((i) => i.message).join('; ');
      issues.push({ key: spec.env, message: `${msg} (got ${describe(value, spec.secret)})` });
    }
  }

  // Cross-key rules: the scaled-out drivers need their connection settings.
  if (raw.catalog === 'postgres' && raw.databaseUrl === undefined)
    issues.push({ key: 'HATTAMA_DATABASE_URL', message: 'required when HATTAMA_CATALOG=postgres' });
  if (raw.objects === 's3') {
    for (const k of ['s3Endpoint', 's3AccessKey', 's3SecretKey'] as const)
      if (raw[k] === undefined && !issues.some((i) => i.key === CONFIG_KEYS[k].env))
        issues.push({ key: CONFIG_KEYS[k].env, message: 'required when HATTAMA_OBJECTS=s3' });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const r = raw as RawConfig;
  const dataDir = path.resolve(cwd, r.dataDir);
  return {
    ...r,
    dataDir,
    sqlitePath: path.resolve(cwd, r.sqlitePath ?? path.join(dataDir, 'catalog.sqlite')),
    objectsDir: path.resolve(cwd, r.objectsDir ?? path.join(dataDir, 'objects')),
    spoolDir: path.resolve(cwd, r.spoolDir ?? path.join(dataDir, 'spool')),
    courtNetworkList: r.courtNetworks
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/**
 * The process environment with some keys set for this run (a command's --data-dir),
 * validated like loadConfig. Keeps process.env read here and nowhere else.
 */
export function loadConfigWith(overrides: Readonly<Record<string, string | undefined>>): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/** Whether a variable is set in the environment (e.g. to let HATTAMA_LOG_LEVEL win over a command's quiet default). */
export function envIsSet(name: string): boolean {
  return process.env[name] !== undefined && process.env[name] !== '';
}

function describe(value: unknown, secret: boolean | undefined): string {
  if (value === undefined) return 'nothing';
  if (secret) return 'a value that is not shown';
  return JSON.stringify(value);
}

/** The effective configuration as environment lines, secrets masked, for `hattama config`. */
export function describeConfig(config: Config): { env: string; value: string; doc: string }[] {
  return (Object.entries(CONFIG_KEYS) as [ConfigKeyName, KeySpec<unknown>][]).map(([name, spec]) => {
    const value = (config as unknown as Record<string, unknown>)[name];
    let shown = value === undefined ? '' : String(value);
    if (spec.secret && value !== undefined) shown = maskSecret(name, String(value));
    return { env: spec.env, value: shown, doc: spec.doc };
  });
}

function maskSecret(name: string, value: string): string {
  // A URL keeps its host so an operator can see where it points, never its password.
  if (name === 'databaseUrl' || name === 'redisUrl') {
    try {
      const u = new URL(value);
      if (u.password) u.password = '****';
      return u.toString();
    } catch {
      return '****';
    }
  }
  return '****';
}

/** Environment names of every secret key, for the logger's redaction list. */
export const SECRET_ENV_NAMES: readonly string[] = Object.values(CONFIG_KEYS)
  .filter((s: KeySpec<unknown>) => s.secret)
  .map((s) => s.env);

/** Markdown table of every key, for the README (kept in sync by a test). */
export function configReferenceMarkdown(): string {
  const rows = Object.values(CONFIG_KEYS).map((s: KeySpec<unknown>) => {
    const def = s.default === undefined ? '—' : `\`${s.default}\``;
    const secret = s.secret ? ` Secret: also read from \`${s.env}_FILE\`.` : '';
    return `| \`${s.env}\` | ${def} | ${s.unit} | ${s.doc}${secret} |`;
  });
  return ['| variable | default | unit | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
