using Ledger.Domain.Credits;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Accounts;

/// <summary>
/// What the passing of time alone writes: holds past their ttl expire, dead blocks give up what
/// is left unheld in them, and fresh credits pay back overage. Reads apply the same events
/// virtually, so a timer that writes them later changes nothing a reader already saw.
/// </summary>
public static class CatchUp
{
    /// <summary>
    /// Replays time up to <paramref name="now"/> instant by instant, in order, so the events are those
    /// the durable timers would have written had each run on time: a late timer changes nothing.
    /// With the account's <paramref name="plan"/>, period ends renew the allowance and a grace period
    /// that ran out suspends the account.
    /// </summary>
    public static IReadOnlyList<object> To(Account account, DateTimeOffset now, PlanTerms? plan = null)
    {
        var events = new List<object>();
        var state = account;
        // Each pass runs time up to the next boundary (period end, grace end), then crosses it; bounded
        // so a clock far in the future cannot loop for ever (100 years of monthly periods).
        for (var pass = 0; pass < 1200; pass++)
        {
            var boundary = NextBoundary(state, now, plan);
            foreach (var instant in Instants(state, boundary ?? now, inclusive: boundary is null))
                state = Step(state, events, instant);
            if (boundary is not { } at) break;
            var crossed = Cross(state, at, plan!);
            state = state.Then(crossed);
            events.AddRange(crossed);
            // What the crossing changed settles at its instant (a renewal pays back overage then), as a timer on time would.
            state = Step(state, events, at);
        }
        events.AddRange(Settle(state, now));
        return events;
    }

    private static Account Step(Account state, List<object> events, DateTimeOffset instant)
    {
        var id = state.Id;
        var expiredHolds = state.Holds.Values
            .Where(h => h.HasExpiredAt(instant))
            .OrderBy(h => h.ExpiresAt).ThenBy(h => h.ReservationId, StringComparer.Ordinal)
            .Select(h => (object)new ReservationExpired(id, h.ReservationId, h.Draws, h.ExpiresAt))
            .ToList();
        state = state.Then(expiredHolds);
        var settled = Settle(state, instant);
        events.AddRange(expiredHolds);
        events.AddRange(settled);
        return state.Then(settled);
    }

    private static DateTimeOffset? NextBoundary(Account state, DateTimeOffset now, PlanTerms? plan)
    {
        DateTimeOffset? periodEnd = plan is not null && state.Period is { } p && p.End <= now ? p.End : null;
        DateTimeOffset? graceEnd = state.Status == AccountStatus.Grace && state.GraceEndsAt is { } g && g <= now ? g : null;
        return (periodEnd, graceEnd) switch
        {
            (null, null) => null,
            ({ } a, null) => a,
            (null, { } b) => b,
            ({ } a, { } b) => a <= b ? a : b,
        };
    }

    /// <summary>
    /// Crossing a period end settles the overage owed as the plan says (billed or forgiven, never taken from the
    /// new allowance) and renews the allowance (with rollover); crossing a grace end suspends.
    /// </summary>
    private static IReadOnlyList<object> Cross(Account state, DateTimeOffset at, PlanTerms plan)
    {
        if (state.Status == AccountStatus.Grace && state.GraceEndsAt == at)
            return Entitlements.Features.Suspend(state, "grace period ended without payment", at);

        var period = state.Period!;
        var unused = state.Blocks.Values
            .Where(b => b.Source == GrantSource.Plan && b.ExpiresAt == period.End && !b.IsVoided && !b.IsFrozen)
            .Sum(b => Math.Max(0, b.Unheld));
        var debt = state.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) ? overage.Debt : 0;
        var next = new BillingPeriod(period.End, PlanTerms.PeriodEnd(period.End));
        var renewal = Periods.Start(state, plan, next, at, state.Status == AccountStatus.Active ? plan.Carry(unused) : 0);
        return debt > 0 && plan.SettleOverageAtPeriodEnd is { } settlement
            ? [new OverageSettled(state.Id, debt, settlement, period.Start, period.End, at), .. renewal]
            : renewal;
    }

    /// <summary>
    /// The instants up to <paramref name="now"/> at which time alone may change something: open holds
    /// reaching their ttl, blocks with credits in them expiring, and (while overage is owed) blocks taking effect.
    /// </summary>
    private static IEnumerable<DateTimeOffset> Instants(Account account, DateTimeOffset now, bool inclusive)
    {
        var owes = account.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) && overage.Debt > 0;
        return account.Holds.Values.Select(h => h.ExpiresAt)
            .Concat(account.Blocks.Values
                .Where(b => !b.IsOverage && !b.IsVoided && b.Remaining > 0)
                .SelectMany(b => new[] { b.ExpiresAt, owes ? b.EffectiveAt : null })
                .OfType<DateTimeOffset>())
            .Where(t => inclusive ? t <= now : t < now)
            .Distinct()
            .Order();
    }

    /// <summary>Retires what dead blocks hold unheld, then repays overage from live blocks in drain order.</summary>
    public static IReadOnlyList<object> Settle(Account account, DateTimeOffset now)
    {
        var retired = account.Blocks.Values
            .Where(b => !b.IsOverage && b.IsDeadAt(now) && b.Unheld > 0)
            .OrderBy(b => b.GrantId, StringComparer.Ordinal)
            .Select(b => b.IsVoided
                ? (object)new GrantVoided(account.Id, b.GrantId, b.Unheld, "held credits released after the void", now)
                : new GrantExpired(account.Id, b.GrantId, b.Unheld, now))
            .ToList();
        var state = account.Then(retired);
        if (!state.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) || overage.Debt == 0)
            return retired;

        var debt = overage.Debt;
        var repaid = new List<object>();
        foreach (var block in DrainOrder.Sort(state.Blocks.Values.Where(b => !b.IsOverage && b.IsSpendableAt(now))))
        {
            if (debt == 0) break;
            var amount = Math.Min(debt, block.Unheld);
            repaid.Add(new OverageRepaid(account.Id, block.GrantId, amount, now));
            debt -= amount;
        }
        return [.. retired, .. repaid];
    }
}
