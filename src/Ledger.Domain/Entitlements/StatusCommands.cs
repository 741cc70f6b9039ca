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
        var endsAt = EndsAt ?? context.Now.AddDays(context.Plan?.GraceDays ?? 14);
        var started = new GraceStarted(account.Id, Reason, endsAt, context.Now);
        return new Decision.Accepted([started, .. Features.ReleaseHoldsTurnedOff(account.Then([started]), null,
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
    public static Decision Restore(Account account, object restored, DecisionContext context)
    {
        var after = account.Then([restored]);
        IReadOnlyList<object> allowance = context.Plan is { } plan && after.Period is { } period && period.End > context.Now
            ? Periods.Allowance(after, plan, period, context.Now)
            : [];
        return new Decision.Accepted([restored, .. allowance]);
    }
}

/// <summary>
/// An invoice was paid: the period's allowance is granted if it is still missing, and an account in
/// grace or suspended is restored. Repeats change nothing.
/// </summary>
public sealed record RecordInvoicePaid(string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (account.Status == AccountStatus.Grace)
            return Restoring.Restore(account, new GraceEnded(account.Id, Reason, context.Now), context);
        if (account.Status == AccountStatus.Suspended)
            return Restoring.Restore(account, new AccountRestored(account.Id, Reason, context.Now), context);
        var allowance = context.Plan is { } plan && account.Period is { } period
            ? Periods.Allowance(account, plan, period, context.Now)
            : [];
        return allowance.Count == 0 ? Decision.Replay : new Decision.Accepted(allowance);
    }
}
