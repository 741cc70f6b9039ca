using Ledger.Api.Http;

namespace Ledger.Api.Stripe;

/// <summary>Problem types of the Stripe endpoints; their pages live in the one catalog, <see cref="ProblemTypes"/>.</summary>
public static class StripeProblems
{
    public static readonly ProblemType InvalidSignature = ProblemTypes.InvalidSignature;
    public static readonly ProblemType NotConfigured = ProblemTypes.StripeNotConfigured;
    public static readonly ProblemType StripeError = ProblemTypes.StripeError;
    public static readonly ProblemType StripeUnavailable = ProblemTypes.StripeUnavailable;
    public static readonly ProblemType EventNotFound = ProblemTypes.StripeEventNotFound;
    public static readonly ProblemType NotReplayable = ProblemTypes.StripeEventNotReplayable;

    public static IResult Result(ProblemType type, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        Problems.Result(type, detail, extensions);
}
