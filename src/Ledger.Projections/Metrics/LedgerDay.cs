using Ledger.Domain.Accounts;

namespace Ledger.Projections.Metrics;

/// <summary>
/// What happened across every account on one UTC day (<see cref="Id"/> is <c>yyyy-MM-dd</c>), each event counted on the
/// day of its own instant (<see cref="AccountEvents.InstantOf"/>, ADR 12). Built by <see cref="LedgerDayProjection"/>.
/// </summary>
public sealed class LedgerDay
{
    public string Id { get; set; } = "";
    /// <summary>Credits of <see cref="CreditsGranted"/> events.</summary>
    public long Granted { get; set; }
    /// <summary>Credits of <see cref="ReservationCommitted"/> and <see cref="UsageRecorded"/> events.</summary>
    public long Consumed { get; set; }
    /// <summary>Credits of <see cref="GrantExpired"/> events.</summary>
    public long Expired { get; set; }
    /// <summary>Credits of <see cref="GrantVoided"/> and <see cref="RefundedCreditsReclaimed"/> events and the voided part of <see cref="PurchasePartlyRefunded"/>.</summary>
    public long Voided { get; set; }
    /// <summary>Credits of <see cref="CreditsRefunded"/> events.</summary>
    public long Refunded { get; set; }
    public long ReservationsOpened { get; set; }
    public long ReservationsCommitted { get; set; }
    public long ReservationsReleased { get; set; }
    public long ReservationsExpired { get; set; }
    /// <summary>Holds of the reservations committed this day (the caller's estimate).</summary>
    public long Estimated { get; set; }
    /// <summary>What those commits consumed (the real cost).</summary>
    public long Actual { get; set; }
    public long AccountsOpened { get; set; }
    /// <summary>Purchase revenue: the cost basis of purchase grants, in minor units per lower-case currency.</summary>
    public Dictionary<string, long> Revenue { get; set; } = new(StringComparer.Ordinal);

    public static string KeyOf(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A commit with the hold it resolved (<see cref="Held"/>, from its reservation record): the event alone cannot tell a
/// commit of exactly the hold from one that drew an excess. Substituted for the commit by <see cref="LedgerDayProjection"/>.
/// </summary>
public sealed record CommitMeasured(ReservationCommitted Commit, long Held);
