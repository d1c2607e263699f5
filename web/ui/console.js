/**
 * The operator's console: recorder nodes and their per-channel levels live over the
 * hub's ws feed (/api/live), alarms with colour and a beep, the recording commands for
 * the chosen hearing, and markers from the catalogue in one click or with free text.
 */
import { get, post, seg } from './api.js';
import { t } from './i18n.js';
import {
  busy,
  byTestId,
  confirmTwice,
  fmtTime,
  formValues,
  h,
  label,
  showError,
  showMessage,
  startPage,
} from './page.js';
import { beep, isEnabled, ready, setEnabled, unlock, unlockOnFirstGesture } from './sound.js';

const {
  document,
  location,
  localStorage,
  setTimeout,
  clearTimeout,
  setInterval,
  WebSocket,
  history,
  URL,
  URLSearchParams,
} = globalThis;

/** Kinds an operator sets by hand; `recorder-restart` is set by the recorder itself. */
export const MARKER_BUTTONS = [
  'opening',
  'identity-check',
  'rights-explained',
  'motion',
  'testimony',
  'recess',
  'deliberation',
  'decision-announced',
  'closing',
  'note',
];

/** Red: the record itself is at risk now. Amber: it is degraded or may become at risk. */
export const CRITICAL_ALARMS = new Set(['microphone-silent', 'camera-lost', 'disk-low', 'recorder-offline']);

/** Meter scale, dBFS. Speech sits around -30…-12; above -6 is close to clipping. */
const METER = { min: -60, max: 0, low: -40, high: -9, optimum: -20 };
const STORAGE_KEY = 'hattama.console.hearing';

let hearings = [];
let courtrooms = new Map();
/** nodeId → { id, courtroomId, name, online, revoked, live } */
const nodes = new Map();
/** nodeId → alarms raised in the page itself (a node going offline). */
const localAlarms = new Map();
let selectedId = '';
let speakers = new Map();
let recentMarkers = [];
let ws = null;
let backoff = 1000;
let beeps = 0;
let refetchTimer = null;

const consoleMessage = () => byTestId('console-message');
const selected = () => hearings.find((x) => x.id === selectedId) ?? null;

// ------------------------------------------------------------------ hearings and commands

const COMMANDS_FOR_STATE = {
  scheduled: ['start'],
  recording: ['pause', 'stop'],
  paused: ['resume', 'stop'],
  stopped: [],
};

function hearingOption(x) {
  const room = courtrooms.get(x.courtroomId)?.name ?? x.courtroomId;
  return h('option', {
    value: x.id,
    text: `${x.caseNumber} · ${x.title} · ${room} · ${label('state', x.state)}`,
    dataset: { state: x.state },
  });
}

function renderHearingSelect() {
  const select = byTestId('console-hearing');
  const usable = hearings.filter((x) => x.state !== 'stopped' || x.id === selectedId);
  select.replaceChildren(
    h('option', { value: '', text: t('console.noHearingChosen') }),
    ...usable.map(hearingOption),
  );
  select.value = selectedId;
}

function renderControls() {
  const hearing = selected();
  const state = hearing?.state ?? null;
  const stateEl = byTestId('console-state');
  stateEl.textContent = state ? label('state', state) : '—';
  stateEl.dataset.state = state ?? '';
  stateEl.className = state ? `state-text state-${state}` : 'state-text';
  const allowed = new Set(COMMANDS_FOR_STATE[state] ?? []);
  for (const button of document.querySelectorAll('button[data-command]'))
    button.disabled = !allowed.has(button.dataset.command);
  const canMark = state === 'recording' || state === 'paused';
  for (const button of byTestId('marker-buttons').querySelectorAll('button')) button.disabled = !canMark;
  byTestId('marker-add').disabled = !canMark;
}

async function loadSpeakers() {
  speakers = new Map();
  if (!selectedId) return;
  try {
    const detail = await get(`/api/hearings/${seg(selectedId)}`);
    for (const tr of detail.tracks ?? []) if (tr.speaker) speakers.set(tr.name, tr.speaker);
    recentMarkers = [...(detail.markers ?? [])]
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
      .slice(0, 20);
  } catch {
    recentMarkers = [];
  }
  renderRecentMarkers();
  renderNodes();
}

async function selectHearing(id) {
  selectedId = id;
  if (id) localStorage.setItem(STORAGE_KEY, id);
  else localStorage.removeItem(STORAGE_KEY);
  const url = new URL(location.href);
  if (id) url.searchParams.set('hearing', id);
  else url.searchParams.delete('hearing');
  history.replaceState(null, '', url.pathname + url.search);
  renderControls();
  await loadSpeakers();
}

async function runCommand(command) {
  const hearing = selected();
  if (!hearing) return;
  const button = byTestId(`console-${command}`);
  await busy(button, consoleMessage(), async () => {
    const updated = await post(`/api/hearings/${seg(hearing.id)}/${command}`, {});
    Object.assign(hearing, updated ?? {});
    renderHearingSelect();
    renderControls();
    showMessage(consoleMessage(), 'ok', t(`console.done.${command}`));
  });
  renderControls();
}

async function refreshHearings() {
  const answer = await get('/api/hearings');
  hearings = answer.hearings ?? [];
  renderHearingSelect();
  renderControls();
}

// ------------------------------------------------------------------ markers

function renderMarkerControls() {
  byTestId('marker-buttons').replaceChildren(
    ...MARKER_BUTTONS.map((kind) =>
      h('button', {
        type: 'button',
        class: 'marker-button',
        testid: 'marker-button',
        dataset: { kind },
        text: label('marker', kind),
        on: { click: (event) => addMarker(kind, '', event.currentTarget) },
      }),
    ),
  );
  const select = byTestId('marker-kind');
  const current = select.value || 'note';
  select.replaceChildren(
    ...MARKER_BUTTONS.map((kind) => h('option', { value: kind, text: label('marker', kind) })),
  );
  select.value = current;
}

async function addMarker(kind, text, button) {
  const hearing = selected();
  const message = byTestId('marker-message');
  if (!hearing) {
    showMessage(message, 'error', t('console.chooseFirst'));
    return false;
  }
  const done = await busy(button, message, async () => {
    const marker = await post(`/api/hearings/${seg(hearing.id)}/markers`, { kind, text });
    recentMarkers.unshift({
      id: marker?.id ?? `${Date.now()}`,
      kind,
      text,
      at: marker?.at ?? new Date().toISOString(),
    });
    recentMarkers = recentMarkers.slice(0, 20);
    renderRecentMarkers();
    showMessage(message, 'ok', t('console.markerAdded', { kind: label('marker', kind) }));
    return true;
  });
  return done === true;
}

function renderRecentMarkers() {
  byTestId('console-markers').replaceChildren(
    ...recentMarkers.map((m) =>
      h(
        'li',
        { testid: 'console-marker', dataset: { kind: m.kind } },
        h('time', { datetime: m.at, text: fmtTime(m.at) }),
        ' ',
        h('strong', { text: label('marker', m.kind) }),
        m.text ? ` — ${m.text}` : '',
      ),
    ),
  );
}

// ------------------------------------------------------------------ nodes and levels

function channelLabel(track) {
  const mic = /^mic-(\d+)$/.exec(track);
  const base = track === 'mix' ? t('player.audioMix') : mic ? t('player.audioMic', { n: mic[1] }) : track;
  const who = speakers.get(track);
  return who ? `${base} — ${who}` : base;
}

const meterId = (nodeId, track) => `meter-${nodeId}-${track}`.replace(/[^a-zA-Z0-9_-]/g, '_');

function dbText(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(0)} dB`;
}

function channelsOf(node) {
  const fromLevels = node.live?.levels?.channels?.map((c) => c.track) ?? [];
  const fromTracks = (node.live?.tracks ?? []).filter((tr) => tr.kind === 'audio').map((tr) => tr.name);
  return [...new Set([...fromLevels, ...fromTracks])];
}

function nodeCard(node) {
  const channels = channelsOf(node);
  const room = courtrooms.get(node.courtroomId)?.name ?? node.courtroomId ?? '—';
  const status = node.live?.status;
  const recordingFor = node.live?.levels?.hearingId;
  const recordingHearing = hearings.find((x) => x.id === recordingFor);
  const mine = selected() && selected().courtroomId === node.courtroomId;
  return h(
    'article',
    {
      class: `node${node.online ? ' online' : ' offline'}${mine ? ' chosen' : ''}`,
      testid: 'recorder-node',
      dataset: { nodeId: node.id, online: String(node.online) },
      'aria-labelledby': `node-title-${meterId(node.id, '')}`,
    },
    h(
      'div',
      { class: 'node-head' },
      h('h3', { id: `node-title-${meterId(node.id, '')}`, text: node.name || node.id }),
      h('span', {
        class: `badge ${node.online ? 'ok' : 'bad'}`,
        testid: 'recorder-online',
        text: node.online ? t('console.online') : t('console.offline'),
      }),
    ),
    h(
      'p',
      { class: 'node-meta' },
      `${t('console.courtroom')}: ${room}`,
      recordingHearing ? ` · ${t('console.recordingFor')}: ${recordingHearing.caseNumber}` : '',
    ),
    channels.length
      ? h(
          'div',
          { class: 'meters', role: 'group', 'aria-label': t('console.levels') },
          channels.map((track) => {
            const id = meterId(node.id, track);
            return h(
              'div',
              { class: 'meter-row', dataset: { track } },
              h('label', { for: id, text: channelLabel(track) }),
              h('meter', {
                id,
                testid: 'level-meter',
                dataset: { nodeId: node.id, track },
                min: METER.min,
                max: METER.max,
                low: METER.low,
                high: METER.high,
                optimum: METER.optimum,
                value: METER.min,
              }),
              h('span', { class: 'db', testid: 'level-value', dataset: { track }, text: '—' }),
            );
          }),
        )
      : h('p', { class: 'hint', text: node.online ? t('console.noLevels') : t('console.nodeOffline') }),
    status
      ? h('p', {
          class: 'node-status',
          testid: 'recorder-status',
          text: t('console.spool', {
            pending: status.pendingSegments,
            free: formatBytes(status.spoolFreeBytes),
          }),
        })
      : null,
    h('p', {
      class: 'node-status',
      testid: 'recorder-last-segment',
      dataset: { nodeId: node.id },
      text: lastSegmentText(node),
    }),
  );
}

function lastSegmentText(node) {
  const s = node.lastSegment;
  if (!s) return '';
  return t('console.lastSegment', {
    track: s.track ?? '?',
    seq: s.seq ?? '?',
    time: s.startMs ? fmtTime(s.startMs) : '—',
  });
}

function formatBytes(n) {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function renderNodes() {
  const list = byTestId('recorder-list');
  const all = [...nodes.values()].sort(
    (a, b) => Number(b.online) - Number(a.online) || a.id.localeCompare(b.id),
  );
  list.replaceChildren(...all.map(nodeCard));
  byTestId('recorders-empty').hidden = all.length > 0;
  for (const node of all) updateLevels(node);
}

function updateLevels(node) {
  const card = byTestId('recorder-list').querySelector(`[data-node-id="${globalThis.CSS.escape(node.id)}"]`);
  if (!card) return;
  const levels = node.live?.levels;
  const channels = levels?.channels ?? [];
  const known = new Set([...card.querySelectorAll('meter')].map((m) => m.dataset.track));
  if (channels.some((c) => !known.has(c.track))) {
    card.replaceWith(nodeCard(node));
    return updateLevels(node);
  }
  for (const c of channels) {
    const meter = card.querySelector(`meter[data-track="${globalThis.CSS.escape(c.track)}"]`);
    const text = card.querySelector(
      `[data-testid="level-value"][data-track="${globalThis.CSS.escape(c.track)}"]`,
    );
    const rms = Number.isFinite(c.rmsDb) ? c.rmsDb : METER.min;
    meter.value = Math.max(METER.min, Math.min(METER.max, rms));
    meter.dataset.rmsDb = Number.isFinite(c.rmsDb) ? c.rmsDb.toFixed(1) : '';
    meter.dataset.peakDb = Number.isFinite(c.peakDb) ? c.peakDb.toFixed(1) : '';
    meter.dataset.atMs = String(levels.atMs ?? '');
    text.textContent = Number.isFinite(c.peakDb)
      ? `${dbText(c.rmsDb)} / ${t('console.peak')} ${dbText(c.peakDb)}`
      : dbText(c.rmsDb);
  }
}

async function refreshNodes() {
  const answer = await get('/api/recorders');
  const seen = new Set();
  for (const r of answer.recorders ?? []) {
    seen.add(r.id);
    const prev = nodes.get(r.id);
    nodes.set(r.id, { ...r, live: r.live ?? prev?.live ?? null, lastSegment: prev?.lastSegment ?? null });
  }
  for (const id of [...nodes.keys()]) if (!seen.has(id)) nodes.delete(id);
  renderNodes();
  renderAlarms();
}

function scheduleRefetch() {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(() => void refreshNodes().catch(() => undefined), 500);
}

// ------------------------------------------------------------------ alarms

function allAlarms() {
  const out = [];
  for (const node of nodes.values()) {
    for (const a of node.live?.alarms ?? []) out.push({ ...a, nodeId: node.id });
    const local = localAlarms.get(node.id);
    if (local) out.push(local);
  }
  return out.sort(
    (a, b) => Number(CRITICAL_ALARMS.has(b.kind)) - Number(CRITICAL_ALARMS.has(a.kind)) || b.atMs - a.atMs,
  );
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element: `h` makes HTML elements, and SVG needs its own namespace. */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs))
    el.setAttribute(key === 'testid' ? 'data-testid' : key, String(value));
  for (const child of children.flat())
    if (child !== null && child !== undefined)
      el.append(child instanceof globalThis.Node ? child : String(child));
  return el;
}

/**
 * The alarm's icon, drawn as inline SVG rather than a text glyph: Debian's Chromium has
 * no font with ✖ or ⚠ and showed an empty box. A red disc with a cross for a critical
 * alarm, an amber triangle with "!" for a warning; the severity is its accessible name
 * (role img), and colour is never the only sign (the words beside it say what happened).
 */
function alarmIcon(critical) {
  const name = t(critical ? 'console.alarmCritical' : 'console.alarmWarning');
  const shapes = critical
    ? [
        svg('circle', { class: 'alarm-icon-shape', cx: 12, cy: 12, r: 11 }),
        svg('path', { class: 'alarm-icon-mark', d: 'M7.5 7.5 16.5 16.5M16.5 7.5 7.5 16.5' }),
      ]
    : [
        svg('path', { class: 'alarm-icon-shape', d: 'M12 1.5 23.2 21.5H0.8Z' }),
        svg('path', { class: 'alarm-icon-mark', d: 'M12 8.5V14.5' }),
        svg('circle', { class: 'alarm-icon-dot', cx: 12, cy: 18, r: 1.4 }),
      ];
  return svg(
    'svg',
    {
      class: 'alarm-icon',
      viewBox: '0 0 24 24',
      width: 24,
      height: 24,
      role: 'img',
      'aria-label': name,
      focusable: 'false',
      testid: 'alarm-icon',
      'data-severity': critical ? 'critical' : 'warning',
    },
    svg('title', {}, name),
    ...shapes,
  );
}

function renderAlarms() {
  const alarms = allAlarms();
  const list = byTestId('alarm-list');
  list.replaceChildren(
    ...alarms.map((a) => {
      const critical = CRITICAL_ALARMS.has(a.kind);
      const node = nodes.get(a.nodeId);
      return h(
        'li',
        {
          class: `alarm ${critical ? 'critical' : 'warning'}`,
          testid: 'alarm-item',
          dataset: {
            kind: a.kind,
            track: a.track ?? '',
            nodeId: a.nodeId,
            severity: critical ? 'critical' : 'warning',
          },
        },
        alarmIcon(critical),
        h(
          'span',
          { class: 'alarm-body' },
          h('strong', { class: 'alarm-kind', text: label('alarm', a.kind) }),
          a.track ? h('span', { class: 'alarm-track', text: ` · ${channelLabel(a.track)}` }) : null,
          h('span', { class: 'alarm-node', text: ` · ${node?.name ?? a.nodeId}` }),
          a.atMs
            ? h('time', {
                class: 'alarm-time',
                datetime: new Date(a.atMs).toISOString(),
                text: ` · ${fmtTime(a.atMs)}`,
              })
            : null,
          a.message ? h('span', { class: 'alarm-message', text: a.message }) : null,
        ),
      );
    }),
  );
  list.dataset.count = String(alarms.length);
  byTestId('alarms-empty').hidden = alarms.length > 0;
  document.body.classList.toggle(
    'has-critical-alarm',
    alarms.some((a) => CRITICAL_ALARMS.has(a.kind)),
  );
}

function ring(critical) {
  const played = beep(critical ? { frequency: 880, count: 3 } : { frequency: 660, count: 1 });
  beeps++;
  byTestId('alarm-list').dataset.beeps = String(beeps);
  byTestId('alarm-list').dataset.beepPlayed = String(played);
  byTestId('alarm-sound-hint').hidden = played || !isEnabled();
}

// ------------------------------------------------------------------ the live feed

function setConnection(state) {
  const el = byTestId('live-connection');
  el.dataset.state = state;
  byTestId('live-connection-text').textContent = t(`live.${state}`);
}

/** One message of the feed: `{ nodeId, message }`. */
function handleLive(event) {
  const { nodeId, message } = event ?? {};
  if (!message || typeof message !== 'object') return;
  if (message.type === 'hello' && Array.isArray(message.recorders)) {
    // The hub's greeting: the live state of every connected node.
    const live = new Map(message.recorders.map((l) => [l.nodeId, l]));
    for (const node of nodes.values()) {
      node.online = live.has(node.id);
      node.live = live.get(node.id) ?? null;
    }
    if ([...live.keys()].some((id) => !nodes.has(id))) scheduleRefetch();
    renderNodes();
    renderAlarms();
    return;
  }
  const node = nodes.get(nodeId);
  if (!node) {
    scheduleRefetch();
    return;
  }
  node.live ??= { nodeId, tracks: [], levels: null, alarms: [], status: null };
  switch (message.type) {
    case 'hello':
      node.live.tracks = message.tracks ?? [];
      renderNodes();
      return;
    case 'levels':
      node.live.levels = {
        atMs: message.atMs,
        hearingId: message.hearingId,
        channels: message.channels ?? [],
      };
      updateLevels(node);
      return;
    case 'alarm': {
      const alarms = (node.live.alarms ?? []).filter(
        (a) => !(a.kind === message.kind && a.track === message.track),
      );
      const wasActive = alarms.length !== (node.live.alarms ?? []).length;
      if (message.active)
        alarms.push({
          kind: message.kind,
          track: message.track,
          message: message.message,
          atMs: message.atMs,
          hearingId: message.hearingId,
        });
      node.live.alarms = alarms;
      renderAlarms();
      if (message.active && !wasActive) ring(CRITICAL_ALARMS.has(message.kind));
      return;
    }
    case 'status':
      node.live.status = { ...message };
      renderNodes();
      return;
    case 'online':
      node.online = true;
      localAlarms.delete(nodeId);
      renderNodes();
      renderAlarms();
      return;
    case 'offline': {
      const wasOnline = node.online;
      node.online = false;
      node.live = null;
      const recording = hearings.some((x) => x.courtroomId === node.courtroomId && x.state === 'recording');
      if (wasOnline) {
        localAlarms.set(nodeId, {
          kind: 'recorder-offline',
          track: null,
          nodeId,
          atMs: Date.now(),
          message: recording ? t('console.offlineWhileRecording') : '',
        });
        ring(recording);
      }
      renderNodes();
      renderAlarms();
      return;
    }
    case 'register': {
      node.lastSegment = message.segment ?? null;
      const el = byTestId('recorder-list').querySelector(
        `[data-testid="recorder-last-segment"][data-node-id="${globalThis.CSS.escape(nodeId)}"]`,
      );
      if (el) el.textContent = lastSegmentText(node);
      return;
    }
    default:
      return;
  }
}

function connect() {
  setConnection('connecting');
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/live`;
  let opened = false;
  try {
    ws = new WebSocket(url);
  } catch {
    setTimeout(connect, backoff);
    return;
  }
  ws.addEventListener('open', () => {
    opened = true;
    backoff = 1000;
    setConnection('open');
  });
  ws.addEventListener('message', (event) => {
    try {
      handleLive(JSON.parse(event.data));
    } catch {
      // A frame we cannot read is skipped; the next levels frame repaints everything.
    }
  });
  ws.addEventListener('close', async (event) => {
    setConnection('closed');
    // 4401: the hub closed the feed because the session ended; 4403: no longer allowed.
    if (!opened || event.code === 4401 || event.code === 4403) {
      // Refused at the upgrade, or closed by the hub: maybe the session has ended.
      try {
        const session = await get('/api/auth/me');
        if (!session) return;
      } catch (error) {
        if (error?.code === 'UNAUTHENTICATED') return showError(byTestId('page-message'), error);
      }
    }
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15_000);
    // Whatever happened while the feed was down: take the state afresh.
    void refreshNodes().catch(() => undefined);
  });
}

// ------------------------------------------------------------------ start

function wire() {
  byTestId('console-hearing').addEventListener('change', (event) => void selectHearing(event.target.value));
  for (const command of ['start', 'pause', 'resume']) {
    byTestId(`console-${command}`).addEventListener('click', () => void runCommand(command));
  }
  confirmTwice(byTestId('console-stop'), {
    confirmKey: 'command.stopConfirm',
    action: () => runCommand('stop'),
  });
  byTestId('marker-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const { kind, text } = formValues(form);
    if (!text && kind === 'note') {
      showMessage(byTestId('marker-message'), 'error', t('console.noteNeedsText'));
      byTestId('marker-text').focus();
      return;
    }
    if (await addMarker(kind, text ?? '', byTestId('marker-add'))) byTestId('marker-text').value = '';
  });
  const sound = byTestId('alarm-sound');
  sound.addEventListener('click', async () => {
    setEnabled(!isEnabled());
    sound.setAttribute('aria-pressed', String(isEnabled()));
    if (isEnabled() && (await unlock())) beep({ count: 1, ms: 80 });
    byTestId('alarm-sound-hint').hidden = !isEnabled() || ready();
  });
  unlockOnFirstGesture(() => {
    byTestId('alarm-sound-hint').hidden = true;
  });
  byTestId('alarm-sound-hint').hidden = ready();
  // A reminder every 30 s while a critical alarm stays active.
  setInterval(() => {
    if (allAlarms().some((a) => CRITICAL_ALARMS.has(a.kind))) ring(true);
  }, 30_000);
  // Hearings change state from other consoles and from the recorder: keep the list fresh.
  setInterval(() => void refreshHearings().catch(() => undefined), 20_000);
}

async function init() {
  renderMarkerControls();
  wire();
  const rooms = await get('/api/courtrooms').catch(() => ({ courtrooms: [] }));
  courtrooms = new Map((rooms.courtrooms ?? []).map((c) => [c.id, c]));
  await refreshHearings();
  const wanted =
    new URLSearchParams(location.search).get('hearing') ?? localStorage.getItem(STORAGE_KEY) ?? '';
  const pick =
    hearings.find((x) => x.id === wanted) ??
    hearings.find((x) => x.state === 'recording' || x.state === 'paused');
  await selectHearing(pick?.id ?? '');
  renderHearingSelect();
  await refreshNodes();
  connect();
}

void startPage({
  roles: ['operator', 'administrator', 'judge', 'secretary'],
  init,
  rerender: () => {
    renderHearingSelect();
    renderControls();
    renderMarkerControls();
    renderRecentMarkers();
    renderNodes();
    renderAlarms();
    setConnection(byTestId('live-connection').dataset.state || 'connecting');
  },
});
