// Find an account: open one by id, or list them (newest first) by plan and status, a page at a time.
import { api, describe, q, enc } from './api.js';
import { h, badge, credits, time, table, say, warn, put } from './dom.js';

const STATUSES = ['active', 'grace', 'suspended', 'frozen'];

export async function renderAccounts(view, params, current) {
  const plans = await api('/v1/plans');
  if (!current()) return;
  const planIds = plans.ok ? (plans.data.plans ?? plans.data.data ?? plans.data).map((p) => p.id ?? p.planId).filter(Boolean) : [];

  const idInput = h('input', { id: 'find-id', name: 'accountId', type: 'text', required: true, autocomplete: 'off', spellcheck: false });
  const open = h('form', {
    class: 'row', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const id = idInput.value.trim();
      if (!id) { warn('Enter an account id.'); idInput.focus(); return; }
      location.hash = `#/accounts/${enc(id)}`;
    },
  }, h('div', {}, h('label', { for: 'find-id' }, 'Account id'), idInput), h('button', { type: 'submit' }, 'Open account'));

  const plan = h('select', { id: 'filter-plan', name: 'plan' }, h('option', { value: '' }, 'Any plan'),
    planIds.map((p) => h('option', { value: p, selected: params.get('plan') === p }, p)));
  const status = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'Any status'),
    STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s)));
  const filters = h('form', {
    class: 'row', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/accounts${q({ plan: plan.value, status: status.value })}`;
    },
  }, h('div', {}, h('label', { for: 'filter-plan' }, 'Plan'), plan),
  h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
  h('button', { type: 'submit', class: 'secondary' }, 'List accounts'));

  const results = h('div', { id: 'account-results' });
  view.append(
    h('h1', { tabIndex: -1 }, 'Accounts'),
    h('section', { class: 'card', 'aria-labelledby': 'find-title' }, h('h2', { id: 'find-title' }, 'Find an account'), open),
    h('section', { class: 'card', 'aria-labelledby': 'list-title' }, h('h2', { id: 'list-title' }, 'List'), filters, results));

  const filter = { plan: params.get('plan') ?? '', status: params.get('status') ?? '' };
  await page(results, filter, null, current);
}

async function page(results, filter, after, current) {
  const response = await api(`/v1/accounts${q({ ...filter, limit: 25, starting_after: after })}`);
  if (!current()) return;
  if (!response.ok) {
    put(results, h('p', { class: 'problem' }, describe(response.problem)));
    return;
  }
  const accounts = response.data.data;
  const rows = accounts.map((a) => [
    h('a', { href: `#/accounts/${enc(a.accountId)}` }, a.accountId), a.plan, badge(a.status), credits(a.balance.available), time(a.openedAt),
  ]);
  const more = response.data.has_more
    ? h('div', { class: 'pager' }, h('button', {
      type: 'button', class: 'secondary', onclick: () => page(results, filter, accounts.at(-1).accountId, current),
    }, 'Next page'))
    : null;
  put(results, table('Accounts', ['Account', 'Plan', 'Status', 'Available', 'Opened'], rows, { numeric: [3] }), more);
  say(`${accounts.length} account${accounts.length === 1 ? '' : 's'} listed${response.data.has_more ? '; more on the next page' : ''}.`);
}
