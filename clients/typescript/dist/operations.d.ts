import type { Body, Json, Query } from './types.js';
import type { RequestOptions } from './http.js';
/** Every v1 operation, one method each (the paths and types come from schema.d.ts). */
export declare abstract class LedgerOperations {
    protected abstract call<T>(method: string, path: string, pathParams: Record<string, string>, query: object | undefined, body: unknown, options?: RequestOptions): Promise<T>;
    /** An account: plan, status, balance and version (GET /v1/accounts/{accountId}) */
    getAccount(accountId: string, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}', 'get'>>;
    /** List accounts, newest first, optionally by plan and status (GET /v1/accounts) */
    listAccounts(query?: Query<'/v1/accounts', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts', 'get'>>;
    /** Open an account on a plan (POST /v1/accounts) */
    createAccount(body?: Body<'/v1/accounts', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts', 'post'>>;
    /** Set the account's own low-balance threshold (null: its plan's); balance.low fires when available drops below it (POST /v1/accounts/{accountId}/alerts) */
    setAlerts(accountId: string, body?: Body<'/v1/accounts/{accountId}/alerts', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/alerts', 'post'>>;
    /** An account's events in stream order, with who wrote each and why (GET /v1/accounts/{accountId}/events) */
    listEvents(accountId: string, query?: Query<'/v1/accounts/{accountId}/events', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/events', 'get'>>;
    /** List API keys (never their secrets) (GET /v1/admin/api-keys) */
    listApiKeys(options?: RequestOptions): Promise<Json<'/v1/admin/api-keys', 'get'>>;
    /** Create an API key; its secret is shown in this response only (POST /v1/admin/api-keys) */
    createApiKey(body?: Body<'/v1/admin/api-keys', 'post'>, options?: RequestOptions): Promise<Json<'/v1/admin/api-keys', 'post'>>;
    /** Revoke an API key, effective immediately (DELETE /v1/admin/api-keys/{keyId}) */
    revokeApiKey(keyId: string, options?: RequestOptions): Promise<Json<'/v1/admin/api-keys/{keyId}', 'delete'>>;
    /** Balance now, as of an instant (asOf) or at a stream version (version) (GET /v1/accounts/{accountId}/balance) */
    getBalance(accountId: string, query?: Query<'/v1/accounts/{accountId}/balance', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/balance', 'get'>>;
    /** Features on or off now, status, grace end (GET /v1/accounts/{accountId}/entitlements) */
    getEntitlements(accountId: string, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/entitlements', 'get'>>;
    /** Start a payment grace period: ai off at once, its holds released; suspension at grace end (POST /v1/accounts/{accountId}/grace) */
    startGrace(accountId: string, body?: Body<'/v1/accounts/{accountId}/grace', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/grace', 'post'>>;
    /** End grace (payment received): everything restored (POST /v1/accounts/{accountId}/grace/end) */
    endGrace(accountId: string, body?: Body<'/v1/accounts/{accountId}/grace/end', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/grace/end', 'post'>>;
    /** Suspend: everything but reports off, open holds of those features released (POST /v1/accounts/{accountId}/suspend) */
    suspendAccount(accountId: string, body?: Body<'/v1/accounts/{accountId}/suspend', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/suspend', 'post'>>;
    /** Restore a suspended or grace account (POST /v1/accounts/{accountId}/restore) */
    restoreAccount(accountId: string, body?: Body<'/v1/accounts/{accountId}/restore', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/restore', 'post'>>;
    /** Clear a usage anomaly and unfreeze spending (POST /v1/accounts/{accountId}/anomaly/clear) */
    clearAnomaly(accountId: string, body?: Body<'/v1/accounts/{accountId}/anomaly/clear', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/anomaly/clear', 'post'>>;
    /** List an account's grants (credit blocks), newest first, each with what is left, held, spent, expired and voided (GET /v1/accounts/{accountId}/grants) */
    listGrants(accountId: string, query?: Query<'/v1/accounts/{accountId}/grants', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/grants', 'get'>>;
    /** Grant a block of credits (POST /v1/accounts/{accountId}/grants) */
    createGrant(accountId: string, body?: Body<'/v1/accounts/{accountId}/grants', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/grants', 'post'>>;
    /** Void what is left of a grant (POST /v1/accounts/{accountId}/grants/{grantId}/void) */
    voidGrant(accountId: string, grantId: string, body?: Body<'/v1/accounts/{accountId}/grants/{grantId}/void', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/grants/{grantId}/void', 'post'>>;
    /** Move the account to another plan (upgrades prorate the allowance; see ADR 9) (POST /v1/accounts/{accountId}/plan) */
    changePlan(accountId: string, body?: Body<'/v1/accounts/{accountId}/plan', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/plan', 'post'>>;
    /** Plans and credit packs from the plans file (GET /v1/plans) */
    getPlans(options?: RequestOptions): Promise<Json<'/v1/plans', 'get'>>;
    /** The current period's allowance, use, warnings and overage (GET /v1/accounts/{accountId}/quota) */
    getQuota(accountId: string, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/quota', 'get'>>;
    /** List an account's refunds, newest first, with the blocks each returned credits to (GET /v1/accounts/{accountId}/refunds) */
    listRefunds(accountId: string, query?: Query<'/v1/accounts/{accountId}/refunds', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/refunds', 'get'>>;
    /** Return credits a commit or usage consumed, to the blocks that paid (POST /v1/accounts/{accountId}/refunds) */
    createRefund(accountId: string, body?: Body<'/v1/accounts/{accountId}/refunds', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/refunds', 'post'>>;
    /** A reservation and its state: pending, committed, released or expired (GET /v1/accounts/{accountId}/reservations/{reservationId}) */
    getReservation(accountId: string, reservationId: string, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations/{reservationId}', 'get'>>;
    /** List an account's reservations, newest first; status=pending lists the open holds (GET /v1/accounts/{accountId}/reservations) */
    listReservations(accountId: string, query?: Query<'/v1/accounts/{accountId}/reservations', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations', 'get'>>;
    /** Hold credits before a costly operation (all or nothing) (POST /v1/accounts/{accountId}/reservations) */
    reserve(accountId: string, body?: Body<'/v1/accounts/{accountId}/reservations', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations', 'post'>>;
    /** Consume what the operation really cost and release the rest (POST /v1/accounts/{accountId}/reservations/{reservationId}/commit) */
    commitReservation(accountId: string, reservationId: string, body?: Body<'/v1/accounts/{accountId}/reservations/{reservationId}/commit', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations/{reservationId}/commit', 'post'>>;
    /** Return everything held (POST /v1/accounts/{accountId}/reservations/{reservationId}/release) */
    releaseReservation(accountId: string, reservationId: string, body?: Body<'/v1/accounts/{accountId}/reservations/{reservationId}/release', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations/{reservationId}/release', 'post'>>;
    /** Renew a pending hold's ttl (POST /v1/accounts/{accountId}/reservations/{reservationId}/extend) */
    extendReservation(accountId: string, reservationId: string, body?: Body<'/v1/accounts/{accountId}/reservations/{reservationId}/extend', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/reservations/{reservationId}/extend', 'post'>>;
    /** Statement of a period: opening balance, each movement with the balance after it, closing balance (GET /v1/accounts/{accountId}/statement) */
    getStatement(accountId: string, query?: Query<'/v1/accounts/{accountId}/statement', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/statement', 'get'>>;
    /** Usage series: credits consumed net of refunds per day and/or feature (GET /v1/accounts/{accountId}/usage) */
    getUsageSeries(accountId: string, query?: Query<'/v1/accounts/{accountId}/usage', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/usage', 'get'>>;
    /** Deduct credits at once, without a hold (POST /v1/accounts/{accountId}/usage) */
    recordUsage(accountId: string, body?: Body<'/v1/accounts/{accountId}/usage', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/usage', 'post'>>;
    /** Start a Stripe Checkout for a credit pack; credits follow the paid webhook (POST /v1/accounts/{accountId}/checkout-sessions) */
    createCheckoutSession(accountId: string, body?: Body<'/v1/accounts/{accountId}/checkout-sessions', 'post'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/checkout-sessions', 'post'>>;
    /** Stripe purchases and refunds against ledger purchase grants and voids, per account and in total, with mismatches and unbilled overage (GET /v1/admin/reconciliation) */
    getReconciliation(query?: Query<'/v1/admin/reconciliation', 'get'>, options?: RequestOptions): Promise<Json<'/v1/admin/reconciliation', 'get'>>;
    /** Stripe events received: processed, duplicate, parked, failed, ignored, with the ledger events each produced (GET /v1/admin/stripe-events) */
    listStripeEvents(query?: Query<'/v1/admin/stripe-events', 'get'>, options?: RequestOptions): Promise<Json<'/v1/admin/stripe-events', 'get'>>;
    /** One Stripe event: its record, attempts, ledger events and the payload as Stripe sent it (GET /v1/admin/stripe-events/{eventId}) */
    getStripeEvent(eventId: string, options?: RequestOptions): Promise<Json<'/v1/admin/stripe-events/{eventId}', 'get'>>;
    /** Apply a parked or failed Stripe event now (e.g. once its account exists) (POST /v1/admin/stripe-events/{eventId}/replay) */
    replayStripeEvent(eventId: string, options?: RequestOptions): Promise<Json<'/v1/admin/stripe-events/{eventId}/replay', 'post'>>;
    /** List an account's direct usage records, newest first, with the blocks each drew from (GET /v1/accounts/{accountId}/usage-records) */
    listUsageRecords(accountId: string, query?: Query<'/v1/accounts/{accountId}/usage-records', 'get'>, options?: RequestOptions): Promise<Json<'/v1/accounts/{accountId}/usage-records', 'get'>>;
    /** Operator webhook deliveries, newest first, paged by id (starting_after), filtered by status, type or account (GET /v1/admin/webhook-deliveries) */
    listWebhookDeliveries(query?: Query<'/v1/admin/webhook-deliveries', 'get'>, options?: RequestOptions): Promise<Json<'/v1/admin/webhook-deliveries', 'get'>>;
    /** Send a delivery again (same id and payload), whatever became of it (POST /v1/admin/webhook-deliveries/{deliveryId}/resend) */
    resendWebhookDelivery(deliveryId: string, options?: RequestOptions): Promise<Json<'/v1/admin/webhook-deliveries/{deliveryId}/resend', 'post'>>;
}
/** Method and path of each operation, by method name (the coverage test compares it with the live document). */
export declare const operationIndex: {
    readonly getAccount: "GET /v1/accounts/{accountId}";
    readonly listAccounts: "GET /v1/accounts";
    readonly createAccount: "POST /v1/accounts";
    readonly setAlerts: "POST /v1/accounts/{accountId}/alerts";
    readonly listEvents: "GET /v1/accounts/{accountId}/events";
    readonly listApiKeys: "GET /v1/admin/api-keys";
    readonly createApiKey: "POST /v1/admin/api-keys";
    readonly revokeApiKey: "DELETE /v1/admin/api-keys/{keyId}";
    readonly getBalance: "GET /v1/accounts/{accountId}/balance";
    readonly getEntitlements: "GET /v1/accounts/{accountId}/entitlements";
    readonly startGrace: "POST /v1/accounts/{accountId}/grace";
    readonly endGrace: "POST /v1/accounts/{accountId}/grace/end";
    readonly suspendAccount: "POST /v1/accounts/{accountId}/suspend";
    readonly restoreAccount: "POST /v1/accounts/{accountId}/restore";
    readonly clearAnomaly: "POST /v1/accounts/{accountId}/anomaly/clear";
    readonly listGrants: "GET /v1/accounts/{accountId}/grants";
    readonly createGrant: "POST /v1/accounts/{accountId}/grants";
    readonly voidGrant: "POST /v1/accounts/{accountId}/grants/{grantId}/void";
    readonly changePlan: "POST /v1/accounts/{accountId}/plan";
    readonly getPlans: "GET /v1/plans";
    readonly getQuota: "GET /v1/accounts/{accountId}/quota";
    readonly listRefunds: "GET /v1/accounts/{accountId}/refunds";
    readonly createRefund: "POST /v1/accounts/{accountId}/refunds";
    readonly getReservation: "GET /v1/accounts/{accountId}/reservations/{reservationId}";
    readonly listReservations: "GET /v1/accounts/{accountId}/reservations";
    readonly reserve: "POST /v1/accounts/{accountId}/reservations";
    readonly commitReservation: "POST /v1/accounts/{accountId}/reservations/{reservationId}/commit";
    readonly releaseReservation: "POST /v1/accounts/{accountId}/reservations/{reservationId}/release";
    readonly extendReservation: "POST /v1/accounts/{accountId}/reservations/{reservationId}/extend";
    readonly getStatement: "GET /v1/accounts/{accountId}/statement";
    readonly getUsageSeries: "GET /v1/accounts/{accountId}/usage";
    readonly recordUsage: "POST /v1/accounts/{accountId}/usage";
    readonly createCheckoutSession: "POST /v1/accounts/{accountId}/checkout-sessions";
    readonly getReconciliation: "GET /v1/admin/reconciliation";
    readonly listStripeEvents: "GET /v1/admin/stripe-events";
    readonly getStripeEvent: "GET /v1/admin/stripe-events/{eventId}";
    readonly replayStripeEvent: "POST /v1/admin/stripe-events/{eventId}/replay";
    readonly listUsageRecords: "GET /v1/accounts/{accountId}/usage-records";
    readonly listWebhookDeliveries: "GET /v1/admin/webhook-deliveries";
    readonly resendWebhookDelivery: "POST /v1/admin/webhook-deliveries/{deliveryId}/resend";
};
