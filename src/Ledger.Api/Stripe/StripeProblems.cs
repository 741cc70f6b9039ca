using Ledger.Api.Http;

namespace Ledger.Api.Stripe;

/// <summary>Problem types of the Stripe endpoints (relative <c>/problems/{code}</c> URIs, as every other problem).</summary>
public static class StripeProblems
{
    public const string InvalidSignature = "invalid-signature";
    public const string NotConfigured = "stripe-not-configured";
    public const string StripeError = "stripe-error";
    public const string StripeUnavailable = "stripe-unavailable";
    public const string EventNotFound = "stripe-event-not-found";
    public const string NotReplayable = "stripe-event-not-replayable";

    /// <summary>Answers a Stripe problem; titles and statuses live in the one catalog, <see cref="Problems"/>.</summary>
    public static IResult Result(string code, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        Problems.Result(code, detail, extensions);
}
