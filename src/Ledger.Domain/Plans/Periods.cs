using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Plans;

/// <summary>Billing periods: each grants the plan's allowance as a block that expires at the period's end.</summary>
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
        if (state.Status == AccountStatus.Active)
            events.AddRange(Allowance(state, plan, period, at));
        return events;
    }

    /// <summary>The period's allowance, unless it was already granted (restores and Stripe renewals repeat safely).</summary>
    public static IReadOnlyList<object> Allowance(Account state, PlanTerms plan, BillingPeriod period, DateTimeOffset at) =>
        plan.Allowance > 0 && !state.Blocks.ContainsKey(period.AllowanceGrantId)
            ? [PlanGrant(state.Id, period.AllowanceGrantId, plan.Allowance, period.End, at, $"{plan.Id} allowance")]
            : [];

    public static CreditsGranted PlanGrant(string accountId, string grantId, long amount, DateTimeOffset expiresAt, DateTimeOffset at,
        string reason, int priority = 20) =>
        new(accountId, grantId, amount, GrantSource.Plan, priority, null, expiresAt, null, null, reason, at);
}
