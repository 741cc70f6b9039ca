import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InsufficientCreditsError, LedgerError } from '../src/index.js';
import { client, droppingProxy, newAccount, sleep } from './support.js';

test('a metered call that succeeds commits its actual cost, not the estimate', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-ok');
  const value = await ledger.metered(accountId, { amount: 300, feature: 'ai' }, async (hold) => {
    assert.equal((await ledger.getBalance(accountId)).reserved, 300);
    return { cost: 120, value: `done ${hold.reservationId}` };
  });
  assert.match(String(value), /^done mtr_/);
  const balance = await ledger.getBalance(accountId);
  assert.equal(balance.available, 10_000 - 120);
  assert.equal(balance.consumed, 120);
  assert.equal(balance.reserved, 0);
});

test('a metered call that throws releases its hold and rethrows; the balance is unchanged', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-throw');
  let reservationId = '';
  await assert.rejects(ledger.metered(accountId, { amount: 300, feature: 'ai' }, async (hold) => {
    reservationId = hold.reservationId;
    throw new Error('model overloaded');
  }), /model overloaded/);
  const reservation = await ledger.getReservation(accountId, reservationId);
  assert.equal(reservation.status, 'released');
  assert.equal(reservation.releaseReason, 'error: model overloaded');
  const balance = await ledger.getBalance(accountId);
  assert.equal(balance.available, 10_000);
  assert.equal(balance.reserved, 0);
});

test('on an account without credits the reserve fails with a typed 402 and the callback never runs', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-empty');
  await ledger.recordUsage(accountId, { amount: 10_000, feature: 'ai' });
  let ran = false;
  const error = await ledger.metered(accountId, { amount: 50, feature: 'ai' }, async () => { ran = true; return 50; })
    .then(() => assert.fail('metered should have thrown'), (e: unknown) => e);
  assert.ok(error instanceof InsufficientCreditsError, String(error));
  assert.ok(error instanceof LedgerError);
  assert.equal(error.status, 402);
  assert.equal(error.problem.type, '/problems/insufficient-credits');
  assert.equal(error.problem.requested, 50);
  assert.equal(ran, false);
});

test('a call that outlives its ttl keeps its hold alive by extending it, then commits', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-long');
  let extensions = 0;
  let reservationId = '';
  await ledger.metered(accountId, { amount: 200, feature: 'ai', ttlSeconds: 3 }, async (hold) => {
    reservationId = hold.reservationId;
    await sleep(5_000); // 1.7 ttls
    extensions = hold.extensions;
    return 150;
  });
  assert.ok(extensions >= 2, `extended ${extensions} times`);
  const reservation = await ledger.getReservation(accountId, reservationId);
  assert.equal(reservation.status, 'committed');
  assert.equal(reservation.committed, 150);
  assert.equal((await ledger.getBalance(accountId)).available, 10_000 - 150);
});

test('a commit whose answer is lost is retried with the same Idempotency-Key and applied once', async () => {
  const proxy = await droppingProxy('/commit');
  try {
    const accountId = await newAccount('ts-drop');
    await client(proxy.url).metered(accountId, { amount: 300, feature: 'ai' }, async () => 250);
    assert.equal(proxy.dropped(), 1, 'the proxy dropped the first commit answer');
    const ledger = client();
    assert.equal((await ledger.getBalance(accountId)).consumed, 250);
    const commits = [];
    for await (const event of ledger.events(accountId, { limit: 2 })) if (event.type === 'reservation_committed') commits.push(event);
    assert.equal(commits.length, 1);
    assert.match(String(commits[0].metadata.idempotencyKey), /^mtr_.*:commit$/);
  } finally {
    await proxy.close();
  }
});

test('a retry after a crash, with the same reservation id, resolves the hold the crashed call made', async () => {
  const ledger = client();
  const accountId = await newAccount('ts-crash');
  const reservationId = `job-${crypto.randomUUID()}`;
  // The crashed call got this far: its reserve (as the helper sends it), then nothing.
  await ledger.reserve(accountId, { reservationId, amount: 300, ttlSeconds: 300, feature: 'ai' }, { idempotencyKey: `${reservationId}:reserve` });
  await ledger.metered(accountId, { amount: 300, feature: 'ai', reservationId }, async (hold) => {
    assert.equal(hold.reservationId, reservationId);
    return 100;
  });
  const balance = await ledger.getBalance(accountId);
  assert.equal(balance.consumed, 100);
  assert.equal(balance.reserved, 0);
  const holds = [];
  for await (const event of ledger.events(accountId)) if (event.type === 'credits_reserved') holds.push(event);
  assert.equal(holds.length, 1, 'one hold, not two');
});
