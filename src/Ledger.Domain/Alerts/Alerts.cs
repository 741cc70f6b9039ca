using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Alerts;

/// <summary>The operator alerts a write can cross into (DESIGN "Operator webhooks and alerts").</summary>
public static class AlertKinds
{
    public const string BalanceLow = "balance.low";
    public const string BalanceDepleted = "balance.depleted";
    public const string QuotaWarning = "quota.warning";
    public const string QuotaExhausted = "quota.exhausted";

    public static readonly IReadOnlyList<string> Thresholds = [BalanceLow, BalanceDepleted, QuotaWarning, QuotaExhausted];
}

/// <summary>
/// A plan's alert thresholds: <see cref="LowBalance"/> credits (an account may set its own), and the share of the
/// period's allowance used that warns (<see cref="QuotaWarningPercent"/>; exhausted at 100 %). Depletion
/// (available at or below zero) alerts whenever the plan has alert terms.
/// </summary>
public sealed record AlertTerms(long? LowBalance = null, int QuotaWarningPercent = 80);

/// <summary>
/// Threshold alerts are level conditions decided in the same step as the write that changes them: a condition that
/// becomes true raises its alert once (<see cref="OperatorAlertRaised"/>); one that stops holding re-arms it
/// (<see cref="OperatorAlertCleared"/>). Both are events, so a retried request or a second node never raises twice.
/// </summary>
public static class AlertCheck
{
    public static IReadOnlyList<object> Check(Account state, PlanTerms? plan, DateTimeOffset now)
    {
        var terms = plan?.Alerts;
        var low = state.LowBalanceThreshold ?? terms?.LowBalance;
        if (terms is null && low is null && (state.ActiveAlerts?.Count ?? 0) == 0) return [];

        var available = Balance.Sum(state, now).Available;
        var allowance = plan?.Allowance ?? 0;
        var holding = new Dictionary<string, (long Value, long Threshold)>(StringComparer.Ordinal);
        if (low is > 0 && available < low) holding[AlertKinds.BalanceLow] = (available, low.Value);
        if (terms is not null && available <= 0) holding[AlertKinds.BalanceDepleted] = (available, 0);
        if (terms is not null && allowance > 0 && state.Period is not null)
        {
            // exact: used / allowance >= percent / 100; the threshold shown is the first whole credit that reaches it
            if ((Int128)state.PeriodConsumed * 100 >= (Int128)allowance * terms.QuotaWarningPercent)
                holding[AlertKinds.QuotaWarning] = (state.PeriodConsumed, (long)(((Int128)allowance * terms.QuotaWarningPercent + 99) / 100));
            if (state.PeriodConsumed >= allowance) holding[AlertKinds.QuotaExhausted] = (state.PeriodConsumed, allowance);
        }

        var active = state.ActiveAlerts ?? [];
        var events = new List<object>();
        foreach (var kind in AlertKinds.Thresholds)
        {
            var holds = holding.TryGetValue(kind, out var level);
            if (holds && !active.Contains(kind))
                events.Add(new OperatorAlertRaised(state.Id, kind, level.Value, level.Threshold, now));
            else if (!holds && active.Contains(kind))
                events.Add(new OperatorAlertCleared(state.Id, kind, now));
        }
        return events;
    }
}

/// <summary>An account's own low-balance threshold (null: its plan's). Admin command.</summary>
public sealed record SetLowBalanceThreshold(long? Threshold) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (Threshold is < 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("lowBalance", $"lowBalance must be between 0 and {Limits.MaxAmount}, or null."));
        return account.LowBalanceThreshold == Threshold
            ? Decision.Replay
            : Decision.Accept(new LowBalanceThresholdSet(account.Id, Threshold, context.Now));
    }
}
