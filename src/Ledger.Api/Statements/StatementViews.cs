using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Api.Statements;

/// <summary>
/// The account's sums after a movement (or at a period's bound). Always
/// <c>available + reserved + frozen = granted - consumed - expired - voided + refunded</c>; <c>overage</c> is the negative
/// part of <c>available</c> still owed, <c>upcoming</c> what grants effective later will bring.
/// </summary>
public sealed record RunningBalance(
    long Available, long Reserved, long Frozen, long Overage, long Granted, long Consumed, long Expired, long Voided,
    long Refunded, long Upcoming)
{
    public static readonly RunningBalance Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static RunningBalance From(Balance b) => new(
        b.Available, b.Reserved, b.Frozen, b.Overage, b.Granted, b.Consumed, b.Expired, b.Voided, b.Refunded, b.Upcoming);
}

/// <summary>The balance at a bound of the period, counting what happened before that instant; <c>version</c> is the last event counted.</summary>
public sealed record StatementBound(DateTimeOffset At, long Version, RunningBalance Balance);

/// <summary>
/// One movement. <c>type</c> is the event's type (as in <c>GET /events</c>), or <c>grant_took_effect</c> when a grant
/// with a later <c>effectiveAt</c> began to count (no event marks that); <c>version</c> is null for what time alone did
/// and no event had yet recorded when the period ended (an expiry its timer had not yet written). <c>at</c> is the
/// instant the movement took effect. <c>draws</c> are the blocks it drew from or returned to; <c>released</c> is what a
/// commit gave back from its hold.
/// </summary>
public sealed record StatementRow(
    string Type, long? Version, DateTimeOffset At, long Amount, long? Released, string? GrantId, string? Source,
    string? ReservationId, string? UsageId, string? RefundId, string? Feature, IReadOnlyList<Draw>? Draws,
    CostBasis? CostBasis, string? Reference, string? Reason, RunningBalance Balance);

/// <summary>Opening balance, every movement of [from, to) in order with the balance after it, closing balance.</summary>
public sealed record StatementView(
    string AccountId, DateTimeOffset From, DateTimeOffset To, StatementBound Opening, IReadOnlyList<StatementRow> Movements,
    StatementBound Closing);

/// <summary>
/// Credits consumed in one bucket (usage and commits), refunded (refunds dated in the bucket, under the feature of
/// what they refund) and the net. <c>day</c> (UTC) and <c>feature</c> are null when the series is not grouped by them;
/// a null <c>feature</c> in a series grouped by feature is consumption that named none.
/// </summary>
public sealed record UsageBucket(DateOnly? Day, string? Feature, long Consumed, long Refunded, long Net);

public sealed record UsageSeriesView(
    string AccountId, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> GroupBy, IReadOnlyList<UsageBucket> Buckets,
    long Consumed, long Refunded, long Net);
