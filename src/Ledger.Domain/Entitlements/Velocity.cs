using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Entitlements;

/// <summary>
/// The velocity alarm: credits consumed in the last hour above the plan's threshold write
/// <see cref="UsageAnomalyFlagged"/> once (again only after an hour, or after an admin clears it),
/// freezing further spending if the plan says so.
/// </summary>
public static class Velocity
{
    public static IReadOnlyList<object> Check(Account state, PlanTerms? plan, DateTimeOffset now, IReadOnlyList<object> decided)
    {
        if (plan?.VelocityCreditsPerHour is not { } threshold) return [];
        if (!decided.Any(e => e is UsageRecorded or ReservationCommitted)) return [];
        if (state.AnomalyFlaggedAt is { } flagged && (state.SpendingFrozen || flagged > now.AddHours(-1))) return [];
        var lastHour = state.ConsumedInHourBefore(now);
        return lastHour > threshold
            ? [new UsageAnomalyFlagged(state.Id, lastHour, threshold, plan.VelocityFreezes, now)]
            : [];
    }
}
