namespace Ledger.Domain.Accounts;

/// <summary>A business refusal, mapped by the host to an RFC 9457 problem whose type is <see cref="Code"/>.</summary>
public sealed record Rejection(string Code, string Detail, IReadOnlyDictionary<string, object?>? Extensions = null)
{
    public static Rejection AccountNotFound(string accountId) => new(RejectionCodes.AccountNotFound, $"Account '{accountId}' does not exist.");

    public static Rejection IdConflict(string kind, string id, IReadOnlyList<string> fields) => new(
        RejectionCodes.IdConflict,
        $"{kind} '{id}' already exists with different {string.Join(", ", fields)}.",
        new Dictionary<string, object?> { ["fields"] = fields });

    public static Rejection Invalid(string field, string message) => new(
        RejectionCodes.Validation, message,
        new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });
}

public static class RejectionCodes
{
    public const string Validation = "validation";
    public const string AccountNotFound = "account-not-found";
    public const string AccountExists = "account-exists";
    public const string IdConflict = "id-conflict";
    public const string InsufficientCredits = "insufficient-credits";
    public const string BalanceLimitExceeded = "balance-limit-exceeded";
    public const string GrantNotFound = "grant-not-found";
    public const string GrantAlreadyVoided = "grant-already-voided";
    public const string ReservationNotFound = "reservation-not-found";
    public const string ReservationCommitted = "reservation-committed";
    public const string ReservationReleased = "reservation-released";
    public const string ReservationExpired = "reservation-expired";
    public const string UsageNotFound = "usage-not-found";
    public const string RefundExceedsConsumed = "refund-exceeds-consumed";
    public const string FeatureDisabled = "feature-disabled";
    public const string AccountSuspended = "account-suspended";
    public const string AccountFrozen = "account-frozen";
    public const string AmountOverLimit = "amount-over-limit";
    public const string AccountStateConflict = "account-state-conflict";
    public const string GrantFrozen = "grant-frozen";
}

/// <summary>The outcome of one command: new events, a replay of an identical earlier request, or a rejection.</summary>
public abstract record Decision
{
    public sealed record Accepted(IReadOnlyList<object> Events) : Decision;

    /// <summary>The same id and body was already applied: nothing new happens and the first result is answered.</summary>
    public sealed record Replayed : Decision;

    public sealed record Rejected(Rejection Rejection) : Decision;

    public static Decision Accept(params object[] events) => new Accepted(events);
    public static readonly Decision Replay = new Replayed();
    public static Decision Reject(Rejection rejection) => new Rejected(rejection);
}

/// <summary>What a decision may depend on besides the state: the instant, and whether the plan bills overage.</summary>
public sealed record DecisionContext(DateTimeOffset Now, bool AllowOverage = false, Plans.PlanTerms? Plan = null);
