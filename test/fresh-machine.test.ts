/**
 * `npm ci && npm test` on a court's machine that has only Node, npm and the base system
 * (a shell, coreutils): no Debian ffmpeg/ffprobe, espeak-ng, PulseAudio, Chromium, jq,
 * PostgreSQL, Redis or S3 server. A representative set of suites runs in a child vitest
 * with a PATH of symlinks to node, npm, npx and those base tools, the three backends
 * pointed at a closed port and HATTAMA_TEST_REQUIRE_SERVICES unset: it must end green,
 * running what the bundled ffmpeg (@ffmpeg-installer) can do and skipping the rest with
 * a reason that says how to enable it. The whole suite under the same conditions is too
 * slow to add to CI on two cores, hence a set (decision 0023).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from './support/tools.ts';

const REPO = path.resolve(import.meta.dirname, '..');

/** Each needs a tool or a backend a fresh machine lacks, or runs the bundled ffmpeg. */
const SUITES = [
  'media/ffmpeg/mpegts.test.ts', // bundled ffmpeg; the ffprobe tests skip
  'recorder/short-segment.test.ts', // bundled ffmpeg; the ffprobe test skips
  'recorder/levels.test.ts', // bundled ffmpeg
  'test/ui.e2e.test.ts', // Chromium
  'test/sources-speech.e2e.test.ts', // espeak-ng
  'test/sources-pulse.e2e.test.ts', // PulseAudio
  'test/sources-test-pattern.e2e.test.ts', // ffprobe
  'test/hls-ffprobe.test.ts', // ffprobe
  'test/verify-cli.test.ts', // jq for scripts/verify-chain.sh; hattama verify runs
  'storage/catalog/catalog.contract.test.ts', // PostgreSQL; SQLite runs
  'storage/objects/object-store.contract.test.ts', // S3; the file store runs
  'storage/queue/job-queue.contract.test.ts', // PostgreSQL and Redis; SQLite runs
];

/** The reasons the skipped suites must print. */
const REASONS = [
  'ffprobe is not on PATH',
  'Debian chromium is not on PATH',
  'espeak-ng is not installed',
  'pulseaudio or paplay is not installed',
  'jq is not on PATH',
  'postgres is not reachable',
  'redis is not reachable',
  's3 is not reachable',
];

/** What a fresh Debian has besides Node and npm, and some tests run. */
const BASE_TOOLS = ['sh', 'bash', 'sha256sum', 'cut'];

let bin: string;

beforeAll(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-nodeonly-'));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const tool of ['npm', 'npx', ...BASE_TOOLS]) {
    const found = findOnPath(tool);
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
});

afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

function runReduced(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot', ...SUITES],
      {
        cwd: REPO,
        // Nothing from this environment: no HATTAMA_TEST_REQUIRE_SERVICES, no FFMPEG_PATH.
        env: {
          HOME: process.env.HOME ?? os.tmpdir(),
          PATH: bin,
          CI: 'true',
          NO_COLOR: '1',
          HATTAMA_TEST_PG_URL: 'postgres://postgres@127.0.0.1:1/test',
          HATTAMA_TEST_REDIS_URL: 'redis://127.0.0.1:1',
          S3_ENDPOINT: 'http://127.0.0.1:1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the suite on a fresh machine with only Node and npm', () => {
  it('ends green, running on the bundled ffmpeg and skipping what needs a missing tool or backend with its reason', async () => {
    const { code, output } = await runReduced();
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/ENOENT/);
    for (const reason of REASONS) expect(output, reason).toContain(`${reason}; to run this suite, `);
    // Something ran: the bundled ffmpeg made and read media.
    expect(output).toMatch(/Tests\s+\d+ passed/);
  }, 600_000);
});
