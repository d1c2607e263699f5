/**
 * The administrator's pages: courts, courtrooms, recorder nodes (a node's token is shown
 * once, when issued; only its hash is kept), user accounts (a generated password is
 * shown once too) and the changes that wait for a second administrator (separation of
 * duties, docs/decisions/0018-separation-of-duties.md): a change that gives access to
 * evidence or to the audit log answers 202 with a pending approval, which another
 * administrator approves or rejects here.
 */
import { get, post, query, seg } from './api.js';
import { t } from './i18n.js';
import {
  busy,
  byTestId,
  confirmTwice,
  fmtDateTime,
  formValues,
  h,
  label,
  showError,
  showMessage,
  startPage,
  timeEl,
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
/**
 * Roles an account gets only through a second administrator's approval (the court's
 * ROLES_NEEDING_APPROVAL; web/ui/ui.routes.test.ts keeps the two equal). For them the hub
 * refuses a chosen password: one is generated at approval and shown to the approver.
 */
export const APPROVAL_ROLES = ['administrator', 'higher-court-judge', 'auditor'];

let courts = [];
let courtrooms = [];
let recorders = [];
let users = [];
let approvals = [];
/** The logged-in administrator's login: their own proposals are for someone else to decide. */
let myLogin = null;

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

function showSecret(prefix, title, value, hintKey) {
  const box = byTestId(`${prefix}-once`);
  const hint = byTestId(`${prefix}-hint`);
  if (hint && hintKey) {
    // data-i18n, so a language switch translates it like the rest of the page.
    hint.dataset.i18n = hintKey;
    hint.textContent = t(hintKey);
  }
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
  // What the form's reset returns to (else the first option, administrator).
  for (const option of select.options) option.defaultSelected = option.value === 'party';
  select.value = current;
  syncPasswordField();
}

/**
 * A role that waits for approval takes no password (the hub answers 400 to one): the field
 * is disabled, so the form does not send it, and the hint says why.
 */
function syncPasswordField() {
  const needsApproval = APPROVAL_ROLES.includes(byTestId('user-role').value);
  const input = byTestId('user-password');
  if (needsApproval) input.value = '';
  input.disabled = needsApproval;
  const hint = byTestId('user-password-hint');
  hint.dataset.i18n = needsApproval ? 'approvals.passwordAtApproval' : 'admin.passwordHint';
  hint.textContent = t(hint.dataset.i18n);
}

/** The change in the page's language, from its fields (the hub's `summary` is English). */
function describeChange(a) {
  const c = a.change ?? {};
  switch (a.kind) {
    case 'user.create': {
      const inCourts = (c.courtIds ?? []).map(courtName).join(', ');
      return t(inCourts ? 'approvals.kind.userCreateCourts' : 'approvals.kind.userCreate', {
        login: c.login,
        role: label('role', c.role),
        courts: inCourts,
      });
    }
    case 'user.role':
      return t('approvals.kind.userRole', { login: c.login, role: label('role', c.role) });
    case 'case.assign':
      return t(c.validUntilMs === null ? 'approvals.kind.caseAssign' : 'approvals.kind.caseAssignUntil', {
        login: c.userLogin,
        caseId: c.caseId,
        from: fmtDateTime(c.validFromMs),
        until: fmtDateTime(c.validUntilMs),
      });
    case 'terminal.register':
      return t('approvals.kind.terminalRegister', { id: c.id, name: c.name, court: courtName(c.courtId) });
    case 'terminal.revoke':
      return t('approvals.kind.terminalRevoke', { id: c.id });
    default:
      // A kind this page does not know yet: the hub's own words.
      return a.summary;
  }
}

/** What an approval made, shown once: a generated password or a terminal's token. */
function showApproved({ approval, result }) {
  showMessage(byTestId('approval-list-message'), 'ok', t('approvals.approved'), describeChange(approval));
  if (result?.password)
    showSecret(
      'approval-secret',
      t('admin.passwordFor', { login: result.user?.login ?? approval.change?.login }),
      result.password,
      'admin.passwordOnce',
    );
  else if (result?.token)
    showSecret(
      'approval-secret',
      t('approvals.terminalTokenFor', { id: result.id }),
      result.token,
      'approvals.terminalTokenOnce',
    );
}

function approvalRow(a) {
  const message = byTestId('approval-list-message');
  const own = a.proposedBy === myLogin;
  const actions = [];
  if (a.state === 'pending') {
    // One's own proposal: the hub refuses the decision (403 own-proposal), so the buttons
    // are greyed and say why rather than invite a refusal.
    const ownNote = own ? `approval-own-${a.id}` : null;
    const decide = (verb, cls) => {
      const button = h('button', {
        type: 'button',
        class: cls ? `${cls} small` : 'small',
        testid: `approval-${verb}`,
        i18n: `approvals.${verb}`,
        dataset: { labelKey: `approvals.${verb}` },
        disabled: own,
        'aria-describedby': ownNote,
      });
      if (!own)
        confirmTwice(button, {
          confirmKey: `approvals.${verb}Confirm`,
          action: async () => {
            await busy(button, message, async () => {
              const out = await post(`/api/admin/approvals/${seg(a.id)}/${verb}`, {});
              if (verb === 'approve') showApproved(out);
              else showMessage(message, 'ok', t('approvals.rejected'), describeChange(out.approval));
            });
            // Decided here or (409, 403) elsewhere meanwhile: the list shows where it stands.
            await Promise.all([loadApprovals(), loadUsers()]).catch((error) => showError(message, error));
          },
        });
      return button;
    };
    actions.push(decide('approve', ''), decide('reject', 'danger'));
    if (own)
      actions.push(
        h('span', {
          class: 'approval-own',
          id: ownNote,
          testid: 'approval-own',
          i18n: 'reason.own-proposal',
        }),
      );
  }
  return h(
    'tr',
    { testid: 'approval-row', dataset: { id: a.id, kind: a.kind, state: a.state, own: String(own) } },
    h('td', { testid: 'approval-summary', text: describeChange(a) }),
    h('td', {}, h('code', { text: a.proposedBy })),
    h('td', {}, timeEl(a.proposedAt)),
    h(
      'td',
      {},
      h('span', {
        class: `badge ${a.state === 'approved' ? 'ok' : a.state === 'rejected' ? 'bad' : ''}`,
        text: label('approvalState', a.state),
      }),
    ),
    h(
      'td',
      {},
      a.decidedBy ? h('code', { text: a.decidedBy }) : '—',
      a.decidedAt ? [' ', timeEl(a.decidedAt)] : null,
    ),
    h('td', { class: 'actions' }, actions),
  );
}

function renderApprovals() {
  tbody('admin-approvals').replaceChildren(...approvals.map(approvalRow));
  byTestId('approvals-empty').hidden = approvals.length > 0;
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
async function loadApprovals() {
  const state = byTestId('approvals-state').value;
  approvals = (await get(`/api/admin/approvals${query({ state })}`)).approvals ?? [];
  renderApprovals();
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
      // 202 { approval }: nothing is changed yet; a second administrator decides.
      if (result?.approval)
        showMessage(message, 'info', t('approvals.sent'), describeChange(result.approval));
      else showMessage(message, 'ok', t('admin.saved'));
      return result ?? true;
    });
    if (ok) {
      form.reset();
      await onDone?.(ok);
    }
  });
}

/** Shows the pending list, where a new proposal appears. */
async function showPending() {
  byTestId('approvals-state').value = 'pending';
  await loadApprovals();
}

async function init(session) {
  myLogin = session.user.login;
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
      if (out.approval) return showPending();
      if (out.password)
        showSecret('user-password', t('admin.passwordFor', { login: out.user.login }), out.password);
      await loadUsers();
    },
  });
  byTestId('user-role').addEventListener('change', syncPasswordField);
  // After a reset the role is back to its default: the password field follows it.
  byTestId('user-form').addEventListener('reset', () => setTimeout(syncPasswordField, 0));
  byTestId('approvals-state').addEventListener('change', () =>
    busy(null, byTestId('approval-list-message'), loadApprovals),
  );
  byTestId('approval-secret-hide').addEventListener('click', () => hideSecret('approval-secret'));
  byTestId('recorder-token-hide').addEventListener('click', () => hideSecret('recorder-token'));
  byTestId('user-password-hide').addEventListener('click', () => hideSecret('user-password'));
  await Promise.all([loadCourts(), loadCourtrooms()]);
  await Promise.all([loadRecorders(), loadUsers(), loadApprovals()]);
}

void startPage({
  roles: ['administrator'],
  init,
  rerender: () => {
    renderCourts();
    renderCourtrooms();
    renderRecorders();
    renderUsers();
    renderApprovals();
  },
});
