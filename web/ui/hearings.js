/** "My hearings": exactly what the hub lists for this user, with a play link or the reason it is refused. */
import { get, seg } from './api.js';
import { t } from './i18n.js';
import { byTestId, fmtDateTime, h, label, startPage, timeEl } from './page.js';

let hearings = [];

/** The refusal as the viewer should read it: localized by its stable reason, else the hub's words. */
export function refusalText(access) {
  const key = access?.reason ? `reason.${access.reason}` : null;
  const localized = key ? t(key) : null;
  return localized && localized !== key ? localized : access?.message || t('hearings.notPlayable');
}

function row(hearing) {
  const access = hearing.access ?? { play: true };
  const review = access.play
    ? h('a', {
        class: 'button-link',
        href: `/hearings/${seg(hearing.id)}`,
        testid: 'hearing-play',
        text: t('hearings.play'),
        'aria-label': t('hearings.playLabel', { title: hearing.title, case: hearing.caseNumber }),
      })
    : h('span', {
        class: 'refusal',
        testid: 'hearing-refusal',
        dataset: { reason: access.reason ?? '' },
        text: refusalText(access),
      });
  return h(
    'tr',
    {
      testid: 'hearing-row',
      dataset: { hearingId: hearing.id, visibility: hearing.visibility, state: hearing.state },
    },
    h('td', { class: 'nowrap', text: hearing.caseNumber ?? '—' }),
    h('th', { scope: 'row', text: hearing.title }),
    h('td', { text: hearing.judge ?? '—' }),
    h(
      'td',
      {},
      h('span', {
        class: `badge visibility-${hearing.visibility}`,
        text: label('visibility', hearing.visibility),
      }),
    ),
    h('td', {}, h('span', { class: `badge state-${hearing.state}`, text: label('state', hearing.state) })),
    h(
      'td',
      { class: 'nowrap' },
      hearing.startedAt ? timeEl(hearing.startedAt, fmtDateTime) : h('span', { text: '—' }),
    ),
    h('td', {}, review),
  );
}

function render() {
  const body = byTestId('hearings-list');
  body.replaceChildren(...hearings.map(row));
  byTestId('hearings-empty').hidden = hearings.length > 0;
}

void startPage({
  init: async () => {
    // The list comes a page at a time (newest first); read on while there is more, up to
    // a thousand, so the page shows what it showed before the list was paged.
    hearings = [];
    let next = null;
    do {
      const answer = await get(`/api/hearings?limit=200${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
      hearings.push(...(answer.hearings ?? []));
      next = answer.next ?? null;
    } while (next && hearings.length < 1000);
    render();
  },
  rerender: render,
});
