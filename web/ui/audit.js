/**
 * The auditor's page: the audit log filtered by hearing, user, verdict and time, newest
 * first, with the same filter as a CSV download. Filters live in the page's URL, so a
 * filtered view can be bookmarked or handed on.
 */
import { get, query } from './api.js';
import { t } from './i18n.js';
import { busy, byTestId, fmtDateTime, formValues, h, label, showMessage, startPage } from './page.js';

const { location, history, URLSearchParams } = globalThis;
const FIELDS = ['hearingId', 'actor', 'verdict', 'from', 'to'];

let entries = [];

/** datetime-local (the browser's time zone) → ISO UTC with milliseconds, as the API takes it. */
export function localToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** ISO UTC → datetime-local value in the browser's time zone. */
export function isoToLocal(value) {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function filters() {
  const v = formValues(byTestId('audit-filters'));
  return {
    hearingId: v.hearingId || '',
    actor: v.actor || '',
    verdict: v.verdict || '',
    from: localToIso(v.from),
    to: localToIso(v.to),
  };
}

function row(e) {
  return h(
    'tr',
    { testid: 'audit-row', dataset: { seq: String(e.seq), verdict: e.verdict } },
    h('td', { class: 'num', text: String(e.seq) }),
    h('td', { class: 'nowrap' }, h('time', { datetime: e.at, text: fmtDateTime(e.at) })),
    h('td', { text: e.actor ?? '—' }),
    h('td', { text: e.role ? label('role', e.role) : '—' }),
    h('td', {}, h('code', { text: e.action ?? '' })),
    h('td', {}, e.hearingId ? h('code', { text: e.hearingId }) : '—'),
    h('td', { class: 'wrap', text: e.target ?? '' }),
    h('td', { text: e.address ?? '' }),
    h('td', {}, h('span', { class: `verdict verdict-${e.verdict}`, text: label('verdict', e.verdict) })),
    h('td', { class: 'wrap', text: e.reason ? label('reason', e.reason) : '' }),
  );
}

function render() {
  const sorted = [...entries].sort((a, b) => b.seq - a.seq);
  byTestId('audit-table')
    .querySelector('tbody')
    .replaceChildren(...sorted.map(row));
  byTestId('audit-count').textContent = t('audit.count', { n: entries.length });
}

async function load() {
  const f = filters();
  const q = query(f);
  byTestId('audit-csv').setAttribute('href', `/api/audit${query({ ...f, format: 'csv' })}`);
  history.replaceState(null, '', `${location.pathname}${q}`);
  await busy(byTestId('audit-apply'), byTestId('audit-message'), async () => {
    entries = (await get(`/api/audit${q}`)).entries ?? [];
    render();
  });
}

async function init() {
  const form = byTestId('audit-filters');
  const params = new URLSearchParams(location.search);
  for (const name of FIELDS) {
    const value = params.get(name);
    if (!value) continue;
    const input = form.elements.namedItem(name);
    input.value = name === 'from' || name === 'to' ? isoToLocal(value) : value;
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = formValues(form);
    if (v.from && v.to && localToIso(v.to) <= localToIso(v.from)) {
      showMessage(byTestId('audit-message'), 'error', t('form.endBeforeStart'));
      return;
    }
    void load();
  });
  byTestId('audit-clear').addEventListener('click', () => {
    form.reset();
    void load();
  });
  await load();
}

void startPage({ roles: ['auditor'], init, rerender: render });
