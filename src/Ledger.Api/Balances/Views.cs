using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Projections.ReadModel;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;

namespace Ledger.Api.Balances;

public sealed record BlockView(
    string GrantId, string Source, int Priority, long Amount, long Remaining, long Held, long Consumed,
    long Refunded, long Expired, long Voided, DateTimeOffset GrantedAt, DateTimeOffset? EffectiveAt,
    DateTimeOffset? ExpiresAt, string Status, CostBasis? CostBasis, string? Reference, string? Reason)
{
    public static BlockView From(CreditBlock b, DateTimeOffset now) => new(
        b.GrantId, b.IsOverage ? "overage" : b.Source.ToString().ToLowerInvariant(), b.Priority, b.Amount, b.Remaining, b.Held,
        b.Consumed, b.Refunded, b.Expired, b.Voided, b.GrantedAt, b.EffectiveAt, b.ExpiresAt,
        b.IsVoided ? "voided" : b.HasExpiredAt(now) ? "expired" : !b.IsEffectiveAt(now) ? "scheduled" : b.Remaining == 0 ? "spent" : "active",
        b.CostBasis, b.Reference, b.Reason);
}

public sealed record BalanceView(
    string AccountId, DateTimeOffset AsOf, long Version, long Granted, long Consumed, long Expired, long Voided,
    long Refunded, long Reserved, long Available, long Overage, long Upcoming, long Frozen, IReadOnlyList<BlockView> Blocks)
{
    /// <summary>The balance of a reading (<see cref="AccountReadModel.At"/>): what time alone did by then is already counted.</summary>
    public static BalanceView From(AccountReading reading)
    {
        var (state, at, b) = (reading.State, reading.At, reading.Balance);
        var blocks = DrainOrder.Sort(state.Blocks.Values).Select(x => BlockView.From(x, at)).ToList();
        return new BalanceView(state.Id, at, state.Version, b.Granted, b.Consumed, b.Expired, b.Voided, b.Refunded,
            b.Reserved, b.Available, b.Overage, b.Upcoming, b.Frozen, blocks);
    }
}

public sealed record AccountView(
    string AccountId, string Plan, string Status, string? StripeCustomerId, IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset OpenedAt, long Version, BalanceView Balance)
{
    public static AccountView From(AccountReading reading)
    {
        var state = reading.State;
        return new AccountView(state.Id, state.Plan, reading.Status, state.StripeCustomerId, state.Metadata,
            state.OpenedAt, state.Version, BalanceView.From(reading));
    }
}

public sealed record ReservationView(
    string ReservationId, string AccountId, string Status, long Amount, string? Feature, int TtlSeconds,
    DateTimeOffset ReservedAt, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string>? Metadata,
    IReadOnlyList<Draw> Held, long? Committed, IReadOnlyList<Draw>? Consumed, long? Released, long? Variance,
    string? ReceiptId, IReadOnlyDictionary<string, string>? CommitMetadata, string? ReleaseReason,
    DateTimeOffset? ResolvedAt, long Refunded)
{
    /// <summary>A pending hold whose ttl passed reads as expired at once, before its timer writes the event.</summary>
    public static ReservationView From(ReservationRecord r, DateTimeOffset now)
    {
        var expiredNow = r.Status == ReservationStatus.Pending && r.ExpiresAt <= now;
        var status = expiredNow ? ReservationStatus.Expired : r.Status;
        var committed = status == ReservationStatus.Committed;
        return new ReservationView(r.ReservationId, r.AccountId, status.ToString().ToLowerInvariant(), r.Amount, r.Feature,
            r.TtlSeconds, r.ReservedAt, r.ExpiresAt, r.Metadata, r.Held,
            committed ? r.Committed : null, committed ? r.Consumed : null,
            status == ReservationStatus.Pending ? null : expiredNow ? r.Amount : r.ReleasedAmount,
            committed ? r.Variance : null, r.ReceiptId, r.CommitMetadata, r.ReleaseReason,
            expiredNow ? r.ExpiresAt : r.ResolvedAt, r.Refunded);
    }
}

public sealed record UsageView(
    string UsageId, string AccountId, long Amount, string? Feature, IReadOnlyDictionary<string, string>? Metadata,
    IReadOnlyList<Draw> Draws, DateTimeOffset RecordedAt, long Refunded)
{
    public static UsageView From(UsageRecord u) => new(u.UsageId, u.AccountId, u.Amount, u.Feature, u.Metadata, u.Draws, u.RecordedAt, u.Refunded);
}

public sealed record RefundView(
    string RefundId, string AccountId, string? ReservationId, string? UsageId, long Amount, IReadOnlyList<Draw> Draws,
    string? Reason, DateTimeOffset RefundedAt)
{
    public static RefundView From(RefundRecord f) => new(f.RefundId, f.AccountId,
        f.SourceKind == RefundSourceKind.Reservation ? f.SourceId : null, f.SourceKind == RefundSourceKind.Usage ? f.SourceId : null,
        f.Amount, f.Draws, f.Reason, f.RefundedAt);
}
