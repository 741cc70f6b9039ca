// Admin actions, each with a required reason that the ledger records on the event: grant credits, void a grant,
// start or end grace, clear an anomaly freeze. Each submission carries its own Idempotency-Key, so a double click or
// a retried request applies once. Needs an admin key; others get the API's 403, shown as it is.
import { api, describe, idempotencyKey } from './api.js';
import { h, credits, toIso, warn, put } from './dom.js';

export function adminActions(base, done) {
  let account = null;

  async function submit(button, path, body, message) {
    const since = account?.version ?? 0;
    button.disabled = true;
    const answer = await api(path, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey() } });
    button.disabled = false;
    if (!answer.ok) { warn(`${button.textContent} refused: ${describe(answer.problem)}`); return false; }
    await done(message(answer.data), since);
    return true;
  }

  const reasonField = (id, label = 'Reason') => {
    const input = h('input', { id, type: 'text', required: true, maxLength: 500, 'aria-describedby': `${id}-hint` });
    return [input, h('div', {}, h('label', { for: id }, `${label} (required)`), input,
      h('p', { id: `${id}-hint`, class: 'hint' }, 'Recorded on the event, for whoever reads the history.'))];
  };
  const needReason = (input) => {
    if (input.value.trim()) return true;
    warn('A reason is required.');
    input.focus();
    return false;
  };

  // grant
  const amount = h('input', { id: 'grant-amount', type: 'number', min: 1, step: 1, required: true, inputMode: 'numeric' });
  const source = h('select', { id: 'grant-source' }, h('option', { value: 'manual' }, 'manual (a correction)'), h('option', { value: 'promo' }, 'promo'));
  const expires = h('input', { id: 'grant-expires', type: 'datetime-local', step: 1 });
  const [grantReason, grantReasonField] = reasonField('grant-reason');
  const grantButton = h('button', { type: 'submit' }, 'Grant credits');
  const grant = h('form', {
    novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const n = Number(amount.value);
      if (!Number.isSafeInteger(n) || n < 1) { warn('The amount is a whole number of credits, at least 1.'); amount.focus(); return; }
      if (!needReason(grantReason)) return;
      const body = { amount: n, source: source.value, reason: grantReason.value.trim() };
      if (expires.value) body.expiresAt = toIso(expires.value);
      if (await submit(grantButton, `${base}/grants`, body,
        (d) => `Granted ${credits(d.grant.amount)} credits (${d.grant.grantId}); available now ${credits(d.balance.available)}.`)) {
        amount.value = ''; grantReason.value = ''; expires.value = '';
      }
    },
  }, h('fieldset', {}, h('legend', {}, 'Grant credits'),
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'grant-amount' }, 'Amount (credits)'), amount),
      h('div', {}, h('label', { for: 'grant-source' }, 'Source'), source),
      h('div', {}, h('label', { for: 'grant-expires' }, 'Expires (UTC, optional)'), expires)),
    grantReasonField, grantButton));

  // void
  const grantId = h('select', { id: 'void-grant' });
  const [voidReason, voidReasonField] = reasonField('void-reason');
  const voidButton = h('button', { type: 'submit', class: 'danger' }, 'Void grant');
  const voidForm = h('form', {
    novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      if (!grantId.value) { warn('Pick a grant to void.'); grantId.focus(); return; }
      if (!needReason(voidReason)) return;
      if (await submit(voidButton, `${base}/grants/${encodeURIComponent(grantId.value)}/void`, { reason: voidReason.value.trim() },
        (d) => `Voided ${credits(d.voided)} credits of ${d.grantId}; available now ${credits(d.balance.available)}.`)) voidReason.value = '';
    },
  }, h('fieldset', {}, h('legend', {}, 'Void a grant'),
    h('p', { class: 'hint' }, 'Takes back what is left of the block; credits already spent stay spent.'),
    h('div', {}, h('label', { for: 'void-grant' }, 'Grant'), grantId), voidReasonField, voidButton));

  // status
  const [statusReason, statusReasonField] = reasonField('status-reason');
  const statusButton = (label, path, cls) => {
    const button = h('button', {
      type: 'button', class: cls, onclick: async () => {
        if (!needReason(statusReason)) return;
        if (await submit(button, `${base}/${path}`, { reason: statusReason.value.trim() },
          (d) => `${label}: the account is ${d.status}${d.frozen ? ', spending frozen' : ''}.`)) statusReason.value = '';
      },
    }, label);
    return button;
  };
  const status = h('form', { novalidate: true, onsubmit: (e) => e.preventDefault() },
    h('fieldset', {}, h('legend', {}, 'Grace and anomaly freeze'),
      statusReasonField,
      h('div', { class: 'pager' },
        statusButton('Start grace', 'grace', 'danger'), statusButton('End grace', 'grace/end'),
        statusButton('Clear anomaly freeze', 'anomaly/clear'))));

  return {
    element: h('div', {}, h('p', { class: 'hint' }, 'Each action needs an admin key and is written to the account\'s history with its reason.'),
      grant, voidForm, status),
    update(next) {
      account = next;
      const blocks = (next.balance.blocks ?? []).filter((b) => b.status !== 'voided' && b.status !== 'expired');
      const chosen = grantId.value;
      put(grantId, h('option', { value: '' }, blocks.length ? 'Choose a grant' : 'No grant to void'),
        blocks.map((b) => h('option', { value: b.grantId, selected: b.grantId === chosen },
          `${b.grantId} · ${b.source} · ${credits(b.remaining)} of ${credits(b.amount)} left`)));
    },
  };
}
