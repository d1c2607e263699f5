/**
 * The secretary's hearing form: courtroom, case (chosen or new), the case's participants,
 * the hearing (title, judge, open or closed, language) and which microphone belongs to
 * whom. Submitting makes the calls in order and remembers what succeeded, so a retry
 * after a refusal does not create the case or a participant twice.
 *
 * Microphones: each is mapped to a participant of the case (listed with GET
 * /api/cases/:id/participants, or typed in this form and created on submit) or to a
 * free label for someone who is not one (the judge, the prosecutor), and the whole
 * mapping is sent with PUT /api/hearings/:id/speakers.
 */
import { get, post, put, seg } from './api.js';
import { t } from './i18n.js';
import { busy, byTestId, formValues, h, label, showError, showMessage, startPage } from './page.js';

const { document } = globalThis;
const DEFAULT_MICS = 4;

let courtrooms = [];
let cases = [];
let hearings = [];
/** What the current form has already created on the hub. */
let done = { caseId: null, hearingId: null };
let participantSeq = 0;

// ------------------------------------------------------------------ microphone rows

/** Participants of the chosen case as the hub listed them: { id, name, capacity }. */
let caseParticipants = [];

const LABEL = 'label';
const micNumberOf = (track) => /^mic-(\d+)$/.exec(track)?.[1] ?? track;

/**
 * The choices of a microphone: nobody, a participant of the case (`p:<id>`), one typed in
 * this form and not created yet (`new:<row key>`), or someone else by name (`label`).
 */
function micChoices(participants, typed) {
  const people = [
    ...participants.map((p) =>
      h('option', { value: `p:${p.id}`, text: `${p.name} · ${label('capacity', p.capacity)}` }),
    ),
    ...typed.map((row) =>
      h('option', {
        value: `new:${row.key}`,
        text: t('secretary.micNewParticipant', { name: row.name }),
      }),
    ),
  ];
  return [
    h('option', { value: '', text: t('secretary.micNone') }),
    people.length ? h('optgroup', { label: t('secretary.micParticipants') }, ...people) : null,
    h(
      'optgroup',
      { label: t('secretary.micOthers') },
      h('option', { value: LABEL, text: t('secretary.micOther') }),
    ),
  ];
}

function syncLabelField(row) {
  const select = row.querySelector('select');
  const input = row.querySelector('input');
  input.hidden = select.value !== LABEL;
  input.required = select.value === LABEL;
}

/** One microphone: which participant (or label) speaks into it. `value` is a choice value. */
function micRow(track, { participants, typed, value = '', labelText = '' }) {
  const n = micNumberOf(track);
  const id = `speaker-${track}-${Math.random().toString(36).slice(2, 7)}`;
  const select = h(
    'select',
    { id, testid: 'mic-speaker', dataset: { track } },
    ...micChoices(participants, typed),
  );
  const input = h('input', {
    type: 'text',
    list: 'speaker-options',
    maxlength: 200,
    value: labelText,
    testid: 'mic-label',
    dataset: { track },
    placeholder: t('secretary.micPlaceholder'),
    'aria-label': t('secretary.micLabel', { n }),
  });
  const row = h(
    'div',
    { class: 'field mic-row', testid: 'mic-row', dataset: { track } },
    h('label', { for: id, text: t('player.audioMic', { n }) }),
    select,
    input,
  );
  setChoice(select, value);
  select.addEventListener('change', () => {
    syncLabelField(row);
    if (select.value === LABEL) input.focus();
  });
  syncLabelField(row);
  return row;
}

/** Selects a choice if it is offered, else nobody (a typed participant that was removed). */
function setChoice(select, value) {
  select.value = [...select.options].some((o) => o.value === value) ? value : '';
}

function fillMics(container, tracks, options) {
  container.replaceChildren(
    ...tracks.map((track) => micRow(track, { ...options, ...(options.values?.[track] ?? {}) })),
  );
}

/** Adds the microphone after the highest one shown (mic-1 … mic-99). */
function addMic(container, options) {
  const numbers = [...container.querySelectorAll('.mic-row')].map((row) =>
    Number(micNumberOf(row.dataset.track)),
  );
  const next = Math.max(0, ...numbers.filter(Number.isFinite)) + 1;
  if (next > 99) return;
  const row = micRow(`mic-${next}`, options);
  container.append(row);
  row.querySelector('select').focus();
}

/** Offers the current participants to every microphone of a container, keeping each choice. */
function refreshMicChoices(container, participants, typed) {
  for (const select of container.querySelectorAll('select[data-track]')) {
    const current = select.dataset.pending ?? select.value;
    delete select.dataset.pending;
    select.replaceChildren(...micChoices(participants, typed));
    setChoice(select, current);
    syncLabelField(select.closest('.mic-row'));
  }
}

/**
 * The mapping of a container's microphones as PUT /api/hearings/:id/speakers takes it.
 * `resolve(key)` gives the id of a participant typed in this form (created by then).
 * Returns null, with the field marked and focused, when a label is missing.
 */
function mappingOf(container, messageEl, resolve = () => null) {
  const speakers = [];
  for (const row of container.querySelectorAll('.mic-row')) {
    const select = row.querySelector('select');
    const input = row.querySelector('input');
    input.removeAttribute('aria-invalid');
    const track = row.dataset.track;
    const choice = select.value;
    if (!choice) continue;
    if (choice === LABEL) {
      if (!input.value.trim()) {
        input.setAttribute('aria-invalid', 'true');
        showMessage(messageEl, 'error', t('secretary.micLabelRequired', { n: micNumberOf(track) }));
        input.focus();
        return null;
      }
      speakers.push({ track, label: input.value.trim() });
    } else if (choice.startsWith('p:')) speakers.push({ track, participantId: choice.slice(2) });
    else if (choice.startsWith('new:')) {
      const participantId = resolve(choice.slice(4));
      if (participantId) speakers.push({ track, participantId });
    }
  }
  return { speakers };
}

/** The participants typed in the new-hearing form and not created yet: { key, name }. */
function typedParticipants() {
  const out = [];
  for (const row of byTestId('secretary-participants').querySelectorAll('tr')) {
    if (row.dataset.participantId) continue;
    const name = row.querySelector('input[data-field="name"]').value.trim();
    if (name) out.push({ key: row.dataset.key, name });
  }
  return out;
}

/** Participants of the case, and those created by this form since. */
function formParticipants() {
  const created = [];
  for (const row of byTestId('secretary-participants').querySelectorAll('tr'))
    if (row.dataset.participantId)
      created.push({
        id: row.dataset.participantId,
        name: row.querySelector('input[data-field="name"]').value.trim(),
        capacity: row.querySelector('[data-field="capacity"]').value,
      });
  const known = new Set(caseParticipants.map((p) => p.id));
  return [...caseParticipants, ...created.filter((p) => !known.has(p.id))];
}

function refreshFormMics() {
  const container = byTestId('secretary-mics');
  // A microphone given to a participant typed in the form keeps them once they are created.
  const rows = [...byTestId('secretary-participants').querySelectorAll('tr')];
  for (const select of container.querySelectorAll('select[data-track]')) {
    if (!select.value.startsWith('new:')) continue;
    const id = rows.find((row) => row.dataset.key === select.value.slice(4))?.dataset.participantId;
    if (id) select.dataset.pending = `p:${id}`;
  }
  refreshMicChoices(container, formParticipants(), typedParticipants());
}

/** The case the new-hearing form is for: the one created by it, else the chosen existing one. */
function currentCaseId() {
  if (done.caseId) return done.caseId;
  return byTestId('secretary-case-existing').checked ? byTestId('secretary-case').value || null : null;
}

let participantsRequest = 0;

async function loadCaseParticipants(caseId) {
  const mine = ++participantsRequest;
  let list = [];
  if (caseId) {
    try {
      list = (await get(`/api/cases/${seg(caseId)}/participants`)).participants ?? [];
    } catch (error) {
      showError(byTestId('secretary-message'), error);
    }
  }
  if (mine !== participantsRequest) return; // the case changed again meanwhile
  caseParticipants = list;
  refreshFormMics();
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
  refreshFormMics();
}

// ------------------------------------------------------------------ participants

function participantRow() {
  const n = ++participantSeq;
  const row = h(
    'tr',
    { testid: 'secretary-participant', dataset: { key: String(n) } },
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
  // A microphone given to "someone else" needs a name before anything is created.
  if (!mappingOf(byTestId('secretary-mics'), message)) return;
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
      const added = await post(`/api/cases/${seg(theCase.id)}/participants`, body);
      row.dataset.added = 'true';
      row.dataset.participantId = added.id;
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
    // 4. Who speaks into which microphone: typed participants by the ids they got in step 2.
    const rows = [...byTestId('secretary-participants').querySelectorAll('tr')];
    const mapping = mappingOf(
      byTestId('secretary-mics'),
      message,
      (key) => rows.find((row) => row.dataset.key === key)?.dataset.participantId ?? null,
    );
    if (!mapping) return;
    if (mapping.speakers.length) await put(`/api/hearings/${seg(done.hearingId)}/speakers`, mapping);
    refreshFormMics();
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
  caseParticipants = [];
  fillMics(
    byTestId('secretary-mics'),
    Array.from({ length: DEFAULT_MICS }, (_, i) => `mic-${i + 1}`),
    { participants: [], typed: [] },
  );
  byTestId('secretary-result').hidden = true;
  byTestId('secretary-message').hidden = true;
  syncCaseMode();
  renderCases();
  refreshSpeakerOptions();
}

// ------------------------------------------------------------------ existing hearing's microphones

/** Participants of the hearing chosen in the second form (for its microphones). */
let speakersParticipants = [];

async function loadSpeakers(id) {
  const rows = byTestId('speakers-rows');
  const message = byTestId('speakers-message');
  rows.replaceChildren();
  speakersParticipants = [];
  if (!id) return;
  await busy(null, message, async () => {
    const detail = await get(`/api/hearings/${seg(id)}`);
    speakersParticipants = detail.caseId
      ? ((await get(`/api/cases/${seg(detail.caseId)}/participants`)).participants ?? [])
      : [];
    const speakers = detail.speakers ?? [];
    const values = Object.fromEntries(
      speakers.map((s) => [
        s.track,
        s.participantId ? { value: `p:${s.participantId}` } : { value: LABEL, labelText: s.label ?? '' },
      ]),
    );
    // The recorder's microphones, every mapped one, and at least the usual four.
    const names = new Set([
      ...Array.from({ length: DEFAULT_MICS }, (_, i) => `mic-${i + 1}`),
      ...(detail.tracks ?? []).map((tr) => tr.name).filter((name) => /^mic-\d+$/.test(name)),
      ...speakers.map((s) => s.track),
    ]);
    const ordered = [...names].sort((a, b) => Number(micNumberOf(a)) - Number(micNumberOf(b)));
    fillMics(rows, ordered, { participants: speakersParticipants, typed: [], values });
    rows.dataset.hearingId = id;
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
  const mapping = mappingOf(byTestId('speakers-rows'), message);
  if (!mapping) return;
  await busy(byTestId('speakers-save'), message, async () => {
    const saved = await put(`/api/hearings/${seg(id)}/speakers`, mapping);
    showMessage(message, 'ok', t('secretary.micsSaved'));
    message.dataset.count = String(saved.speakers?.length ?? 0);
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
  // Every state: a mapping corrected after the hearing is what its transcription uses.
  hearings = hearingList.hearings ?? [];
  renderCourtrooms();
  renderHearingChoice();
  resetForm();

  byTestId('secretary-courtroom').addEventListener('change', () => {
    renderCases();
    void loadCaseParticipants(currentCaseId());
  });
  byTestId('secretary-case').addEventListener('change', () => void loadCaseParticipants(currentCaseId()));
  for (const radio of byTestId('secretary-form').querySelectorAll('input[name="caseMode"]'))
    radio.addEventListener('change', () => {
      syncCaseMode();
      void loadCaseParticipants(currentCaseId());
    });
  byTestId('secretary-add-participant').addEventListener('click', () => {
    const row = participantRow();
    byTestId('secretary-participants').append(row);
    row.querySelector('input').focus();
  });
  byTestId('secretary-add-mic').addEventListener('click', () =>
    addMic(byTestId('secretary-mics'), { participants: formParticipants(), typed: typedParticipants() }),
  );
  byTestId('secretary-judge').addEventListener('input', refreshSpeakerOptions);
  byTestId('secretary-form').addEventListener('submit', submit);
  byTestId('secretary-reset').addEventListener('click', resetForm);
  byTestId('speakers-hearing').addEventListener('change', (event) => void loadSpeakers(event.target.value));
  byTestId('speakers-add-mic').addEventListener('click', () => {
    if (byTestId('speakers-hearing').value)
      addMic(byTestId('speakers-rows'), { participants: speakersParticipants, typed: [] });
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
      const n = micNumberOf(row.dataset.track);
      row.querySelector('label').textContent = t('player.audioMic', { n });
      row.querySelector('input').placeholder = t('secretary.micPlaceholder');
      row.querySelector('input').setAttribute('aria-label', t('secretary.micLabel', { n }));
    }
    refreshMicChoices(byTestId('speakers-rows'), speakersParticipants, []);
    for (const option of document.querySelectorAll('[data-field="capacity"] option'))
      option.textContent = label('capacity', option.value);
  },
});
