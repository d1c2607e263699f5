/// <reference lib="dom" />
/**
 * The hub for people, end to end in real Chromium (Debian's, driven by playwright-core;
 * no browser download): deep links into a recorded hearing, one microphone alone, closed
 * hearings off site and on site, a higher-court judge, a sealed range, and the operator's
 * console with live levels and a silent-microphone alarm. Screenshots of every page in
 * ru and kk go to test/artifacts/ui/ (git-ignored).
 *
 * On site vs off site: the court network is 127.0.0.3/32. The browser talks to the hub
 * directly (from 127.0.0.1: off site), or through a small TCP relay that connects from
 * 127.0.0.3 (on site). Both are the same host, so the session cookie is shared.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, silentLogger, type Config } from '../core/index.ts';
import { recordHearing } from '../cli/commands/demo.ts';
import { startRole, type Running } from '../cli/commands/serve.ts';
import { UserAccounts } from '../court/index.ts';
import { AuditLog } from '../storage/index.ts';
import { FFMPEG } from './support/media.ts';
import { findOnPath, requireTool } from './support/tools.ts';

/** Debian's chromium on PATH (or CHROMIUM_PATH); playwright-core downloads no browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? findOnPath('chromium') ?? '';
const hasChromium = requireTool(
  fs.existsSync(CHROMIUM),
  'UI end-to-end',
  'Debian chromium is not on PATH',
  'run "apt-get install chromium" or set CHROMIUM_PATH',
);

const PASSWORD = 'e2e-demo-password-1';
const ARTIFACTS = path.resolve('test/artifacts/ui');
const FREQS = [440, 660, 880, 1100];

let dir: string;
let running: Running;
let config: Config;
let browser: Browser;
let relay: net.Server;
let onSiteBase: string;
let base: string;
let openId: string;
let closedId: string;
let openStartMs: number;

/** Microphone WAVs: three steady tones, and a fourth that falls silent after 4 s (loops every 30 s). */
function makeMicFiles(): string[] {
  return FREQS.map((f, i) => {
    const file = path.join(dir, `mic-${i + 1}.wav`);
    const graph =
      i === 3
        ? `sine=frequency=${f}:sample_rate=48000:duration=4,apad=whole_dur=30`
        : `sine=frequency=${f}:sample_rate=48000:duration=30`;
    execFileSync(FFMPEG, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      graph,
      '-ac',
      '1',
      '-y',
      file,
    ]);
    return file;
  });
}

/** Relays TCP from 127.0.0.3, so the hub sees an on-site address. */
function startRelay(target: number): Promise<number> {
  relay = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target, localAddress: '127.0.0.3' });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) =>
    relay.listen(0, '127.0.0.1', () => resolve((relay.address() as net.AddressInfo).port)),
  );
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  return { context, page: await context.newPage() };
}

async function login(page: Page, login: string, at = base): Promise<void> {
  await page.goto(`${at}/login`);
  await page.getByTestId('login-name').fill(login);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const lang of ['ru', 'kk'] as const) {
    await page.getByTestId(`lang-${lang}`).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe(lang);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.${lang}.png`), fullPage: false });
  }
}

/** A text of the page's dictionary in the page's current language (a string, so vite leaves the import alone). */
async function uiText(page: Page, key: string): Promise<string> {
  return page.evaluate(`import('/ui/i18n.js').then((m) => m.t(${JSON.stringify(key)}))`);
}

/** Where the hub says a wall-clock time lands in this viewer's playlist. */
async function positionFor(page: Page, hearingId: string, t: string): Promise<number> {
  return page.evaluate(
    async ([id, at]) =>
      (
        (await (await fetch(`/api/hearings/${id}/position?t=${encodeURIComponent(at!)}`)).json()) as {
          offsetSeconds: number;
        }
      ).offsetSeconds,
    [hearingId, t],
  );
}

async function videoTime(page: Page): Promise<{ t: number; ready: number; paused: boolean }> {
  return page
    .getByTestId('player-video')
    .evaluate((v: HTMLVideoElement) => ({ t: v.currentTime, ready: v.readyState, paused: v.paused }));
}

describe.skipIf(!hasChromium)('the hub in real Chromium', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-ui-'));
    const mics = makeMicFiles();
    const sources = path.join(dir, 'sources.json');
    fs.writeFileSync(
      sources,
      JSON.stringify({ camera: { kind: 'test-pattern' }, microphones: { kind: 'file', paths: mics } }),
    );
    config = loadConfig({
      HATTAMA_DATA_DIR: path.join(dir, 'data'),
      HATTAMA_PORT: '0',
      HATTAMA_LOG_LEVEL: 'silent',
      HATTAMA_DEMO_PASSWORD: PASSWORD,
      HATTAMA_COURT_NETWORKS: '127.0.0.3/32',
      HATTAMA_RECORDER_SOURCES: sources,
      HATTAMA_SILENCE_SECONDS: '3',
    });
    running = await startRole('all', config, silentLogger());
    base = running.url!;
    const relayPort = await startRelay(Number(new URL(base).port));
    onSiteBase = `http://127.0.0.1:${relayPort}`;
    const open = await recordHearing({ running, config, seconds: 18, hearingId: 'ui-open' });
    const closed = await recordHearing({
      running,
      config,
      seconds: 6,
      hearingId: 'ui-closed',
      visibility: 'closed',
    });
    openId = open.hearingId;
    closedId = closed.hearingId;
    openStartMs = Math.min(
      ...(await running.backends!.repos.segments.listByHearing(openId)).map((s) => s.start_ms),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    relay?.close();
    await running?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens a protocol-style deep link and lands within 0.5 s of the target', async () => {
    const { context, page } = await newPage();
    await login(page, 'demo-party');
    await shot(page, 'hearings');
    const target = new Date(openStartMs + 6_500).toISOString();
    await page.goto(`${base}/hearings/${openId}?t=${encodeURIComponent(target)}`);
    const expected = await positionFor(page, openId, target);
    await expect
      .poll(async () => (await videoTime(page)).ready, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    const { t } = await videoTime(page);
    expect(Math.abs(t - expected)).toBeLessThan(0.5);
    await expect
      .poll(() => page.getByTestId('player-clock').getAttribute('datetime'))
      .toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect.poll(() => page.getByTestId('player-marker').count()).toBeGreaterThanOrEqual(0);
    await shot(page, 'player');
    await context.close();
  });

  it("switches to one microphone's rendition and plays that microphone's signal", async () => {
    const { context, page } = await newPage();
    await login(page, 'demo-party');
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${base}/hearings/${openId}?t=1`);
    await expect
      .poll(async () => (await videoTime(page)).ready, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await page.getByTestId('player-audio').selectOption({
      label: await page.getByTestId('player-audio').locator('[data-track="mic-2"]').innerText(),
    });
    await expect
      .poll(() => page.getByTestId('player-audio').getAttribute('data-current'), { timeout: 15_000 })
      .toBe('mic-2');
    await expect
      .poll(() => requested.some((p) => p.endsWith('/hls/mic-2.m3u8')), { timeout: 15_000 })
      .toBe(true);
    await expect
      .poll(() => requested.some((p) => /\/hearings\/[^/]+\/mic-2\/\d+\.ts$/.test(p)), { timeout: 15_000 })
      .toBe(true);
    // Listen: route the element into WebAudio and find the strongest of the four tones.
    const strongest = await page
      .getByTestId('player-video')
      .evaluate(async (v: HTMLVideoElement, freqs: number[]) => {
        const ctx = new AudioContext();
        const src = ctx.createMediaElementSource(v);
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 8192;
        src.connect(analyser);
        analyser.connect(ctx.destination);
        v.muted = false;
        await v.play().catch(() => undefined);
        await ctx.resume();
        const bins = new Float32Array(analyser.frequencyBinCount);
        const sums = freqs.map(() => 0);
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 100));
          analyser.getFloatFrequencyData(bins);
          freqs.forEach((f, k) => {
            const bin = Math.round((f / ctx.sampleRate) * analyser.fftSize);
            sums[k]! += Math.max(bins[bin - 1]!, bins[bin]!, bins[bin + 1]!);
          });
        }
        return freqs[sums.indexOf(Math.max(...sums))];
      }, FREQS);
    expect(strongest).toBe(660);
    await context.close();
  });

  it('refuses the closed hearing to the party off site, and plays it on site', async () => {
    const { context, page } = await newPage();
    await login(page, 'demo-party');
    await page.goto(`${base}/hearings`);
    const row = page.locator(`[data-testid="hearing-row"][data-hearing-id="${closedId}"]`);
    await expect
      .poll(() => row.getByTestId('hearing-refusal').getAttribute('data-reason'))
      .toBe('closed-hearing-off-site');
    await page.goto(`${base}/hearings/${closedId}`);
    await expect
      .poll(() => page.getByTestId('player-refusal').getAttribute('data-reason'), { timeout: 15_000 })
      .toBe('closed-hearing-off-site');
    await shot(page, 'player-refused');
    const refusals = await running.backends!.repos.auditLog.list({ hearingId: closedId, verdict: 'refuse' });
    expect(refusals.some((e) => e.actor === 'demo-party' && e.reason === 'closed-hearing-off-site')).toBe(
      true,
    );

    await page.goto(`${onSiteBase}/hearings/${closedId}`);
    await expect
      .poll(async () => (await videoTime(page)).ready, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    const allowed = await running.backends!.repos.auditLog.list({ hearingId: closedId, verdict: 'allow' });
    expect(allowed.some((e) => e.actor === 'demo-party' && e.reason === 'court-network')).toBe(true);
    await context.close();
  });

  it('plays the closed hearing to the higher-court judge assigned to the case, off site', async () => {
    const { context, page } = await newPage();
    await login(page, 'demo-higher-judge');
    await page.goto(`${base}/hearings/${closedId}`);
    await expect
      .poll(async () => (await videoTime(page)).ready, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it('keeps a sealed range out of what the party gets', async () => {
    const repos = running.backends!.repos;
    const segs = (await repos.segments.listByTrack(openId, 'video')).sort((a, b) => a.seq - b.seq);
    // A middle segment: what goes with it (up to half a segment of the sound's cut, which
    // need not meet the picture's) leaves recording on both sides, so the party sees a gap.
    const sealed = segs[2]!;
    const { context: judgeCtx, page: judge } = await newPage();
    await login(judge, 'demo-judge');
    const csrf = await judge.evaluate(
      async () => ((await (await fetch('/api/auth/me')).json()) as { csrfToken: string }).csrfToken,
    );
    const status = await judge.evaluate(
      async ([id, start, end, token]) =>
        (
          await fetch(`/api/hearings/${id}/sealed-ranges`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': token! },
            body: JSON.stringify({ start, end, reason: 'testimony of a minor' }),
          })
        ).status,
      [
        openId,
        new Date(sealed.start_ms + 100).toISOString(),
        new Date(sealed.start_ms + 1_000).toISOString(),
        csrf,
      ],
    );
    expect(status).toBe(201);
    await judgeCtx.close();

    const { context, page } = await newPage();
    await login(page, 'demo-party');
    const playlist = await page.evaluate(
      async (id) => (await fetch(`/api/hearings/${id}/hls/video.m3u8`)).text(),
      openId,
    );
    expect(playlist).not.toContain(`/video/${String(sealed.seq).padStart(6, '0')}.ts`);
    // The sealed part goes with at most a segment around it, not the rest of the hearing
    // (the picture and the sound are cut by two ffmpegs, at boundaries that need not meet).
    expect(playlist).toContain(`/video/${String(segs.at(-1)!.seq).padStart(6, '0')}.ts`);
    expect(playlist).toMatch(/^#EXT-X-DISCONTINUITY$/m);
    await page.goto(`${base}/hearings/${openId}`);
    await expect
      .poll(() => page.getByTestId('player-gap').count(), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(1);
    const duration = await page.getByTestId('player-video').evaluate((v: HTMLVideoElement) => v.duration);
    const full = segs.reduce((s, x) => s + x.duration_ms, 0) / 1000;
    expect(duration).toBeLessThan(full - sealed.duration_ms / 1000 + 0.5);
    await context.close();
  });

  it("shows live levels on the operator's console and an alarm when a microphone goes silent", async () => {
    const { context, page } = await newPage();
    await login(page, 'demo-operator');
    await page.goto(`${base}/console`);
    await expect
      .poll(() => page.getByTestId('live-connection').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('open');
    const hub = running.hub!;
    const live = await hub.hearings.create({
      id: 'ui-live',
      courtroomId: 'demo-room',
      caseNumber: '2-0001/2026',
      title: 'Live',
      judge: 'Demo Judge',
      visibility: 'open',
      language: 'ru',
    });
    await hub.hearings.command(live.id, 'start');
    try {
      await expect
        .poll(() => page.locator('[data-testid="level-meter"][data-rms-db]').count(), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(4);
      const mic1 = await page
        .locator('[data-testid="level-meter"][data-track="mic-1"]')
        .first()
        .getAttribute('data-rms-db');
      expect(Number(mic1)).toBeGreaterThan(-40);
      await expect
        .poll(
          () =>
            page
              .locator('[data-testid="alarm-item"][data-kind="microphone-silent"][data-track="mic-4"]')
              .count(),
          { timeout: 30_000 },
        )
        .toBeGreaterThanOrEqual(1);
      // The alarm's icon is drawn (inline SVG, not a glyph the browser's fonts may lack) and named.
      const icon = page
        .locator('[data-testid="alarm-item"][data-kind="microphone-silent"][data-track="mic-4"]')
        .first()
        .getByTestId('alarm-icon');
      expect(await icon.evaluate((el) => el.namespaceURI)).toBe('http://www.w3.org/2000/svg');
      expect(await icon.getAttribute('role')).toBe('img');
      expect(await icon.getAttribute('aria-label')).toBeTruthy();
      expect((await icon.boundingBox())?.width ?? 0).toBeGreaterThan(10);
      await shot(page, 'console');
    } finally {
      await hub.hearings.command(live.id, 'stop');
    }
    await context.close();
  });

  it('lets the secretary say which microphone belongs to whom: a participant of the case or a name', async () => {
    const repos = running.backends!.repos;
    const { context, page } = await newPage();
    await login(page, 'demo-secretary');
    await page.goto(`${base}/secretary`);
    await page.getByTestId('secretary-courtroom').selectOption('demo-room');
    await page.getByTestId('secretary-case').selectOption('demo-case');
    const mic = (container: string, track: string) =>
      page.locator(`[data-testid="${container}"] [data-testid="mic-speaker"][data-track="${track}"]`);
    // The case's participants are offered once the case is chosen (GET /api/cases/:id/participants).
    await expect
      .poll(() => mic('secretary-mics', 'mic-2').locator('option[value="p:demo-case-demo-party"]').count())
      .toBe(1);
    await mic('secretary-mics', 'mic-1').selectOption('label');
    await page
      .locator('[data-testid="secretary-mics"] [data-testid="mic-label"][data-track="mic-1"]')
      .fill('Судья');
    await mic('secretary-mics', 'mic-2').selectOption('p:demo-case-demo-party');
    await page.getByTestId('secretary-title').fill('Microphones');
    await page.getByTestId('secretary-judge').fill('Demo Judge');
    await page.getByTestId('secretary-submit').click();
    const link = page.getByTestId('secretary-hearing-link');
    await expect.poll(() => link.getAttribute('data-hearing-id'), { timeout: 15_000 }).toMatch(/^h-/);
    const hearingId = (await link.getAttribute('data-hearing-id'))!;
    expect(
      (await repos.speakers.speakersOfHearing(hearingId)).map((x) => [x.track, x.participantId, x.label]),
    ).toEqual([
      ['mic-1', null, 'Судья'],
      ['mic-2', 'demo-case-demo-party', null],
    ]);
    // The second form loads the mapping as stored, and saves a change.
    await page.getByTestId('speakers-hearing').selectOption(hearingId);
    await expect.poll(() => mic('speakers-rows', 'mic-2').inputValue()).toBe('p:demo-case-demo-party');
    expect(await mic('speakers-rows', 'mic-1').inputValue()).toBe('label');
    await mic('speakers-rows', 'mic-3').selectOption('p:demo-case-demo-representative');
    await page.getByTestId('speakers-save').click();
    await expect.poll(() => page.getByTestId('speakers-message').getAttribute('data-kind')).toBe('ok');
    expect((await repos.speakers.speakersOfHearing(hearingId)).map((x) => x.track)).toEqual([
      'mic-1',
      'mic-2',
      'mic-3',
    ]);
    // The editor itself, in both languages (a page screenshot would show only the top of the form).
    for (const lang of ['ru', 'kk'] as const) {
      await page.getByTestId(`lang-${lang}`).click();
      await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe(lang);
      await page
        .getByTestId('speakers-form')
        .screenshot({ path: path.join(ARTIFACTS, `secretary-microphones.${lang}.png`) });
    }
    await context.close();
  });

  it("makes a higher-court judge only with a second administrator's approval, which shows the password once", async () => {
    const { repos, clock } = running.backends!;
    // A second administrator, made as the host operator makes one (`hattama users add`).
    await new UserAccounts({ repos, clock, audit: new AuditLog(repos.auditLog, clock), actor: 'cli' }).create(
      {
        login: 'e2e-admin-b',
        role: 'administrator',
        displayName: 'Second Administrator',
        password: PASSWORD,
      },
    );

    // Administrator A proposes: 202, the page says it waits, and nothing is made yet.
    const { context: contextA, page: a } = await newPage();
    await login(a, 'demo-admin');
    await a.goto(`${base}/admin`);
    await a.getByTestId('user-login').fill('e2e-higher-judge');
    await a.getByTestId('user-display-name').fill('Higher Judge');
    await a.getByTestId('user-role').selectOption('higher-court-judge');
    // Its password is generated at approval: the field is off, so none is sent (400).
    expect(await a.getByTestId('user-password').isDisabled()).toBe(true);
    await a.getByTestId('user-submit').click();
    const sent = a.getByTestId('user-message');
    await expect.poll(() => sent.getAttribute('data-kind')).toBe('info');
    expect(await sent.innerText()).toContain('e2e-higher-judge');
    const ownRow = a.locator('[data-testid="approval-row"][data-state="pending"]', {
      hasText: 'e2e-higher-judge',
    });
    await expect.poll(() => ownRow.count()).toBe(1);
    const approvalId = (await ownRow.getAttribute('data-id'))!;
    expect(await repos.users.findByLogin('e2e-higher-judge')).toBeUndefined();

    // A cannot decide their own proposal: the buttons are greyed and say why, and the hub refuses too.
    expect(await ownRow.getAttribute('data-own')).toBe('true');
    expect(await ownRow.getByTestId('approval-approve').isDisabled()).toBe(true);
    expect(await ownRow.getByTestId('approval-reject').isDisabled()).toBe(true);
    expect(await ownRow.getByTestId('approval-own').innerText()).toBe(await uiText(a, 'reason.own-proposal'));
    const refused = await a.evaluate(async (id) => {
      const { csrfToken } = (await (await fetch('/api/auth/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/admin/approvals/${id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
        body: '{}',
      });
      return {
        status: res.status,
        reason: ((await res.json()) as { details?: { reason?: string } }).details?.reason,
      };
    }, approvalId);
    expect(refused).toEqual({ status: 403, reason: 'own-proposal' });
    await shot(a, 'admin-approvals');
    await contextA.close();

    // Administrator B approves (press twice) and is shown the generated password, once.
    const { context: contextB, page: b } = await newPage();
    await login(b, 'e2e-admin-b');
    await b.goto(`${base}/admin`);
    const row = b.locator(`[data-testid="approval-row"][data-id="${approvalId}"]`);
    await expect.poll(() => row.getAttribute('data-own')).toBe('false');
    expect(await row.getByTestId('approval-approve').isDisabled()).toBe(false);
    await row.getByTestId('approval-approve').click();
    await row.getByTestId('approval-approve').click();
    const secret = b.getByTestId('approval-secret-once');
    await expect.poll(() => secret.isVisible(), { timeout: 15_000 }).toBe(true);
    const password = (await b.getByTestId('approval-secret-value').innerText()).trim();
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(await b.getByTestId('approval-secret-title').innerText()).toContain('e2e-higher-judge');
    expect(await b.getByTestId('approval-secret-hint').innerText()).toBe(
      await uiText(b, 'admin.passwordOnce'),
    );
    expect(await b.getByTestId('approval-list-message').getAttribute('data-kind')).toBe('ok');
    // No longer pending; listed among the approved, decided by B.
    await expect.poll(() => row.count()).toBe(0);
    await b.getByTestId('approvals-state').selectOption('approved');
    const decided = b.locator(`[data-testid="approval-row"][data-id="${approvalId}"][data-state="approved"]`);
    await expect.poll(() => decided.count()).toBe(1);
    expect(await decided.innerText()).toContain('e2e-admin-b');
    expect(await decided.getByTestId('approval-approve').count()).toBe(0);
    // Once: a reload does not show it again.
    await b.reload();
    // Drawn again (nothing else is pending): the box stays hidden.
    await expect.poll(() => b.getByTestId('approvals-empty').isVisible()).toBe(true);
    expect(await secret.isHidden()).toBe(true);
    await contextB.close();

    // The account exists, with that role and that password.
    expect((await repos.users.findByLogin('e2e-higher-judge'))?.role).toBe('higher-court-judge');
    const { context, page } = await newPage();
    await page.goto(`${base}/login`);
    await page.getByTestId('login-name').fill('e2e-higher-judge');
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((u) => u.pathname === '/hearings');
    await context.close();
  });

  it('renders every other page in ru and kk', async () => {
    for (const [user, pagePath, name] of [
      ['demo-secretary', '/secretary', 'secretary'],
      ['demo-admin', '/admin', 'admin'],
      ['demo-auditor', '/audit', 'audit'],
    ] as const) {
      const { context, page } = await newPage();
      await login(page, user);
      await page.goto(`${base}${pagePath}`);
      await page.waitForLoadState('networkidle');
      await shot(page, name);
      await context.close();
    }
    const { context, page } = await newPage();
    await page.goto(`${base}/login`);
    await shot(page, 'login');
    await context.close();
    expect(fs.readdirSync(ARTIFACTS).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(14);
  });
});
