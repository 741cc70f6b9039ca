using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Plans;

/// <summary>
/// Billing periods: each grants the plan's allowance as a block that expires at the period's end. Within one period,
/// allowances and prorations together never grant more than the allowance of the most generous plan held in it: the
/// account keeps the allowance level it reached (<see cref="Account.PeriodAllowance"/>) and a move to a more generous
/// plan grants only the rise above that level, prorated over what is left of the period (docs/adr/0009).
/// </summary>
public static class Periods
{
    /// <summary>
    /// Starts <paramref name="period"/>: the allowance is granted only while the account is active
    /// (grace and suspension withhold it until payment restores the account); <paramref name="carry"/>
    /// is the rollover, spent before the new allowance.
    /// </summary>
    public static IReadOnlyList<object> Start(Account state, PlanTerms plan, BillingPeriod period, DateTimeOffset at, long carry)
    {
        var events = new List<object> { new PeriodStarted(state.Id, plan.Id, period.Start, period.End, at) };
        if (carry > 0)
            events.Add(PlanGrant(state.Id, period.RolloverGrantId, carry, period.End, at, "rollover from the previous period", priority: 19));
        if (state.Status == AccountStatus.Active && plan.Allowance > 0)
            events.AddRange(Allowance(state.Id, plan, period, at));
        return events;
    }

    /// <summary>
    /// What the period still owes the account on <paramref name="plan"/> now that it is active: the whole allowance
    /// if it was <paramref name="withheld"/> (the period began in grace or suspension and payment arrived), otherwise
    /// the rise from the level already granted to this plan's allowance, prorated over what is left of the period.
    /// </summary>
    public static IReadOnlyList<object> TopUp(Account state, PlanTerms plan, DateTimeOffset at, bool withheld, string reason)
    {
        if (state.Status != AccountStatus.Active || state.Period is not { } period || at >= period.End) return [];
        if (withheld)
            return plan.Allowance > 0 && !state.Blocks.ContainsKey(period.AllowanceGrantId) ? [.. Allowance(state.Id, plan, period, at)] : [];
        var amount = Prorate(plan.Allowance - state.PeriodAllowance, period, at);
        // a grant id is never granted twice (it would replace the block and its history)
        if (amount <= 0 || state.Blocks.ContainsKey(period.ProrationGrantId(plan.Id))) return [];
        return [PlanGrant(state.Id, period.ProrationGrantId(plan.Id), amount, period.End, at, reason, level: plan.Allowance)];
    }

    /// <summary>
    /// floor(<paramref name="difference"/> × time left / the cycle's length), in exact integer arithmetic: the cycle is the
    /// period itself, or the month a first period cut short by a billing cycle anchor is the tail of.
    /// </summary>
    public static long Prorate(long difference, BillingPeriod period, DateTimeOffset at)
    {
        if (difference <= 0 || at >= period.End) return 0;
        // Exact integer arithmetic: a double rounds e.g. 84 × 17/28 (= 51) down to 50.
        var length = (period.End - period.CycleStart).Ticks;
        var left = Math.Clamp((period.End - at).Ticks, 0, length);
        return (long)((Int128)difference * left / length);
    }

    /// <summary>The period's allowance: the plan's, prorated when the period is the short tail of a cycle (an anchored first period).</summary>
    public static long AllowanceFor(PlanTerms plan, BillingPeriod period) => Prorate(plan.Allowance, period, period.Start);

    private static IEnumerable<CreditsGranted> Allowance(string accountId, PlanTerms plan, BillingPeriod period, DateTimeOffset at)
    {
        var amount = AllowanceFor(plan, period);
        if (amount > 0) yield return PlanGrant(accountId, period.AllowanceGrantId, amount, period.End, at, $"{plan.Id} allowance", level: plan.Allowance);
    }

    public static CreditsGranted PlanGrant(string accountId, string grantId, long amount, DateTimeOffset expiresAt, DateTimeOffset at,
        string reason, int priority = 20, long? level = null) =>
        new(accountId, grantId, amount, GrantSource.Plan, priority, null, expiresAt, null, null, reason, at, level);
}
