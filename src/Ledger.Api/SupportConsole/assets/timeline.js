// The account's events, newest first: by default the latest page; filters by type (comma-separated) and by the
// instant each event took effect ([from, to), UTC). Each event opens to show who wrote it and why, and its data.
import { api, describe, q } from './api.js';
import { h, time, instant, toIso, say, warn, put } from './dom.js';

const PAGE = 20;

export function timeline(base, current) {
  const seen = new Set();
  const types = h('input', { id: 'events-type', type: 'text', list: 'event-types', autocomplete: 'off', spellcheck: false, 'aria-describedby': 'events-type-hint' });
  const from = h('input', { id: 'events-from', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'events-to', type: 'datetime-local', step: 1 });
  const known = h('datalist', { id: 'event-types' });
  const list = h('ol', { class: 'timeline', id: 'events', 'aria-label': 'Events, newest first', reversed: true });
  const pager = h('div', { class: 'pager' });
  const caption = h('p', { class: 'muted', id: 'events-caption' });
  let version = 0;
  let fresh = Infinity;

  const filtered = () => Boolean(types.value.trim() || from.value || to.value);

  async function load(after, limit) {
    const answer = await api(`${base}/events${q({
      after, limit, type: types.value.replace(/\s+/g, ''), from: toIso(from.value), to: toIso(to.value),
    })}`);
    if (!current()) return null;
    if (!answer.ok) {
      warn(`Events: ${describe(answer.problem)}`);
      put(list, h('li', { class: 'problem' }, describe(answer.problem)));
      put(pager);
      return null;
    }
    for (const e of answer.data.items) if (!seen.has(e.type)) { seen.add(e.type); known.append(h('option', { value: e.type })); }
    put(list, ...answer.data.items.slice().reverse().map((e) => item(e, e.version >= fresh)));
    return answer.data;
  }

  // without filters: the window of versions (after, after + PAGE]; with them, pages forward from the start
  async function showWindow(after) {
    const page = await load(after, PAGE);
    if (!page) return;
    const shown = page.items;
    caption.textContent = shown.length === 0 ? 'No events.'
      : `Versions ${shown[0].version} to ${shown.at(-1).version} of ${version}, newest first.`;
    put(pager, 
      after > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => showWindow(Math.max(0, after - PAGE)) }, 'Earlier events') : null,
      after + PAGE < version ? h('button', { type: 'button', class: 'secondary', onclick: () => showWindow(Math.min(after + PAGE, Math.max(0, version - PAGE))) }, 'Later events') : null);
  }

  async function forward(after, first) {
    const page = await load(after, 50);
    if (!page) return;
    caption.textContent = `${page.items.length} matching event${page.items.length === 1 ? '' : 's'}${page.next ? ' on this page' : ''}, newest first.`;
    put(pager, 
      after > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => forward(0, true) }, 'First page') : null,
      page.next ? h('button', { type: 'button', class: 'secondary', onclick: () => forward(page.next, false) }, 'Next page') : null);
    if (!first) say(`${page.items.length} events shown.`);
  }

  const form = h('form', {
    class: 'row', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      fresh = Infinity;
      if (filtered()) await forward(0, true);
      else await showWindow(Math.max(0, version - PAGE));
      say(`Timeline: ${caption.textContent}`);
    },
  },
  h('div', {}, h('label', { for: 'events-type' }, 'Event types'), types, known),
  h('div', {}, h('label', { for: 'events-from' }, 'From (UTC)'), from),
  h('div', {}, h('label', { for: 'events-to' }, 'To (UTC)'), to),
  h('button', { type: 'submit', class: 'secondary' }, 'Filter'),
  h('button', {
    type: 'button', class: 'secondary', onclick: () => { types.value = ''; from.value = ''; to.value = ''; form.requestSubmit(); },
  }, 'Clear'),
  h('p', { id: 'events-type-hint', class: 'hint' }, 'Comma-separated, e.g. credits_granted,reservation_committed. From and to bound when each event took effect.'));

  return {
    element: h('div', {}, form, caption, list, pager),
    /** The latest page; events after version <paramref name="since"/> are marked as new. */
    async latest(streamVersion, since) {
      version = streamVersion;
      fresh = since === undefined ? Infinity : since + 1;
      if (filtered()) await forward(0, true);
      else await showWindow(Math.max(0, version - PAGE));
    },
  };
}

function item(e, isNew) {
  const m = e.metadata ?? {};
  const summary = summarize(e);
  return h('li', { class: isNew ? 'fresh' : null, 'data-version': e.version, 'data-type': e.type },
    h('div', { class: 'head' },
      h('code', { class: 'type' }, e.type), h('span', {}, `v${e.version}`), time(e.at),
      m.actor ? h('span', { class: 'muted' }, `by ${m.actor}`) : null,
      isNew ? h('strong', {}, 'new') : null),
    summary ? h('p', {}, summary) : null,
    h('details', {}, h('summary', {}, 'Metadata and data'),
      h('dl', { class: 'figures' },
        [['Actor', m.actor], ['Correlation', m.correlationId], ['Causation', m.causationId], ['Idempotency key', m.idempotencyKey],
          ['Stored', instant(e.timestamp)], ['Sequence', String(e.sequence)]]
          .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, h('code', {}, v ?? '—'))))),
      h('pre', {}, JSON.stringify(e.data, null, 2))));
}

/** The facts a support agent reads first, from the fields most events carry. */
function summarize(e) {
  const d = e.data ?? {};
  const parts = [];
  if (typeof d.amount === 'number') parts.push(`${new Intl.NumberFormat('en-US').format(d.amount)} credits`);
  if (d.grantId) parts.push(`grant ${d.grantId}`);
  if (d.reservationId) parts.push(`reservation ${d.reservationId}`);
  if (d.feature) parts.push(`feature ${d.feature}`);
  if (d.reason) parts.push(`reason: ${d.reason}`);
  return parts.join(' · ');
}
