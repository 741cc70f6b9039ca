using Ledger.Api.Http;
using Microsoft.AspNetCore.Mvc;

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

    public static readonly IReadOnlyDictionary<string, (int Status, string Title)> Catalog = new Dictionary<string, (int, string)>
    {
        [InvalidSignature] = (400, "The Stripe-Signature header is missing, wrong or stale"),
        [NotConfigured] = (503, "Stripe is not configured on this service"),
        [StripeError] = (502, "Stripe refused the request"),
        [StripeUnavailable] = (502, "Stripe could not be reached"),
        [EventNotFound] = (404, "No such Stripe event"),
        [NotReplayable] = (409, "Only parked or failed Stripe events can be replayed"),
    };

    public static IResult Result(string code, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var (status, title) = Catalog[code];
        var problem = new ProblemDetails { Type = Problems.TypeFor(code), Title = title, Status = status, Detail = detail };
        if (extensions is not null)
            foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        return Problems.AsResult(problem);
    }
}
