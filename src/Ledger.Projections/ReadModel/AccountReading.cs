using Ledger.Domain.Accounts;
using Ledger.Domain.Entitlements;
using Ledger.Domain.Plans;

namespace Ledger.Projections.ReadModel;

/// <summary>
/// The one place that turns an account's stored state into what a reader sees at an instant (ADR 40): the inline
/// projection stores what does not depend on the clock (<see cref="Account"/>), and this function adds what time alone
/// did since (holds past their ttl, blocks past their expiry, a period that ended and renewed, a grace period that ran
/// out) under the account's plan. Balance, quota, entitlements, the account and its grants all read from it, now,
/// <c>asOf</c> an instant or at a version.
/// </summary>
public static class AccountReadModel
{
    public static AccountReading At(Account account, DateTimeOffset at, PlanTerms plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var state = account.Then(CatchUp.To(account, at, plan));
        return new AccountReading(state, at, plan, Balance.Sum(state, at));
    }
}

/// <summary>An account as time leaves it at <see cref="At"/>: the caught-up <see cref="State"/> and its sums.</summary>
public sealed record AccountReading(Account State, DateTimeOffset At, PlanTerms Plan, Balance Balance)
{
    /// <summary><c>active</c>, <c>grace</c>, <c>suspended</c>, or <c>frozen</c> (active with spending frozen by an anomaly).</summary>
    public string Status => State.Status != AccountStatus.Active ? State.Status.ToString().ToLowerInvariant()
        : State.SpendingFrozen ? "frozen" : "active";

    public bool IsOn(string feature) => Features.IsOn(State, Plan.Features, feature);

    public QuotaReading Quota
    {
        get
        {
            var used = State.PeriodConsumed;
            var allowance = Plan.Allowance;
            var percent = allowance > 0 ? (int)Math.Min(10_000, used * 100 / allowance) : 0;
            return new QuotaReading(State.Period?.Start, State.Period?.End, allowance, used, Math.Max(0, allowance - used), percent, Balance.Overage);
        }
    }
}

/// <summary>The period's allowance and what it consumed net of refunds, from every source; overage owed in credits.</summary>
public sealed record QuotaReading(
    DateTimeOffset? PeriodStart, DateTimeOffset? PeriodEnd, long Allowance, long Used, long Remaining, int UsedPercent, long Overage);
