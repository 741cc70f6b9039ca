using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Plans;

/// <summary>
/// Moves the account to another plan now (docs/adr/0009). A move to a plan with a larger allowance than the period
/// has granted so far grants the difference prorated over what is left of the period (expiring with it); a move down
/// takes nothing back, and moving up again grants only what rises above the period's level, so no journey through
/// plans grants more in one period than the most generous plan held in it. Overage owed is settled as the plan left
/// says (ADR 11); on a move to a plan without overage, the overage open holds took is settled with it, so such a plan
/// never shows credits below zero.
/// </summary>
public sealed record ChangePlan(PlanTerms To, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Plan == To.Id) return Decision.Replay;
        var now = context.Now;
        var events = new List<object> { new PlanChanged(account.Id, account.Plan, To.Id, Reason, now) };
        if (Settlement(account, context.Plan, now) is { } settled) events.Add(settled);
        var after = account.Then(events);
        if (account.Period is null)
            events.AddRange(Periods.Start(after, To, new BillingPeriod(now, PlanTerms.PeriodEnd(now)), now, carry: 0));
        else
            events.AddRange(Periods.TopUp(after, To, now, withheld: false, $"proration: {account.Plan} to {To.Id}"));
        return new Decision.Accepted(events);
    }

    /// <summary>
    /// The overage to settle on leaving <paramref name="from"/>: its debt, as it says; moving to a plan without overage,
    /// also what open holds took as overage (written off when the plan left is unknown or has no rule).
    /// </summary>
    private OverageSettled? Settlement(Account account, PlanTerms? from, DateTimeOffset now)
    {
        if (!account.Blocks.TryGetValue(CreditBlock.OverageId, out var overage)) return null;
        var how = from?.SettleOverageAtPeriodEnd;
        var amount = To.AllowOverage ? (how is null ? 0 : overage.Debt) : Math.Max(0, -overage.Unheld);
        return amount > 0
            ? new OverageSettled(account.Id, amount, how ?? OverageSettlement.WrittenOff, account.Period?.Start ?? account.OpenedAt,
                now, now)
            : null;
    }
}

/// <summary>A card dispute opened on what bought this grant: its unheld credits stop being spendable.</summary>
public sealed record FreezeGrant(string GrantId, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        return block.IsFrozen ? Decision.Replay : Decision.Accept(new GrantFrozen(account.Id, GrantId, Reason, context.Now));
    }
}

public sealed record UnfreezeGrant(string GrantId, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        return !block.IsFrozen ? Decision.Replay : Decision.Accept(new GrantUnfrozen(account.Id, GrantId, Reason, context.Now));
    }
}
