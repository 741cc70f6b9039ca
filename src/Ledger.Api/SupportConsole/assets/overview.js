// The whole ledger at a glance. With GET /v1/admin/metrics (async projections) it shows accounts by plan and status,
// credits granted, consumed and expired per day, purchase revenue, reservations and estimate vs actual. Without it
// (404), what the other endpoints give: accounts counted from the list, revenue from reconciliation. Always: Stripe
// processing, operator webhook deliveries and reconciliation mismatches.
import { api, describe, q } from './api.js';
import { h, credits, money, badge, figures, table, card, say, put } from './dom.js';
import { stackedBars, countBars } from './charts.js';

const MAX_ACCOUNT_PAGES = 20; // the fallback counts at most 2,000 accounts

export async function renderOverview(view, current) {
  const accounts = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const credit = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const revenue = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const stripe = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const hooks = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const recon = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const source = h('p', { class: 'muted', id: 'overview-source' });
  view.append(
    h('h1', { tabIndex: -1 }, 'Overview'), source,
    h('div', { class: 'grid' }, card('Accounts', 'ov-accounts', accounts), card('Purchase revenue', 'ov-revenue', revenue)),
    card('Credits per day', 'ov-credits', credit),
    h('div', { class: 'grid' },
      card('Stripe event processing', 'ov-stripe', stripe),
      card('Operator webhook deliveries', 'ov-hooks', hooks)),
    card('Reconciliation (last 30 days)', 'ov-recon', recon));

  const [metrics, reconciliation] = await Promise.all([api('/v1/admin/metrics'), api('/v1/admin/reconciliation')]);
  if (!current()) return;
  const tasks = [renderStripe(stripe, current), renderHooks(hooks, current)];
  renderReconciliation(recon, reconciliation);
  if (metrics.ok) {
    source.textContent = 'From GET /v1/admin/metrics (async projections: a few seconds behind the writes).';
    renderMetrics(metrics.data, accounts, credit, revenue);
  } else {
    source.textContent = metrics.status === 404
      ? 'GET /v1/admin/metrics is not available on this service: accounts are counted from the list and revenue taken from reconciliation.'
      : `GET /v1/admin/metrics: ${describe(metrics.problem)}. Showing what the other endpoints give.`;
    put(credit, h('p', { class: 'muted' }, 'Credits per day need GET /v1/admin/metrics; an account\'s own usage is on its page.'));
    renderRevenueFromReconciliation(revenue, reconciliation);
    tasks.push(countAccounts(accounts, current));
  }
  await Promise.all(tasks);
  if (current()) say('Overview loaded.');
}

function renderMetrics(m, accounts, credit, revenue) {
  put(accounts, h('div', { class: 'grid' },
    countBars('By plan', m.accounts?.byPlan, 'by-plan'), countBars('By status', m.accounts?.byStatus, 'by-status')));
  const days = m.days ?? [];
  const labels = days.map((d) => d.date);
  const parts = [];
  if (days.length) {
    parts.push(stackedBars('Credits granted per day', labels, [{ name: 'granted', values: days.map((d) => d.granted) }]),
      stackedBars('Credits consumed and expired per day', labels,
        [{ name: 'consumed', values: days.map((d) => d.consumed) }, { name: 'expired', values: days.map((d) => d.expired) }]));
  } else parts.push(h('p', { class: 'muted' }, 'No credit movements yet.'));
  const r = m.reservations ?? {};
  const e = m.estimateVsActual ?? {};
  parts.push(h('h3', {}, 'Reservations'), figures([
    ['Opened', credits(r.opened)], ['Committed', credits(r.committed)], ['Released', credits(r.released)], ['Expired', credits(r.expired)],
    ['Estimated (held)', credits(e.estimated)], ['Actual (committed)', credits(e.actual)],
    ['Actual / estimated', e.estimated ? `${Math.round((e.actual / e.estimated) * 100)} %` : '—'],
  ]));
  put(credit, ...parts);
  const rows = (m.revenue ?? []).slice().sort((a, b) => (a.date < b.date ? 1 : -1));
  const totals = {};
  for (const x of rows) totals[x.currency] = (totals[x.currency] ?? 0) + x.amount;
  put(revenue, 
    figures(Object.entries(totals).map(([c, n]) => [`Total ${c.toUpperCase()}`, money(n, c), true])),
    table('Revenue per day', ['Day', 'Currency', 'Amount'], rows.map((x) => [x.date, x.currency.toUpperCase(), money(x.amount, x.currency)]), { numeric: [2] }));
}

async function countAccounts(element, current) {
  const byPlan = {}, byStatus = {};
  let after = null, seen = 0, more = true;
  for (let page = 0; more && page < MAX_ACCOUNT_PAGES; page++) {
    const answer = await api(`/v1/accounts${q({ limit: 100, starting_after: after })}`);
    if (!current()) return;
    if (!answer.ok) { put(element, h('p', { class: 'problem' }, describe(answer.problem))); return; }
    for (const a of answer.data.data) {
      byPlan[a.plan] = (byPlan[a.plan] ?? 0) + 1;
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    }
    seen += answer.data.data.length;
    more = answer.data.has_more;
    after = answer.data.data.at(-1)?.accountId;
  }
  put(element, 
    h('p', {}, more ? `The newest ${credits(seen)} accounts (there are more):` : `${credits(seen)} accounts:`),
    h('div', { class: 'grid' }, countBars('By plan', byPlan, 'by-plan'), countBars('By status', byStatus, 'by-status')));
}

function renderRevenueFromReconciliation(element, reconciliation) {
  if (!reconciliation.ok) { put(element, h('p', { class: 'problem' }, describe(reconciliation.problem))); return; }
  const totals = reconciliation.data.totals ?? [];
  put(element, 
    h('p', { class: 'muted' }, 'Stripe purchases and refunds of the last 30 days (from reconciliation).'),
    table('Revenue by currency', ['Currency', 'Purchases', 'Purchased', 'Refunded', 'Net'],
      totals.map((t) => [t.currency.toUpperCase(), credits(t.stripe.purchases), money(t.stripe.purchasedMinor, t.currency),
        money(t.stripe.refundedMinor, t.currency), money(t.stripe.netMinor, t.currency)]), { numeric: [1, 2, 3, 4] }));
}

async function renderStripe(element, current) {
  const answer = await api(`/v1/admin/stripe-events${q({ limit: 10 })}`);
  if (!current()) return;
  if (!answer.ok) { put(element, h('p', { class: 'problem' }, describe(answer.problem))); return; }
  const s = answer.data.summary;
  const trouble = (s.byStatus.parked ?? 0) + (s.byStatus.failed ?? 0);
  put(element, 
    h('p', {}, trouble === 0 ? badge('healthy', 'ok') : badge(`${trouble} need attention`, 'bad')),
    figures([['Received', credits(s.received), true], ['Deliveries', credits(s.deliveries)], ['Duplicate deliveries', credits(s.duplicateDeliveries)],
      ...Object.entries(s.byStatus).map(([k, n]) => [k, credits(n)])]),
    h('h3', {}, 'Latest'),
    table('Latest Stripe events', ['Event', 'Type', 'Status', 'Account'],
      answer.data.items.map((x) => [h('code', {}, x.id), x.type, badge(x.status), x.accountId ?? '—'])));
}

async function renderHooks(element, current) {
  const statuses = ['failing', 'pending', 'delivered', 'not-configured'];
  const answers = await Promise.all(statuses.map((s) => api(`/v1/admin/webhook-deliveries${q({ status: s, limit: 100 })}`)));
  const latest = await api(`/v1/admin/webhook-deliveries${q({ limit: 10 })}`);
  if (!current()) return;
  const failed = answers.find((a) => !a.ok);
  if (failed) { put(element, h('p', { class: 'problem' }, describe(failed.problem))); return; }
  const count = (a) => `${a.data.data.length}${a.data.has_more ? '+' : ''}`;
  const failing = answers[0].data.data.length;
  put(element, 
    h('p', {}, failing === 0 ? badge('healthy', 'ok') : badge(`${count(answers[0])} failing`, 'bad')),
    figures(statuses.map((s, i) => [s, count(answers[i])])),
    h('h3', {}, 'Latest'),
    table('Latest deliveries', ['Delivery', 'Type', 'Status', 'Attempts', 'Account'],
      (latest.ok ? latest.data.data : []).map((d) => [h('code', {}, d.id), d.type, badge(d.status), String(d.attempts), d.accountId ?? '—'])));
}

function renderReconciliation(element, answer) {
  if (!answer.ok) { put(element, h('p', { class: 'problem' }, describe(answer.problem))); return; }
  const r = answer.data;
  put(element, 
    h('p', {}, r.mismatches.length === 0 ? badge('no mismatches', 'ok') : badge(`${r.mismatches.length} mismatch${r.mismatches.length === 1 ? '' : 'es'}`, 'bad'),
      ` ${r.accounts.length} account${r.accounts.length === 1 ? '' : 's'} with purchases; ${r.unbilled.length} unbilled overage entr${r.unbilled.length === 1 ? 'y' : 'ies'}.`),
    table('Mismatches', ['Kind', 'Account', 'Grant', 'Detail'],
      r.mismatches.slice(0, 50).map((m) => [m.kind, m.accountId ? h('a', { href: `#/accounts/${encodeURIComponent(m.accountId)}` }, m.accountId) : '—',
        m.grantId ?? '—', m.detail])));
}

