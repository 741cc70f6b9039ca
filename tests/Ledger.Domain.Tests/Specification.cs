using System.Collections.Immutable;
using System.Text.Json;
using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;
using Shouldly;

namespace Ledger.Domain.Tests;

/// <summary>
/// Given (past events) / When (a command at an instant) / Then (the events written, or the rejection).
/// Every <c>When</c> runs <see cref="AccountDecider.Handle"/>; an accepted outcome becomes the state the
/// next <c>When</c> starts from, so a story can go on. Every <c>Then</c> also checks that the balance
/// equation holds and that replaying the whole history from scratch gives the same state.
/// </summary>
public sealed class Specification
{
    private readonly List<object> history = [];
    private Account? account;
    private AccountRecords records;
    private Account? before;
    private AccountRecords? recordsBefore;
    private Outcome? outcome;

    private Specification(object[] events)
    {
        history.AddRange(events);
        account = Account.Replay(events);
        records = AccountRecords.Empty.Then(events);
    }

    public static Specification Given(params object[] events) => new(events);

    public DateTimeOffset Now { get; private set; }

    /// <summary>The plan every later <c>When</c> and read runs on (the host passes the account's plan terms).</summary>
    public PlanTerms? Plan { get; private set; }

    /// <summary>From here on, commands and reads run on <paramref name="plan"/>, whose overage rule applies.</summary>
    public Specification On(PlanTerms? plan)
    {
        Plan = plan;
        return this;
    }

    /// <summary>
    /// Runs <paramref name="command"/> at <paramref name="now"/>; on a plan, overage is the plan's unless
    /// <paramref name="allowOverage"/> asks for it.
    /// </summary>
    public Specification When(IAccountCommand command, DateTimeOffset now, bool allowOverage = false)
    {
        before = account;
        recordsBefore = records;
        Now = now;
        var context = new DecisionContext(now, allowOverage || Plan?.AllowOverage == true, Plan);
        outcome = AccountDecider.Handle(account, records, command, context);
        if (outcome.Decision is Decision.Accepted)
        {
            history.AddRange(outcome.Events);
            account = outcome.Account;
            records = outcome.Known;
        }
        return this;
    }

    /// <summary>The command was accepted and wrote exactly these events, in this order (time's catch-up included).</summary>
    public Specification Then(params object[] expected)
    {
        Outcome.Decision.ShouldBeOfType<Decision.Accepted>(Describe(Outcome.Decision));
        Show(Outcome.Events).ShouldBe(Show(expected));
        return Consistent();
    }

    /// <summary>The command was refused with <paramref name="code"/>: no event at all, not even time's, and nothing changed.</summary>
    public Specification ThenRejected(RejectionCode code)
    {
        var rejected = Outcome.Decision.ShouldBeOfType<Decision.Rejected>(Describe(Outcome.Decision));
        rejected.Rejection.Code.ShouldBe(code, Describe(Outcome.Decision));
        Outcome.Events.ShouldBeEmpty();
        Outcome.Account.ShouldBeSameAs(before);
        Outcome.Known.ShouldBeSameAs(recordsBefore);
        return this;
    }

    /// <summary>The same request was already applied: nothing new is written.</summary>
    public Specification ThenReplayed()
    {
        Outcome.Decision.ShouldBeOfType<Decision.Replayed>(Describe(Outcome.Decision));
        Outcome.Events.ShouldBeEmpty();
        Outcome.Account.ShouldBeSameAs(before);
        Outcome.Known.ShouldBeSameAs(recordsBefore);
        return this;
    }

    public Outcome Outcome => outcome ?? throw new InvalidOperationException("When(...) was not called.");
    public Rejection Rejection => ((Decision.Rejected)Outcome.Decision).Rejection;
    public Account State => account ?? throw new InvalidOperationException("No account.");
    public AccountRecords Records => records;
    public IReadOnlyList<object> History => history;

    /// <summary>The read view at the instant of the last command.</summary>
    public Balance Balance => BalanceAt(Now);

    /// <summary>The read view at <paramref name="at"/>: time (and, on a plan, period ends and grace end) applied virtually.</summary>
    public Balance BalanceAt(DateTimeOffset at) => Balance.Sum(ViewAt(at), at);

    /// <summary>The account as a read at <paramref name="at"/> sees it, nothing written.</summary>
    public Account ViewAt(DateTimeOffset at) => State.Then(CatchUp.To(State, at, Plan));

    /// <summary>Checks the balance equation now and that a replay of the whole history gives the same state.</summary>
    public Specification Consistent()
    {
        var balance = Balance;
        balance.IsConsistent.ShouldBeTrue(balance.ToString());
        balance.Reserved.ShouldBeGreaterThanOrEqualTo(0);
        Canonical.Of(Account.Replay(history)!).ShouldBe(Canonical.Of(State));
        return this;
    }

    private static List<string> Show(IEnumerable<object> events) => events.Select(Canonical.Event).ToList();

    private static string Describe(Decision decision) => decision is Decision.Rejected r
        ? $"rejected {r.Rejection.Code}: {r.Rejection.Detail}"
        : decision.ToString();
}

/// <summary>Value-based text forms of events and states: records holding lists or immutable dictionaries compare by reference.</summary>
public static class Canonical
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static string Event(object e) => $"{e.GetType().Name} {JsonSerializer.Serialize(e, e.GetType(), Options)}";

    /// <summary>The account with blocks and holds in key order; <see cref="Account.Version"/> is the host's stream version, not state.</summary>
    public static string Of(Account account)
    {
        var json = JsonSerializer.SerializeToNode(Bare(account), Options)!.AsObject();
        json["Blocks"] = JsonSerializer.SerializeToNode(account.Blocks.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value), Options);
        json["Holds"] = JsonSerializer.SerializeToNode(account.Holds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value), Options);
        return json.ToJsonString(Options);
    }

    /// <summary>Everything in the account but its blocks, holds and version.</summary>
    public static string Rest(Account account) => JsonSerializer.Serialize(Bare(account), Options);

    private static Account Bare(Account account) => account with
    {
        Blocks = ImmutableDictionary<string, CreditBlock>.Empty, Holds = ImmutableDictionary<string, PendingHold>.Empty, Version = 0,
    };
}
