using Ledger.Domain.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Http;

/// <summary>
/// RFC 9457 problem details with a stable <c>type</c> per problem: <c>/problems/{code}</c>,
/// resolved against the service's own URL (each type is documented at that address).
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static string TypeFor(string code) => $"/problems/{code}";

    private static readonly Dictionary<string, (int Status, string Title)> Known = new()
    {
        ["validation"] = (400, "The request is invalid"),
        ["malformed-request"] = (400, "The request body could not be read"),
        ["unsupported-media-type"] = (415, "The request body must be JSON"),
        ["payload-too-large"] = (413, "The request body is too large"),
        ["not-found"] = (404, "No such resource"),
        ["method-not-allowed"] = (405, "Method not allowed"),
        ["unauthorized"] = (401, "Authentication required"),
        ["forbidden"] = (403, "The API key lacks the required scope"),
        ["key-bound-to-account"] = (403, "The API key is bound to one account and this endpoint reaches across accounts"),
        ["idempotency-key-reused"] = (422, "Idempotency-Key reused with a different request"),
        ["request-in-progress"] = (409, "A request with this Idempotency-Key is still running"),
        ["concurrency-conflict"] = (409, "The account changed concurrently; retry the request"),
        ["service-unavailable"] = (503, "The service is temporarily unavailable"),
        ["internal-error"] = (500, "Internal error"),
        [RejectionCodes.Validation] = (400, "The request is invalid"),
        [RejectionCodes.AccountNotFound] = (404, "Account not found"),
        [RejectionCodes.AccountExists] = (409, "The account exists with another plan"),
        [RejectionCodes.IdConflict] = (409, "The id is already used by a different request"),
        [RejectionCodes.InsufficientCredits] = (402, "Insufficient credits"),
        [RejectionCodes.BalanceLimitExceeded] = (422, "Balance limit exceeded"),
        [RejectionCodes.GrantNotFound] = (404, "Grant not found"),
        [RejectionCodes.GrantAlreadyVoided] = (409, "The grant is already void"),
        [RejectionCodes.ReservationNotFound] = (404, "Reservation not found"),
        [RejectionCodes.ReservationCommitted] = (409, "The reservation is already committed"),
        [RejectionCodes.ReservationReleased] = (409, "The reservation is already released"),
        [RejectionCodes.ReservationExpired] = (409, "The reservation has expired"),
        [RejectionCodes.UsageNotFound] = (404, "Usage not found"),
        [RejectionCodes.RefundExceedsConsumed] = (422, "Refund exceeds what was consumed"),
        ["plan-not-found"] = (400, "Unknown plan"),
        [RejectionCodes.FeatureDisabled] = (403, "The feature is disabled for this account"),
        [RejectionCodes.AccountSuspended] = (403, "The account is suspended"),
        [RejectionCodes.AccountFrozen] = (403, "Spending is frozen"),
        [RejectionCodes.AmountOverLimit] = (422, "Amount over the plan's per-request limit"),
        [RejectionCodes.AccountStateConflict] = (409, "The account is not in a state that allows this"),
        ["rate-limited"] = (429, "Too many requests"),
        ["invalid-signature"] = (400, "The Stripe signature is missing, invalid or stale"),
        ["stripe-not-configured"] = (503, "Stripe is not configured"),
        ["stripe-error"] = (502, "Stripe refused the request"),
        ["stripe-unavailable"] = (502, "Stripe could not be reached"),
        ["stripe-event-not-found"] = (404, "Stripe event not found"),
        ["stripe-event-not-replayable"] = (409, "The Stripe event cannot be replayed in its state"),
        ["auth-throttled"] = (429, "Too many failed authentication attempts"),
        ["api-key-not-found"] = (404, "API key not found"),
    };

    public static IReadOnlyDictionary<string, (int Status, string Title)> Catalog => Known;

    public static ProblemDetails Create(string code, string detail, IReadOnlyDictionary<string, object?>? extensions = null, int? status = null)
    {
        var (knownStatus, title) = Known.TryGetValue(code, out var k) ? k : (500, code);
        var problem = new ProblemDetails { Type = TypeFor(code), Title = title, Status = status ?? knownStatus, Detail = detail };
        if (extensions is not null)
            foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        return problem;
    }

    public static IResult Result(string code, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        AsResult(Create(code, detail, extensions));

    /// <summary>A decision's refusal: its status is its kind's, whatever the catalog says.</summary>
    public static IResult From(Rejection rejection) =>
        AsResult(Create(rejection.Code.Name, rejection.Detail, rejection.Extensions, status: (int)rejection.Kind));

    public static IResult Validation(IDictionary<string, string[]> errors) => AsResult(Create("validation",
        "One or more fields are invalid.", new Dictionary<string, object?> { ["errors"] = errors }));

    public static IResult AsResult(ProblemDetails problem) =>
        Results.Json(problem, statusCode: problem.Status, contentType: ContentType);

    public static Task Write(HttpContext context, string code, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        return AsResult(Create(code, detail, extensions)).ExecuteAsync(context);
    }
}
