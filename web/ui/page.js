/**
 * What every page shares: the session check, the header (navigation by role, language
 * switch, log-out), localized error messages, date formatting and a small DOM builder.
 * Everything is built with DOM calls and textContent: no innerHTML with data from the
 * hub, and no inline styles (the CSP allows only the hub's own style sheet).
 */
import { ApiError, logout, me } from './api.js';
import {
  LANGS,
  LANG_NAMES,
  applyTranslations,
  currentLang,
  hasKey,
  initLang,
  onLangChange,
  setLang,
  t,
} from './i18n.js';

const { document, location, setTimeout, clearTimeout } = globalThis;

// ------------------------------------------------------------------ DOM

/**
 * h('button', { class: 'x', text: 'Go', testid: 'go', on: { click } }, child, …).
 * Other props become attributes; `true` sets a boolean attribute, false/null/undefined skip it.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'testid') el.dataset.testid = value;
    else if (key === 'i18n') {
      // Text from the dictionary that follows a language switch (applyTranslations).
      el.dataset.i18n = value;
      el.textContent = t(value);
    } else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [name, fn] of Object.entries(value)) el.addEventListener(name, fn);
    else if (key === 'value') el.value = String(value);
    else if (key === 'checked' || key === 'selected') el[key] = Boolean(value);
    else if (key === 'style') throw new Error('inline styles are refused by the CSP; use a class');
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof globalThis.Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** A form's fields as an object of trimmed strings (checkbox groups as arrays). */
export function formValues(form) {
  const out = {};
  for (const [k, v] of new globalThis.FormData(form).entries()) {
    const value = typeof v === 'string' ? v.trim() : v;
    if (k in out) out[k] = [].concat(out[k], value);
    else out[k] = value;
  }
  return out;
}

// ------------------------------------------------------------------ formatting

// Dates are put together from the dictionary rather than Intl: Chromium's ICU data has no
// Kazakh month names and prints "2026 M03 2" for kk.
const pad = (n) => String(n).padStart(2, '0');

function toDate(value) {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 09:05:07 (24-hour, the browser's time zone). */
export function fmtTime(value) {
  const d = toDate(value);
  return d ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : '—';
}

/** 02.03.2026, 09:05:07 (02/03/2026 in English). */
export function fmtDateTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = toDate(value);
  if (!d) return '—';
  const date = t('date.short', { dd: pad(d.getDate()), mm: pad(d.getMonth() + 1), yyyy: d.getFullYear() });
  return `${date}, ${fmtTime(d)}`;
}

/** 2 марта 2026 г. / 2026 ж. 2 наурыз / 2 March 2026. */
export function fmtDate(value) {
  const d = toDate(value);
  if (!d) return '—';
  return t('date.long', { d: d.getDate(), month: t(`month.${d.getMonth() + 1}`), yyyy: d.getFullYear() });
}

/** "1 h 2 min 5 s" in the page's language. */
export function fmtDuration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const parts = [];
  if (hours) parts.push(t('unit.hours', { n: hours }));
  if (minutes) parts.push(t('unit.minutes', { n: minutes }));
  if (seconds || parts.length === 0) parts.push(t('unit.seconds', { n: seconds }));
  return parts.join(' ');
}

/** <time datetime="ISO">localized</time> */
export function timeEl(iso, format = fmtDateTime) {
  if (!iso) return h('span', { text: '—' });
  return h('time', { datetime: iso, text: format(iso) });
}

/** The label of a value from a dictionary group ("state.recording"), or the value itself. */
export function label(group, value) {
  const key = `${group}.${value}`;
  return hasKey(key) ? t(key) : String(value ?? '—');
}

// ------------------------------------------------------------------ messages

/** The localized headline and the hub's detail for an error. */
export function describeError(error) {
  if (error instanceof ApiError) {
    const reason = error.reason && hasKey(`reason.${error.reason}`) ? t(`reason.${error.reason}`) : null;
    const headline = hasKey(`error.${error.code}`) ? t(`error.${error.code}`) : t('error.generic');
    return { headline: reason ?? headline, detail: error.detail, code: error.code };
  }
  return { headline: t('error.generic'), detail: String(error?.message ?? error), code: 'CLIENT' };
}

/** Sends the browser to the log-in page, coming back here afterwards. */
export function toLogin() {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/**
 * Shows a message in a live region (`.message` element). kind: 'error' | 'ok' | 'info'.
 * An expired session (UNAUTHENTICATED) goes back to the log-in page instead.
 */
export function showMessage(target, kind, headline, detail = '') {
  if (!target) return;
  target.replaceChildren();
  target.dataset.kind = kind;
  target.hidden = false;
  target.append(h('strong', { text: headline }));
  if (detail) target.append(' ', h('span', { class: 'detail', text: detail }));
}

export function showError(target, error) {
  if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return toLogin();
  const { headline, detail, code } = describeError(error);
  showMessage(target, 'error', headline, detail);
  if (target) target.dataset.code = code;
}

export function clearMessage(target) {
  if (!target) return;
  target.replaceChildren();
  target.hidden = true;
  delete target.dataset.kind;
  delete target.dataset.code;
}

/** Disables the button while `fn` runs; shows a failure in `messageEl`. */
export async function busy(button, messageEl, fn) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    if (messageEl) clearMessage(messageEl);
    return await fn();
  } catch (error) {
    showError(messageEl, error);
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/**
 * A destructive button asks once more in place: the first activation turns it into
 * "confirm" for a few seconds, the second one acts. Works with the keyboard, needs no
 * dialog, and cannot be set off by a single stray click.
 */
export function confirmTwice(button, { confirmKey, action }) {
  let timer = null;
  const reset = () => {
    clearTimeout(timer);
    timer = null;
    delete button.dataset.confirming;
    if (button.dataset.labelKey) button.textContent = t(button.dataset.labelKey);
  };
  button.addEventListener('click', async () => {
    if (!button.dataset.confirming) {
      button.dataset.confirming = 'true';
      button.textContent = t(confirmKey);
      timer = setTimeout(reset, 5000);
      return;
    }
    reset();
    await action();
  });
  button.addEventListener('blur', () => {
    // Let a click that moved focus from this button to itself land first.
    setTimeout(() => {
      if (document.activeElement !== button) reset();
    }, 200);
  });
}

// ------------------------------------------------------------------ the shell

/** Pages in the navigation, and the roles each is for. */
export const NAV = [
  { path: '/hearings', key: 'nav.hearings', roles: null },
  { path: '/console', key: 'nav.console', roles: ['operator', 'administrator'] },
  { path: '/secretary', key: 'nav.secretary', roles: ['secretary'] },
  { path: '/admin', key: 'nav.admin', roles: ['administrator'] },
  { path: '/audit', key: 'nav.audit', roles: ['auditor'] },
];

/** Where a role starts after logging in. */
export function homeFor(role) {
  switch (role) {
    case 'operator':
      return '/console';
    case 'secretary':
      return '/secretary';
    case 'administrator':
      return '/admin';
    case 'auditor':
      return '/audit';
    default:
      return '/hearings';
  }
}

function langSwitch() {
  return h(
    'div',
    { class: 'lang-switch', role: 'group', 'aria-label': t('lang.label'), testid: 'lang-switch' },
    LANGS.map((code) =>
      h('button', {
        type: 'button',
        lang: code,
        testid: `lang-${code}`,
        'aria-pressed': String(code === currentLang()),
        text: LANG_NAMES[code],
        on: { click: () => setLang(code) },
      }),
    ),
  );
}

/** Fills the page's <header class="app-header">. */
export function renderHeader(user) {
  const header = $('header.app-header');
  if (!header) return;
  const here = location.pathname.replace(/\/+$/, '') || '/';
  const links = user
    ? NAV.filter((n) => n.roles === null || n.roles.includes(user.role)).filter(
        (n) => !(n.path === '/hearings' && user.role === 'administrator'),
      )
    : [];
  header.replaceChildren(
    h('a', { class: 'brand', href: user ? homeFor(user.role) : '/login', text: 'Hattama' }),
    links.length
      ? h(
          'nav',
          { 'aria-label': t('nav.label') },
          h(
            'ul',
            {},
            links.map((n) =>
              h(
                'li',
                {},
                h('a', {
                  href: n.path,
                  text: t(n.key),
                  testid: `nav-${n.path.slice(1)}`,
                  'aria-current': here === n.path || here.startsWith(`${n.path}/`) ? 'page' : null,
                }),
              ),
            ),
          ),
        )
      : null,
    h(
      'div',
      { class: 'header-tools' },
      langSwitch(),
      user
        ? h(
            'span',
            { class: 'current-user', testid: 'current-user' },
            h('span', { text: user.displayName || user.login }),
            ' ',
            h('span', { class: 'role', text: `(${label('role', user.role)})` }),
          )
        : null,
      user
        ? h('button', {
            type: 'button',
            class: 'secondary',
            testid: 'logout',
            text: t('nav.logout'),
            on: {
              click: async () => {
                try {
                  await logout();
                } finally {
                  location.assign('/login');
                }
              },
            },
          })
        : null,
    ),
  );
}

/**
 * Starts a page: checks the session (back to log-in without one), picks the language
 * (stored choice, else the user's locale), fills the header, refuses politely when the
 * role is not one the page is for, then runs `init(session)`. `rerender` runs after a
 * language switch for whatever the page drew from data.
 */
export async function startPage({ roles = null, init, rerender }) {
  const pageMessage = byTestId('page-message');
  let session = null;
  try {
    session = await me();
  } catch (error) {
    initLang(null);
    applyTranslations(document);
    renderHeader(null);
    showError(pageMessage, error);
    return;
  }
  if (!session) {
    location.replace(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  initLang(session.user.locale);
  applyTranslations(document);
  renderHeader(session.user);
  onLangChange(() => {
    applyTranslations(document);
    renderHeader(session.user);
    // Confirmations were written in the old language; they are stale anyway.
    for (const el of $$('.message[data-kind="ok"], .message[data-kind="info"]')) clearMessage(el);
    rerender?.();
  });
  if (roles && !roles.includes(session.user.role)) {
    showMessage(
      pageMessage,
      'error',
      t('page.wrongRole'),
      t('page.forRoles', { roles: roles.map((r) => label('role', r)).join(', ') }),
    );
    for (const el of $$('[data-needs-role]')) el.hidden = true;
    return;
  }
  try {
    await init(session);
  } catch (error) {
    showError(pageMessage, error);
  }
}
