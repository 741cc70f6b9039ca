import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyWebhookSignature } from '../src/index.js';
import { client, newAccount } from './support.js';

test('paginate walks every page of a cursor list (limit, starting_after, has_more)', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-pages');
  for (let i = 0; i < 5; i++) await ledger.reserve(accountId, { reservationId: `r-${i}`, amount: 10, feature: 'ai' });
  const seen: string[] = [];
  for await (const r of ledger.paginate((after) => ledger.listReservations(accountId, { limit: 2, starting_after: after }), (r) => r.reservationId)) {
    seen.push(r.reservationId);
  }
  assert.deepEqual([...seen].sort(), ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
  const pending = [];
  for await (const r of ledger.pendingReservations(accountId)) pending.push(r);
  assert.equal(pending.length, 5);
});

test('events iterates the whole stream through its next cursor', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-events');
  for (let i = 0; i < 3; i++) await ledger.recordUsage(accountId, { amount: 1, feature: 'ai' });
  const versions = [];
  for await (const e of ledger.events(accountId, { limit: 2 })) versions.push(e.version);
  const last = (await ledger.getAccount(accountId)).version;
  assert.deepEqual(versions, Array.from({ length: last }, (_, i) => i + 1));
});

test('verifyWebhookSignature accepts the service scheme (t=..., v1=HMAC of "t.body") and refuses tampering and replays', async () => {
  const secret = 'whsec_test';
  const body = '{"id":"whd_1","type":"balance.low"}';
  const now = 1_800_000_000;
  const sign = (t: number, b: string, s = secret) => `t=${t},v1=${createHmac('sha256', s).update(`${t}.${b}`).digest('hex')}`;
  assert.equal(await verifyWebhookSignature(secret, sign(now, body), body, 300, now), true);
  assert.equal(await verifyWebhookSignature(`whsec_old,${secret}`, sign(now, body), body, 300, now), true);
  assert.equal(await verifyWebhookSignature(secret, sign(now, body), body.replace('low', 'depleted'), 300, now), false);
  assert.equal(await verifyWebhookSignature(secret, sign(now, body, 'whsec_other'), body, 300, now), false);
  assert.equal(await verifyWebhookSignature(secret, sign(now - 301, body), body, 300, now), false);
  assert.equal(await verifyWebhookSignature(secret, 'v1=abc', body, 300, now), false);
});

test('backoff honours Retry-After up to the cap, else grows exponentially with jitter within bounds', async () => {
  const { backoff, defaultRetryPolicy: policy } = await import('../src/http.js');
  assert.equal(backoff(0, policy, '3'), 3000);
  assert.equal(backoff(0, policy, '3600'), policy.maxDelayMs);
  for (let attempt = 0; attempt < 10; attempt++) {
    const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    const delay = backoff(attempt, policy, null);
    assert.ok(delay >= step / 2 && delay <= step, `attempt ${attempt}: ${delay} not in [${step / 2}, ${step}]`);
  }
});
