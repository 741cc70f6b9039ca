using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Plans;

/// <summary>
/// Moves the account to another plan now. An upgrade grants the difference in allowance prorated
/// over what is left of the period (expiring with it); a downgrade takes nothing back and the new
/// allowance applies from the next period (docs/adr/0009).
/// </summary>
public sealed record ChangePlan(PlanTerms To, PlanTerms? From, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Plan == To.Id) return Decision.Replay;
        var events = new List<object> { new PlanChanged(account.Id, account.Plan, To.Id, Reason, context.Now) };
        var proration = Prorated(account, context.Now);
        // One proration per target plan and period: upgrading again after a downgrade grants nothing twice.
        if (proration > 0 && account.Period is { } period && account.Status == AccountStatus.Active
            && !account.Blocks.ContainsKey(period.ProrationGrantId(To.Id)))
            events.Add(Periods.PlanGrant(account.Id, period.ProrationGrantId(To.Id), proration, period.End, context.Now,
                $"proration: {account.Plan} to {To.Id}"));
        if (account.Period is null)
        {
            var first = new BillingPeriod(context.Now, PlanTerms.PeriodEnd(context.Now));
            events.AddRange(Periods.Start(account.Then(events), To, first, context.Now, carry: 0));
        }
        return new Decision.Accepted(events);
    }

    public long Prorated(Account account, DateTimeOffset now)
    {
        if (From is null || account.Period is not { } p || To.Allowance <= From.Allowance || now >= p.End) return 0;
        // Exact integer arithmetic: a double rounds e.g. 84 × 17/28 (= 51) down to 50.
        var length = (p.End - p.Start).Ticks;
        var left = Math.Clamp((p.End - now).Ticks, 0, length);
        return (long)((Int128)(To.Allowance - From.Allowance) * left / length);
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
