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
            // Each step may give credits to a block (a release, a returned repayment): the next instant is looked for afresh.
            for (var after = DateTimeOffset.MinValue; NextInstant(state, after, boundary ?? now, inclusive: boundary is null) is { } instant; after = instant)
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
    /// The first instant after <paramref name="after"/> and up to <paramref name="until"/> at which time alone may change
    /// something: an open hold reaching its ttl, a block with credits in it expiring, and (while overage is owed) a
    /// block taking effect.
    /// </summary>
    private static DateTimeOffset? NextInstant(Account account, DateTimeOffset after, DateTimeOffset until, bool inclusive)
    {
        var owes = account.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) && overage.Debt > 0;
        DateTimeOffset? next = null;
        void Consider(DateTimeOffset? t)
        {
            if (t is { } at && at > after && (inclusive ? at <= until : at < until) && (next is null || at < next)) next = at;
        }
        foreach (var hold in account.Holds.Values) Consider(hold.ExpiresAt);
        foreach (var block in account.Blocks.Values)
        {
            if (block.IsOverage || block.IsVoided || block.Remaining <= 0) continue;
            Consider(block.ExpiresAt);
            if (owes) Consider(block.EffectiveAt);
        }
        return next;
    }

    /// <summary>
    /// Puts every credit where the rules say it belongs, in this order: overage credits a refund gave back return to
    /// the blocks that had repaid that overage; dead blocks give up what they hold unheld; credits a partial refund of
    /// a purchase still claims are taken as they come free; then live blocks repay overage, in drain order.
    /// </summary>
    public static IReadOnlyList<object> Settle(Account account, DateTimeOffset now)
    {
        var events = new List<object>();
        var state = account;
        void Add(IEnumerable<object> more)
        {
            var list = more.ToList();
            events.AddRange(list);
            state = state.Then(list);
        }

        Add(ReturnRepayments(state, now));
        Add(state.Blocks.Values
            .Where(b => !b.IsOverage && b.IsDeadAt(now) && b.Unheld > 0)
            .OrderBy(b => b.GrantId, StringComparer.Ordinal)
            .Select(b => b.IsVoided
                ? (object)new GrantVoided(account.Id, b.GrantId, b.Unheld, "held credits released after the void", now)
                : new GrantExpired(account.Id, b.GrantId, b.Unheld, now)));
        Add(state.Blocks.Values
            .Where(b => !b.IsOverage && b.RefundOwed > 0 && b.Unheld > 0)
            .OrderBy(b => b.GrantId, StringComparer.Ordinal)
            .Select(b => new RefundedCreditsReclaimed(account.Id, b.GrantId, Math.Min(b.RefundOwed, b.Unheld), now)));
        Add(Repay(state, now));
        return events;
    }

    /// <summary>Overage credits beyond what is owed (a refund of overage already repaid) go back to the blocks that repaid it.</summary>
    private static IEnumerable<object> ReturnRepayments(Account state, DateTimeOffset now)
    {
        if (!state.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) || overage.Unheld <= 0 || overage.OverageRepayments <= 0)
            yield break;
        var surplus = Math.Min(overage.Unheld, overage.OverageRepayments);
        foreach (var block in DrainOrder.Sort(state.Blocks.Values.Where(b => b.RepaidOverage > 0)).Reverse())
        {
            if (surplus == 0) yield break;
            var amount = Math.Min(surplus, block.RepaidOverage);
            yield return new OverageRepaymentReturned(state.Id, block.GrantId, amount, now);
            surplus -= amount;
        }
    }

    private static IEnumerable<object> Repay(Account state, DateTimeOffset now)
    {
        if (!state.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) || overage.Debt == 0) yield break;
        var debt = overage.Debt;
        foreach (var block in DrainOrder.Sort(state.Blocks.Values.Where(b => !b.IsOverage && b.IsSpendableAt(now))))
        {
            if (debt == 0) yield break;
            var amount = Math.Min(debt, block.Unheld);
            yield return new OverageRepaid(state.Id, block.GrantId, amount, now);
            debt -= amount;
        }
    }
}
