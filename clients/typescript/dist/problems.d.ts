import { LedgerError, type Problem } from './errors.js';
/** 400 malformed-request: The request body could not be read. Send one JSON object, UTF-8, with Content-Type: application/json. */
export declare class MalformedRequestError extends LedgerError {
}
/** 415 unsupported-media-type: The request body must be JSON. Set Content-Type: application/json. */
export declare class UnsupportedMediaTypeError extends LedgerError {
}
/** 413 payload-too-large: The request body is too large. Send less: metadata is limited to 50 entries of 500 characters. */
export declare class PayloadTooLargeError extends LedgerError {
}
/** 404 not-found: No such resource. Check the path against the API reference at /docs. */
export declare class NotFoundError extends LedgerError {
}
/** 405 method-not-allowed: Method not allowed. Use a method the API reference lists for the path. */
export declare class MethodNotAllowedError extends LedgerError {
}
/** 401 api-key-missing: No API key. Send Authorization: Bearer lk_live_... with a key from POST /v1/admin/api-keys or `api-key`. */
export declare class ApiKeyMissingError extends LedgerError {
}
/** 401 api-key-invalid: The API key is not valid. Check the key for typos and truncation; a revoked key stays revoked: create a new one. Repeated failures from one address are throttled (auth-throttled). */
export declare class ApiKeyInvalidError extends LedgerError {
}
/** 403 forbidden: The API key lacks the required scope. Use a key with the scope named in requiredScope, or create one (admin). */
export declare class ForbiddenError extends LedgerError {
}
/** 403 key-bound-to-account: The API key is bound to one account and this endpoint reaches across accounts. Use an unbound admin key for administration across accounts. */
export declare class KeyBoundToAccountError extends LedgerError {
}
/** 429 auth-throttled: Too many failed authentication attempts. Fix the key; wait Retry-After seconds. Requests with a valid key are still served. */
export declare class AuthThrottledError extends LedgerError {
}
/** 429 rate-limited: Too many requests. Wait Retry-After seconds (RateLimit-Reset says the same), or move the account to a plan with a higher limit. */
export declare class RateLimitedError extends LedgerError {
}
/** 422 idempotency-key-reused: Idempotency-Key reused with a different request. Use a new key for a new request; resend the first request unchanged to get its answer again. */
export declare class IdempotencyKeyReusedError extends LedgerError {
}
/** 409 request-in-progress: A request with this Idempotency-Key is still running. Retry after a moment with the same key: you will get the first request's answer. */
export declare class RequestInProgressError extends LedgerError {
}
/** 400 version-beyond-stream: The account has no such version yet. Ask for a version from 1 up to streamVersion (GET /v1/accounts/{id} shows the current version), or leave version out for now. */
export declare class VersionBeyondStreamError extends LedgerError {
}
/** 400 before-account-opened: The account did not exist at that instant. Ask for an instant at or after openedAt. */
export declare class BeforeAccountOpenedError extends LedgerError {
}
/** 404 api-key-not-found: API key not found. List keys with GET /v1/admin/api-keys; ids start with key_. */
export declare class ApiKeyNotFoundError extends LedgerError {
}
/** 400 invalid-signature: The Stripe signature is missing, invalid or stale. Set LEDGER_STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (comma-separated while rotating) and check the server's clock. Nothing was recorded. */
export declare class InvalidSignatureError extends LedgerError {
}
/** 503 stripe-not-configured: Stripe is not configured. Set the setting and restart the service. */
export declare class StripeNotConfiguredError extends LedgerError {
}
/** 502 stripe-error: Stripe refused the request. Read stripeError; fix the Stripe account or the request. Nothing was granted. */
export declare class StripeErrorError extends LedgerError {
}
/** 502 stripe-unavailable: Stripe could not be reached. Retry with the same Idempotency-Key. */
export declare class StripeUnavailableError extends LedgerError {
}
/** 404 stripe-event-not-found: Stripe event not found. List received events with GET /v1/admin/stripe-events. */
export declare class StripeEventNotFoundError extends LedgerError {
}
/** 409 stripe-event-not-replayable: The Stripe event cannot be replayed in its state. Nothing to do: the event's record says what it did. */
export declare class StripeEventNotReplayableError extends LedgerError {
}
/** 503 service-unavailable: The service is temporarily unavailable. Retry later, with the same Idempotency-Key for writes. */
export declare class ServiceUnavailableError extends LedgerError {
}
/** 500 internal-error: Internal error. Retry with the same Idempotency-Key; report traceId if it persists. */
export declare class InternalErrorError extends LedgerError {
}
/** 400 validation: The request is invalid. Fix every field errors names, then resend (the same Idempotency-Key may be reused: nothing was stored). */
export declare class ValidationError extends LedgerError {
}
/** 404 account-not-found: Account not found. Open it with POST /v1/accounts, or use a key that may see it. */
export declare class AccountNotFoundError extends LedgerError {
}
/** 409 account-exists: The account exists with another plan. Change its plan with POST /v1/accounts/{id}/plan (admin), or pick another id. */
export declare class AccountExistsError extends LedgerError {
}
/** 409 id-conflict: The id is already used by a different request. Use a new id for a new operation; resend the original values to get the first answer. */
export declare class IdConflictError extends LedgerError {
}
/** 402 insufficient-credits: Insufficient credits. Buy or grant credits (a checkout session for a pack), ask for less, or release holds you no longer need (GET .../reservations?status=pending). */
export declare class InsufficientCreditsError extends LedgerError {
}
/** 422 balance-limit-exceeded: Balance limit exceeded. Grant less; no account needs that many. */
export declare class BalanceLimitExceededError extends LedgerError {
}
/** 404 grant-not-found: Grant not found. List the account's grants with GET /v1/accounts/{id}/grants. */
export declare class GrantNotFoundError extends LedgerError {
}
/** 409 grant-already-voided: The grant is already void. Nothing to do. */
export declare class GrantAlreadyVoidedError extends LedgerError {
}
/** 404 reservation-not-found: Reservation not found. List the account's reservations with GET /v1/accounts/{id}/reservations. */
export declare class ReservationNotFoundError extends LedgerError {
}
/** 409 reservation-committed: The reservation is already committed. Nothing to undo by release: refund what it consumed with POST /v1/accounts/{id}/refunds. */
export declare class ReservationCommittedError extends LedgerError {
}
/** 409 reservation-released: The reservation is already released. Reserve again if the work still needs credits. */
export declare class ReservationReleasedError extends LedgerError {
}
/** 409 reservation-expired: The reservation has expired. Reserve again (and extend long-running holds before half their ttl passes). */
export declare class ReservationExpiredError extends LedgerError {
}
/** 404 usage-not-found: Usage not found. List the account's usage with GET /v1/accounts/{id}/usage-records. */
export declare class UsageNotFoundError extends LedgerError {
}
/** 422 refund-exceeds-consumed: Refund exceeds what was consumed. Refund at most the difference (consumed - refunded). */
export declare class RefundExceedsConsumedError extends LedgerError {
}
/** 403 feature-disabled: The feature is disabled for this account. Check GET /v1/accounts/{id}/entitlements; upgrade the plan or settle the payment. */
export declare class FeatureDisabledError extends LedgerError {
}
/** 403 account-suspended: The account is suspended. Pay the open invoice (invoice.paid restores it) or have an admin restore it. */
export declare class AccountSuspendedError extends LedgerError {
}
/** 403 account-frozen: Spending is frozen. An admin reviews it and clears it with POST /v1/accounts/{id}/anomaly/clear. */
export declare class AccountFrozenError extends LedgerError {
}
/** 422 amount-over-limit: Amount over the plan's per-request limit. Split the work, or move the account to a plan with a higher limit (GET /v1/plans). */
export declare class AmountOverLimitError extends LedgerError {
}
/** 409 account-state-conflict: The account is not in a state that allows this. Read the status with GET /v1/accounts/{id}/entitlements. */
export declare class AccountStateConflictError extends LedgerError {
}
/** The error class for each problem code. */
export declare const problemErrors: Record<string, new (status: number, problem: Problem, headers: Headers) => LedgerError>;
