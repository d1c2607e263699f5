/**
 * The secretary's hearing form: courtroom, case (chosen or new), the case's participants,
 * the hearing (title, judge, open or closed, language) and which microphone belongs to
 * whom. Submitting makes the calls in order and remembers what succeeded, so a retry
 * after a refusal does not create the case or a participant twice.
 */
import { get, post, put, seg } from './api.js';
import { t } from './i18n.js';
import { busy, byTestId, formValues, h, label, showMessage, startPage } from './page.js';

const { document } = globalThis;
const DEFAULT_MICS = 4;

let courtrooms = [];
let cases = [];
let hearings = [];
/** What the current form has already created on the hub. */
let done = { caseId: null, hearingId: null };
let participantSeq = 0;

// ------------------------------------------------------------------ microphone rows

function micRow(track, value = '') {
  const n = /^mic-(\d+)$/.exec(track)?.[1] ?? track;
  const id = `speaker-${track}-${Math.random().toString(36).slice(2, 7)}`;
  return h(
    'div',
    { class: 'field mic-row', dataset: { track } },
    h('label', { for: id, text: t('player.audioMic', { n }) }),
    h('input', {
      id,
      type: 'text',
      name: track,
      list: 'speaker-options',
      maxlength: 200,
      value,
      testid: 'secretary-mic',
      dataset: { track },
      placeholder: t('secretary.micPlaceholder'),
    }),
  );
}

function fillMics(container, tracks, values = {}) {
  container.replaceChildren(...tracks.map((track) => micRow(track, values[track] ?? '')));
}

function addMic(container) {
  const count = container.querySelectorAll('.mic-row').length;
  if (count >= 99) return;
  const row = micRow(`mic-${count + 1}`);
  container.append(row);
  row.querySelector('input').focus();
}

function mappingOf(container) {
  const out = {};
  for (const input of container.querySelectorAll('input[data-track]'))
    if (input.value.trim()) out[input.dataset.track] = input.value.trim();
  return out;
}

/** Suggestions for the microphone fields: the participants typed in, the judge, the usual roles. */
function refreshSpeakerOptions() {
  const names = new Set();
  const judge = byTestId('secretary-judge').value.trim();
  if (judge) names.add(judge);
  for (const input of byTestId('secretary-participants').querySelectorAll('input[data-field="name"]'))
    if (input.value.trim()) names.add(input.value.trim());
  for (const key of [
    'speaker.judge',
    'speaker.secretary',
    'speaker.plaintiff',
    'speaker.defendant',
    'speaker.prosecutor',
    'speaker.witness',
  ])
    names.add(t(key));
  document
    .getElementById('speaker-options')
    .replaceChildren(...[...names].map((name) => h('option', { value: name })));
}

// ------------------------------------------------------------------ participants

function participantRow() {
  const n = ++participantSeq;
  const row = h(
    'tr',
    { testid: 'secretary-participant' },
    h(
      'td',
      {},
      h('label', { class: 'visually-hidden', for: `p-name-${n}`, i18n: 'secretary.participantName' }),
      h('input', {
        id: `p-name-${n}`,
        type: 'text',
        maxlength: 200,
        dataset: { field: 'name' },
        testid: 'participant-name',
      }),
    ),
    h(
      'td',
      {},
      h('label', { class: 'visually-hidden', for: `p-cap-${n}`, i18n: 'secretary.participantCapacity' }),
      h(
        'select',
        { id: `p-cap-${n}`, dataset: { field: 'capacity' }, testid: 'participant-capacity' },
        h('option', { value: 'party', text: label('capacity', 'party') }),
        h('option', { value: 'representative', text: label('capacity', 'representative') }),
      ),
    ),
    h(
      'td',
      {},
      h('label', { class: 'visually-hidden', for: `p-login-${n}`, i18n: 'secretary.participantLogin' }),
      h('input', {
        id: `p-login-${n}`,
        type: 'text',
        maxlength: 64,
        autocapitalize: 'none',
        spellcheck: 'false',
        dataset: { field: 'userLogin' },
        testid: 'participant-login',
      }),
    ),
    h(
      'td',
      {},
      h('button', {
        type: 'button',
        class: 'secondary small',
        i18n: 'common.remove',
        testid: 'participant-remove',
        on: {
          click: () => {
            if (row.dataset.added) return;
            row.remove();
            refreshSpeakerOptions();
          },
        },
      }),
    ),
  );
  row.querySelector('input[data-field="name"]').addEventListener('input', refreshSpeakerOptions);
  return row;
}

// ------------------------------------------------------------------ lists

function renderCourtrooms() {
  const select = byTestId('secretary-courtroom');
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '', text: t('form.choose') }),
    ...courtrooms.map((c) => h('option', { value: c.id, text: `${c.name} (${c.id})` })),
  );
  select.value = current;
}

function renderCases() {
  const select = byTestId('secretary-case');
  const current = select.value;
  const roomCourt = courtrooms.find((c) => c.id === byTestId('secretary-courtroom').value)?.courtId;
  const shown = roomCourt ? cases.filter((c) => c.courtId === roomCourt) : cases;
  select.replaceChildren(
    h('option', { value: '', text: t('form.choose') }),
    ...shown.map((c) => h('option', { value: c.id, text: `${c.number} · ${label('category', c.category)}` })),
  );
  select.value = shown.some((c) => c.id === current) ? current : '';
}

function renderHearingChoice() {
  const select = byTestId('speakers-hearing');
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '', text: t('form.choose') }),
    ...hearings.map((x) =>
      h('option', { value: x.id, text: `${x.caseNumber} · ${x.title} · ${label('state', x.state)}` }),
    ),
  );
  select.value = current;
}

function syncCaseMode() {
  const mode = byTestId('secretary-case-new').checked ? 'new' : 'existing';
  for (const el of byTestId('secretary-form').querySelectorAll('[data-mode]'))
    el.hidden = el.dataset.mode !== mode;
}

// ------------------------------------------------------------------ submit

function invalid(input, message) {
  input.setAttribute('aria-invalid', 'true');
  showMessage(byTestId('secretary-message'), 'error', message);
  input.focus();
  return false;
}

function validate(values) {
  const form = byTestId('secretary-form');
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!values.courtroomId) return invalid(byTestId('secretary-courtroom'), t('secretary.needCourtroom'));
  if (values.caseMode === 'existing' && !values.caseId && !done.caseId)
    return invalid(byTestId('secretary-case'), t('secretary.needCase'));
  if (values.caseMode === 'new' && !values.caseNumber && !done.caseId)
    return invalid(byTestId('secretary-case-number'), t('secretary.needCaseNumber'));
  if (!values.title) return invalid(byTestId('secretary-title'), t('form.required'));
  if (!values.judge) return invalid(byTestId('secretary-judge'), t('form.required'));
  return true;
}

async function submit(event) {
  event.preventDefault();
  const form = byTestId('secretary-form');
  const message = byTestId('secretary-message');
  const values = formValues(form);
  if (!validate(values)) return;
  const room = courtrooms.find((c) => c.id === values.courtroomId);
  await busy(byTestId('secretary-submit'), message, async () => {
    // 1. The case.
    let theCase;
    if (done.caseId) theCase = cases.find((c) => c.id === done.caseId);
    else if (values.caseMode === 'new') {
      theCase = await post('/api/cases', {
        number: values.caseNumber,
        category: values.category || 'civil',
        courtId: room.courtId,
      });
      cases.push(theCase);
    } else theCase = cases.find((c) => c.id === values.caseId);
    done.caseId = theCase.id;
    // 2. Its participants, each once.
    for (const row of byTestId('secretary-participants').querySelectorAll('tr')) {
      if (row.dataset.added) continue;
      const field = (name) => row.querySelector(`[data-field="${name}"]`).value.trim();
      if (!field('name')) continue;
      const body = { name: field('name'), capacity: field('capacity') };
      if (field('userLogin')) body.userLogin = field('userLogin');
      await post(`/api/cases/${seg(theCase.id)}/participants`, body);
      row.dataset.added = 'true';
      for (const el of row.querySelectorAll('input, select, button')) el.disabled = true;
    }
    // 3. The hearing.
    if (!done.hearingId) {
      const body = {
        courtroomId: values.courtroomId,
        caseNumber: theCase.number,
        caseId: theCase.id,
        title: values.title,
        judge: values.judge,
        visibility: values.visibility === 'closed' ? 'closed' : 'open',
        language: values.language === 'kk' ? 'kk' : 'ru',
      };
      if (values.judgeLogin) body.judgeLogin = values.judgeLogin;
      const created = await post('/api/hearings', body);
      done.hearingId = created.id;
      hearings.unshift(created);
      renderHearingChoice();
    }
    // 4. Who speaks into which microphone.
    const mapping = mappingOf(byTestId('secretary-mics'));
    if (Object.keys(mapping).length) await put(`/api/hearings/${seg(done.hearingId)}/speakers`, mapping);
    showMessage(message, 'ok', t('secretary.created'));
    const result = byTestId('secretary-result');
    result.replaceChildren(
      t('secretary.createdLink'),
      ' ',
      h('a', {
        href: `/hearings/${seg(done.hearingId)}`,
        testid: 'secretary-hearing-link',
        dataset: { hearingId: done.hearingId },
        text: `${theCase.number} · ${values.title}`,
      }),
    );
    result.hidden = false;
  });
}

function resetForm() {
  const form = byTestId('secretary-form');
  form.reset();
  done = { caseId: null, hearingId: null };
  byTestId('secretary-participants').replaceChildren(participantRow());
  fillMics(
    byTestId('secretary-mics'),
    Array.from({ length: DEFAULT_MICS }, (_, i) => `mic-${i + 1}`),
  );
  byTestId('secretary-result').hidden = true;
  byTestId('secretary-message').hidden = true;
  syncCaseMode();
  renderCases();
  refreshSpeakerOptions();
}

// ------------------------------------------------------------------ existing hearing's microphones

async function loadSpeakers(id) {
  const rows = byTestId('speakers-rows');
  const message = byTestId('speakers-message');
  if (!id) {
    rows.replaceChildren();
    return;
  }
  await busy(null, message, async () => {
    const detail = await get(`/api/hearings/${seg(id)}`);
    const mics = (detail.tracks ?? []).filter((tr) => /^mic-\d+$/.test(tr.name));
    const values = Object.fromEntries(mics.filter((tr) => tr.speaker).map((tr) => [tr.name, tr.speaker]));
    const names = mics.length
      ? mics.map((tr) => tr.name).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
      : Array.from({ length: DEFAULT_MICS }, (_, i) => `mic-${i + 1}`);
    fillMics(rows, names, values);
  });
}

async function saveSpeakers(event) {
  event.preventDefault();
  const id = byTestId('speakers-hearing').value;
  const message = byTestId('speakers-message');
  if (!id) {
    showMessage(message, 'error', t('secretary.chooseHearingFirst'));
    byTestId('speakers-hearing').focus();
    return;
  }
  await busy(byTestId('speakers-save'), message, async () => {
    await put(`/api/hearings/${seg(id)}/speakers`, mappingOf(byTestId('speakers-rows')));
    showMessage(message, 'ok', t('secretary.micsSaved'));
  });
}

// ------------------------------------------------------------------ start

async function init() {
  const [rooms, caseList, hearingList] = await Promise.all([
    get('/api/courtrooms'),
    get('/api/cases'),
    get('/api/hearings'),
  ]);
  courtrooms = rooms.courtrooms ?? [];
  cases = caseList.cases ?? [];
  hearings = (hearingList.hearings ?? []).filter((x) => x.state !== 'stopped');
  renderCourtrooms();
  renderHearingChoice();
  resetForm();

  byTestId('secretary-courtroom').addEventListener('change', renderCases);
  for (const radio of byTestId('secretary-form').querySelectorAll('input[name="caseMode"]'))
    radio.addEventListener('change', syncCaseMode);
  byTestId('secretary-add-participant').addEventListener('click', () => {
    const row = participantRow();
    byTestId('secretary-participants').append(row);
    row.querySelector('input').focus();
  });
  byTestId('secretary-add-mic').addEventListener('click', () => addMic(byTestId('secretary-mics')));
  byTestId('secretary-judge').addEventListener('input', refreshSpeakerOptions);
  byTestId('secretary-form').addEventListener('submit', submit);
  byTestId('secretary-reset').addEventListener('click', resetForm);
  byTestId('speakers-hearing').addEventListener('change', (event) => void loadSpeakers(event.target.value));
  byTestId('speakers-add-mic').addEventListener('click', () => {
    if (byTestId('speakers-hearing').value) addMic(byTestId('speakers-rows'));
  });
  byTestId('speakers-form').addEventListener('submit', saveSpeakers);
}

void startPage({
  roles: ['secretary'],
  init,
  rerender: () => {
    renderCourtrooms();
    renderCases();
    renderHearingChoice();
    refreshSpeakerOptions();
    for (const row of document.querySelectorAll('.mic-row')) {
      const n = /^mic-(\d+)$/.exec(row.dataset.track)?.[1] ?? row.dataset.track;
      row.querySelector('label').textContent = t('player.audioMic', { n });
      row.querySelector('input').placeholder = t('secretary.micPlaceholder');
    }
    for (const option of document.querySelectorAll('[data-field="capacity"] option'))
      option.textContent = label('capacity', option.value);
  },
});
