/**
 * The administrator's pages: courts, courtrooms, recorder nodes (a node's token is shown
 * once, when issued; only its hash is kept) and user accounts (a generated password is
 * shown once too).
 */
import { get, post, seg } from './api.js';
import { t } from './i18n.js';
import {
  busy,
  byTestId,
  confirmTwice,
  fmtDateTime,
  formValues,
  h,
  label,
  showMessage,
  startPage,
} from './page.js';

export const ROLES = [
  'administrator',
  'operator',
  'secretary',
  'judge',
  'party',
  'representative',
  'higher-court-judge',
  'auditor',
];
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

let courts = [];
let courtrooms = [];
let recorders = [];
let users = [];

const tbody = (testid) => byTestId(testid).querySelector('tbody');
const courtName = (id) => courts.find((c) => c.id === id)?.name ?? id ?? '—';
const roomName = (id) => courtrooms.find((c) => c.id === id)?.name ?? id ?? '—';

// ------------------------------------------------------------------ rendering

function renderCourts() {
  tbody('admin-courts').replaceChildren(
    ...courts.map((c) =>
      h(
        'tr',
        { testid: 'court-row', dataset: { id: c.id } },
        h('td', {}, h('code', { text: c.id })),
        h('td', { text: c.name }),
      ),
    ),
  );
  const options = courts.map((c) => h('option', { value: c.id, text: c.name }));
  const select = byTestId('courtroom-court');
  const current = select.value;
  select.replaceChildren(h('option', { value: '', text: t('form.choose') }), ...options);
  select.value = current;
  const boxes = byTestId('user-courts');
  const checked = new Set([...boxes.querySelectorAll('input:checked')].map((i) => i.value));
  boxes.replaceChildren(
    ...courts.map((c) =>
      h(
        'div',
        { class: 'choice' },
        h('input', {
          type: 'checkbox',
          id: `uc-${c.id}`,
          name: 'courtIds',
          value: c.id,
          checked: checked.has(c.id),
        }),
        h('label', { for: `uc-${c.id}`, text: c.name }),
      ),
    ),
  );
}

function renderCourtrooms() {
  tbody('admin-courtrooms').replaceChildren(
    ...courtrooms.map((r) =>
      h(
        'tr',
        { testid: 'courtroom-row', dataset: { id: r.id } },
        h('td', {}, h('code', { text: r.id })),
        h('td', { text: r.name }),
        h('td', { text: courtName(r.courtId) }),
      ),
    ),
  );
  const select = byTestId('recorder-courtroom');
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '', text: t('admin.noCourtroom') }),
    ...courtrooms.map((r) => h('option', { value: r.id, text: `${r.name} · ${courtName(r.courtId)}` })),
  );
  select.value = current;
}

function showSecret(prefix, title, value) {
  const box = byTestId(`${prefix}-once`);
  byTestId(`${prefix}-title`).textContent = title;
  byTestId(`${prefix}-value`).textContent = value;
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

function hideSecret(prefix) {
  byTestId(`${prefix}-value`).textContent = '';
  byTestId(`${prefix}-once`).hidden = true;
}

function recorderRow(r) {
  const message = byTestId('recorder-list-message');
  const tokenButton = h('button', {
    type: 'button',
    class: 'secondary small',
    testid: 'recorder-token',
    i18n: 'admin.newToken',
    disabled: r.revoked,
    on: {
      click: (event) =>
        busy(event.currentTarget, message, async () => {
          const out = await post(`/api/recorders/${seg(r.id)}/token`, {});
          showSecret('recorder-token', t('admin.tokenFor', { id: r.id }), out.token);
        }),
    },
  });
  const revokeButton = h('button', {
    type: 'button',
    class: 'danger small',
    testid: 'recorder-revoke',
    i18n: 'admin.revoke',
    dataset: { labelKey: 'admin.revoke' },
    disabled: r.revoked,
  });
  confirmTwice(revokeButton, {
    confirmKey: 'admin.revokeConfirm',
    action: () =>
      busy(revokeButton, message, async () => {
        await post(`/api/recorders/${seg(r.id)}/revoke`, {});
        showMessage(message, 'ok', t('admin.revoked', { id: r.id }));
        await loadRecorders();
      }),
  });
  const status = r.revoked ? 'revoked' : r.online ? 'online' : 'offline';
  return h(
    'tr',
    { testid: 'recorder-row', dataset: { id: r.id, status } },
    h('td', {}, h('code', { text: r.id })),
    h('td', { text: r.name }),
    h('td', { text: roomName(r.courtroomId) }),
    h(
      'td',
      {},
      h('span', {
        class: `badge ${status === 'online' ? 'ok' : status === 'revoked' ? 'bad' : ''}`,
        text: label('nodeStatus', status),
      }),
    ),
    h('td', { text: r.lastSeenAt ? fmtDateTime(r.lastSeenAt) : '—' }),
    h('td', { class: 'actions' }, tokenButton, revokeButton),
  );
}

function renderRecorders() {
  tbody('admin-recorders').replaceChildren(...recorders.map(recorderRow));
}

function userRow(u) {
  const message = byTestId('user-list-message');
  const disable = h('button', {
    type: 'button',
    class: 'danger small',
    testid: 'user-disable',
    i18n: 'admin.disable',
    dataset: { labelKey: 'admin.disable' },
    disabled: u.disabled,
  });
  confirmTwice(disable, {
    confirmKey: 'admin.disableConfirm',
    action: () =>
      busy(disable, message, async () => {
        await post(`/api/admin/users/${seg(u.login)}/disable`, {});
        showMessage(message, 'ok', t('admin.disabled', { login: u.login }));
        await loadUsers();
      }),
  });
  return h(
    'tr',
    { testid: 'user-row', dataset: { login: u.login, disabled: String(Boolean(u.disabled)) } },
    h('td', {}, h('code', { text: u.login })),
    h('td', { text: u.displayName }),
    h('td', { text: label('role', u.role) }),
    h('td', { text: label('language', u.locale) }),
    h('td', { text: (u.courtIds ?? []).map(courtName).join(', ') || '—' }),
    h(
      'td',
      {},
      h('span', {
        class: `badge ${u.disabled ? 'bad' : 'ok'}`,
        text: u.disabled ? t('admin.userDisabled') : t('admin.userActive'),
      }),
    ),
    h('td', { class: 'actions' }, disable),
  );
}

function renderUsers() {
  tbody('admin-users').replaceChildren(...users.map(userRow));
  const select = byTestId('user-role');
  const current = select.value || 'party';
  select.replaceChildren(...ROLES.map((r) => h('option', { value: r, text: label('role', r) })));
  select.value = current;
}

// ------------------------------------------------------------------ loading

async function loadCourts() {
  courts = (await get('/api/admin/courts')).courts ?? [];
  renderCourts();
}
async function loadCourtrooms() {
  courtrooms = (await get('/api/courtrooms')).courtrooms ?? [];
  renderCourtrooms();
}
async function loadRecorders() {
  recorders = (await get('/api/recorders')).recorders ?? [];
  renderRecorders();
}
async function loadUsers() {
  users = (await get('/api/admin/users')).users ?? [];
  renderUsers();
}

// ------------------------------------------------------------------ forms

/** Checks required fields and id patterns; marks the first bad one. */
function check(form, message) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('input[required], select[required]')) {
    const value = el.value.trim();
    const bad = !value || (el.name === 'id' && !ID_PATTERN.test(value));
    if (bad) {
      el.setAttribute('aria-invalid', 'true');
      showMessage(message, 'error', value ? t('admin.badId') : t('form.required'));
      el.focus();
      return false;
    }
  }
  return true;
}

function wireForm(testid, { submit, onDone }) {
  const form = byTestId(`${testid}-form`);
  const message = byTestId(`${testid}-message`);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!check(form, message)) return;
    const ok = await busy(byTestId(`${testid}-submit`), message, async () => {
      const result = await submit(formValues(form));
      showMessage(message, 'ok', t('admin.saved'));
      return result ?? true;
    });
    if (ok) {
      form.reset();
      await onDone?.(ok);
    }
  });
}

async function init() {
  wireForm('court', {
    submit: (v) => post('/api/admin/courts', { id: v.id, name: v.name }),
    onDone: loadCourts,
  });
  wireForm('courtroom', {
    submit: (v) => post('/api/courtrooms', { id: v.id, courtId: v.courtId, name: v.name }),
    onDone: loadCourtrooms,
  });
  wireForm('recorder', {
    submit: (v) => post('/api/recorders', { id: v.id, courtroomId: v.courtroomId || null, name: v.name }),
    onDone: async (out) => {
      showSecret('recorder-token', t('admin.tokenFor', { id: out.id }), out.token);
      await loadRecorders();
    },
  });
  wireForm('user', {
    submit: (v) => {
      const body = { login: v.login, role: v.role, locale: v.locale || 'ru' };
      if (v.displayName) body.displayName = v.displayName;
      if (v.password) body.password = v.password;
      const courtIds = [].concat(v.courtIds ?? []).filter(Boolean);
      if (courtIds.length) body.courtIds = courtIds;
      return post('/api/admin/users', body);
    },
    onDone: async (out) => {
      if (out.password)
        showSecret('user-password', t('admin.passwordFor', { login: out.user.login }), out.password);
      await loadUsers();
    },
  });
  byTestId('recorder-token-hide').addEventListener('click', () => hideSecret('recorder-token'));
  byTestId('user-password-hide').addEventListener('click', () => hideSecret('user-password'));
  await Promise.all([loadCourts(), loadCourtrooms()]);
  await Promise.all([loadRecorders(), loadUsers()]);
}

void startPage({
  roles: ['administrator'],
  init,
  rerender: () => {
    renderCourts();
    renderCourtrooms();
    renderRecorders();
    renderUsers();
  },
});
