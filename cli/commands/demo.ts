/**
 * `hattama demo --seconds N`: records a demo hearing (test-pattern camera and four
 * microphones) on the embedded stack, stops it, waits for its manifest and prints a
 * summary. The same steps serve the end-to-end tests.
 */
import { createLogger, envIsSet, isoTime, loadConfigWith, type Config } from '../../core/index.ts';
import { fsObjectDataFile } from '../../storage/index.ts';
import { UsageError } from '../run-command.ts';
import { DEMO, startRole, type Running } from './serve.ts';

export interface DemoSummary {
  hearingId: string;
  manifest: { key: string; sha256: string; file: string | null };
  startedAt: string | null;
  stoppedAt: string | null;
  tracks: { name: string; segments: number; durationMs: number }[];
  markers: number;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new UsageError(
        `gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s; see the log above`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Records one hearing on a running embedded stack: create, start, let `seconds` of
 * media pass after the first segment's start, stop, wait for the manifest.
 */
export async function recordHearing(options: {
  running: Running;
  config: Config;
  seconds: number;
  hearingId?: string;
  visibility?: 'open' | 'closed';
  onProgress?: (message: string) => void;
  /** Called while recording, with the seconds recorded so far (for fault injection in tests). */
  during?: (elapsedSeconds: number) => Promise<void> | void;
}): Promise<DemoSummary> {
  const { running, seconds } = options;
  const hub = running.hub!;
  const repos = running.backends!.repos;
  const say = options.onProgress ?? (() => undefined);
  await until('the recorder to connect', 30_000, async () => hub.gateway.nodeForCourtroom(DEMO.courtroomId));
  const demoCase = await repos.cases.findCase(DEMO.caseId);
  const hearing = await hub.hearings.create({
    id: options.hearingId,
    courtroomId: DEMO.courtroomId,
    caseNumber: DEMO.caseNumber,
    title: 'Demo hearing',
    judge: 'Demo Judge',
    visibility: options.visibility ?? 'open',
    language: 'ru',
    ...(demoCase ? { caseId: DEMO.caseId } : {}),
    ...((await repos.users.findByLogin('demo-judge')) ? { judgeLogin: 'demo-judge' } : {}),
  });
  await hub.hearings.command(hearing.id, 'start');
  say(`recording hearing ${hearing.id} for ${seconds} s…`);
  // Media time 0 is the first segment's start: stop once `seconds` of media exist.
  let lastReported = -1;
  let t0: number | null = null;
  await until('the first segment', 60_000, async () => {
    const segments = await repos.segments.listByHearing(hearing.id);
    if (segments.length > 0) t0 = Math.min(...segments.map((s) => s.start_ms));
    return t0 !== null;
  });
  for (;;) {
    const elapsed = (Date.now() - t0!) / 1000;
    if (elapsed >= seconds) break;
    const whole = Math.floor(elapsed);
    if (whole !== lastReported && whole % 5 === 0) {
      lastReported = whole;
      say(`  ${whole}/${seconds} s recorded`);
    }
    await options.during?.(elapsed);
    await new Promise((r) => setTimeout(r, Math.min(200, (seconds - elapsed) * 1000)));
  }
  await hub.hearings.command(hearing.id, 'stop');
  say('stopped; waiting for every segment and the manifest…');
  const done = await until('the manifest', 180_000, async () => {
    const h = await repos.hearings.find(hearing.id);
    return h?.manifest_key && h.manifest_sha256 ? h : null;
  });
  const tracks = await repos.hearings.listTracks(hearing.id);
  const segments = await repos.segments.listByHearing(hearing.id);
  const config = options.config;
  return {
    hearingId: hearing.id,
    manifest: {
      key: done.manifest_key!,
      sha256: done.manifest_sha256!,
      file: config.objects === 'fs' ? fsObjectDataFile(config.objectsDir, done.manifest_key!) : null,
    },
    startedAt: done.started_at === null ? null : isoTime(done.started_at),
    stoppedAt: done.stopped_at === null ? null : isoTime(done.stopped_at),
    tracks: tracks.map((t) => {
      const own = segments.filter((s) => s.track === t.name);
      return {
        name: t.name,
        segments: own.length,
        durationMs: own.reduce((sum, s) => sum + s.duration_ms, 0),
      };
    }),
    markers: (await repos.markers.listByHearing(hearing.id)).length,
  };
}

export async function demoCommand(options: {
  seconds: string;
  dataDir?: string;
  json?: boolean;
}): Promise<void> {
  const seconds = Number(options.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
    throw new UsageError(
      `--seconds must be a whole number from 1 to 3600, got ${JSON.stringify(options.seconds)}`,
    );
  const overrides: Record<string, string> = { HATTAMA_PORT: '0', HATTAMA_RECORDER_SOURCES: 'demo' };
  if (options.dataDir) overrides.HATTAMA_DATA_DIR = options.dataDir;
  const config = loadConfigWith(overrides);
  const logger = createLogger({ level: envIsSet('HATTAMA_LOG_LEVEL') ? config.logLevel : 'warn' });
  const say = (m: string) => process.stderr.write(`${m}\n`);
  say(`starting the embedded stack in ${config.dataDir}…`);
  const running = await startRole('all', config, logger);
  try {
    const summary = await recordHearing({ running, config, seconds, onProgress: say });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return;
    }
    const lines = [
      `hearing   ${summary.hearingId}`,
      `recorded  ${summary.startedAt} → ${summary.stoppedAt}`,
      `manifest  ${summary.manifest.file ?? summary.manifest.key}`,
      `sha256    ${summary.manifest.sha256}`,
      'tracks:',
      ...summary.tracks.map(
        (t) =>
          `  ${t.name.padEnd(6)} ${String(t.segments).padStart(4)} segments  ${(t.durationMs / 1000).toFixed(3)} s`,
      ),
      `verify with: hattama verify ${summary.hearingId}${options.dataDir ? ` --data-dir ${options.dataDir}` : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await running.close();
  }
}
