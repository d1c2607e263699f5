/**
 * The review player (issue 6, item 3): hls.js over the hub's per-viewer playlists.
 *
 * - A deep link `/hearings/<id>?t=<ISO time or seconds>` asks the hub where that moment
 *   is in the playlist (`/position`) and starts there (hls.js `startPosition`).
 * - The clock shows the wall-clock time of the current position (EXT-X-PROGRAM-DATE-TIME,
 *   `hls.playingDate`); a pause or a recorder restart is a discontinuity in the playlist
 *   that takes no playing time, so the clock jumps there and the page says so.
 * - Audio renditions (`mix`, `mic-1`…) are hls.js audio tracks.
 * - Segment URLs are short-lived: a 403 on a segment reloads the playlists (fresh URLs)
 *   and carries on from the same position.
 */
import { ApiError, get, post, seg } from './api.js';
import { t } from './i18n.js';
import {
  busy,
  byTestId,
  clearMessage,
  fmtDate,
  fmtDateTime,
  fmtDuration,
  fmtTime,
  formValues,
  h,
  label,
  showError,
  showMessage,
  startPage,
  timeEl,
} from './page.js';

const {
  document,
  location,
  history,
  navigator,
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  URLSearchParams,
} = globalThis;

const SVG = 'http://www.w3.org/2000/svg';
/** A wall-clock jump bigger than this between two segments is a break (the hub's own tolerance is 100 ms). */
const GAP_MS = 250;
const COPY_ROLES = ['party', 'representative', 'judge', 'secretary'];

const hearingId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
const base = `/api/hearings/${seg(hearingId)}`;
const masterUrl = `${base}/hls/master.m3u8`;

let session = null;
let hearing = null;
let hls = null;
/** Fragments of the main playlist: { start, duration, pdt (ms), cc }. */
let frags = [];
let gaps = [];
let duration = 0;
let preferredAudio = 'mix';
/** Where the page wants the video to be once it can play (deep link, reload). */
let pendingTarget = null;
let reloadTimes = [];
let fatalNetworkRetries = 0;
let mediaRecoveries = 0;
let lastPos = 0;
let gapNoticeTimer = null;
/** The break whose notice is showing, to redraw it after a language switch. */
let gapShown = null;

const video = () => byTestId('player-video');
const playerMessage = () => byTestId('player-message');

// ------------------------------------------------------------------ wall clock

/** The wall-clock time (ms) at a playlist position, from the fragments' program date-times. */
export function wallClockAt(position, fragments = frags) {
  if (!fragments.length) return null;
  let frag = fragments[0];
  for (const f of fragments) {
    if (f.start <= position + 1e-3) frag = f;
    else break;
  }
  if (frag.pdt === null || frag.pdt === undefined) return null;
  const into = Math.min(Math.max(position - frag.start, 0), frag.duration);
  return frag.pdt + into * 1000;
}

/** Breaks in the recording: where consecutive fragments do not continue each other's wall clock. */
export function findGaps(fragments) {
  const out = [];
  for (let i = 1; i < fragments.length; i++) {
    const prev = fragments[i - 1];
    const cur = fragments[i];
    if (prev.pdt === null || cur.pdt === null) continue;
    const prevEnd = prev.pdt + prev.duration * 1000;
    if (cur.pdt - prevEnd > GAP_MS) out.push({ position: cur.start, fromMs: prevEnd, toMs: cur.pdt });
  }
  return out;
}

/**
 * The wall clock of the current position, from the playlist's own program date-times and
 * durations (copied when the playlist loaded): the same timeline the hub's /position
 * uses, so a deep link to 10:15:00 shows 10:15:00. hls.playingDate is the fallback: it
 * follows the fragment hls.js last reported playing, which lags after a seek while paused
 * and differs by the PTS alignment of a discontinuity (tens of ms).
 */
function currentWallClock() {
  const ms = wallClockAt(video().currentTime);
  if (ms !== null) return ms;
  const playing = hls?.playingDate;
  return playing instanceof Date && !Number.isNaN(playing.getTime()) ? playing.getTime() : null;
}

function renderClock() {
  const clock = byTestId('player-clock');
  const dateEl = byTestId('player-clock-date');
  const v = video();
  const ms = currentWallClock();
  clock.dataset.offset = v.currentTime.toFixed(3);
  if (ms === null) {
    clock.textContent = '—';
    clock.removeAttribute('datetime');
    dateEl.textContent = '';
    return;
  }
  const d = new Date(ms);
  clock.setAttribute('datetime', d.toISOString());
  clock.textContent = fmtTime(d);
  dateEl.textContent = fmtDate(d);
  renderPlayhead();
}

/** Crossing a break while playing: the clock jumps; say so for a few seconds. */
function noticeGapCrossing() {
  const v = video();
  const pos = v.currentTime;
  if (!v.seeking && pos >= lastPos && pos - lastPos < 3) {
    const crossed = gaps.find((g) => g.position > lastPos + 1e-3 && g.position <= pos + 0.05);
    if (crossed) showGapNotice(crossed);
  }
  lastPos = pos;
}

function showGapNotice(gap) {
  gapShown = gap;
  const notice = byTestId('player-gap-notice');
  notice.textContent = t('player.gapJump', {
    from: fmtTime(gap.fromMs),
    to: fmtTime(gap.toMs),
    duration: fmtDuration(gap.toMs - gap.fromMs),
  });
  notice.hidden = false;
  byTestId('player-clock').classList.add('jumped');
  clearTimeout(gapNoticeTimer);
  gapNoticeTimer = setTimeout(() => {
    notice.hidden = true;
    gapShown = null;
    byTestId('player-clock').classList.remove('jumped');
  }, 6000);
}

// ------------------------------------------------------------------ timeline (SVG: attributes, no inline styles)

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function renderTimeline() {
  const wrap = byTestId('player-timeline');
  wrap.replaceChildren();
  if (!duration) return;
  const width = 1000;
  const x = (pos) => (pos / duration) * width;
  const root = svg('svg', {
    viewBox: `0 0 ${width} 28`,
    preserveAspectRatio: 'none',
    class: 'timeline',
    'aria-hidden': 'true',
    focusable: 'false',
  });
  root.append(svg('rect', { x: 0, y: 8, width, height: 12, class: 'tl-recorded' }));
  for (const r of hearing?.sealedRanges ?? []) {
    // Staff see where the sealed parts are; for them the media is still there.
    const a = positionOfWall(Date.parse(r.start));
    const b = positionOfWall(Date.parse(r.end));
    if (a !== null && b !== null && b > a)
      root.append(
        svg('rect', { x: x(a), y: 8, width: Math.max(x(b) - x(a), 2), height: 12, class: 'tl-sealed' }),
      );
  }
  for (const g of gaps)
    root.append(svg('rect', { x: x(g.position) - 2, y: 2, width: 4, height: 24, class: 'tl-gap' }));
  for (const m of hearing?.markers ?? []) {
    const p = positionOfWall(Date.parse(m.at));
    if (p !== null) root.append(svg('rect', { x: x(p) - 1, y: 0, width: 2, height: 8, class: 'tl-marker' }));
  }
  root.append(
    svg('rect', { x: 0, y: 4, width: 3, height: 20, class: 'tl-playhead', 'data-role': 'playhead' }),
  );
  root.addEventListener('click', (event) => {
    const box = root.getBoundingClientRect();
    if (!box.width) return;
    seekTo(((event.clientX - box.left) / box.width) * duration);
  });
  wrap.append(root);
  renderPlayhead();
}

function renderPlayhead() {
  const head = byTestId('player-timeline').querySelector('[data-role="playhead"]');
  if (!head || !duration) return;
  head.setAttribute('x', String(Math.min(Math.max((video().currentTime / duration) * 1000 - 1.5, 0), 997)));
}

/** Position of a wall-clock time in the playlist (local estimate, for drawing only; seeking asks the hub). */
function positionOfWall(ms) {
  let best = null;
  for (const f of frags) {
    if (f.pdt === null) continue;
    if (ms >= f.pdt && ms <= f.pdt + f.duration * 1000) return f.start + (ms - f.pdt) / 1000;
    if (ms > f.pdt) best = f.start + f.duration;
  }
  return best;
}

function renderGaps() {
  const list = byTestId('player-gaps');
  list.replaceChildren(
    ...gaps.map((g) =>
      h(
        'li',
        { testid: 'player-gap', dataset: { position: g.position.toFixed(3) } },
        h('button', {
          type: 'button',
          class: 'link-button',
          text: t('player.gapItem', {
            from: fmtTime(g.fromMs),
            to: fmtTime(g.toMs),
            duration: fmtDuration(g.toMs - g.fromMs),
          }),
          on: { click: () => seekTo(g.position) },
        }),
      ),
    ),
  );
  byTestId('player-gaps-empty').hidden = gaps.length > 0 || frags.length === 0;
}

function onLevelLoaded(_event, data) {
  const fragments = data?.details?.fragments ?? [];
  frags = fragments.map((f) => ({
    start: f.start,
    duration: f.duration,
    pdt: typeof f.programDateTime === 'number' ? f.programDateTime : null,
    cc: f.cc,
  }));
  gaps = findGaps(frags);
  const last = frags[frags.length - 1];
  duration = last ? last.start + last.duration : 0;
  renderGaps();
  renderTimeline();
  renderClock();
}

// ------------------------------------------------------------------ seeking

function seekTo(seconds) {
  const v = video();
  const target = Math.max(0, seconds);
  pendingTarget = target;
  if (v.readyState >= 1) v.currentTime = target;
  lastPos = target;
}

/** Seeks to a wall-clock time as the hub places it (sealed parts and breaks accounted for). */
async function seekToWallClock(iso) {
  const where = await get(`${base}/position?t=${encodeURIComponent(iso)}`);
  seekTo(where.offsetSeconds);
  history.replaceState(null, '', `${location.pathname}?t=${encodeURIComponent(iso)}`);
  showMessage(playerMessage(), 'info', t('player.jumpedTo', { time: fmtTime(iso) }));
}

/** Puts the video where the page wants it once the media can play; hls.js may land a little off. */
function settleTarget() {
  const v = video();
  if (pendingTarget === null) return;
  if (Math.abs(v.currentTime - pendingTarget) > 0.25 && !v.seeking) v.currentTime = pendingTarget;
  pendingTarget = null;
}

// ------------------------------------------------------------------ audio renditions

function audioLabel(name) {
  const speaker = hearing?.tracks?.find((tr) => tr.name === name)?.speaker;
  let text;
  const mic = /^mic-(\d+)$/.exec(name);
  if (name === 'mix') text = t('player.audioMix');
  else if (mic) text = t('player.audioMic', { n: mic[1] });
  else text = name;
  return speaker ? `${text} — ${speaker}` : text;
}

function renderAudioOptions() {
  const select = byTestId('player-audio');
  const tracks = hls?.audioTracks ?? [];
  select.replaceChildren(
    ...tracks.map((tr, i) =>
      h('option', { value: String(i), text: audioLabel(tr.name), dataset: { track: tr.name } }),
    ),
  );
  select.disabled = tracks.length < 2;
  if (hls && hls.audioTrack >= 0) {
    select.value = String(hls.audioTrack);
    select.dataset.current = tracks[hls.audioTrack]?.name ?? '';
  }
}

function onAudioTracks() {
  renderAudioOptions();
  const tracks = hls?.audioTracks ?? [];
  const wanted = tracks.findIndex((tr) => tr.name === preferredAudio);
  if (wanted >= 0 && hls.audioTrack !== wanted) hls.audioTrack = wanted;
}

function onAudioSwitched(_event, data) {
  const select = byTestId('player-audio');
  select.value = String(data.id);
  select.dataset.current = hls?.audioTracks?.[data.id]?.name ?? '';
}

// ------------------------------------------------------------------ hls.js

function attach(startPosition, { resume = false } = {}) {
  const v = video();
  const Hls = globalThis.Hls;
  pendingTarget = startPosition > 0 ? startPosition : null;
  if (Hls?.isSupported()) {
    hls = new Hls({
      startPosition: startPosition > 0 ? startPosition : -1,
      enableWorker: true,
      backBufferLength: 90,
    });
    hls.on(Hls.Events.LEVEL_LOADED, onLevelLoaded);
    hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, onAudioTracks);
    hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, onAudioSwitched);
    hls.on(Hls.Events.ERROR, onHlsError);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      fatalNetworkRetries = 0;
      if (resume) v.play().catch(() => undefined);
    });
    hls.loadSource(masterUrl);
    hls.attachMedia(v);
    return;
  }
  if (v.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari plays HLS natively; renditions and the clock need hls.js, the rest works.
    v.src = masterUrl;
    return;
  }
  showMessage(playerMessage(), 'error', t('player.unsupported'));
}

function destroyHls() {
  if (!hls) return;
  hls.destroy();
  hls = null;
}

/** Fresh playlists (fresh segment URLs) from the current position; at most a few times a minute. */
function reloadSource() {
  const now = Date.now();
  reloadTimes = reloadTimes.filter((at) => now - at < 60_000);
  if (reloadTimes.length >= 4) {
    showMessage(playerMessage(), 'error', t('player.reloadFailed'));
    return;
  }
  reloadTimes.push(now);
  const v = video();
  const position = v.currentTime;
  const resume = !v.paused;
  const audio = byTestId('player-audio').dataset.current;
  if (audio) preferredAudio = audio;
  destroyHls();
  attach(position, { resume });
  byTestId('player').dataset.reloads = String(Number(byTestId('player').dataset.reloads ?? 0) + 1);
}

/** Why the hub refused the playlist: ask it once more outside hls.js to read the problem. */
async function explainRefusal() {
  destroyHls();
  try {
    await get(masterUrl);
    showMessage(playerMessage(), 'error', t('player.loadFailed'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      showRefusal({ reason: error.reason, message: error.detail });
    else showError(playerMessage(), error);
  }
}

function onHlsError(_event, data) {
  const Hls = globalThis.Hls;
  const status = data?.response?.code ?? data?.networkDetails?.status;
  if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
    if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR && (status === 401 || status === 403)) {
      void explainRefusal();
      return;
    }
    if (status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    if (status === 403 || status === 410) {
      // URL_EXPIRED: the signed segment (or media playlist) URL is past its expiry.
      reloadSource();
      return;
    }
    if (data.fatal) {
      if (fatalNetworkRetries++ < 3) setTimeout(() => hls?.startLoad(), 2000 * fatalNetworkRetries);
      else showMessage(playerMessage(), 'error', t('player.loadFailed'), data.details);
    }
    return;
  }
  if (!data.fatal) return;
  if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 3) {
    hls.recoverMediaError();
    return;
  }
  destroyHls();
  showMessage(playerMessage(), 'error', t('player.loadFailed'), data.details);
}

// ------------------------------------------------------------------ facts, markers, refusal

function renderFacts() {
  if (!hearing) return;
  document.title = `${hearing.title} — Hattama`;
  byTestId('player-title').textContent = hearing.title;
  byTestId('player-title').removeAttribute('data-i18n');
  const facts = [
    ['hearing.case', hearing.caseNumber ?? '—'],
    ['hearing.judge', hearing.judge ?? '—'],
    ['hearing.visibility', label('visibility', hearing.visibility)],
    ['hearing.state', label('state', hearing.state)],
    ['hearing.language', label('language', hearing.language)],
    ['hearing.startedAt', hearing.startedAt ? fmtDateTime(hearing.startedAt) : '—'],
    ['hearing.stoppedAt', hearing.stoppedAt ? fmtDateTime(hearing.stoppedAt) : '—'],
  ];
  byTestId('player-facts').replaceChildren(
    ...facts.flatMap(([key, value]) => [h('dt', { text: t(key) }), h('dd', { text: value })]),
  );
}

function renderMarkers() {
  const markers = [...(hearing?.markers ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  byTestId('player-markers').replaceChildren(
    ...markers.map((m) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'marker',
            testid: 'player-marker',
            dataset: { markerId: m.id, at: m.at, kind: m.kind },
            on: {
              click: (event) => busy(event.currentTarget, playerMessage(), () => seekToWallClock(m.at)),
            },
          },
          h('time', { class: 'marker-time', datetime: m.at, text: fmtTime(m.at) }),
          h('span', { class: 'marker-kind', text: label('marker', m.kind) }),
          m.text ? h('span', { class: 'marker-text', text: m.text }) : null,
          m.author ? h('span', { class: 'marker-author', text: m.author }) : null,
        ),
      ),
    ),
  );
  byTestId('player-markers-empty').hidden = markers.length > 0;
}

function showRefusal(access) {
  const box = byTestId('player-refusal');
  const key = access?.reason ? `reason.${access.reason}` : '';
  const localized = key ? t(key) : key;
  showMessage(
    box,
    'error',
    localized && localized !== key ? localized : t('hearings.notPlayable'),
    access?.message ?? '',
  );
  box.dataset.reason = access?.reason ?? '';
  byTestId('player').hidden = true;
}

// ------------------------------------------------------------------ link to this moment

async function copyLink() {
  const ms = currentWallClock();
  const t0 = ms === null ? String(Math.floor(video().currentTime)) : new Date(ms).toISOString();
  const link = `${location.origin}/hearings/${seg(hearingId)}?t=${encodeURIComponent(t0)}`;
  const box = byTestId('player-link-box');
  const input = byTestId('player-link-value');
  input.value = link;
  box.hidden = false;
  try {
    await navigator.clipboard.writeText(link);
    showMessage(playerMessage(), 'ok', t('player.linkCopied'));
  } catch {
    input.focus();
    input.select();
  }
}

/** "Use the current position" buttons fill an ISO time field. */
function wireFillButtons(root) {
  for (const button of root.querySelectorAll('button[data-fill]')) {
    button.addEventListener('click', () => {
      const ms = currentWallClock();
      if (ms === null) return;
      const input = document.getElementById(button.dataset.fill);
      input.value = new Date(ms).toISOString();
      input.dispatchEvent(new globalThis.Event('input'));
    });
  }
}

const isIso = (s) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(s) && !Number.isNaN(Date.parse(s));
/** Normalizes to the hub's form: UTC with milliseconds. */
const toIso = (s) => new Date(Date.parse(s)).toISOString();

// ------------------------------------------------------------------ copies

let copyTimer = null;

function copyAllowed() {
  const role = session?.user?.role;
  if (!COPY_ROLES.includes(role)) return false;
  // Copies leave the court: parties get none of a closed hearing (the hub refuses it too).
  if ((role === 'party' || role === 'representative') && hearing?.visibility === 'closed') return false;
  return Boolean(hearing?.access?.play ?? true);
}

function setupCopies() {
  const section = byTestId('copy-section');
  section.hidden = !copyAllowed();
  if (section.hidden) return;
  const form = byTestId('copy-form');
  wireFillButtons(form);
  const sync = () => {
    const part = byTestId('copy-part').checked;
    for (const el of form.querySelectorAll('#copy-from, #copy-to, button[data-fill]')) el.disabled = !part;
  };
  for (const radio of form.querySelectorAll('input[name="scope"]')) radio.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = byTestId('copy-message');
    const values = formValues(form);
    const body = {};
    if (values.scope === 'part') {
      for (const key of ['from', 'to']) {
        const input = byTestId(`copy-${key}`);
        input.removeAttribute('aria-invalid');
        if (values[key] && !isIso(values[key])) {
          input.setAttribute('aria-invalid', 'true');
          showMessage(message, 'error', t('form.badTime'));
          input.focus();
          return;
        }
        if (values[key]) body[key] = toIso(values[key]);
      }
      if (body.from && body.to && Date.parse(body.to) <= Date.parse(body.from)) {
        showMessage(message, 'error', t('form.endBeforeStart'));
        return;
      }
    }
    await busy(byTestId('copy-request'), message, async () => {
      const { copyId } = await post(`${base}/copies`, body);
      watchCopy(copyId);
    });
  });
}

const COPY_DONE = new Set(['done', 'ready', 'completed', 'succeeded']);
const COPY_FAILED = new Set(['failed', 'error']);

function watchCopy(copyId) {
  clearTimeout(copyTimer);
  const status = byTestId('copy-status');
  const progress = byTestId('copy-progress');
  const state = byTestId('copy-state');
  const result = byTestId('copy-result');
  status.hidden = false;
  status.dataset.copyId = copyId;
  result.replaceChildren();
  progress.value = 0;
  state.textContent = label('copyState', 'queued');
  const poll = async () => {
    let copy;
    try {
      copy = await get(`/api/copies/${seg(copyId)}`);
    } catch (error) {
      showError(byTestId('copy-message'), error);
      return;
    }
    const pct = Math.max(0, Math.min(100, Number(copy.progress) || 0));
    progress.value = pct;
    status.dataset.state = copy.state ?? '';
    state.textContent = `${label('copyState', copy.state)} — ${Math.round(pct)} %`;
    if (copy.state === 'voided') {
      // Decided again when made or handed out, and withdrawn: no links, and the hub says why.
      progress.value = 100;
      result.replaceChildren();
      showMessage(
        byTestId('copy-message'),
        'error',
        t('copy.failed'),
        copy.voidMessage ?? copy.voidReason ?? '',
      );
      return;
    }
    if (copy.mp4Url || COPY_DONE.has(copy.state)) {
      progress.value = 100;
      result.replaceChildren(
        copy.mp4Url
          ? h(
              'li',
              {},
              h('a', { href: copy.mp4Url, download: '', testid: 'copy-download', text: t('copy.download') }),
            )
          : null,
        copy.noticeUrl
          ? h(
              'li',
              {},
              h('a', { href: copy.noticeUrl, download: '', testid: 'copy-notice', text: t('copy.notice') }),
            )
          : null,
        copy.sha256
          ? h(
              'li',
              {},
              t('copy.sha256'),
              ' ',
              h('code', { class: 'hash', testid: 'copy-sha256', text: copy.sha256 }),
            )
          : null,
      );
      return;
    }
    if (COPY_FAILED.has(copy.state)) {
      showMessage(byTestId('copy-message'), 'error', t('copy.failed'), copy.error ?? copy.detail ?? '');
      return;
    }
    copyTimer = setTimeout(poll, 1500);
  };
  void poll();
}

// ------------------------------------------------------------------ sealed ranges (judge)

function renderSealed() {
  const section = byTestId('seal-section');
  const ranges = hearing?.sealedRanges;
  section.hidden = !Array.isArray(ranges);
  if (!Array.isArray(ranges)) return;
  byTestId('sealed-ranges').replaceChildren(
    ...ranges.map((r) =>
      h(
        'li',
        { testid: 'sealed-range', dataset: { rangeId: r.id } },
        timeEl(r.start, fmtDateTime),
        ' — ',
        timeEl(r.end, fmtDateTime),
        r.reason ? h('span', { class: 'sealed-reason', text: r.reason }) : null,
      ),
    ),
  );
  byTestId('sealed-empty').hidden = ranges.length > 0;
  byTestId('seal-form').hidden = session?.user?.role !== 'judge';
}

function setupSealForm() {
  const form = byTestId('seal-form');
  wireFillButtons(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = byTestId('seal-message');
    const values = formValues(form);
    for (const key of ['start', 'end']) {
      const input = byTestId(`seal-${key}`);
      input.removeAttribute('aria-invalid');
      if (!isIso(values[key] ?? '')) {
        input.setAttribute('aria-invalid', 'true');
        showMessage(message, 'error', t('form.badTime'));
        input.focus();
        return;
      }
    }
    if (!values.reason) {
      showMessage(message, 'error', t('form.required'));
      byTestId('seal-reason').focus();
      return;
    }
    const body = { start: toIso(values.start), end: toIso(values.end), reason: values.reason };
    if (Date.parse(body.end) <= Date.parse(body.start)) {
      showMessage(message, 'error', t('form.endBeforeStart'));
      return;
    }
    await busy(byTestId('seal-submit'), message, async () => {
      const range = await post(`${base}/sealed-ranges`, body);
      hearing.sealedRanges = [...(hearing.sealedRanges ?? []), range];
      renderSealed();
      renderTimeline();
      form.reset();
      showMessage(message, 'ok', t('seal.done'));
    });
  });
}

// ------------------------------------------------------------------ start

function wireVideo() {
  const v = video();
  v.addEventListener('timeupdate', () => {
    noticeGapCrossing();
    renderClock();
  });
  for (const name of ['seeked', 'loadedmetadata', 'durationchange']) v.addEventListener(name, renderClock);
  v.addEventListener('seeking', () => {
    lastPos = v.currentTime;
    renderClock();
  });
  v.addEventListener('canplay', settleTarget);
  v.addEventListener('loadedmetadata', () => {
    // Native HLS (no hls.js): seek here instead of startPosition.
    if (!hls && pendingTarget !== null) v.currentTime = pendingTarget;
  });
  // While playing, timeupdate comes about 4 times a second; a steadier clock reads better.
  let ticker = null;
  v.addEventListener('playing', () => {
    clearInterval(ticker);
    ticker = setInterval(renderClock, 250);
  });
  for (const name of ['pause', 'ended', 'emptied']) v.addEventListener(name, () => clearInterval(ticker));
  byTestId('player-audio').addEventListener('change', (event) => {
    const index = Number(event.target.value);
    const name = hls?.audioTracks?.[index]?.name;
    if (!hls || !name) return;
    preferredAudio = name;
    hls.audioTrack = index;
    showMessage(playerMessage(), 'info', t('player.audioSwitched', { name: audioLabel(name) }));
  });
  byTestId('player-link').addEventListener('click', () => void copyLink());
}

async function init(s) {
  session = s;
  if (!hearingId) throw new ApiError(404, { code: 'NOT_FOUND', detail: location.pathname });
  hearing = await get(base);
  renderFacts();
  renderMarkers();
  renderSealed();
  setupSealForm();
  if (hearing.access && hearing.access.play === false) {
    showRefusal(hearing.access);
    return;
  }
  byTestId('player').hidden = false;
  setupCopies();
  wireVideo();
  const at = new URLSearchParams(location.search).get('t');
  let start = -1;
  if (at) {
    try {
      const where = await get(`${base}/position?t=${encodeURIComponent(at)}`);
      start = Number(where.offsetSeconds) || 0;
    } catch (error) {
      showError(playerMessage(), error);
    }
  }
  clearMessage(byTestId('page-message'));
  attach(start);
}

void startPage({
  init,
  rerender: () => {
    renderFacts();
    renderMarkers();
    renderSealed();
    renderGaps();
    renderAudioOptions();
    renderClock();
    if (gapShown) showGapNotice(gapShown);
  },
});
