/**
 * Opens the backends the configuration names. This is the one place that chooses
 * SQLite or PostgreSQL, the local directory or S3, the in-process queue or bull; the
 * scaled-out drivers are imported only when chosen.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SystemClock, type Clock, type Config, type Logger } from '../core/index.ts';
import {
  AuditLog,
  Catalog,
  JOB_NAMES,
  UrlSigner,
  createJobQueue,
  createObjectStore,
  createRepositories,
  objectVerifyHandler,
  type JobHandlers,
  type JobQueue,
  type ObjectStore,
  type Repositories,
} from '../storage/index.ts';
import { AccessService, CopiesService, copyMakeHandler } from '../court/index.ts';
import { resolveFfmpegPath } from '../media/index.ts';
import type { BackendProbe } from '../web/index.ts';

export interface Backends {
  config: Config;
  clock: Clock;
  catalog: Catalog;
  repos: Repositories;
  objects: ObjectStore;
  queue: JobQueue;
  signer: UrlSigner;
  probes: BackendProbe[];
  /** Closes children first-in-last-out; safe to call twice. */
  close(): Promise<void>;
}

/** A random secret made once and kept (mode 0600) under <data>/keys/; concurrent makers agree. */
function secretFile(config: Config, name: string): string {
  const file = path.join(config.dataDir, 'keys', name);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = crypto.randomBytes(32).toString('base64url');
  // 'wx': if another process made it first, keep theirs.
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return fs.readFileSync(file, 'utf8').trim();
  }
}

/** The HMAC key for hub-signed URLs: from configuration, or made once and kept in the data dir. */
export function urlSigningSecret(config: Config): string {
  return config.urlSigningSecret ?? secretFile(config, 'url-signing.key');
}

/** The object store the configuration names, initialised (directory or bucket made). */
export async function openObjectStore(
  config: Config,
  logger: Logger,
  signer?: UrlSigner,
): Promise<ObjectStore> {
  const objects =
    config.objects === 'fs'
      ? await createObjectStore({
          driver: 'fs',
          root: config.objectsDir,
          signer: signer ?? new UrlSigner(urlSigningSecret(config)),
          logger,
        })
      : await createObjectStore({
          driver: 's3',
          endpoint: config.s3Endpoint!,
          region: config.s3Region,
          accessKey: config.s3AccessKey!,
          secretKey: config.s3SecretKey!,
          bucket: config.s3Bucket,
          // HATTAMA_RETENTION_DAYS=0 means no retention; the driver takes only a positive count.
          retentionDays: config.retentionDays > 0 ? config.retentionDays : undefined,
          logger,
        });
  await objects.init();
  return objects;
}

/** The administrator token: from configuration, or made once and kept (0600) in the data dir. */
export function adminToken(config: Config): { token: string; file: string | null } {
  if (config.adminToken) return { token: config.adminToken, file: null };
  return { token: secretFile(config, 'admin.token'), file: path.join(config.dataDir, 'keys', 'admin.token') };
}

export async function openBackends(config: Config, logger: Logger): Promise<Backends> {
  const clock = new SystemClock();
  const opened: { close(): Promise<void> }[] = [];
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });

    const catalog = await Catalog.open(
      config.catalog === 'sqlite'
        ? { dialect: 'sqlite', path: config.sqlitePath }
        : { dialect: 'postgres', url: config.databaseUrl!, schema: config.databaseSchema },
      logger,
    );
    opened.push(catalog);
    await catalog.migrate();

    const signer = new UrlSigner(urlSigningSecret(config));
    const objects = await openObjectStore(config, logger, signer);
    opened.push(objects);

    const queue =
      config.queue === 'inline'
        ? await createJobQueue({ driver: 'inline', catalog, names: JOB_NAMES, logger, clock })
        : await createJobQueue({
            driver: 'bull',
            redisUrl: config.redisUrl,
            prefix: config.queuePrefix,
            names: JOB_NAMES,
            logger,
          });
    opened.push(queue);

    const repos = createRepositories(catalog.db);
    const probes: BackendProbe[] = [
      { name: 'catalog', driver: config.catalog, check: () => catalog.health() },
      { name: 'objects', driver: config.objects, check: () => objects.health() },
      { name: 'queue', driver: config.queue, check: () => queue.health() },
    ];
    let closed = false;
    return {
      config,
      clock,
      catalog,
      repos,
      objects,
      queue,
      signer,
      probes,
      async close() {
        if (closed) return;
        closed = true;
        await closeAll(opened, logger);
      },
    };
  } catch (error) {
    await closeAll(opened, logger);
    throw error;
  }
}

async function closeAll(opened: { close(): Promise<void> }[], logger: Logger): Promise<void> {
  for (const item of opened.reverse()) {
    await item
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'error while closing a backend'));
  }
}

/** Every job's handler: a missing one does not compile, and start-up checks again. */
export function jobHandlers(backends: Backends, logger: Logger): JobHandlers {
  return {
    'object.verify': objectVerifyHandler({
      objects: backends.objects,
      segments: backends.repos.segments,
      clock: backends.clock,
      logger: logger.child({ job: 'object.verify' }),
    }),
    'copy.make': copyMakeHandler({
      copies: backends.repos.copies,
      hearings: backends.repos.hearings,
      service: copiesService(backends, logger.child({ job: 'copy.make' })),
      media: {
        ffmpegPath: resolveFfmpegPath(backends.config.ffmpegPath),
        // On the data disk, not /tmp: a whole hearing's segments and its copy pass through here.
        workDir: path.join(backends.config.dataDir, 'work', 'copies'),
      },
      logger: logger.child({ job: 'copy.make' }),
    }),
  };
}

/** The worker's copies service: it decides again, as the hub does, when a copy is made. */
function copiesService(backends: Backends, logger: Logger): CopiesService {
  const audit = new AuditLog(backends.repos.auditLog, backends.clock);
  const access = new AccessService({
    repos: backends.repos,
    audit,
    clock: backends.clock,
    logger,
    courtNetworks: backends.config.courtNetworkList,
  });
  return new CopiesService({
    repos: backends.repos,
    access,
    objects: backends.objects,
    queue: backends.queue,
    audit,
    clock: backends.clock,
    logger,
    expirySeconds: backends.config.presignExpirySeconds,
  });
}
