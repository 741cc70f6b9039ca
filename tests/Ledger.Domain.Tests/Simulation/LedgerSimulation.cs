using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using CsCheck;
using Ledger.Domain.Alerts;
using Ledger.Domain.Entitlements;
using Ledger.Domain.Grants;

namespace Ledger.Domain.Tests.Simulation;

/// <summary>
/// Thousands of random command sequences against one account (2,000 sequences of 1-60 steps, about
/// 60,000 steps, in a few seconds), checking every rule after every step against an independent model.
/// Each sequence opens on a random plan (allowance, none as on pay-as-you-go; overage blocked, invoiced,
/// written off as under fair use, or left to the next credits; features, rollover, velocity alarm, max per
/// request, trial, grace days; now and then none, as for a plan the host does not know) and moves between
/// it and two more in any order, as admins and Stripe subscription events do; time steps go from a second to
/// two months, so periods renew and grace runs out. Grace, suspension, freezes, disputes and partial refunds
/// of purchases interleave with open holds.
///
/// Each run draws a fresh random seed. On a failure CsCheck shrinks the sequence to a small one and
/// reports it with its seed: <c>Set seed: "&lt;seed&gt;" or -e CsCheck_Seed=&lt;seed&gt;</c>; the message also
/// carries the trace of commands, decisions and events. To replay exactly that sequence:
/// <code>
/// LEDGER_SIM_SEED=&lt;seed&gt; dotnet run --project tests/Ledger.Domain.Tests -- -class '*LedgerSimulation'
/// </code>
/// <c>LEDGER_SIM_ITER=200000</c> runs a longer soak.
/// </summary>
public sealed class LedgerSimulation(ITestOutputHelper output)
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("LEDGER_SIM_ITER"), out var n) ? n : 2000;

    /// <summary>A seed to replay: exactly that one sequence runs (CsCheck_Seed instead starts the whole run from it).</summary>
    private static readonly string? Seed = Environment.GetEnvironmentVariable("LEDGER_SIM_SEED") is { Length: > 0 } seed ? seed : null;

    private static readonly Gen<Step> StepGen = Gen.Select(Gen.Int[0, Step.Kinds - 1], Gen.Int[0, 999], Gen.Int[0, 999], Gen.Int[0, 999])
        .Select((kind, a, b, c) => new Step(kind, a, b, c));

    private static readonly Gen<PlanPick> PlanGen = Gen.Select(Gen.Int[0, 999], Gen.Int[0, 999], Gen.Int[0, 999])
        .Select((a, b, c) => new PlanPick(a, b, c));

    private static readonly Gen<PlanPick[]> PlansGen = PlanGen.Array[World.Plans, World.Plans];

    /// <summary>Rejection codes the domain never gives, so the run cannot be asked to reach them.</summary>
    private static readonly string[] Unreachable =
    [
        RejectionCodes.BalanceLimitExceeded, // 10^18 granted in all: a thousand grants of the largest amount
        RejectionCodes.AccountNotFound, // every sequence opens its account first
    ];

    [Fact]
    public void Random_command_sequences_keep_every_ledger_rule()
    {
        long sequences = 0, steps = 0, accepted = 0, rejected = 0, replayed = 0;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var clock = Stopwatch.StartNew();

        Gen.Select(PlansGen, StepGen.Array[1, 60]).Sample(
            (plans, program) =>
            {
                var world = new World(plans);
                world.Run(program);
                Interlocked.Increment(ref sequences);
                Interlocked.Add(ref steps, program.Length);
                Interlocked.Add(ref accepted, world.Accepted);
                Interlocked.Add(ref rejected, world.Rejected);
                Interlocked.Add(ref replayed, world.Replayed);
                foreach (var (what, count) in world.Seen) seen.AddOrUpdate(what, count, (_, c) => c + count);
            },
            writeLine: output.WriteLine,
            seed: Seed,
            iter: Seed is null ? Iterations : 1,
            print: t => $"plans=[{string.Join(" ", t.Item1)}] program=[{string.Join(" ", t.Item2)}]");

        output.WriteLine($"{sequences} sequences, {steps} steps ({accepted} accepted, {rejected} rejected, {replayed} replayed) in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(string.Join(", ", seen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));

        // The generator must keep reaching every kind of event and refusal, or the checks above prove little.
        if (Seed is not null || Iterations < 1000) return; // replaying one sequence, or a short run
        replayed.ShouldBeGreaterThan(0);
        var codes = RejectionCodes.All.Select(c => c.Name).Except(Unreachable);
        var mustSee = AccountEvents.All.Select(t => t.Name).Concat(codes).Concat(World.Milestones);
        mustSee.Where(what => !seen.ContainsKey(what)).ShouldBeEmpty();
    }
}

/// <summary>One random step; the numbers are read against the world's state when it runs, so shrinking keeps steps meaningful.</summary>
public readonly record struct Step(int Kind, int A, int B, int C)
{
    public const int Kinds = 33;
    public override string ToString() => $"{Kind}:{A}/{B}/{C}";
}

/// <summary>A random plan, read from three numbers so that shrinking moves towards the plainest plan.</summary>
public readonly record struct PlanPick(int A, int B, int C)
{
    private static readonly long[] Allowances = [0, 50, 200, 1_000, 5_000];
    private static readonly long[] Trials = [0, 0, 100];
    private static readonly int[] GraceDays = [1, 3, 14];
    private static readonly (long Min, long Max)[] Rollovers = [(0, 0), (0, 30), (10, 40), (0, long.MaxValue)];
    private static readonly (long? PerHour, bool Freezes)[] Alarms = [(null, false), (100, false), (100, true), (250, false), (250, true)];
    private static readonly long[] MaxPerRequest = [Limits.MaxAmount, Limits.MaxAmount, 100, 60];
    private static readonly AlertTerms?[] Alerts = [null, new(LowBalance: 50), new(LowBalance: null, QuotaWarningPercent: 80), new(LowBalance: 150, QuotaWarningPercent: 33)];

    public bool AllowOverage => C / 20 % 2 == 1;

    /// <summary>Overage owed at a period's end: left for the next credits to repay, invoiced, or written off.</summary>
    private OverageSettlement? Settlement => AllowOverage ? (C / 40 % 3) switch { 1 => OverageSettlement.Invoiced, 2 => OverageSettlement.WrittenOff, _ => null } : null;

    /// <summary>No terms: the account's plan is one the host does not know (no periods, features or limits).</summary>
    public bool IsUnknown => A / 36 % 6 == 5;

    public PlanTerms Terms(string id)
    {
        var mask = B % 16 < 12 ? 7 : B % 8; // most plans have every feature (and 0 shrinks to that)
        string[] features = [.. new[] { Features.Ai, "sync", Features.Reports }.Where((_, i) => (mask & (1 << i)) != 0)];
        var (min, max) = Rollovers[B / 16 % 4];
        var (perHour, freezes) = Alarms[C % 5];
        return new PlanTerms(id, Allowances[A % 5], AllowOverage, MaxPerRequest[C / 5 % 4], features, min, max, perHour, freezes,
            Trials[A / 4 % 3], GraceDays[A / 12 % 3], Settlement, Alerts[B / 64 % Alerts.Length]);
    }

    public override string ToString() => $"{A}/{B}/{C}";
}

/// <summary>The account under test, an independent model of its totals, its plan's period and status, and every check.</summary>
internal sealed class World
{
    private static readonly int[] Ttls = [1, 5, 30, 60, 60, 120, 299, 300, 300, 300, 301, 600, 900, 1800, 3600, 7200, 86400, 0, 86401, -1];
    // Grant lifetimes, ttls and time steps share one scale so blocks expire under holds, holds expire
    // under blocks, and several timers fall due within one step.
    private static readonly int[] Lifetimes = [1, 30, 60, 61, 120, 299, 300, 301, 600, 1800, 3600, 3601, 7200, 86400, 2 * 86400];
    private static readonly int[] TimeSteps = [1, 2, 10, 59, 60, 61, 299, 300, 301, 1800, 3600, 7200, 86400, 3 * 86400];
    // Steps that cross period ends (monthly) and grace ends (1, 3 or 14 days), one or several at once.
    private static readonly int[] LongSteps = [2 * 86400, 5 * 86400, 10 * 86400, 20 * 86400, 29 * 86400, 31 * 86400, 45 * 86400, 62 * 86400];
    private static readonly string?[] FeatureNames = [null, Features.Ai, "sync", Features.Reports, null, Features.Ai, "sync", "webhooks"];

    /// <summary>Situations (not events or codes) the run must reach too: see <see cref="Milestone"/>.</summary>
    public static readonly string[] Milestones =
    [
        "~rollover", "~proration", "~restored-allowance", "~restored-proration", "~grace-hold-released", "~suspension-hold-released",
        "~alarm-frozen", "~settled-at-change", "~held-overage-settled", "~reclaimed-after-release", "~commit-excess-refused",
        "~featureless-hold-released", "~void-of-nothing", "~anchored-allowance",
        "~alert:balance.low", "~alert:balance.depleted", "~alert:quota.warning", "~alert:quota.exhausted",
    ];

    /// <summary>How many plans a sequence moves between.</summary>
    public const int Plans = 3;

    private Account? account;
    private AccountRecords records = AccountRecords.Empty;
    private readonly List<object> log = [];
    private readonly List<Func<string>> trace = []; // formatted only when a sequence fails
    private DateTimeOffset now = Facts.T0;
    private IAccountCommand? lastIdempotent;
    private int serial;

    // The plans: the account opens on the first (which may be unknown to the host) and moves between all of them.
    private readonly PlanPick[] picks;
    private readonly PlanTerms? first;
    private readonly PlanTerms[] others;
    private string plan;

    // The model: running totals kept from the commands' accepted results only.
    private readonly Dictionary<string, GrantCredits> grants = [];
    private readonly HashSet<string> voided = [];
    private readonly Dictionary<string, long> refundedMinor = [];
    private readonly Dictionary<string, ModelHold> holds = [];
    private readonly Dictionary<string, RecordUsage> usages = [];
    private readonly Dictionary<string, RefundCredits> refunds = [];
    private readonly Dictionary<(RefundSourceKind, string), long> refundedBySource = [];
    private readonly Dictionary<string, int> resolutions = [];
    private long consumed, refunded;

    // The model of the plan: period, status, the alarm, frozen grants, and the grants the plan makes (but rollovers).
    private BillingPeriod? period;
    private int crossings;
    private long periodConsumed;
    private readonly Dictionary<(RefundSourceKind, string), DateTimeOffset> consumedAt = [];
    private AccountStatus status = AccountStatus.Active;
    private DateTimeOffset? graceEndsAt;
    private DateTimeOffset? flaggedAt;
    private bool spendingFrozen;
    private readonly List<(DateTimeOffset At, long Credits)> consumption = [];
    private readonly HashSet<string> frozenGrants = [];
    private readonly Dictionary<string, long> planGrants = []; // allowances, prorations, the trial: id → amount
    private bool overageEverAllowed;

    // The period's allowance: the level granted up to (full-period credits), whether it was withheld (the period began
    // in grace or suspension), and the most generous allowance of the plans held in the period, which bounds its grants.
    private long level;
    private bool withheld;
    private long periodPeak;

    public int Accepted { get; private set; }
    public int Rejected { get; private set; }
    public int Replayed { get; private set; }
    public Dictionary<string, long> Seen { get; } = [];

    private sealed record ModelHold(Reserve Command, DateTimeOffset ExpiresAt, string Status, long Committed, Commit? CommitCommand, string? ReleaseReason);

    public World(PlanPick[] plans)
    {
        picks = plans;
        first = plans[0].IsUnknown ? null : plans[0].Terms("plan-a");
        others = [.. plans.Skip(1).Select((p, i) => p.Terms($"plan-{(char)('b' + i)}"))];
        plan = first?.Id ?? "legacy";
    }

    private PlanTerms? TermsOf(string id) => others.FirstOrDefault(t => t.Id == id) ?? first;

    /// <summary>The terms the host passes for the account now.</summary>
    private PlanTerms? Terms => TermsOf(plan);

    private bool AllowOverage => Terms?.AllowOverage ?? picks[0].AllowOverage;

    public void Run(Step[] program)
    {
        try
        {
            OpenFirst();
            foreach (var step in program) Perform(step);
            // Once per sequence, the records in full (each step compares the records its events touched).
            Check(Records(AccountRecords.Empty.Then(log)) == Records(records), "replaying the log gives other records than the incremental ones");
        }
        catch (Exception e)
        {
            var plans = string.Join(", ", picks.Select((p, i) => $"{p} {Describe(i == 0 ? first : others[i - 1])}"));
            throw new Exception($"{e.Message}\n--- trace (plans {plans}) ---\n{string.Join("\n", trace.Select(t => t()))}", e);
        }
    }

    private void Perform(Step s)
    {
        switch (s.Kind)
        {
            case 0 or 1 or 2: DoGrant(s); break;
            case 3 or 4 or 5: DoReserve(s); break;
            case 6 or 7 or 8 when holds.Count == 0: DoReserve(s); break; // nothing to commit yet
            case 6 or 7 or 8: DoCommit(s); break;
            case 9 or 10 when holds.Count == 0: DoUse(s); break;
            case 9: DoRelease(s); break;
            case 10: DoExtend(s); break;
            case 11 or 12: DoUse(s); break;
            case 13 or 14: DoRefund(s); break;
            case 15 when s.C % 2 == 0: DoRefundPurchase(s); break;
            case 15: DoVoid(s); break;
            case 16 or 17 or 18: Advance(TimeSteps[s.A % TimeSteps.Length] + s.B % 3, s.C); break;
            case 19: Execute(Do.CatchUp(), Expect.Accept); break;
            case 20: if (lastIdempotent is { } last) Execute(last, Expect.Replay); break;
            case 21 when s.A % 4 != 0: DoGrant(s); break;
            case 21: DoOpenAgain(s); break;
            case 22 when s.A % 2 == 0: DoStartGrace(s); break;
            case 22: DoUse(s); break;
            case 23 when s.A % 2 == 0: DoEndGrace(); break;
            case 23: DoInvoicePaid(); break;
            case 24 when s.A % 3 == 0: DoSuspend(s); break;
            case 24: DoRestore(); break;
            case 25 when flaggedAt is null && s.A % 3 != 0: DoUse(s); break; // mostly spend until the alarm fires
            case 25: DoClearAnomaly(); break;
            case 26 when s.A % 3 == 0: DoInvoicePaid(); break;
            case 26: DoReserve(s); break;
            case 27: DoChangePlan(s); break;
            case 28: DoFreeze(s, freeze: true); break;
            case 29: DoFreeze(s, freeze: false); break;
            case 30 when s.A % 2 == 0 && holds.Count > 0: DoCommit(s); break;
            case 32: DoSetThreshold(s); break;
            default: Advance(LongSteps[s.A % LongSteps.Length] + s.B % 3 * 3600, s.C); break;
        }
    }

    // ---------------------------------------------------------------- commands and their expected decisions

    private (Account Account, DateTimeOffset At, IReadOnlyList<object> Events, Account CaughtUp)? view;

    /// <summary>The account as time alone leaves it now (what every read applies virtually), computed once per state and instant.</summary>
    private Account CaughtUp() => View().CaughtUp;

    private (Account Account, DateTimeOffset At, IReadOnlyList<object> Events, Account CaughtUp) View()
    {
        if (view is not { } v || !ReferenceEquals(v.Account, account) || v.At != now)
        {
            var events = CatchUp.To(account!, now, Terms);
            view = v = (account!, now, events, account!.Then(events));
        }
        return v;
    }

    /// <summary>The read view: the sum of the caught-up state.</summary>
    private Balance Read() => Balance.Sum(CaughtUp(), now);

    /// <summary>
    /// What a reserve or usage can take without overage: the available credits, but for what open holds took as
    /// overage (counted against available). That differs only after a move from a plan with overage to one without.
    /// </summary>
    private long Spendable() =>
        Read().Available - Math.Min(0, CaughtUp().Blocks.TryGetValue(CreditBlock.OverageId, out var overage) ? overage.Unheld : 0);

    private static bool ValidAmount(long amount) => amount is > 0 and <= Limits.MaxAmount;

    private static long OddAmount(int pick) => pick switch { 0 => 0, 1 => -1, 2 => Limits.MaxAmount + 1, _ => Limits.MaxAmount };

    private void Milestone(string what) => Seen[what] = Seen.GetValueOrDefault(what) + 1;

    /// <summary>
    /// Opens the account, in a quarter of the sequences with a billing cycle anchor (a short first period, its allowance
    /// prorated), after an anchor refused as out of range.
    /// </summary>
    private void OpenFirst()
    {
        var kind = picks[0].B / 256 % 4;
        if (kind == 3)
            Execute(Do.Open(plan) with { BillingCycleAnchor = picks[0].C % 2 == 0 ? now : now.AddMonths(1).AddTicks(1) },
                Expect.Reject(RejectionCodes.Validation));
        DateTimeOffset? anchor = kind switch { 1 => now.AddSeconds(3 * 86400 + 7), 2 => now.AddDays(17).AddSeconds(picks[0].C), _ => null };
        Execute(Do.Open(plan) with { BillingCycleAnchor = anchor }, Expect.Accept, () =>
        {
            if (Terms is not { } terms) return;
            StartPeriod(new BillingPeriod(now, anchor ?? now.AddMonths(1)), terms);
            if (terms.TrialGrant > 0) planGrants["trial"] = terms.TrialGrant;
        });
    }

    private void DoOpenAgain(Step s)
    {
        var id = (s.B % (World.Plans + 1)) switch { 0 => plan, 1 => first?.Id ?? "legacy", var i => others[i - 2].Id };
        Execute(Do.Open(id), id == plan ? Expect.Replay : Expect.Reject(RejectionCodes.AccountExists));
    }

    private void DoGrant(Step s)
    {
        if (s.A % 10 == 0 && grants.Count > 0)
        {
            var existing = grants.Values.ElementAt(s.B % grants.Count);
            if (s.C % 2 == 0) Execute(existing, Expect.Replay);
            else Execute(existing with { Amount = existing.Amount + 1 }, Expect.Reject(RejectionCodes.IdConflict));
            return;
        }
        long amount = s.A % 23 == 1 ? OddAmount(s.B % 4) : 1 + s.B % 200;
        var source = (GrantSource)(s.B % 4);
        int? priority = s.C % 3 == 0 ? s.C % 101 : null;
        DateTimeOffset? effectiveAt = (s.C / 3 % 6) switch { 0 => now.AddSeconds(1 + s.A * 7 % 7200), 1 => now.AddSeconds(-60), _ => null };
        DateTimeOffset? expiresAt = (s.A / 3 % 10) switch
        {
            <= 3 => null,
            8 => now,
            9 => now.AddSeconds(-1 - s.B % 100),
            _ => (effectiveAt ?? now).AddSeconds(Lifetimes[s.C % Lifetimes.Length] + s.B % 3),
        };
        var command = Do.Grant($"g{++serial}", amount, source, priority, effectiveAt, expiresAt);

        var expect = !ValidAmount(amount) || expiresAt <= now || expiresAt <= effectiveAt
            ? Expect.Reject(RejectionCodes.Validation)
            : Expect.Accept;
        Execute(command, expect, () => grants[command.GrantId] = command);
    }

    /// <summary>Every grant id the model knows of: the caller's, the plan's, and the rollovers the plan made.</summary>
    private List<string> KnownGrants() =>
        [.. grants.Keys, .. planGrants.Keys, .. CaughtUp().Blocks.Keys.Where(IsRollover).Order(StringComparer.Ordinal)];

    private static bool IsRollover(string grantId) => grantId.StartsWith("rollover:", StringComparison.Ordinal);

    private string PickGrant(Step s)
    {
        var known = KnownGrants();
        return known.Count == 0 || s.A % 10 == 0 ? "g-none" : s.A % 10 == 1 ? CreditBlock.OverageId : known[s.B % known.Count];
    }

    private void DoVoid(Step s)
    {
        var id = PickGrant(s);
        var expect = !KnownGrants().Contains(id) ? Expect.Reject(RejectionCodes.GrantNotFound)
            : voided.Contains(id) ? Expect.Reject(RejectionCodes.GrantAlreadyVoided)
            : CaughtUp().Blocks.TryGetValue(id, out var block) && block.Remaining <= 0 ? Expect.Replay // nothing left: a no-op
            : Expect.Accept;
        if (expect is Expect.Replaying) Milestone("~void-of-nothing");
        Execute(Do.Void(id), expect, () => voided.Add(id));
    }

    /// <summary>A card payment refunded in part or in full (cumulative totals, sometimes older than one applied).</summary>
    private void DoRefundPurchase(Step s)
    {
        var id = PickGrant(s);
        const long charged = 2_900;
        var refunded = s.B % 5 == 0 ? charged : 1 + s.B * 7 % (charged - 1);
        var full = refunded >= charged;
        var expect = !KnownGrants().Contains(id) ? Expect.Reject(RejectionCodes.GrantNotFound)
            : voided.Contains(id) || !full && refunded <= refundedMinor.GetValueOrDefault(id) ? Expect.Replay
            : Expect.Accept;
        Execute(new Ledger.Domain.Stripe.RefundPurchase(id, refunded, charged, "refund"), expect, () =>
        {
            if (full)
            {
                voided.Add(id);
                frozenGrants.Remove(id); // a refund settles the dispute's freeze: the block is void
            }
            else refundedMinor[id] = refunded;
        });
    }

    private void DoFreeze(Step s, bool freeze)
    {
        var id = !freeze && frozenGrants.Count > 0 && s.C % 3 != 0 ? frozenGrants.Order(StringComparer.Ordinal).ElementAt(s.B % frozenGrants.Count) : PickGrant(s);
        var expect = !KnownGrants().Contains(id) ? Expect.Reject(RejectionCodes.GrantNotFound)
            : frozenGrants.Contains(id) == freeze ? Expect.Replay
            : Expect.Accept;
        IAccountCommand command = freeze ? Admin.Freeze(id) : Admin.Unfreeze(id);
        Execute(command, expect, () => { if (freeze) frozenGrants.Add(id); else frozenGrants.Remove(id); });
    }

    /// <summary>
    /// The spending checks of a reserve or usage, re-stated: frozen, then suspended (but reports), then a feature
    /// that is off (not in the plan, ai in grace), then the plan's max per request; null when spending may go on.
    /// </summary>
    private Expect? Refusal(string? feature, long amount)
    {
        if (spendingFrozen) return Expect.Reject(RejectionCodes.AccountFrozen);
        if (status == AccountStatus.Suspended && feature != Features.Reports) return Expect.Reject(RejectionCodes.AccountSuspended);
        if (status == AccountStatus.Grace && feature == Features.Ai) return Expect.Reject(RejectionCodes.FeatureDisabled); // whatever the plan
        if (Terms is not { } terms) return null;
        if (feature is not null && !terms.Features.Contains(feature)) return Expect.Reject(RejectionCodes.FeatureDisabled);
        return amount > terms.MaxCreditsPerRequest ? Expect.Reject(RejectionCodes.AmountOverLimit) : null;
    }

    private void DoReserve(Step s)
    {
        if (s.A % 8 == 0 && holds.Count > 0)
        {
            Execute(holds.Values.ElementAt(s.B % holds.Count).Command, Expect.Replay);
            return;
        }
        long amount = s.A % 29 == 1 ? OddAmount(s.B % 3) : 1 + s.B % 150;
        var ttl = Ttls[s.C % Ttls.Length];
        var command = Do.Reserve($"r{++serial}", amount, ttl, FeatureNames[s.C / 20 % FeatureNames.Length]);

        var expect = !ValidAmount(amount) || ttl is < 1 or > 86400 ? Expect.Reject(RejectionCodes.Validation)
            : Refusal(command.Feature, amount)
            ?? (AllowOverage || amount <= Spendable() ? Expect.Accept : Expect.Reject(RejectionCodes.InsufficientCredits));
        Execute(command, expect, () => holds[command.ReservationId] = new ModelHold(command, now.AddSeconds(ttl), "pending", 0, null, null));
    }

    /// <summary>The rejection a non-pending reservation gives, or null while it is pending.</summary>
    private Expect? NotPending(ModelHold hold) => hold.Status switch
    {
        "committed" => Expect.Reject(RejectionCodes.ReservationCommitted),
        "released" => Expect.Reject(RejectionCodes.ReservationReleased),
        _ when hold.ExpiresAt <= now => Expect.Reject(RejectionCodes.ReservationExpired),
        _ => null,
    };

    private (string Id, ModelHold? Hold) PickReservation(Step s) =>
        holds.Count == 0 || s.A % 25 == 0 ? ("r-none", null) : holds.ElementAt(s.B % holds.Count) is var kv ? (kv.Key, kv.Value) : default;

    private void DoCommit(Step s)
    {
        var (id, hold) = PickReservation(s);
        var held = hold?.Command.Amount ?? 10;
        // frozen, in grace or suspended, half the commits go above the hold: that part is new spending the status may refuse
        long? amount = (spendingFrozen || status != AccountStatus.Active) && s.A % 2 == 1 ? held + 1 + s.B % 60 : (s.C % 7) switch
        {
            0 => null,
            1 => held,
            2 => s.B % held,
            3 => held + 1 + s.B % 60,
            4 => held + Math.Max(0, Read().Available) + 1 + s.B % 5, // more than there is
            5 => s.B % 2 == 0 ? -1 : Limits.MaxAmount + 1,
            _ => 0,
        };
        var receipt = s.A % 3 == 0 ? null : "rcpt";
        var command = Do.Commit(id, amount, receipt);

        Expect expect;
        if (hold is null) expect = Expect.Reject(RejectionCodes.ReservationNotFound);
        else if (hold.Status == "committed")
            expect = hold.Committed == (amount ?? held) && hold.CommitCommand!.ReceiptId == receipt
                ? Expect.Replay
                : Expect.Reject(RejectionCodes.ReservationCommitted);
        else if (NotPending(hold) is { } refused) expect = refused;
        else if (amount is < 0 or > Limits.MaxAmount) expect = Expect.Reject(RejectionCodes.Validation);
        else if ((amount ?? held) > (Terms?.MaxCreditsPerRequest ?? long.MaxValue)) expect = Expect.Reject(RejectionCodes.AmountOverLimit);
        else if ((amount ?? held) > held && Refusal(hold.Command.Feature, amount ?? held) is { } refusal)
        {
            expect = refusal; // beyond the hold is new spending: frozen, suspended or a feature now off refuse it
            Milestone("~commit-excess-refused");
        }
        else if ((amount ?? held) <= held || AllowOverage || (amount ?? held) - held <= Spendable()) expect = Expect.Accept;
        else expect = Expect.Reject(RejectionCodes.InsufficientCredits);

        Execute(command, expect, () =>
        {
            holds[id] = hold! with { Status = "committed", Committed = amount ?? held, CommitCommand = command };
            consumedAt[(RefundSourceKind.Reservation, id)] = now;
            Consume(amount ?? held, alarm: true);
        });
    }

    private void DoRelease(Step s)
    {
        var (id, hold) = PickReservation(s);
        var reason = s.C % 2 == 0 ? null : "cancelled";
        var expect = hold is null ? Expect.Reject(RejectionCodes.ReservationNotFound)
            : hold.Status == "released" && hold.ReleaseReason == reason ? Expect.Replay
            : NotPending(hold) ?? Expect.Accept;
        Execute(Do.Release(id, reason), expect, () => holds[id] = hold! with { Status = "released", ReleaseReason = reason });
    }

    private void DoExtend(Step s)
    {
        var (id, hold) = PickReservation(s);
        var ttl = Ttls[s.C % Ttls.Length];
        var expect = hold is null ? Expect.Reject(RejectionCodes.ReservationNotFound)
            : NotPending(hold) ?? (ttl is < 1 or > 86400 ? Expect.Reject(RejectionCodes.Validation) : Expect.Accept);
        Execute(Do.Extend(id, ttl), expect, () => holds[id] = hold! with { ExpiresAt = now.AddSeconds(ttl) });
    }

    private void DoUse(Step s)
    {
        if (s.A % 8 == 0 && usages.Count > 0)
        {
            Execute(usages.Values.ElementAt(s.B % usages.Count), Expect.Replay);
            return;
        }
        long amount = s.A % 29 == 1 ? OddAmount(s.B % 3) : 1 + s.B % 120;
        var command = Do.Use($"u{++serial}", amount, FeatureNames[s.C % FeatureNames.Length]);
        var expect = !ValidAmount(amount) ? Expect.Reject(RejectionCodes.Validation)
            : Refusal(command.Feature, amount)
            ?? (AllowOverage || amount <= Spendable() ? Expect.Accept : Expect.Reject(RejectionCodes.InsufficientCredits));
        Execute(command, expect, () =>
        {
            usages[command.UsageId] = command;
            consumedAt[(RefundSourceKind.Usage, command.UsageId)] = now;
            Consume(amount, alarm: true);
        });
    }

    private long ConsumedBy(RefundSourceKind kind, string id) => kind == RefundSourceKind.Usage
        ? usages.TryGetValue(id, out var u) ? u.Amount : 0
        : holds.TryGetValue(id, out var h) && h.Status == "committed" ? h.Committed : 0;

    private void DoRefund(Step s)
    {
        if (s.A % 10 == 0 && refunds.Count > 0)
        {
            Execute(refunds.Values.ElementAt(s.B % refunds.Count), Expect.Replay);
            return;
        }
        var kind = s.A % 2 == 0 ? RefundSourceKind.Usage : RefundSourceKind.Reservation;
        var ids = kind == RefundSourceKind.Usage ? usages.Keys.ToList() : holds.Keys.ToList();
        var known = ids.Count > 0 && s.A % 15 != 1;
        var source = known ? ids[s.B % ids.Count] : kind == RefundSourceKind.Usage ? "u-none" : "r-none";
        var left = ConsumedBy(kind, source) - refundedBySource.GetValueOrDefault((kind, source));
        long amount = (s.C % 5) switch
        {
            0 => left,
            1 => 1 + s.B % Math.Max(1, left),
            2 => left + 1, // just over the cap
            3 => 1 + s.B % 50,
            _ => s.B % 3 == 0 ? 0 : left,
        };
        var command = new RefundCredits($"f{++serial}", kind, source, amount, s.C % 2 == 0 ? null : "refund");

        var expect = !ValidAmount(amount) ? Expect.Reject(RejectionCodes.Validation)
            : !known ? Expect.Reject(kind == RefundSourceKind.Usage ? RejectionCodes.UsageNotFound : RejectionCodes.ReservationNotFound)
            : amount <= left ? Expect.Accept
            : Expect.Reject(RejectionCodes.RefundExceedsConsumed);
        Execute(command, expect, () =>
        {
            refunds[command.RefundId] = command;
            refundedBySource[(kind, source)] = refundedBySource.GetValueOrDefault((kind, source)) + amount;
            // a refund of an earlier period's consumption does not count against this period
            Consume(-amount, alarm: false, inPeriod: period is not { } p || consumedAt[(kind, source)] >= p.Start);
        });
    }

    // ---------------------------------------------------------------- plans, status and the alarm

    /// <summary>
    /// Consumption (negative for a refund) counts towards the period and the rolling hour; after a usage or commit
    /// the alarm fires when the hour (minute buckets) passes the plan's threshold, unless it fired less than an hour
    /// ago or spending is already frozen.
    /// </summary>
    private void Consume(long amount, bool alarm, bool inPeriod = true)
    {
        if (amount >= 0) consumed += amount;
        else refunded -= amount;
        if (inPeriod) periodConsumed += amount;
        consumption.Add((now, amount));
        if (!alarm || Terms?.VelocityCreditsPerHour is not { } threshold) return;
        if (flaggedAt is { } flagged && (spendingFrozen || flagged > now.AddHours(-1))) return;
        if (LastHour() <= threshold) return;
        flaggedAt = now;
        spendingFrozen |= Terms.VelocityFreezes;
        if (spendingFrozen) Milestone("~alarm-frozen");
    }

    private static DateTimeOffset Minute(DateTimeOffset at) => new(at.UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private long LastHour() => consumption.Where(c => Minute(c.At) > now.AddHours(-1) && Minute(c.At) <= now).Sum(c => c.Credits);

    /// <summary>
    /// Open holds whose work the status now refuses are released: ai in grace; when suspended, all but reports, featureless
    /// holds included.
    /// </summary>
    private void ReleaseHolds(Func<string?, bool> turnedOff, DateTimeOffset at, string reason, string milestone)
    {
        foreach (var (id, hold) in holds.ToList())
            if (hold.Status == "pending" && hold.ExpiresAt >= at && turnedOff(hold.Command.Feature))
            {
                holds[id] = hold with { Status = "released", ReleaseReason = reason };
                Milestone(hold.Command.Feature is null ? "~featureless-hold-released" : milestone);
            }
    }

    /// <summary>A period starts: its allowance is granted while active (the level reached), withheld otherwise.</summary>
    private void StartPeriod(BillingPeriod next, PlanTerms terms)
    {
        period = next;
        periodConsumed = 0;
        periodPeak = terms.Allowance;
        withheld = status != AccountStatus.Active;
        level = 0;
        var amount = Prorate(terms.Allowance, next, next.Start); // all of it, but in an anchored first period
        if (withheld || amount == 0) return;
        if (amount < terms.Allowance) Milestone("~anchored-allowance");
        planGrants[next.AllowanceGrantId] = amount;
        level = terms.Allowance;
    }

    /// <summary>
    /// The allowance the period owes on the current plan now that the account is active: all of it when it was withheld,
    /// otherwise the rise from the level reached, prorated over what is left (docs/adr/0009).
    /// </summary>
    private void TopUp(bool wasWithheld, string milestone)
    {
        if (Terms is not { } terms || period is not { } p || p.End <= now || status != AccountStatus.Active) return;
        if (wasWithheld)
        {
            if (Prorate(terms.Allowance, p, p.Start) == 0 || planGrants.ContainsKey(p.AllowanceGrantId)) return;
            planGrants[p.AllowanceGrantId] = Prorate(terms.Allowance, p, p.Start);
            level = terms.Allowance;
            Milestone("~restored-allowance");
            return;
        }
        var id = p.ProrationGrantId(terms.Id);
        var amount = Prorate(terms.Allowance - level, p, now);
        if (amount <= 0 || planGrants.ContainsKey(id)) return;
        planGrants[id] = amount;
        level = terms.Allowance;
        Milestone(milestone);
    }

    private void DoStartGrace(Step s)
    {
        DateTimeOffset? endsAt = (s.B % 8) switch
        {
            0 => now.AddSeconds(TimeSteps[s.C % TimeSteps.Length]),
            4 => s.C % 2 == 0 ? now : now.AddDays(Limits.MaxGraceDays).AddTicks(1), // out of range
            _ => null,
        };
        var expect = status switch
        {
            AccountStatus.Grace => Expect.Replay,
            AccountStatus.Suspended => Expect.Reject(RejectionCodes.AccountStateConflict),
            _ when s.B % 8 == 4 => Expect.Reject(RejectionCodes.Validation),
            _ => Expect.Accept,
        };
        Execute(Admin.StartGrace(s.A % 2 == 0 ? null : "card declined", endsAt), expect, () =>
        {
            status = AccountStatus.Grace;
            graceEndsAt = endsAt ?? now.AddDays(Terms?.GraceDays ?? 14);
            ReleaseHolds(f => f == Features.Ai, now.AddTicks(1), PlanFacts.GraceReleaseReason, "~grace-hold-released");
        });
    }

    private void Restore()
    {
        status = AccountStatus.Active;
        graceEndsAt = null;
        var wasWithheld = withheld;
        withheld = false;
        TopUp(wasWithheld, "~restored-proration");
    }

    private void DoEndGrace() =>
        Execute(Admin.EndGrace(), status == AccountStatus.Grace ? Expect.Accept : Expect.Reject(RejectionCodes.AccountStateConflict), Restore);

    private void DoRestore() =>
        Execute(Admin.Restore(), status != AccountStatus.Active ? Expect.Accept : Expect.Reject(RejectionCodes.AccountStateConflict), Restore);

    /// <summary>A paid invoice restores an account in grace or suspended; on an active one it grants nothing (allowances come from periods and plans).</summary>
    private void DoInvoicePaid() =>
        Execute(Admin.InvoicePaid(), status != AccountStatus.Active ? Expect.Accept : Expect.Replay, Restore);

    private void DoSuspend(Step s)
    {
        var reason = s.B % 2 == 0 ? null : "abuse";
        Execute(Admin.Suspend(reason), status == AccountStatus.Suspended ? Expect.Reject(RejectionCodes.AccountStateConflict) : Expect.Accept, () =>
        {
            status = AccountStatus.Suspended;
            graceEndsAt = null;
            ReleaseHolds(f => f != Features.Reports, now.AddTicks(1), reason ?? "suspended by an administrator", "~suspension-hold-released");
        });
    }

    private void DoClearAnomaly() =>
        Execute(Admin.ClearAnomaly(), flaggedAt is null && !spendingFrozen ? Expect.Reject(RejectionCodes.AccountStateConflict) : Expect.Accept, () =>
        {
            flaggedAt = null;
            spendingFrozen = false;
        });

    /// <summary>An account's own low-balance threshold: a new one, none (the plan's), or the one it has (a replay).</summary>
    private void DoSetThreshold(Step s)
    {
        long? threshold = (s.B % 5) switch { 0 => null, 1 => -1, _ => s.C % 300 };
        var current = CaughtUp().LowBalanceThreshold;
        if (s.A % 4 == 0) threshold = current;
        var expect = threshold is < 0 ? Expect.Reject(RejectionCodes.Validation) : threshold == current ? Expect.Replay : Expect.Accept;
        Execute(new SetLowBalanceThreshold(threshold), expect);
    }

    /// <summary>
    /// The threshold alert conditions of a state a write left, re-stated: low below the account's (else the plan's)
    /// threshold, depleted at or below zero, quota warning at the plan's share of its allowance, exhausted at all of it.
    /// </summary>
    private HashSet<string> AlertConditions(Account state)
    {
        var terms = TermsOf(state.Plan);
        var alerts = terms?.Alerts;
        var low = state.LowBalanceThreshold ?? alerts?.LowBalance;
        var available = Balance.Sum(state, now).Available;
        var holding = new HashSet<string>(StringComparer.Ordinal);
        if (low > 0 && available < low) holding.Add(AlertKinds.BalanceLow);
        if (alerts is not null && available <= 0) holding.Add(AlertKinds.BalanceDepleted);
        if (alerts is not null && terms!.Allowance > 0 && state.Period is not null)
        {
            if (state.PeriodConsumed * 100 >= terms.Allowance * alerts.QuotaWarningPercent) holding.Add(AlertKinds.QuotaWarning);
            if (state.PeriodConsumed >= terms.Allowance) holding.Add(AlertKinds.QuotaExhausted);
        }
        return holding;
    }

    /// <summary>
    /// floor((new - old) × left / length) in exact integer arithmetic (docs/adr/0009); the length is a month's for a first
    /// period a billing cycle anchor cut short (the month before its end), the period's own otherwise (docs/adr/0066).
    /// </summary>
    private static long Prorate(long difference, BillingPeriod p, DateTimeOffset at)
    {
        var cycle = p.Start.AddMonths(1) > p.End ? p.End.AddMonths(-1) : p.Start;
        return (long)((Int128)difference * (p.End - at).Ticks / (p.End - cycle).Ticks);
    }

    /// <summary>
    /// A move to any of the plans (the one it is on is a replay). Overage owed is settled as the plan left says; moving
    /// to a plan without overage, what open holds took as overage too. A move up grants the prorated rise above the
    /// period's level; a move down, nothing.
    /// </summary>
    private void DoChangePlan(Step s)
    {
        var to = others.Append(first).OfType<PlanTerms>().ElementAt(s.B % (others.Length + (first is null ? 0 : 1)));
        if (to.Id == plan)
        {
            Execute(Admin.ChangePlan(to), Expect.Replay);
            return;
        }
        Execute(new ChangePlan(to, s.C % 2 == 0 ? null : "change"), Expect.Accept, () =>
        {
            plan = to.Id;
            if (period is null)
            {
                StartPeriod(new BillingPeriod(now, now.AddMonths(1)), to);
                return;
            }
            periodPeak = Math.Max(periodPeak, to.Allowance);
            TopUp(wasWithheld: false, "~proration");
        });
    }

    /// <summary>
    /// What time alone does to the plan model up to now, boundary by boundary: a grace end suspends (first, at the
    /// same instant as a period end), a period end starts the next period with its allowance while active.
    /// </summary>
    private void CrossBoundaries()
    {
        while (true)
        {
            DateTimeOffset? periodEnd = Terms is not null && period is { } p && p.End <= now ? p.End : null;
            DateTimeOffset? graceEnd = status == AccountStatus.Grace && graceEndsAt <= now ? graceEndsAt : null;
            if (graceEnd is { } g && (periodEnd is null || g <= periodEnd))
            {
                status = AccountStatus.Suspended;
                graceEndsAt = null;
                ReleaseHolds(f => f != Features.Reports, g, PlanFacts.GraceRanOut, "~suspension-hold-released");
            }
            else if (periodEnd is { } end)
            {
                crossings++;
                StartPeriod(new BillingPeriod(end, end.AddMonths(1)), Terms!);
            }
            else return;
        }
    }

    // ---------------------------------------------------------------- time

    /// <summary>
    /// Moves the clock. Before it does, checks that what time alone writes does not depend on when the
    /// timers ran: catching up at a random instant on the way and then at the end writes the same
    /// events, and shows the same balance, as catching up once at the end.
    /// </summary>
    private void Advance(int seconds, int pick)
    {
        var to = now.AddSeconds(seconds);
        var mid = now.AddTicks(TimeSpan.FromSeconds(seconds).Ticks * (pick % 100) / 100);
        var a = account!;
        var terms = Terms;
        var direct = CatchUp.To(a, to, terms);
        var first = CatchUp.To(a, mid, terms);
        var atMid = a.Then(first);
        var second = CatchUp.To(atMid, to, terms);
        var once = a.Then(direct);
        var twice = atMid.Then(second);

        Check(Balance.Sum(once, to) == Balance.Sum(twice, to),
            $"the balance at {to:O} depends on whether the timers ran at {mid:O}: {Balance.Sum(once, to)} vs {Balance.Sum(twice, to)}");
        Check(Same(direct, [.. first, .. second]),
            $"time's events up to {to:O} depend on catching up at {mid:O}:\n  once: {Show(direct)}\n  twice: {Show([.. first, .. second])}");
        Check(SameState(once, twice), $"the state at {to:O} depends on catching up at {mid:O}");
        Invariants.Check(once, to);

        now = to;
        CrossBoundaries();
        var (moved, at) = (seconds, now);
        trace.Add(() => $"  … time +{moved}s → {at - Facts.T0}");
        CheckState();
    }

    // ---------------------------------------------------------------- running a command and checking everything

    private abstract record Expect
    {
        public sealed record Accepting : Expect;
        public sealed record Replaying : Expect;
        public sealed record Rejecting(string Code) : Expect;

        public static readonly Expect Accept = new Accepting();
        public static readonly Expect Replay = new Replaying();
        public static Expect Reject(string code) => new Rejecting(code);
    }

    /// <summary>
    /// Runs the command through the decider, checks the decision against the model's expectation, lets
    /// the model take in an accepted result (<paramref name="accepted"/>), then checks every rule.
    /// </summary>
    private void Execute(IAccountCommand command, Expect expect, Action? accepted = null)
    {
        var before = account;
        var knownBefore = records;
        var seenBefore = before is null ? null : CaughtUp(); // what the command decides on
        overageEverAllowed |= AllowOverage;
        var outcome = AccountDecider.Handle(account, records, command, new DecisionContext(now, AllowOverage, Terms));
        var when = now;
        trace.Add(() => $"{when - Facts.T0} {command} → {Describe(outcome.Decision)}{(outcome.Events.Count > 0 ? "\n      " + string.Join("\n      ", outcome.Events.Select(Canonical.Event)) : "")}");

        switch (outcome.Decision)
        {
            case Decision.Accepted:
                Check(expect is Expect.Accepting, $"expected {expect} but the command was accepted");
                Accepted++;
                foreach (var ev in outcome.Events) Seen[ev.GetType().Name] = Seen.GetValueOrDefault(ev.GetType().Name) + 1;
                CheckNewEvents(outcome.Events, before, written: true);
                CheckDrainOrder(outcome.Events, seenBefore);
                log.AddRange(outcome.Events);
                account = outcome.Account;
                records = outcome.Known;
                // every threshold alert the write left true is raised, and only those (once per crossing: CheckNewEvents)
                var conditions = AlertConditions(account!);
                Check((account!.ActiveAlerts ?? []).SetEquals(conditions),
                    $"alerts {string.Join(",", account.ActiveAlerts ?? [])} active but the conditions are {string.Join(",", conditions)}");
                foreach (var kind in conditions) Milestone($"~alert:{kind}");
                if (command is GrantCredits or Reserve or Commit or Release or RecordUsage or RefundCredits) lastIdempotent = command;
                accepted?.Invoke();
                break;
            case Decision.Replayed:
                Check(expect is Expect.Replaying, $"expected {expect} but the command was replayed");
                Replayed++;
                break;
            case Decision.Rejected r:
                Check(expect is Expect.Rejecting e && e.Code == r.Rejection.Code, $"expected {expect} but got {r.Rejection.Code}: {r.Rejection.Detail}");
                Rejected++;
                Seen[r.Rejection.Code] = Seen.GetValueOrDefault(r.Rejection.Code) + 1;
                break;
        }
        if (outcome.Decision is not Decision.Accepted)
        {
            Check(outcome.Events.Count == 0, "a refused or replayed command wrote events");
            Check(ReferenceEquals(outcome.Account, before) && ReferenceEquals(outcome.Known, knownBefore), "a refused or replayed command changed the state");
        }
        if (account is not null) CheckState(outcome.Events); // (nothing yet after a refused opening)
    }

    /// <summary>
    /// Rules each new event must keep, checked against the state just before it (replayed event by event from
    /// <paramref name="from"/>); <paramref name="written"/> events join the log, the others are a read's catch-up.
    /// </summary>
    private void CheckNewEvents(IReadOnlyList<object> events, Account? from, bool written)
    {
        var last = log.Count == 0 ? DateTimeOffset.MinValue : At(log[^1]);
        var cur = from;
        PlanChanged? change = null; // the plan change the events after it follow from
        foreach (var e in events)
        {
            if (e is PlanChanged moved) change = moved;
            var at = At(e);
            Check(at <= now, $"event dated in the future: {Canonical.Event(e)}");
            Check(at >= last, $"events out of time order: {Canonical.Event(e)} after an event at {last:O}");
            last = at;
            var terms = cur is null ? null : TermsOf(cur.Plan);
            switch (e)
            {
                case CreditsReserved r:
                    CheckDraws(r.Draws, r.Amount, e);
                    CheckMaySpend(cur!, r.Feature, r.Amount, e);
                    break;
                case UsageRecorded u:
                    CheckDraws(u.Draws, u.Amount, e);
                    CheckMaySpend(cur!, u.Feature, u.Amount, e);
                    break;
                case CreditsRefunded f:
                    CheckDraws(f.Draws, f.Amount, e);
                    break;
                case ReservationCommitted c:
                    CheckDraws(c.Consumed, c.Amount, e);
                    var hold = holds[c.ReservationId].Command.Amount;
                    // In-flight work completes up to its hold; beyond it, the commit is new spending.
                    if (c.Amount > hold) CheckMaySpend(cur!, holds[c.ReservationId].Command.Feature, c.Amount, e);
                    Check(c.Released.Total() == Math.Max(0, hold - c.Amount), $"commit released {c.Released.Total()} of a {hold} hold: {Canonical.Event(e)}");
                    Check(c.Released.All(d => d.Amount > 0), $"empty release draw: {Canonical.Event(e)}");
                    Check(c.Amount <= (terms?.MaxCreditsPerRequest ?? long.MaxValue), $"a commit over the plan's max per request: {Canonical.Event(e)}");
                    break;
                case GrantExpired x:
                    Check(x.Amount > 0, $"empty expiry: {Canonical.Event(e)}");
                    var block = cur!.Blocks[x.GrantId];
                    Check(block.ExpiresAt is { } expiry && expiry <= x.ExpiredAt, $"expired before its expiry: {Canonical.Event(e)}");
                    break;
                case OverageRepaid p:
                    Check(p.Amount > 0, $"empty repayment: {Canonical.Event(e)}");
                    break;
                case PurchasePartlyRefunded p:
                {
                    // The refunded share of the block, less what earlier refunds claimed: what is unheld now, what is held
                    // later (as it is released), what was spent stays spent.
                    var refundedBlock = cur!.Blocks[p.GrantId];
                    var share = (long)((Int128)refundedBlock.Amount * p.RefundedMinor / p.ChargedMinor);
                    var owed = Math.Max(0, share - refundedBlock.Voided - refundedBlock.RefundOwed);
                    var taken = Math.Min(owed, Math.Max(0, refundedBlock.Unheld));
                    Check(p.RefundedMinor < p.ChargedMinor && p.RefundedMinor > refundedBlock.MoneyRefundedMinor && !refundedBlock.IsVoided
                          && p.Voided == taken && p.Held == Math.Min(owed - taken, refundedBlock.Held) && p.Voided + p.Held + p.NotRecovered == owed,
                        $"a partial refund that does not take its share: {Canonical.Event(e)} from {refundedBlock}");
                    break;
                }
                case RefundedCreditsReclaimed r:
                {
                    var owing = cur!.Blocks[r.GrantId];
                    Check(r.Amount > 0 && r.Amount == Math.Min(owing.RefundOwed, owing.Unheld), $"a reclaim that is not what the refund still claims: {Canonical.Event(e)} from {owing}");
                    Milestone("~reclaimed-after-release"); // a partial refund takes all it can at once: this came free later
                    break;
                }
                case OverageRepaymentReturned r:
                {
                    var repaid = cur!.Blocks[r.GrantId];
                    var overage = cur.Blocks[CreditBlock.OverageId];
                    Check(r.Amount > 0 && r.Amount <= repaid.RepaidOverage && r.Amount <= overage.Unheld,
                        $"a repayment returned that was not made, or more than the overage gave back: {Canonical.Event(e)}");
                    break;
                }
                case OverageSettled settled when change is not null:
                {
                    // Leaving a plan: its debt, as it says; moving to a plan without overage, what open holds took as overage too.
                    var overageBlock = cur!.Blocks[CreditBlock.OverageId];
                    var left = TermsOf(change.FromPlan);
                    var expected = terms!.AllowOverage ? (left?.SettleOverageAtPeriodEnd is null ? 0 : overageBlock.Debt) : Math.Max(0, -overageBlock.Unheld);
                    Check(settled.Amount > 0 && settled.Amount == expected
                          && settled.Settlement == (left?.SettleOverageAtPeriodEnd ?? OverageSettlement.WrittenOff)
                          && settled.PeriodStart == (cur.Period?.Start ?? cur.OpenedAt) && settled.PeriodEnd == at && settled.SettledAt == at,
                        $"a settlement at a plan change that does not close what the plan left owes: {Canonical.Event(e)} with {overageBlock}");
                    Milestone(overageBlock.Held > 0 && !terms.AllowOverage ? "~held-overage-settled" : "~settled-at-change");
                    break;
                }
                case OverageSettled settled:
                    // Settled at a period end, all of the debt, as the plan says, before the next period starts.
                    var overageBlock2 = cur!.Blocks[CreditBlock.OverageId];
                    Check(settled.Amount > 0 && settled.Amount == overageBlock2.Debt
                          && settled.Settlement == terms?.SettleOverageAtPeriodEnd
                          && cur.Period is { } closing && settled.PeriodStart == closing.Start && settled.PeriodEnd == closing.End
                          && settled.SettledAt == closing.End,
                        $"a settlement that does not close the period's debt: {Canonical.Event(e)} with {overageBlock2}");
                    break;
                case CreditsGranted g:
                    // No grant id is ever granted twice: a second CreditsGranted would replace the block and its history.
                    Check(cur is null || !cur.Blocks.ContainsKey(g.GrantId), $"grant {g.GrantId} granted twice: {Canonical.Event(e)}");
                    CheckPlanGrant(cur!, terms, g);
                    break;
                case PeriodStarted ps:
                    // a month long, but the first, which a billing cycle anchor may cut short (ending at the anchor)
                    var monthLong = ps.PeriodEnd == ps.PeriodStart.AddMonths(1);
                    Check(ps.Plan == cur!.Plan && ps.StartedAt >= ps.PeriodStart
                        && (cur.Period is null
                            ? ps.PeriodStart == ps.StartedAt && (monthLong || ps.PeriodEnd > ps.PeriodStart && ps.PeriodEnd < ps.PeriodStart.AddMonths(1) && log.Count == 0)
                            : ps.PeriodStart == cur.Period.End && monthLong),
                        $"a period that does not follow the last: {Canonical.Event(e)} after {cur.Period}");
                    break;
                case GraceStarted:
                    Check(cur!.Status == AccountStatus.Active, $"grace started from {cur.Status}");
                    break;
                case GraceEnded:
                    Check(cur!.Status == AccountStatus.Grace, $"grace ended from {cur.Status}");
                    break;
                case AccountSuspended:
                    Check(cur!.Status is AccountStatus.Active or AccountStatus.Grace, $"suspended from {cur.Status}");
                    break;
                case AccountRestored:
                    Check(cur!.Status is AccountStatus.Grace or AccountStatus.Suspended, $"restored from {cur.Status}");
                    break;
                case OperatorAlertRaised raised:
                    Check(!(cur!.ActiveAlerts ?? []).Contains(raised.Kind), $"an alert raised twice without a clearing: {Canonical.Event(e)}");
                    break;
                case OperatorAlertCleared cleared:
                    Check((cur!.ActiveAlerts ?? []).Contains(cleared.Kind), $"an alert cleared that was not raised: {Canonical.Event(e)}");
                    break;
                case UsageAnomalyFlagged flag:
                    Check(terms?.VelocityCreditsPerHour == flag.Threshold && flag.CreditsLastHour > flag.Threshold && flag.Frozen == terms.VelocityFreezes,
                        $"an alarm that does not follow the plan: {Canonical.Event(e)}");
                    Check(cur!.AnomalyFlaggedAt is not { } earlier || !cur.SpendingFrozen && earlier <= at.AddHours(-1),
                        $"the alarm fired again within the hour or while frozen: {Canonical.Event(e)}");
                    break;
            }
            if (written && e switch { ReservationCommitted c => c.ReservationId, ReservationReleased r => r.ReservationId, ReservationExpired x => x.ReservationId, _ => null } is { } id)
            {
                resolutions[id] = resolutions.GetValueOrDefault(id) + 1;
                Check(resolutions[id] == 1, $"reservation {id} resolved twice: {Canonical.Event(e)}");
            }
            cur = Account.Evolve(cur, e);
        }
    }

    /// <summary>No new spending while frozen, while suspended (but reports), on a feature that is off, or over the plan's max.</summary>
    private void CheckMaySpend(Account before, string? feature, long amount, object e)
    {
        Check(!before.SpendingFrozen, $"spending accepted while frozen: {Canonical.Event(e)}");
        Check(before.Status != AccountStatus.Suspended || feature == Features.Reports, $"spending accepted while suspended: {Canonical.Event(e)}");
        Check(before.Status != AccountStatus.Grace || feature != Features.Ai, $"ai spending accepted during grace: {Canonical.Event(e)}");
        if (TermsOf(before.Plan) is not { } terms) return;
        Check(feature is null || Features.IsOn(before, terms.Features, feature), $"spending accepted on a disabled feature: {Canonical.Event(e)}");
        Check(feature is null || terms.Features.Contains(feature) && !(before.Status == AccountStatus.Grace && feature == Features.Ai),
            $"spending accepted on a feature the plan or grace turns off: {Canonical.Event(e)}");
        Check(amount <= terms.MaxCreditsPerRequest, $"spending accepted over the plan's max per request: {Canonical.Event(e)}");
    }

    /// <summary>A grant the plan made: the allowance of the current period, its rollover (carry rule re-stated), a proration, the trial.</summary>
    private void CheckPlanGrant(Account cur, PlanTerms? terms, CreditsGranted g)
    {
        if (g.GrantId.StartsWith("plan:", StringComparison.Ordinal))
        {
            Check(terms is not null && cur.Period is { } p && g.GrantId == p.AllowanceGrantId && g.ExpiresAt == p.End
                && g.Amount == Prorate(terms.Allowance, p, p.Start)
                && g.Source == GrantSource.Plan && cur.Status == AccountStatus.Active && g.AllowanceLevel == terms.Allowance,
                $"an allowance that is not the current period's, or granted while not active: {Canonical.Event(g)}");
        }
        else if (g.GrantId.StartsWith("proration:", StringComparison.Ordinal))
        {
            // Only the rise above the level the period already granted, prorated over what is left of it.
            Check(terms is not null && cur.Period is { } p && g.GrantId == p.ProrationGrantId(terms.Id) && g.ExpiresAt == p.End
                && cur.Status == AccountStatus.Active && g.AllowanceLevel == terms.Allowance
                && g.Amount == Prorate(terms.Allowance - cur.PeriodAllowance, p, g.GrantedAt) && g.Amount > 0,
                $"a proration that is not the prorated rise from the period's level {cur.PeriodAllowance}: {Canonical.Event(g)}");
        }
        else if (IsRollover(g.GrantId))
        {
            var unused = cur.Blocks.Values
                .Where(b => b.Source == GrantSource.Plan && b.ExpiresAt == g.GrantedAt && !b.IsVoided && !b.IsFrozen)
                .Sum(b => Math.Max(0, b.Unheld));
            var carry = terms is null || unused < Math.Max(1, terms.RolloverMin) ? 0 : Math.Min(unused, terms.RolloverMax);
            Check(cur.Period is { } p && p.Start == g.GrantedAt && g.GrantId == p.RolloverGrantId && g.ExpiresAt == p.End
                && cur.Status == AccountStatus.Active && g.Amount == carry && carry > 0,
                $"a rollover of {g.Amount} where the plan carries {carry} of {unused} unused: {Canonical.Event(g)}");
            Milestone("~rollover");
        }
    }

    /// <summary>
    /// Usage and holds draw greedily from spendable blocks in drain order (priority, then soonest expiry
    /// with never-expiring last, then oldest, then id), the shortfall going to overage: an independent
    /// re-statement of the rule, checked against the draws the decider chose.
    /// </summary>
    private void CheckDrainOrder(IReadOnlyList<object> events, Account? seen)
    {
        foreach (var e in events)
        {
            var (amount, draws) = e switch
            {
                UsageRecorded u => (u.Amount, u.Draws),
                CreditsReserved r => (r.Amount, r.Draws),
                _ => (0L, (IReadOnlyList<Draw>)[]),
            };
            if (amount == 0 || seen is null) continue;

            var expected = new List<Draw>();
            var left = amount;
            var spendable = seen.Blocks.Values
                .Where(b => (b.EffectiveAt ?? DateTimeOffset.MinValue) <= now && !b.IsVoided && !b.IsFrozen
                    && (b.ExpiresAt ?? DateTimeOffset.MaxValue) > now && b.Unheld > 0)
                .OrderBy(b => b.Priority).ThenBy(b => b.ExpiresAt is null).ThenBy(b => b.ExpiresAt).ThenBy(b => b.GrantedAt)
                .ThenBy(b => b.GrantId, StringComparer.Ordinal);
            foreach (var b in spendable.TakeWhile(_ => left > 0))
            {
                expected.Add(new Draw(b.GrantId, Math.Min(left, b.Unheld)));
                left -= Math.Min(left, b.Unheld);
            }
            if (left > 0) expected.Add(new Draw(CreditBlock.OverageId, left));
            var merged = expected.GroupBy(d => d.GrantId).Select(g => new Draw(g.Key, g.Sum(d => d.Amount))).ToList();
            Check(draws.SequenceEqual(merged), $"draws {Show(draws)} are not the drain order's {Show(merged)}: {Canonical.Event(e)}");
        }
    }

    private static string Show(IEnumerable<Draw> draws) => string.Join(", ", draws.Select(d => $"{d.GrantId} {d.Amount}"));

    private static void CheckDraws(IReadOnlyList<Draw> draws, long amount, object e)
    {
        Check(draws.Total() == amount, $"draws add up to {draws.Total()}, not {amount}: {Canonical.Event(e)}");
        Check(draws.All(d => d.Amount > 0), $"empty or negative draw: {Canonical.Event(e)}");
        Check(draws.Select(d => d.GrantId).Distinct().Count() == draws.Count, $"two draws on one block: {Canonical.Event(e)}");
    }

    /// <summary>Rules of the state and the read view after every step; <paramref name="touched"/> are the step's new events.</summary>
    private void CheckState(IReadOnlyList<object>? touched = null)
    {
        var a = account!;
        touched ??= [];
        Check(a.Version == log.Count, $"version {a.Version} after {log.Count} events");

        // What a read's catch-up would write keeps the same rules as what is written.
        var (_, _, pending, v) = View();
        CheckNewEvents(pending, a, written: false);

        // The read view: the balance equation, its signs, and the model's totals.
        var b = Read();
        Check(Terms is not null || b == Balance.Of(a, now), $"without plan terms the read view is not Balance.Of: {b} vs {Balance.Of(a, now)}");
        Check(b.IsConsistent, $"balance equation broken: {b}");
        Check(b.Available + b.Reserved + b.Frozen == b.Granted - b.Consumed - b.Expired - b.Voided + b.Refunded, $"balance equation broken: {b}");
        Check(b.Reserved >= 0 && b.Frozen >= 0, $"reserved or frozen is negative: {b}");
        Check(frozenGrants.Count > 0 || b.Frozen == 0, $"credits frozen though no grant is: {b}");
        Check(b.Overage >= 0, $"overage is negative: {b}");
        Check(overageEverAllowed || (b.Available >= 0 && b.Overage == 0), $"available went negative without overage: {b}");
        // A plan without overage never shows credits below zero, whatever plans the account came from.
        Check(AllowOverage || (b.Available >= 0 && b.Overage == 0), $"below zero on a plan without overage: {b}");

        // Within one period, allowances and prorations never grant more than the most generous plan held in it.
        if (v.Period is { } current)
        {
            var periodGrants = v.Blocks.Values.Where(x => x.GrantId == current.AllowanceGrantId
                || x.GrantId.StartsWith("proration:", StringComparison.Ordinal) && x.GrantId.EndsWith(current.AllowanceGrantId[5..], StringComparison.Ordinal))
                .Sum(x => x.Amount);
            // (at the monthly rate: an anchored first period, its share of a month)
            var bound = Prorate(periodPeak, current, current.Start);
            Check(periodGrants <= bound, $"the period granted {periodGrants} in allowances, more than its most generous plan's {bound}");
            Check(v.PeriodAllowance == level && v.AllowanceWithheld == withheld,
                $"allowance level {v.PeriodAllowance} (withheld {v.AllowanceWithheld}) but the model has {level} ({withheld})");
        }

        // A partial refund claims its share of the block; what it could not take at once it takes as credits come free.
        foreach (var (id, minor) in refundedMinor)
        {
            if (!v.Blocks.TryGetValue(id, out var refundedBlock) || refundedBlock.IsVoided) continue;
            var share = (long)((Int128)refundedBlock.Amount * minor / 2_900);
            Check(refundedBlock.Voided + refundedBlock.RefundOwed == share, $"block {id} gave {refundedBlock.Voided} and owes {refundedBlock.RefundOwed} of a refunded share of {share}");
            Check(refundedBlock.RefundOwed == 0 || refundedBlock.Unheld <= 0, $"block {id} lends credits a refund still claims: {refundedBlock}");
        }
        Check(b.Expired >= 0 && b.Voided >= 0 && b.Refunded <= b.Consumed, $"impossible lifetime sums: {b}");

        // The plan's grants are the model's (rollovers checked one by one against the carry rule as they are made).
        var planBlocks = v.Blocks.Values.Where(x => !x.IsOverage && !grants.ContainsKey(x.GrantId)).ToList();
        var rollovers = planBlocks.Where(x => IsRollover(x.GrantId)).Sum(x => x.Amount);
        var made = planBlocks.Where(x => !IsRollover(x.GrantId)).ToDictionary(x => x.GrantId, x => x.Amount);
        Check(made.Count == planGrants.Count && made.All(kv => planGrants.TryGetValue(kv.Key, out var amount) && amount == kv.Value),
            $"the plan's grants {string.Join(", ", made.Select(kv => $"{kv.Key} {kv.Value}"))} are not the model's {string.Join(", ", planGrants.Select(kv => $"{kv.Key} {kv.Value}"))}");

        // Overage settled at a period end counts as granted (each settlement was checked against the debt it closed).
        var settled = log.Concat(pending).OfType<OverageSettled>().Sum(x => x.Amount);
        var effective = grants.Values.Where(g => g.EffectiveAt is null || g.EffectiveAt <= now).Sum(g => g.Amount) + planGrants.Values.Sum() + rollovers + settled;
        var partlyRefunded = log.Concat(pending).OfType<PurchasePartlyRefunded>().ToList();
        var upcoming = grants.Values.Where(g => g.EffectiveAt > now && !voided.Contains(g.GrantId))
            .Sum(g => g.Amount - partlyRefunded.Where(p => p.GrantId == g.GrantId).Sum(p => p.Voided));
        var reserved = holds.Values.Where(h => h.Status == "pending" && h.ExpiresAt > now).Sum(h => h.Command.Amount);
        Check(b.Granted == effective && b.Upcoming == upcoming, $"granted {b.Granted}/{b.Upcoming} but the model has {effective}/{upcoming}");
        Check(b.Consumed == consumed, $"consumed {b.Consumed} but the model has {consumed}");
        Check(b.Refunded == refunded, $"refunded {b.Refunded} but the model has {refunded}");
        Check(b.Reserved == reserved, $"reserved {b.Reserved} but the model has {reserved}");
        var nothingDied = voided.Count == 0 && partlyRefunded.Count == 0 && crossings == 0 && grants.Values.All(g => g.ExpiresAt is null || g.ExpiresAt > now);
        Check(!nothingDied || b.Expired + b.Voided == 0, $"credits expired or voided though no grant expired or was voided: {b}");

        // The plan, period, status and alarm as a read sees them are the model's.
        Check(v.Plan == plan && v.Period == period && v.PeriodConsumed == periodConsumed,
            $"plan {v.Plan}, period {v.Period}, used {v.PeriodConsumed} but the model has {plan}, {period}, {periodConsumed}");
        Check(v.Status == status && v.GraceEndsAt == graceEndsAt, $"status {v.Status} until {v.GraceEndsAt} but the model has {status} until {graceEndsAt}");
        Check(v.SpendingFrozen == spendingFrozen && v.AnomalyFlaggedAt == flaggedAt,
            $"frozen {v.SpendingFrozen} flagged {v.AnomalyFlaggedAt} but the model has {spendingFrozen} {flaggedAt}");
        Check(v.ConsumedInHourBefore(now) == LastHour(), $"{v.ConsumedInHourBefore(now)} consumed in the last hour but the model has {LastHour()}");
        Check(v.Blocks.Values.Where(x => x.IsFrozen).Select(x => x.GrantId).ToHashSet().SetEquals(frozenGrants),
            $"frozen grants {string.Join(", ", v.Blocks.Values.Where(x => x.IsFrozen).Select(x => x.GrantId))} but the model has {string.Join(", ", frozenGrants)}");

        // No hold of a feature the status turned off stays open.
        Check(v.Holds.Values.All(h => !(v.Status == AccountStatus.Grace && h.Feature == Features.Ai || v.Status == AccountStatus.Suspended && h.Feature != Features.Reports)),
            $"a hold whose work the status refuses is still open while {v.Status}");

        // Refunds per source never exceed what the source consumed, in the records and in the log.
        foreach (var u in records.Usages.Values) Check(u.Refunded <= u.Amount, $"usage {u.UsageId} refunded {u.Refunded} of {u.Amount}");
        foreach (var r in records.Reservations.Values) Check(r.Refunded <= r.Committed, $"reservation {r.ReservationId} refunded {r.Refunded} of {r.Committed}");
        foreach (var ((kind, id), total) in refundedBySource) Check(total <= ConsumedBy(kind, id), $"{kind} {id} refunded {total} of {ConsumedBy(kind, id)}");

        // The incremental state is the state a replay of the whole log rebuilds (compared field by field;
        // the canonical JSON, with blocks and holds in key order, shows the difference).
        var replayed = Account.Replay(log)!;
        Check(SameState(replayed, a), $"replaying the log gives another state than the incremental one:\n  replayed:    {Canonical.Of(replayed)}\n  incremental: {Canonical.Of(a)}");
        var replayedRecords = AccountRecords.Empty.Then(log);
        Check(replayedRecords.Reservations.Count == records.Reservations.Count && replayedRecords.Usages.Count == records.Usages.Count
            && replayedRecords.Refunds.Count == records.Refunds.Count, "replaying the log gives another number of records");
        foreach (var e in touched)
        {
            var (reservation, usage, refund) = AccountRecords.Touches(e);
            Check(Json(replayedRecords.Reservation(reservation ?? "")) == Json(records.Reservation(reservation ?? ""))
                && Json(replayedRecords.Usage(usage ?? "")) == Json(records.Usage(usage ?? ""))
                && Json(replayedRecords.Refund(refund ?? "")) == Json(records.Refund(refund ?? "")),
                $"replaying the log gives another record than the incremental one for {Canonical.Event(e)}");
        }

        // The arithmetic holds on the read view (the decider already checked the written state).
        Invariants.Check(v, now);
    }

    private static string Describe(PlanTerms? terms) => terms is null ? "(unknown to the host)"
        : $"({terms.Allowance}/month, overage {terms.AllowOverage}, max {terms.MaxCreditsPerRequest}, [{string.Join(",", terms.Features)}], "
          + $"rollover {terms.RolloverMin}-{terms.RolloverMax}, alarm {terms.VelocityCreditsPerHour}{(terms.VelocityFreezes ? " freezing" : "")}, "
          + $"trial {terms.TrialGrant}, grace {terms.GraceDays} d, overage at period end {terms.SettleOverageAtPeriodEnd?.ToString() ?? "repaid"})";

    // ---------------------------------------------------------------- helpers

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new ShouldAssertException(what);
    }

    /// <summary>The message's holes are evaluated only when the check fails (some render whole states).</summary>
    private static void Check(bool condition, [InterpolatedStringHandlerArgument("condition")] FailureMessage what)
    {
        if (!condition) throw new ShouldAssertException(what.ToStringAndClear());
    }

    private static DateTimeOffset At(object e) =>
        AccountEvents.InstantOf(e) ?? throw new InvalidOperationException($"unknown event {e.GetType().Name}");

    private static bool Same(IReadOnlyList<object> a, IReadOnlyList<object> b) => Show(a) == Show(b);

    private static string Json(object? value) => value is null ? "" : System.Text.Json.JsonSerializer.Serialize(value, value.GetType());

    /// <summary>
    /// Value equality of two states: blocks are flat records; holds carry lists and metadata, compared by
    /// content; everything else in the account is compared through its JSON.
    /// </summary>
    private static bool SameState(Account x, Account y) =>
        Canonical.Rest(x) == Canonical.Rest(y)
        && x.Blocks.Count == y.Blocks.Count && x.Blocks.All(kv => y.Blocks.TryGetValue(kv.Key, out var b) && b == kv.Value)
        && x.Holds.Count == y.Holds.Count && x.Holds.All(kv => y.Holds.TryGetValue(kv.Key, out var h) && SameHold(kv.Value, h));

    private static readonly IReadOnlyList<Draw> NoDraws = [];

    private static bool SameHold(PendingHold x, PendingHold y) =>
        x with { Draws = NoDraws, Metadata = null } == y with { Draws = NoDraws, Metadata = null }
        && x.Draws.SequenceEqual(y.Draws) && Json(x.Metadata) == Json(y.Metadata);

    private static string Show(IEnumerable<object> events) => string.Join(" | ", events.Select(Canonical.Event));

    private static string Records(AccountRecords r) => System.Text.Json.JsonSerializer.Serialize(new
    {
        Reservations = r.Reservations.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
        Usages = r.Usages.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
        Refunds = r.Refunds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
    });

    private static string Describe(Decision d) => d switch
    {
        Decision.Rejected r => $"rejected {r.Rejection.Code}",
        Decision.Replayed => "replayed",
        _ => "accepted",
    };
}

/// <summary>An interpolated failure message that is formatted only when its condition is false.</summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler inner;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool failing)
    {
        failing = !condition;
        inner = failing ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => inner.AppendLiteral(value);
    public void AppendFormatted<T>(T value) => inner.AppendFormatted(value);
    public void AppendFormatted<T>(T value, string? format) => inner.AppendFormatted(value, format);
    public string ToStringAndClear() => inner.ToStringAndClear();
}
