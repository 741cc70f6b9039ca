namespace Ledger.Domain.Accounts;

/// <summary>A request to change one account; deciding it is a pure function of state, known records and context.</summary>
public interface IAccountCommand
{
    Decision Decide(Account? account, AccountRecords known, DecisionContext context);
}

/// <summary>Asks only that time catch up (hold and grant expiry timers).</summary>
public sealed record CatchUpTime : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context) =>
        account is null ? Decision.Reject(Rejection.AccountNotFound("?")) : Decision.Accept();
}

/// <summary>The result of handling a command: what was decided, every event to append, and the state after them.</summary>
public sealed record Outcome(Decision Decision, IReadOnlyList<object> Events, Account? Account, AccountRecords Known);

public static class AccountDecider
{
    /// <summary>
    /// Catches time up, decides, then settles (retires credits returned to dead blocks, repays overage)
    /// and checks the invariants. Time's events are written only along with an accepted command.
    /// </summary>
    public static Outcome Handle(Account? account, AccountRecords known, IAccountCommand command, DecisionContext context)
    {
        var now = context.Now;
        var caughtUp = account is null ? [] : CatchUp.To(account, now, context.Plan);
        var state = account?.Then(caughtUp);
        var records = known.Then(caughtUp);

        var decision = command.Decide(state, records, context);
        if (decision is not Decision.Accepted accepted)
            return new Outcome(decision, [], account, known);

        var afterCommand = Account.Replay(accepted.Events, state)
            ?? throw new LedgerInvariantViolated("an accepted command left no account");
        var settled = CatchUp.Settle(afterCommand, now);
        var afterSettle = afterCommand.Then(settled);
        IReadOnlyList<object> alarm = Entitlements.Velocity.Check(afterSettle, context.Plan, now, accepted.Events);
        var afterAlarm = afterSettle.Then(alarm);
        // threshold alerts are decided on the state the write leaves (docs/adr/0030)
        var alerts = Alerts.AlertCheck.Check(afterAlarm, (command as Plans.ChangePlan)?.To ?? context.Plan, now);
        settled = [.. settled, .. alarm, .. alerts];
        var finalState = afterAlarm.Then(alerts);
        Invariants.Check(finalState, now);

        IReadOnlyList<object> events = [.. caughtUp, .. accepted.Events, .. settled];
        return new Outcome(decision, events, finalState with { Version = (account?.Version ?? 0) + events.Count },
            records.Then(accepted.Events).Then(settled));
    }
}

internal static class Same
{
    public static bool Metadata(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0)) return false;
        return a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    /// <summary>Names of the fields whose values differ, for an id-conflict answer.</summary>
    public static List<string> Differing(params (string Field, bool Same)[] fields) =>
        fields.Where(f => !f.Same).Select(f => f.Field).ToList();
}
