using Ledger.Domain.Credits;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Accounts;

// Every event is an immutable fact on the account's own stream, named in the past tense, carrying
// the account id and the instant it took effect. Amounts that moved between blocks are listed as
// draws so a replay never has to re-run the drain order.

public sealed record AccountOpened(
    string AccountId, string Plan, string? StripeCustomerId,
    IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset OpenedAt);

public sealed record CreditsGranted(
    string AccountId, string GrantId, long Amount, GrantSource Source, int Priority,
    DateTimeOffset? EffectiveAt, DateTimeOffset? ExpiresAt, CostBasis? CostBasis,
    string? Reference, string? Reason, DateTimeOffset GrantedAt);

/// <summary>Credits of a void grant taken out of circulation; written again for a held part released later.</summary>
public sealed record GrantVoided(string AccountId, string GrantId, long Amount, string? Reason, DateTimeOffset VoidedAt);

/// <summary>
/// Part of a purchase was refunded: <see cref="RefundedMinor"/> of <see cref="ChargedMinor"/> so far (cumulative, as
/// the payment processor reports it). <see cref="Voided"/> credits were taken out of the block now, the same share of
/// it as of the money less what earlier refunds took; <see cref="NotRecovered"/> more were owed back but already
/// spent or held, so they stay spent.
/// </summary>
public sealed record PurchasePartlyRefunded(
    string AccountId, string GrantId, long RefundedMinor, long ChargedMinor, long Voided, long NotRecovered, string? Reason,
    DateTimeOffset RefundedAt);

/// <summary>Unspent, unheld credits of a block whose expiry passed; written again for a held part released later.</summary>
public sealed record GrantExpired(string AccountId, string GrantId, long Amount, DateTimeOffset ExpiredAt);

/// <summary>Credits moved from a live block into the overage block to pay back overage.</summary>
public sealed record OverageRepaid(string AccountId, string GrantId, long Amount, DateTimeOffset RepaidAt);

/// <summary>
/// At a period's end the overage still owed is settled without touching the next allowance: billed on the period's
/// invoice, or written off under fair use. The settled credits count as granted (paid by invoice, or given), so the
/// balance equation holds and the overage block is back to zero.
/// </summary>
public sealed record OverageSettled(
    string AccountId, long Amount, OverageSettlement Settlement, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd,
    DateTimeOffset SettledAt);

public sealed record CreditsReserved(
    string AccountId, string ReservationId, long Amount, IReadOnlyList<Draw> Draws, string? Feature,
    int TtlSeconds, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset ReservedAt);

public sealed record ReservationCommitted(
    string AccountId, string ReservationId, long Amount, long? RequestedAmount,
    IReadOnlyList<Draw> Consumed, IReadOnlyList<Draw> Released, string? ReceiptId,
    IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset CommittedAt);

public sealed record ReservationReleased(
    string AccountId, string ReservationId, IReadOnlyList<Draw> Released, string? Reason, DateTimeOffset ReleasedAt);

public sealed record ReservationExtended(
    string AccountId, string ReservationId, int TtlSeconds, DateTimeOffset ExpiresAt, DateTimeOffset ExtendedAt);

public sealed record ReservationExpired(
    string AccountId, string ReservationId, IReadOnlyList<Draw> Released, DateTimeOffset ExpiredAt);

public sealed record UsageRecorded(
    string AccountId, string UsageId, long Amount, IReadOnlyList<Draw> Draws, string? Feature,
    IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset RecordedAt);

public enum RefundSourceKind { Reservation, Usage }

/// <summary>Credits a commit or usage consumed, given back to the blocks that paid; <see cref="ConsumedAt"/>: when they were consumed.</summary>
public sealed record CreditsRefunded(
    string AccountId, string RefundId, RefundSourceKind SourceKind, string SourceId, long Amount,
    IReadOnlyList<Draw> Draws, string? Reason, DateTimeOffset RefundedAt, DateTimeOffset? ConsumedAt = null);

public static class AccountEvents
{
    public static readonly Type[] All =
    [
        typeof(AccountOpened), typeof(CreditsGranted), typeof(GrantVoided), typeof(PurchasePartlyRefunded), typeof(GrantExpired),
        typeof(OverageRepaid), typeof(OverageSettled), typeof(CreditsReserved), typeof(ReservationCommitted),
        typeof(ReservationReleased), typeof(ReservationExtended), typeof(ReservationExpired),
        typeof(UsageRecorded), typeof(CreditsRefunded),
        typeof(PeriodStarted), typeof(PlanChanged), typeof(GraceStarted), typeof(GraceEnded),
        typeof(AccountSuspended), typeof(AccountRestored), typeof(UsageAnomalyFlagged), typeof(UsageAnomalyCleared),
        typeof(GrantFrozen), typeof(GrantUnfrozen),
    ];

    /// <summary>The domain instant of an event (a late timer's expiry is dated when it fell due, not when it was written).</summary>
    public static DateTimeOffset? InstantOf(object e) => e switch
    {
        AccountOpened x => x.OpenedAt,
        CreditsGranted x => x.GrantedAt,
        GrantVoided x => x.VoidedAt,
        PurchasePartlyRefunded x => x.RefundedAt,
        GrantExpired x => x.ExpiredAt,
        OverageRepaid x => x.RepaidAt,
        OverageSettled x => x.SettledAt,
        CreditsReserved x => x.ReservedAt,
        ReservationCommitted x => x.CommittedAt,
        ReservationReleased x => x.ReleasedAt,
        ReservationExtended x => x.ExtendedAt,
        ReservationExpired x => x.ExpiredAt,
        UsageRecorded x => x.RecordedAt,
        CreditsRefunded x => x.RefundedAt,
        PeriodStarted x => x.StartedAt,
        PlanChanged x => x.ChangedAt,
        GraceStarted x => x.StartedAt,
        GraceEnded x => x.EndedAt,
        AccountSuspended x => x.SuspendedAt,
        AccountRestored x => x.RestoredAt,
        UsageAnomalyFlagged x => x.FlaggedAt,
        UsageAnomalyCleared x => x.ClearedAt,
        GrantFrozen x => x.FrozenAt,
        GrantUnfrozen x => x.UnfrozenAt,
        _ => null,
    };
}
