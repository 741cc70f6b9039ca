using Ledger.Domain.Credits;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Accounts;

// Every event is an immutable fact on the account's own stream, named in the past tense, carrying
// the account id and the instant it took effect. Amounts that moved between blocks are listed as
// draws so a replay never has to re-run the drain order.

public sealed record AccountOpened(
    string AccountId, string Plan, string? StripeCustomerId,
    IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset OpenedAt);

/// <summary>
/// A credit block. For a plan allowance or proration, <see cref="AllowanceLevel"/> is the period's allowance (in
/// full-period credits) the grant brings the account to: later upgrades in the same period grant only the prorated
/// rise above it, so a period never grants more than its most generous plan (docs/adr/0009).
/// </summary>
public sealed record CreditsGranted(
    string AccountId, string GrantId, long Amount, GrantSource Source, int Priority,
    DateTimeOffset? EffectiveAt, DateTimeOffset? ExpiresAt, CostBasis? CostBasis,
    string? Reference, string? Reason, DateTimeOffset GrantedAt, long? AllowanceLevel = null);

/// <summary>Credits of a void grant taken out of circulation; written again for a held part released later.</summary>
public sealed record GrantVoided(string AccountId, string GrantId, long Amount, string? Reason, DateTimeOffset VoidedAt);

/// <summary>
/// Part of a purchase was refunded: <see cref="RefundedMinor"/> of <see cref="ChargedMinor"/> so far (cumulative, as
/// the payment processor reports it). The credits owed back are the same share of the block as of the money, less
/// what earlier refunds claimed: <see cref="Voided"/> were taken out of the block now; <see cref="Held"/> are held by
/// open reservations and are taken back as those release them; <see cref="NotRecovered"/> were already spent and
/// stay spent, unless a refund of usage returns credits to the block (then those are taken back).
/// Both later takings are <see cref="RefundedCreditsReclaimed"/> events.
/// </summary>
public sealed record PurchasePartlyRefunded(
    string AccountId, string GrantId, long RefundedMinor, long ChargedMinor, long Voided, long NotRecovered, string? Reason,
    DateTimeOffset RefundedAt, long Held = 0);

/// <summary>Credits a partial refund of the purchase still claimed, taken back as they came free in its block.</summary>
public sealed record RefundedCreditsReclaimed(string AccountId, string GrantId, long Amount, DateTimeOffset ReclaimedAt);

/// <summary>Unspent, unheld credits of a block whose expiry passed; written again for a held part released later.</summary>
public sealed record GrantExpired(string AccountId, string GrantId, long Amount, DateTimeOffset ExpiredAt);

/// <summary>Credits moved from a live block into the overage block to pay back overage.</summary>
public sealed record OverageRepaid(string AccountId, string GrantId, long Amount, DateTimeOffset RepaidAt);

/// <summary>
/// Overage a block had repaid was given back (a refund of the usage that ran into overage): the credits return to
/// the block that repaid it instead of staying in the overage block.
/// </summary>
public sealed record OverageRepaymentReturned(string AccountId, string GrantId, long Amount, DateTimeOffset ReturnedAt);

/// <summary>
/// Overage still owed is settled without touching the next allowance: billed on the period's invoice, or written off
/// under fair use. At a period's end (<see cref="SettledAt"/> = <see cref="PeriodEnd"/>) it is the period's debt; at a
/// change to a plan without overage (<see cref="PeriodEnd"/> = the change) it is the debt and the overage open holds
/// took, settled as the plan left says. The settled credits count as granted (paid by invoice, or given), so the
/// balance equation holds and the overage block owes nothing.
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
        typeof(OverageRepaid), typeof(OverageRepaymentReturned), typeof(RefundedCreditsReclaimed), typeof(OverageSettled), typeof(CreditsReserved), typeof(ReservationCommitted),
        typeof(ReservationReleased), typeof(ReservationExtended), typeof(ReservationExpired),
        typeof(UsageRecorded), typeof(CreditsRefunded),
        typeof(PeriodStarted), typeof(PlanChanged), typeof(GraceStarted), typeof(GraceEnded),
        typeof(AccountSuspended), typeof(AccountRestored), typeof(UsageAnomalyFlagged), typeof(UsageAnomalyCleared),
        typeof(GrantFrozen), typeof(GrantUnfrozen), typeof(OperatorAlertRaised), typeof(OperatorAlertCleared), typeof(LowBalanceThresholdSet),
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
        OverageRepaymentReturned x => x.ReturnedAt,
        RefundedCreditsReclaimed x => x.ReclaimedAt,
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
        OperatorAlertRaised x => x.RaisedAt,
        OperatorAlertCleared x => x.ClearedAt,
        LowBalanceThresholdSet x => x.SetAt,
        _ => null,
    };
}
