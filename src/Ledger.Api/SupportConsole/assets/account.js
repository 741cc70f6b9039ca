// One account: who it is, its balance (now or as of an instant) with a bar per credit block, open holds, plan and
// entitlements, usage by day and feature, the event timeline, a statement download, the chain verdict, admin actions.
import { api, describe, download, q, enc } from './api.js';
import { h, badge, credits, time, instant, figures, table, card, toIso, toLocalValue, say, warn, put } from './dom.js';
import { stackedBars, barSpan, daysBetween } from './charts.js';
import { timeline } from './timeline.js';
import { adminActions } from './actions.js';

export async function renderAccount(view, accountId, params, current) {
  const base = `/v1/accounts/${enc(accountId)}`;
  const first = await api(base);
  if (!current()) return;
  if (!first.ok) {
    view.append(h('h1', { tabIndex: -1 }, `Account ${accountId}`), h('p', { class: 'problem' }, describe(first.problem)),
      h('p', {}, h('a', { href: '#/accounts' }, 'Find another account')));
    warn(describe(first.problem));
    return;
  }

  const header = h('div');
  const balance = h('div', { id: 'balance-body' });
  const holds = h('div');
  const plan = h('div');
  const usage = h('div');
  const verdict = h('div', { id: 'verdict' });
  const events = timeline(base, current);
  const state = { account: first.data, asOf: null };

  const refresh = async () => {
    const [account, entitlements, quota, pending] = await Promise.all([
      api(base), api(`${base}/entitlements`), api(`${base}/quota`), api(`${base}/reservations${q({ status: 'pending', limit: 100 })}`)]);
    if (!current()) return;
    if (account.ok) state.account = account.data;
    renderHeader(header, state.account);
    if (!state.asOf) renderBalance(balance, state.account.balance, null);
    renderHolds(holds, pending);
    renderPlan(plan, entitlements, quota);
    actions.update(state.account);
  };
  const actions = adminActions(base, async (message, since) => {
    await refresh();
    if (state.asOf) await showAsOf(null);
    await events.latest(state.account.version, since);
    say(message);
  });

  const asOfInput = h('input', { id: 'as-of', name: 'asOf', type: 'datetime-local', step: 1, 'aria-describedby': 'as-of-hint' });
  const showAsOf = async (iso) => {
    state.asOf = iso;
    asOfInput.value = toLocalValue(iso);
    if (!iso) {
      renderBalance(balance, state.account.balance, null);
      say(`Balance now: ${credits(state.account.balance.available)} available.`);
      return;
    }
    const answer = await api(`${base}/balance${q({ asOf: iso })}`);
    if (!current()) return;
    if (!answer.ok) {
      warn(`No balance as of ${instant(iso)}: ${describe(answer.problem)}`);
      return;
    }
    renderBalance(balance, answer.data, iso);
    say(`Balance as of ${instant(iso)}: ${credits(answer.data.available)} available.`);
  };
  const asOfForm = h('form', {
    class: 'row', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const iso = toIso(asOfInput.value);
      if (!iso) { warn('Pick a date and time (UTC) for the balance.'); asOfInput.focus(); return; }
      showAsOf(iso);
    },
  },
  h('div', {}, h('label', { for: 'as-of' }, 'Balance as of (UTC)'), asOfInput),
  h('button', { type: 'submit' }, 'Show balance then'),
  h('button', { type: 'button', class: 'secondary', onclick: () => showAsOf(null) }, 'Now'),
  h('p', { id: 'as-of-hint', class: 'hint' }, 'Recomputed from the events alone: what had happened by that instant, expiries included.'));

  view.append(
    h('h1', { tabIndex: -1 }, `Account ${accountId}`),
    header,
    h('div', { class: 'grid' },
      card('Balance', 'balance-title', asOfForm, balance),
      h('div', { class: 'stack' },
        card('Plan and entitlements', 'plan-title', plan),
        card('Open holds', 'holds-title', holds),
        card('Chain verification', 'verify-title', verdict))),
    card('Usage by day and feature', 'usage-title', usage),
    card('Event timeline', 'events-title', events.element),
    h('div', { class: 'grid' },
      card('Statement', 'statement-title', statementForm(base, accountId)),
      card('Admin actions', 'actions-title', actions.element)));

  await refresh();
  await Promise.all([
    events.latest(state.account.version),
    renderUsage(usage, base, 30, current),
    renderVerdict(verdict, base, current),
  ]);
  if (params.get('asOf')) await showAsOf(params.get('asOf'));
}

function renderHeader(element, a) {
  put(element, h('p', { class: 'row', id: 'account-summary' },
    h('span', {}, 'Plan ', h('strong', { id: 'account-plan' }, a.plan)),
    h('span', {}, 'Status ', badge(a.status)),
    h('span', {}, 'Opened ', time(a.openedAt)),
    h('span', {}, 'Version ', h('strong', { id: 'account-version' }, String(a.version))),
    a.stripeCustomerId ? h('span', {}, 'Stripe customer ', h('code', {}, a.stripeCustomerId)) : null,
    a.metadata && Object.keys(a.metadata).length
      ? h('span', {}, 'Metadata ', h('code', {}, Object.entries(a.metadata).map(([k, v]) => `${k}=${v}`).join(', ')))
      : null));
}

function renderBalance(element, b, asOf) {
  const blocks = b.blocks ?? [];
  put(element, 
    h('p', { class: 'muted', id: 'balance-when' }, asOf ? `As of ${instant(asOf)} (version ${b.version} is the account's last)` : `Now (${instant(b.asOf)})`),
    figures([
      ['Available', h('span', { id: 'balance-available' }, credits(b.available)), true],
      ['Reserved', credits(b.reserved)], ['Granted', credits(b.granted)], ['Consumed', credits(b.consumed)],
      ['Expired', credits(b.expired)], ['Voided', credits(b.voided)], ['Refunded', credits(b.refunded)],
      ['Frozen', credits(b.frozen)], ['Overage', credits(b.overage)], ['Upcoming', credits(b.upcoming)],
    ]),
    h('h3', { id: 'blocks-title' }, `Credit blocks (${blocks.length}), in the order they are drawn`),
    h('ul', { class: 'legend', 'aria-hidden': 'true' },
      h('li', {}, h('i', { class: 'remaining' }), 'remaining'), h('li', {}, h('i', { class: 'held' }), 'held'),
      h('li', {}, h('i', { class: 'consumed' }), 'consumed'), h('li', {}, h('i', { class: 'gone' }), 'expired or voided')),
    blocks.length === 0 ? h('p', { class: 'muted' }, 'No credit blocks.') : h('ul', { class: 'blocks', 'aria-labelledby': 'blocks-title' },
      blocks.map((x) => {
        const whole = Math.max(1, x.amount);
        const gone = x.expired + x.voided;
        return h('li', { 'data-grant': x.grantId },
          h('div', { class: 'head' }, h('code', {}, x.grantId), badge(x.status), h('span', {}, x.source),
            h('span', {}, `${credits(x.remaining)} of ${credits(x.amount)} remaining`),
            h('span', { class: 'muted' }, x.expiresAt ? `expires ${instant(x.expiresAt)}` : 'never expires')),
          h('div', { class: 'bar', 'aria-hidden': 'true' },
            barSpan('remaining', (x.remaining - x.held) / whole), barSpan('held', x.held / whole),
            barSpan('consumed', Math.max(0, x.consumed - x.refunded) / whole), barSpan('gone', gone / whole)),
          h('p', { class: 'hint' }, [
            x.held ? `${credits(x.held)} held` : null, x.consumed ? `${credits(x.consumed)} consumed` : null,
            x.refunded ? `${credits(x.refunded)} refunded` : null, x.expired ? `${credits(x.expired)} expired` : null,
            x.voided ? `${credits(x.voided)} voided` : null, `granted ${instant(x.grantedAt)}`,
            x.effectiveAt ? `effective ${instant(x.effectiveAt)}` : null, x.reason ? `reason: ${x.reason}` : null,
            x.reference ? `reference: ${x.reference}` : null,
          ].filter(Boolean).join(' · ')));
      })));
}

function renderHolds(element, pending) {
  if (!pending.ok) { put(element, h('p', { class: 'problem' }, describe(pending.problem))); return; }
  const rows = pending.data.data.map((r) => [h('code', {}, r.reservationId), credits(r.amount), r.feature ?? '—', time(r.reservedAt), time(r.expiresAt)]);
  put(element, table('Open holds', ['Reservation', 'Amount', 'Feature', 'Reserved', 'Expires'], rows, { numeric: [1] }),
    pending.data.has_more ? h('p', { class: 'hint' }, 'The 100 newest are shown.') : null);
}

function renderPlan(element, entitlements, quota) {
  if (!entitlements.ok) { put(element, h('p', { class: 'problem' }, describe(entitlements.problem))); return; }
  const e = entitlements.data;
  const parts = [
    h('p', { class: 'row' }, h('span', {}, 'Status ', badge(e.status)),
      e.graceEndsAt ? h('span', {}, 'Grace ends ', time(e.graceEndsAt)) : null,
      e.frozen ? h('span', {}, badge('spending frozen', 'frozen')) : null,
      e.anomalyFlaggedAt ? h('span', {}, 'Anomaly flagged ', time(e.anomalyFlaggedAt)) : null),
    h('h3', {}, 'Features'),
    h('ul', { class: 'legend', id: 'features' }, Object.entries(e.features).map(([name, on]) => h('li', {}, badge(`${name}: ${on ? 'on' : 'off'}`, on ? 'on' : 'off')))),
  ];
  if (quota.ok) {
    const x = quota.data;
    parts.push(h('h3', {}, 'This period'), figures([
      ['Allowance', credits(x.allowance)], ['Used', `${credits(x.used)} (${x.usedPercent} %)`], ['Remaining', credits(x.remaining)],
      ['Resets', instant(x.resetAt)], ['Overage', credits(x.overage?.credits)],
    ]));
  }
  put(element, ...parts);
}

async function renderUsage(element, base, days, current) {
  const to = new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate() - days + 1));
  const answer = await api(`${base}/usage${q({ from: from.toISOString(), to: to.toISOString(), groupBy: 'day,feature' })}`);
  if (!current()) return;
  const range = h('select', { id: 'usage-range', onchange: (e) => renderUsage(element, base, Number(e.target.value), current) },
    [7, 30, 90, 365].map((d) => h('option', { value: d, selected: d === days }, `last ${d} days`)));
  const controls = h('div', { class: 'row' }, h('div', {}, h('label', { for: 'usage-range' }, 'Period'), range));
  if (!answer.ok) { put(element, controls, h('p', { class: 'problem' }, describe(answer.problem))); return; }
  const labels = daysBetween(answer.data.from, answer.data.to);
  const features = [...new Set(answer.data.buckets.map((b) => b.feature ?? '(none)'))].sort();
  const series = features.map((f) => ({
    name: f, values: labels.map((d) => answer.data.buckets.filter((b) => b.day === d && (b.feature ?? '(none)') === f).reduce((s, b) => s + b.net, 0)),
  }));
  put(element, controls,
    h('p', {}, `Consumed ${credits(answer.data.consumed)}, refunded ${credits(answer.data.refunded)}, net ${credits(answer.data.net)} credits.`),
    features.length === 0 ? h('p', { class: 'muted' }, 'No usage in this period.') : stackedBars('Credits used per day by feature', labels, series));
}

async function renderVerdict(element, base, current) {
  put(element, h('p', { class: 'muted' }, 'Checking…'));
  const answer = await api(`${base}/verify`);
  if (!current()) return;
  const again = h('button', { type: 'button', class: 'secondary', onclick: () => renderVerdict(element, base, current) }, 'Check again');
  if (answer.status === 404 || answer.status === 405) {
    put(element, h('p', { class: 'verdict na' }, 'Not available: this service does not verify event chains yet.'), again);
    return;
  }
  if (!answer.ok) { put(element, h('p', { class: 'problem' }, describe(answer.problem)), again); return; }
  const d = answer.data ?? {};
  const flag = [d.valid, d.ok, d.intact, d.verified].find((v) => typeof v === 'boolean');
  const word = typeof d.verdict === 'string' ? d.verdict : typeof d.status === 'string' ? d.status : null;
  const good = flag ?? (word ? /^(ok|valid|intact|verified)$/i.test(word) : null);
  const breakAt = d.firstBreak ?? d.break ?? d.brokenAt ?? null;
  put(element, 
    h('p', { class: `verdict ${good === true ? 'ok' : good === false ? 'bad' : ''}` },
      good === true ? 'Chain intact' : good === false ? 'Chain broken' : `Verdict: ${word ?? 'see details'}`,
      d.eventsChecked ?? d.checked ?? d.events ? ` (${credits(d.eventsChecked ?? d.checked ?? d.events)} events checked)` : ''),
    breakAt ? h('p', { class: 'problem' }, `First break: ${typeof breakAt === 'object' ? JSON.stringify(breakAt) : breakAt}`) : null,
    h('details', {}, h('summary', {}, 'Details'), h('pre', {}, JSON.stringify(d, null, 2))),
    again);
}

function statementForm(base, accountId) {
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  const from = h('input', { id: 'statement-from', type: 'date', value: monthAgo, required: true });
  const to = h('input', { id: 'statement-to', type: 'date', value: today, required: true });
  const button = h('button', { type: 'submit' }, 'Download CSV');
  return h('form', {
    novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      if (!from.value || !to.value || to.value < from.value) { warn('Pick a first and a last day, the last on or after the first.'); from.focus(); return; }
      const end = new Date(Date.parse(`${to.value}T00:00:00Z`) + 86400000).toISOString();
      button.disabled = true;
      const file = await download(`${base}/statement${q({ from: `${from.value}T00:00:00Z`, to: end, format: 'csv' })}`, 'text/csv');
      button.disabled = false;
      if (!file.ok) { warn(`No statement: ${describe(file.problem)}`); return; }
      const url = URL.createObjectURL(file.blob);
      const link = h('a', { href: url, download: file.filename || `statement-${accountId}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say(`Statement downloaded: ${file.filename} (${credits(file.blob.size)} bytes).`);
    },
  },
  h('p', { class: 'hint' }, 'Opening balance, each movement with the balance after it, closing balance (RFC 4180 CSV). Days are UTC; at most 366.'),
  h('div', { class: 'row' },
    h('div', {}, h('label', { for: 'statement-from' }, 'First day'), from),
    h('div', {}, h('label', { for: 'statement-to' }, 'Last day'), to),
    button));
}
