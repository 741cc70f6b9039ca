using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Entitlements;

internal static class Status
{
    public static Rejection Conflict(Account account, string wanted) => new(RejectionCodes.AccountStateConflict,
        $"The account is {account.Status.ToString().ToLowerInvariant()}{(account.SpendingFrozen ? " and frozen" : "")}; cannot {wanted}.",
        new Dictionary<string, object?> { ["state"] = account.Status.ToString().ToLowerInvariant() });
}

/// <summary>A payment failed: <c>ai</c> goes off at once and its open holds are released.</summary>
public sealed record StartGrace(string? Reason, DateTimeOffset? EndsAt = null) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Status == AccountStatus.Grace) return Decision.Replay;
        if (account.Status != AccountStatus.Active) return Decision.Reject(Status.Conflict(account, "start a grace period"));
        if (EndsAt is { } end && (end <= context.Now || end > context.Now.AddDays(Limits.MaxGraceDays)))
            return Decision.Reject(Rejection.Invalid("endsAt", $"A grace period must end later than now and within {Limits.MaxGraceDays} days."));
        var endsAt = EndsAt ?? context.Now.AddDays(context.Plan?.GraceDays ?? 14);
        var started = new GraceStarted(account.Id, Reason, endsAt, context.Now);
        return new Decision.Accepted([started, .. Features.ReleaseHoldsTurnedOff(account.Then([started]),
            "released: payment grace period started", context.Now)]);
    }
}

/// <summary>Payment arrived during grace: everything is restored, and the period's withheld allowance granted.</summary>
public sealed record EndGrace(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Status != AccountStatus.Grace) return Decision.Reject(Status.Conflict(account, "end a grace period"));
        return Restoring.Restore(account, new GraceEnded(account.Id, Reason, context.Now), context);
    }
}

public sealed record SuspendAccount(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Status == AccountStatus.Suspended) return Decision.Reject(Status.Conflict(account, "suspend"));
        return new Decision.Accepted(Features.Suspend(account, Reason ?? "suspended by an administrator", context.Now));
    }
}

public sealed record RestoreAccount(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Status == AccountStatus.Active) return Decision.Reject(Status.Conflict(account, "restore"));
        return Restoring.Restore(account, new AccountRestored(account.Id, Reason, context.Now), context);
    }
}

public sealed record ClearAnomaly(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.AnomalyFlaggedAt is null && !account.SpendingFrozen) return Decision.Reject(Status.Conflict(account, "clear an anomaly (none is flagged)"));
        return Decision.Accept(new UsageAnomalyCleared(account.Id, Reason, context.Now));
    }
}

internal static class Restoring
{
    /// <summary>Payment restores the account: the period's allowance if it was withheld, or the rise to the current plan's allowance.</summary>
    public static Decision Restore(Account account, object restored, DecisionContext context)
    {
        var after = account.Then([restored]);
        IReadOnlyList<object> allowance = context.Plan is { } plan
            ? Periods.TopUp(after, plan, context.Now, account.AllowanceWithheld, $"proration: {plan.Id} allowance on payment")
            : [];
        return new Decision.Accepted([restored, .. allowance]);
    }
}

/// <summary>
/// An invoice was paid: an account in grace or suspended is restored (with the period's withheld allowance); on an
/// active account it changes nothing. Allowances come from periods and plan changes, never from a payment alone, so a
/// subscription invoice after a plan change cannot grant the new plan's allowance a second time.
/// </summary>
public sealed record RecordInvoicePaid(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        return account.Status switch
        {
            AccountStatus.Grace => Restoring.Restore(account, new GraceEnded(account.Id, Reason, context.Now), context),
            AccountStatus.Suspended => Restoring.Restore(account, new AccountRestored(account.Id, Reason, context.Now), context),
            _ => Decision.Replay,
        };
    }
}
