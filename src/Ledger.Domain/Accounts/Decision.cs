namespace Ledger.Domain.Accounts;

/// <summary>
/// How a refusal answers a caller, as the HTTP status class it maps to one for one (the values are the statuses): a
/// code cannot exist without one, so no refusal can fall through to a server error.
/// </summary>
public enum RejectionKind
{
    /// <summary>The request is malformed or out of range.</summary>
    Invalid = 400,

    /// <summary>Not enough credits for the request.</summary>
    PaymentRequired = 402,

    /// <summary>The account's status or plan refuses the request.</summary>
    Forbidden = 403,

    /// <summary>What the request names does not exist.</summary>
    NotFound = 404,

    /// <summary>The request conflicts with the state it found (a resolved reservation, an id used for something else).</summary>
    Conflict = 409,

    /// <summary>Well formed, but a rule of the ledger forbids it.</summary>
    Unprocessable = 422,
}

/// <summary>A refusal's stable name (the problem type <c>/problems/{Name}</c>) and its kind.</summary>
public sealed record RejectionCode(string Name, RejectionKind Kind)
{
    public override string ToString() => Name;

    public static implicit operator string(RejectionCode code) => code.Name;
}

/// <summary>A business refusal, mapped by the host to an RFC 9457 problem whose type is <see cref="Code"/>.</summary>
public sealed record Rejection(RejectionCode Code, string Detail, IReadOnlyDictionary<string, object?>? Extensions = null)
{
    public RejectionKind Kind => Code.Kind;

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
    public static readonly RejectionCode Validation = new("validation", RejectionKind.Invalid);
    public static readonly RejectionCode AccountNotFound = new("account-not-found", RejectionKind.NotFound);
    public static readonly RejectionCode AccountExists = new("account-exists", RejectionKind.Conflict);
    public static readonly RejectionCode IdConflict = new("id-conflict", RejectionKind.Conflict);
    public static readonly RejectionCode InsufficientCredits = new("insufficient-credits", RejectionKind.PaymentRequired);
    public static readonly RejectionCode BalanceLimitExceeded = new("balance-limit-exceeded", RejectionKind.Unprocessable);
    public static readonly RejectionCode GrantNotFound = new("grant-not-found", RejectionKind.NotFound);
    public static readonly RejectionCode GrantAlreadyVoided = new("grant-already-voided", RejectionKind.Conflict);
    public static readonly RejectionCode ReservationNotFound = new("reservation-not-found", RejectionKind.NotFound);
    public static readonly RejectionCode ReservationCommitted = new("reservation-committed", RejectionKind.Conflict);
    public static readonly RejectionCode ReservationReleased = new("reservation-released", RejectionKind.Conflict);
    public static readonly RejectionCode ReservationExpired = new("reservation-expired", RejectionKind.Conflict);
    public static readonly RejectionCode UsageNotFound = new("usage-not-found", RejectionKind.NotFound);
    public static readonly RejectionCode RefundExceedsConsumed = new("refund-exceeds-consumed", RejectionKind.Unprocessable);
    public static readonly RejectionCode FeatureDisabled = new("feature-disabled", RejectionKind.Forbidden);
    public static readonly RejectionCode AccountSuspended = new("account-suspended", RejectionKind.Forbidden);
    public static readonly RejectionCode AccountFrozen = new("account-frozen", RejectionKind.Forbidden);
    public static readonly RejectionCode AmountOverLimit = new("amount-over-limit", RejectionKind.Unprocessable);
    public static readonly RejectionCode AccountStateConflict = new("account-state-conflict", RejectionKind.Conflict);

    /// <summary>Every code the domain can refuse with (a test checks each is documented and answers its kind's status).</summary>
    public static readonly IReadOnlyList<RejectionCode> All =
    [
        Validation, AccountNotFound, AccountExists, IdConflict, InsufficientCredits, BalanceLimitExceeded, GrantNotFound,
        GrantAlreadyVoided, ReservationNotFound, ReservationCommitted, ReservationReleased, ReservationExpired, UsageNotFound,
        RefundExceedsConsumed, FeatureDisabled, AccountSuspended, AccountFrozen, AmountOverLimit, AccountStateConflict,
    ];
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
