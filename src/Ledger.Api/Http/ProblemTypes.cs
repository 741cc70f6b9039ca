using System.Reflection;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Http;

/// <summary>
/// Every problem type the service answers with, documented once: the domain's refusals (<see cref="RejectionCodes"/>,
/// whose kind is their status) and the API's own. Served at <c>/problems</c> and <c>/problems/{code}</c>. A new problem
/// is a new field here; a test checks that every field and every domain code has its page.
/// </summary>
public static class ProblemTypes
{
    private static Dictionary<string, string[]> Errors(string field, string message) => new() { [field] = [message] };

    // ---- the request itself ---------------------------------------------------------------------------------------
    public static readonly ProblemType MalformedRequest = new("malformed-request", 400, "The request body could not be read",
        "The body is not JSON, is cut off, or is not a JSON object (an array, a number, a string).",
        "Send one JSON object, UTF-8, with Content-Type: application/json.",
        "The body is not valid JSON of the expected shape.", new Dictionary<string, object?> { ["errors"] = Errors("body", "Not valid JSON.") });
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "The request body must be JSON",
        "A body was sent with a Content-Type other than application/json (or another +json type).",
        "Set Content-Type: application/json.", "Content-Type 'text/plain' is not accepted; send application/json.");
    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", 413, "The request body is too large",
        "The body is larger than 1 MiB.", "Send less: metadata is limited to 50 entries of 500 characters.", "Bodies are limited to 1048576 bytes.");
    public static readonly ProblemType NotFound = new("not-found", 404, "No such resource",
        "No route matches the path (a typo, a missing /v1, an id with characters ids may not hold), or no such problem page.",
        "Check the path against the API reference at /docs.", "No resource at /v1/acounts.");
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", 405, "Method not allowed",
        "The path exists but not with this method (e.g. DELETE on an account).", "Use a method the API reference lists for the path.",
        "DELETE is not allowed on /v1/accounts/acme.");

    // ---- who is asking --------------------------------------------------------------------------------------------
    public static readonly ProblemType ApiKeyMissing = new("api-key-missing", 401, "No API key",
        "The request has no Authorization header.", "Send Authorization: Bearer lk_live_... with a key from POST /v1/admin/api-keys or `api-key`.",
        "Send 'Authorization: Bearer <api key>'.");
    public static readonly ProblemType ApiKeyInvalid = new("api-key-invalid", 401, "The API key is not valid",
        "An Authorization header was sent, but it is not 'Bearer <key>', the key is unknown, or it was revoked.",
        "Check the key for typos and truncation; a revoked key stays revoked: create a new one. Repeated failures from one address are throttled (auth-throttled).",
        "Unknown API key.", new Dictionary<string, object?> { ["reason"] = "unknown" });
    public static readonly ProblemType Forbidden = new("forbidden", 403, "The API key lacks the required scope",
        "The key is valid but has none of the scopes the operation accepts: reads need ledger:read, writes ledger:write, grants, plans and administration admin.",
        "Use a key with the scope named in requiredScope, or create one (admin).",
        "This operation needs the ledger:write scope; this key has ledger:read.",
        new Dictionary<string, object?> { ["requiredScope"] = "ledger:write", ["keyScopes"] = new[] { "ledger:read" } });
    public static readonly ProblemType KeyBoundToAccount = new("key-bound-to-account", 403, "The API key is bound to one account and this endpoint reaches across accounts",
        "A key bound to one account called an admin endpoint without an account in its path (API keys, Stripe events, reconciliation).",
        "Use an unbound admin key for administration across accounts.",
        "This API key is bound to one account; GET /v1/admin/api-keys reaches across accounts.");
    public static readonly ProblemType AuthThrottled = new("auth-throttled", 429, "Too many failed authentication attempts",
        "More than 10 requests with a rejected key came from your address within one clock minute.",
        "Fix the key; wait Retry-After seconds. Requests with a valid key are still served.",
        "Too many failed authentication attempts from this address; retry after 42 s.", new Dictionary<string, object?> { ["retryAfterSeconds"] = 42 });
    public static readonly ProblemType RateLimited = new("rate-limited", 429, "Too many requests",
        "The account's plan allows so many requests per minute (free 10, starter 100, pro 1,000 ...) and this clock minute used them.",
        "Wait Retry-After seconds (RateLimit-Reset says the same), or move the account to a plan with a higher limit.",
        "The account's plan allows 10 requests per minute; retry after 17 s.", new Dictionary<string, object?> { ["retryAfterSeconds"] = 17 });

    // ---- Idempotency-Key ------------------------------------------------------------------------------------------
    public static readonly ProblemType IdempotencyKeyReused = new("idempotency-key-reused", 422, "Idempotency-Key reused with a different request",
        "An Idempotency-Key already used by this API key in the last 48 hours came with another method, path or body.",
        "Use a new key for a new request; resend the first request unchanged to get its answer again.",
        "This Idempotency-Key was used with a different request (method, path or body).");
    public static readonly ProblemType RequestInProgress = new("request-in-progress", 409, "A request with this Idempotency-Key is still running",
        "The same Idempotency-Key arrived again while its first request was still being processed.",
        "Retry after a moment with the same key: you will get the first request's answer.",
        "A request with this Idempotency-Key is still being processed.");

    // ---- reads ----------------------------------------------------------------------------------------------------
    public static readonly ProblemType VersionBeyondStream = new("version-beyond-stream", 400, "The account has no such version yet",
        "balance?version=N asked for a version after the account's last event.",
        "Ask for a version from 1 up to streamVersion (GET /v1/accounts/{id} shows the current version), or leave version out for now.",
        "The account's stream ends at version 7.",
        new Dictionary<string, object?> { ["streamVersion"] = 7, ["errors"] = Errors("version", "Must be at most 7.") });
    public static readonly ProblemType BeforeAccountOpened = new("before-account-opened", 400, "The account did not exist at that instant",
        "balance?asOf= named an instant before the account was opened: there was no balance to show, not a zero one.",
        "Ask for an instant at or after openedAt.",
        "Account 'acme' was opened at 2026-12-01T09:00:00Z.",
        new Dictionary<string, object?> { ["openedAt"] = "2026-12-01T09:00:00Z", ["errors"] = Errors("asOf", "Must be at or after 2026-12-01T09:00:00Z.") });
    public static readonly ProblemType DisputeReferenceNotFound = new("dispute-reference-not-found", 404, "No purchase of the account has this reference",
        "GET /v1/accounts/{id}/disputes/{reference} named something that is neither a grant id, a grant's reference (a Stripe purchase's payment "
        + "intent) nor a Stripe object (checkout session, charge, dispute) recorded for a purchase of this account.",
        "List the account's grants (GET /v1/accounts/{id}/grants) or the Stripe events (GET /v1/admin/stripe-events) for the reference to use.",
        "Account 'acme' has no purchase with reference 'pi_404'.");
    public static readonly ProblemType ApiKeyNotFound = new("api-key-not-found", 404, "API key not found",
        "DELETE /v1/admin/api-keys/{keyId} named a key id that does not exist.", "List keys with GET /v1/admin/api-keys; ids start with key_.",
        "API key 'key_0190' does not exist.");

    // ---- Stripe ---------------------------------------------------------------------------------------------------
    public static readonly ProblemType InvalidSignature = new("invalid-signature", 400, "The Stripe signature is missing, invalid or stale",
        "A webhook arrived without a Stripe-Signature header, signed with another secret, altered after signing, or signed more than 300 s from now.",
        "Set LEDGER_STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (comma-separated while rotating) and check the server's clock. Nothing was recorded.",
        "No signatures found matching the expected signature for payload.");
    public static readonly ProblemType StripeNotConfigured = new("stripe-not-configured", 503, "Stripe is not configured",
        "A Stripe webhook arrived without LEDGER_STRIPE_WEBHOOK_SECRET set, or a checkout session was asked for without LEDGER_STRIPE_API_KEY.",
        "Set the setting and restart the service.", "LEDGER_STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified.");
    public static readonly ProblemType StripeError = new("stripe-error", 502, "Stripe refused the request",
        "Stripe answered a checkout-session request with an error (a bad price, an unknown customer, a live/test key mismatch).",
        "Read stripeError; fix the Stripe account or the request. Nothing was granted.", "Stripe refused the checkout session: No such customer: 'cus_x'.",
        new Dictionary<string, object?> { ["stripeError"] = "resource_missing" });
    public static readonly ProblemType StripeUnavailable = new("stripe-unavailable", 502, "Stripe could not be reached",
        "Stripe did not answer a checkout-session request.", "Retry with the same Idempotency-Key.",
        "Stripe could not be reached; try again (with the same Idempotency-Key).");
    public static readonly ProblemType StripeEventNotFound = new("stripe-event-not-found", 404, "Stripe event not found",
        "GET or replay of a Stripe event id this service never received.", "List received events with GET /v1/admin/stripe-events.",
        "No Stripe event 'evt_1' was received.");
    public static readonly ProblemType StripeEventNotReplayable = new("stripe-event-not-replayable", 409, "The Stripe event cannot be replayed in its state",
        "A replay of an event that is not parked or failed (already processed, duplicate or ignored), or that was applied meanwhile.",
        "Nothing to do: the event's record says what it did.", "Stripe event 'evt_1' is processed; only parked or failed events are replayed.",
        new Dictionary<string, object?> { ["eventStatus"] = "processed" });

    // ---- the service ----------------------------------------------------------------------------------------------
    public static readonly ProblemType ServiceUnavailable = new("service-unavailable", 503, "The service is temporarily unavailable",
        "The database could not be reached, so nothing was written.", "Retry later, with the same Idempotency-Key for writes.",
        "The write could not be committed now; nothing was written.");
    public static readonly ProblemType InternalError = new("internal-error", 500, "Internal error",
        "A fault in the service (never something a client sent: that is a 4xx).", "Retry with the same Idempotency-Key; report traceId if it persists.",
        "An unexpected error occurred; it has been logged.", new Dictionary<string, object?> { ["traceId"] = "0HN7..." });

    // ---- the domain's refusals (RejectionCodes): documentation by code ---------------------------------------------
    private static readonly Dictionary<RejectionCode, (string Title, string When, string WhatToDo, string Detail, IReadOnlyDictionary<string, object?>? Extensions)> Refusals = new()
    {
        [RejectionCodes.Validation] = ("The request is invalid",
            "A field or query parameter is missing, of the wrong type (amounts are JSON integers: 5, not \"5\" or 5.0), out of range or malformed; errors names each.",
            "Fix every field errors names, then resend (the same Idempotency-Key may be reused: nothing was stored).",
            "One or more fields are invalid.", new Dictionary<string, object?> { ["errors"] = Errors("amount", "Must be between 1 and 1000000000000000.") }),
        [RejectionCodes.AccountNotFound] = ("Account not found",
            "No account has this id, or the API key is bound to another account (a bound key sees only its own).",
            "Open it with POST /v1/accounts, or use a key that may see it.", "Account 'acme' does not exist.", null),
        [RejectionCodes.AccountExists] = ("The account exists with another plan",
            "POST /v1/accounts for an id that is already open on a different plan (the same plan answers 200).",
            "Change its plan with POST /v1/accounts/{id}/plan (admin), or pick another id.", "Account 'acme' already exists on plan 'pro'.",
            new Dictionary<string, object?> { ["plan"] = "pro" }),
        [RejectionCodes.IdConflict] = ("The id is already used by a different request",
            "A caller-chosen reservationId, grantId, usageId or refundId was used before with other values (fields names them). The same values replay the first answer.",
            "Use a new id for a new operation; resend the original values to get the first answer.",
            "Usage 'u-1' already exists with different amount.", new Dictionary<string, object?> { ["fields"] = new[] { "amount" } }),
        [RejectionCodes.InsufficientCredits] = ("Insufficient credits",
            "A reservation, usage or commit above its hold asks for more credits than are available; nothing is held or taken (no partial holds).",
            "Buy or grant credits (a checkout session for a pack), ask for less, or release holds you no longer need (GET .../reservations?status=pending).",
            "500 credits requested, 120 available.", new Dictionary<string, object?> { ["available"] = 120, ["requested"] = 500 }),
        [RejectionCodes.BalanceLimitExceeded] = ("Balance limit exceeded",
            "A grant would take the account's lifetime grants above 10^18 credits.", "Grant less; no account needs that many.",
            "Lifetime grants are limited to 1000000000000000000 credits.", null),
        [RejectionCodes.GrantNotFound] = ("Grant not found", "A void or Stripe refund named a grant id this account does not have.",
            "List the account's grants with GET /v1/accounts/{id}/grants.", "Grant 'g-1' does not exist.", null),
        [RejectionCodes.GrantAlreadyVoided] = ("The grant is already void", "A void of a grant that was voided before (by an admin or a Stripe refund).",
            "Nothing to do.", "Grant 'g-1' is already void.", null),
        [RejectionCodes.ReservationNotFound] = ("Reservation not found", "A commit, release, extend, read or refund named a reservation id this account does not have.",
            "List the account's reservations with GET /v1/accounts/{id}/reservations.", "Reservation 'gen-1' does not exist.", null),
        [RejectionCodes.ReservationCommitted] = ("The reservation is already committed",
            "A release, extend, or a commit with another amount or receipt, after the reservation was committed (the same commit replays).",
            "Nothing to undo by release: refund what it consumed with POST /v1/accounts/{id}/refunds.",
            "Reservation 'gen-1' was already committed (350 credits).", new Dictionary<string, object?> { ["state"] = "committed" }),
        [RejectionCodes.ReservationReleased] = ("The reservation is already released", "A commit or extend after the reservation was released (the same release replays).",
            "Reserve again if the work still needs credits.", "Reservation 'gen-1' was already released.", new Dictionary<string, object?> { ["state"] = "released" }),
        [RejectionCodes.ReservationExpired] = ("The reservation has expired",
            "A commit, release or extend after the hold's ttl passed: its credits went back to the account.",
            "Reserve again (and extend long-running holds before half their ttl passes).", "Reservation 'gen-1' expired at 2026-12-01T09:05:00Z.",
            new Dictionary<string, object?> { ["state"] = "expired" }),
        [RejectionCodes.UsageNotFound] = ("Usage not found", "A refund named a usageId this account does not have.",
            "List the account's usage with GET /v1/accounts/{id}/usage-records.", "Usage 'u-1' does not exist.", null),
        [RejectionCodes.RefundExceedsConsumed] = ("Refund exceeds what was consumed",
            "A refund asks for more than what the commit or usage consumed, less what was already refunded.",
            "Refund at most the difference (consumed - refunded).", "At most 20 credits can still be refunded.",
            new Dictionary<string, object?> { ["consumed"] = 50, ["refunded"] = 30, ["requested"] = 25 }),
        [RejectionCodes.FeatureDisabled] = ("The feature is disabled for this account",
            "A reservation or usage named a feature the plan does not include, or ai during a payment grace period.",
            "Check GET /v1/accounts/{id}/entitlements; upgrade the plan or settle the payment.",
            "The 'webhooks' feature is not part of the 'starter' plan.", new Dictionary<string, object?> { ["feature"] = "webhooks" }),
        [RejectionCodes.AccountSuspended] = ("The account is suspended",
            "Spending (other than reports) on an account suspended after its grace period ended without payment.",
            "Pay the open invoice (invoice.paid restores it) or have an admin restore it.", "The account is suspended for non-payment.",
            new Dictionary<string, object?> { ["feature"] = "ai" }),
        [RejectionCodes.AccountFrozen] = ("Spending is frozen",
            "Spending after the velocity alarm froze the account (credits per hour above the plan's threshold).",
            "An admin reviews it and clears it with POST /v1/accounts/{id}/anomaly/clear.",
            "Spending is frozen after a usage anomaly until an administrator clears it.", null),
        [RejectionCodes.AmountOverLimit] = ("Amount over the plan's per-request limit",
            "One reservation, usage or commit asks for more than the plan's maxCreditsPerRequest.",
            "Split the work, or move the account to a plan with a higher limit (GET /v1/plans).",
            "At most 1000 credits per request on the 'free' plan.", new Dictionary<string, object?> { ["limit"] = 1000, ["requested"] = 5000 }),
        [RejectionCodes.AccountStateConflict] = ("The account is not in a state that allows this",
            "A grace, suspension, restore or anomaly change that does not apply to the account's status (e.g. ending a grace period it is not in).",
            "Read the status with GET /v1/accounts/{id}/entitlements.", "The account is active; cannot end grace.",
            new Dictionary<string, object?> { ["state"] = "active" }),
    };

    private static readonly Dictionary<string, ProblemType> ByRejection = Refusals.ToDictionary(
        r => r.Key.Name, r => new ProblemType(r.Key.Name, (int)r.Key.Kind, r.Value.Title, r.Value.When, r.Value.WhatToDo, r.Value.Detail, r.Value.Extensions));

    public static readonly ProblemType Validation = ByRejection[RejectionCodes.Validation.Name];

    /// <summary>The type of a domain refusal. A code without a page still answers its kind's status, titled by its name.</summary>
    public static ProblemType OfRejection(RejectionCode code) => ByRejection.TryGetValue(code.Name, out var type) && type.Status == (int)code.Kind
        ? type
        : new ProblemType(code.Name, (int)code.Kind, code.Name, "", "", "");

    /// <summary>Every documented type, in the order of this file: the request, who asks, idempotency, reads, Stripe, the service, then the domain's.</summary>
    public static IReadOnlyList<ProblemType> All { get; } = typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ProblemType) && f.Name != nameof(Validation)).Select(f => (ProblemType)f.GetValue(null)!)
        .Concat(RejectionCodes.All.Select(OfRejection))
        .ToList();

    /// <summary>Whether every domain code has its page (a test asserts it; <see cref="OfRejection"/> never fails either way).</summary>
    public static IEnumerable<RejectionCode> Undocumented => RejectionCodes.All.Where(c => !Refusals.ContainsKey(c));

    public static ProblemType? Find(string code) => All.FirstOrDefault(t => t.Code == code);
}
