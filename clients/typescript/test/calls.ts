// One typed call per operation of the v1 API: `tsc` (npm test's pretest) checks every path, query and body against
// schema.d.ts, the types openapi-typescript generated from the live document (surface.test.ts checks none is missing).
// Never run: the behaviour is tested against the service in the other test files.
import type { LedgerClient } from '../src/index.js';

export async function everyOperation(client: LedgerClient, a: string) {
  const account = await client.createAccount({ accountId: a, plan: 'starter', metadata: { team: 'search' } });
  const plan: string = account.plan;
  const available: number = (await client.getAccount(a)).balance.available;
  const accounts: boolean = (await client.listAccounts({ plan, status: 'active', limit: 10, starting_after: a })).has_more;
  await client.changePlan(a, { plan: 'pro', reason: 'upgrade' });
  await client.setAlerts(a, { lowBalance: 500 });
  const events = await client.listEvents(a, { after: 0, limit: 50, type: 'ReservationCommitted' });
  const next: number | null = events.next;
  await client.getBalance(a, { version: 4 });
  await client.getEntitlements(a);
  await client.startGrace(a, { reason: 'payment failed' });
  await client.endGrace(a, { reason: 'paid' });
  await client.suspendAccount(a, { reason: 'abuse' });
  await client.restoreAccount(a, { reason: 'cleared' });
  await client.clearAnomaly(a, { reason: 'expected burst' });
  const grant = await client.createGrant(a, { amount: 1000, source: 'purchase', reason: 'pack', costBasis: { amountMinor: 2900, currency: 'usd' } });
  await client.listGrants(a, { limit: 10 });
  await client.voidGrant(a, 'g-1', { reason: 'mistake' });
  await client.getPlans();
  await client.getQuota(a);
  await client.listRefunds(a, { limit: 10 });
  await client.createRefund(a, { reservationId: 'r-1', amount: 10, reason: 'bad answer' });
  const reserved = await client.reserve(a, { reservationId: 'r-1', amount: 300, ttlSeconds: 120, feature: 'ai', metadata: { model: 'm' } });
  const status: string = reserved.reservation.status;
  await client.getReservation(a, 'r-1');
  await client.listReservations(a, { status: 'pending', limit: 100 });
  const committed: number = (await client.commitReservation(a, 'r-1', { amount: 350, receiptId: 'openai-123' })).committed;
  await client.releaseReservation(a, 'r-2', { reason: 'cancelled' });
  await client.extendReservation(a, 'r-3', { ttlSeconds: 600 });
  await client.getStatement(a, { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', format: 'json' });
  await client.getUsageSeries(a, { groupBy: 'day,feature' });
  await client.recordUsage(a, { usageId: 'u-1', amount: 5, feature: 'ai' });
  await client.listUsageRecords(a, { limit: 10 });
  await client.createCheckoutSession(a, { pack: 'pack_500', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/no' });
  const key = await client.createApiKey({ name: 'backend', scopes: ['ledger:write'], accountId: a });
  await client.listApiKeys();
  await client.revokeApiKey('key_1');
  await client.getReconciliation({ from: '2026-01-01T00:00:00Z' });
  await client.listStripeEvents({ status: 'parked', limit: 10 });
  await client.getStripeEvent('evt_1');
  await client.replayStripeEvent('evt_1');
  await client.listWebhookDeliveries({ status: 'failed' });
  await client.resendWebhookDelivery('whd_1');
  const intact: string = (await client.verifyChain(a)).status;
  await client.getDisputePack(a, 'g-1', { format: 'json' });
  const differences: number = (await client.rebuildProjections({ accountId: a, dryRun: true })).differencesFound;
  const byPlan = (await client.getMetrics({ from: '2026-01-01', to: '2026-01-31' })).accounts.byPlan;
  return { available, accounts, next, grant, status, committed, key, intact, differences, byPlan };
}
