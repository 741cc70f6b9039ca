using System.Diagnostics;
using Ledger.Benchmarks.Harness;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// Reserve+commit pairs and direct usage on a set of accounts: a warm-up, the maximum rate of each (closed loop,
/// fixed time), then each at half its maximum rate (open loop) for the latency. <see cref="DistinctScenario"/> and
/// <see cref="HotScenario"/> differ in the accounts and clients.
/// </summary>
public abstract class SpendingScenario(Options options) : Scenario
{
    protected readonly TimeSpan MaxRateDuration = options.MaxRateDuration;
    protected readonly TimeSpan LatencyDuration = options.LatencyDuration;
    protected string WarmupSummary = "";
    protected readonly string RunTag = Guid.NewGuid().ToString("N")[..8];

    /// <summary>The key the load runs with: read and write, as a SaaS backend's (not the admin key).</summary>
    protected static async Task<LedgerClient> LoadClient(BenchContext context, CancellationToken ct) =>
        context.Api.WithKey(await context.Api.CreateApiKey("bench load", ["ledger:read", "ledger:write"], ct));

    /// <summary>Opens the accounts through the API (admin key); returns how long it took.</summary>
    protected static async Task<TimeSpan> OpenAccounts(BenchContext context, IReadOnlyList<string> accountIds, string plan, int clients,
        CancellationToken ct)
    {
        Console.WriteLine($"  opening {accountIds.Count} accounts on plan '{plan}'");
        var clock = Stopwatch.StartNew();
        var opened = await LoadGenerator.Run(accountIds, clients, (id, t) => context.Api.OpenAccount(id, plan, t), ct);
        if (opened.CountWhere(s => s is not (200 or 201)) > 0)
            throw new InvalidOperationException($"Opening the accounts failed ({opened.StatusSummary()}); first 5xx: {context.Api.FirstServerError}");
        return clock.Elapsed;
    }

    /// <summary>Warm-up, then the four measured phases: pairs and usage at their maximum rate, then at half of it.</summary>
    protected async Task<SpendingPhases> Measure(BenchContext context, Spending spending, int clients, CancellationToken ct)
    {
        // each slice its own ids: the generator numbers operations from 0 again, and an id used before is a replay
        WarmupSummary = await Warmup.UntilSettled(context, options, "5 s of pairs and usage", slice =>
            LoadGenerator.RunFor(TimeSpan.FromSeconds(5), clients, (i, t) => spending.Mixed($"w{slice}", i, new StepTimer(), t), ct));

        var pairs = await Phase.MaxRate(context, "reserve+commit, max rate", "pairs", MaxRateDuration, clients,
            (i, steps, t) => spending.Pair("p", i, steps, t), ct);
        var usage = await Phase.MaxRate(context, "usage, max rate", "usages", MaxRateDuration, clients,
            (i, steps, t) => spending.Use("u", i, steps, t), ct);
        var pairsRate = Phase.HalfOf(pairs);
        var pairsAtHalf = await Phase.AtRate(context, "reserve+commit at half the max rate", "pairs", pairsRate,
            Phase.CountFor(pairsRate, LatencyDuration), clients, (i, steps, t) => spending.Pair("ph", i, steps, t), ct);
        var usageRate = Phase.HalfOf(usage);
        var usageAtHalf = await Phase.AtRate(context, "usage at half the max rate", "usages", usageRate,
            Phase.CountFor(usageRate, LatencyDuration), clients, (i, steps, t) => spending.Use("uh", i, steps, t), ct);
        return new SpendingPhases(pairs, usage, pairsAtHalf, usageAtHalf);
    }

    /// <summary>The headline rows: rates against the baselines, latencies at half load.</summary>
    protected static void Headline(ScenarioReport report, BenchContext context, SpendingPhases m, BaselineSpec sqlLedger, BaselineSpec simpleUpdate,
        double pairsTarget, double? reserveP99TargetMs)
    {
        report.Ratio("reserve+commit pairs/s", m.Pairs.Rate, context.Baselines, sqlLedger, atLeast: pairsTarget);
        report.Ratio("reserve+commit pairs/s", m.Pairs.Rate, context.Baselines, simpleUpdate);
        report.Ratio("usages/s", m.Usage.Rate, context.Baselines, sqlLedger);
        report.Ratio("usages/s", m.Usage.Rate, context.Baselines, simpleUpdate);
        var reserveP99 = m.PairsAtHalf.Step("reserve").PercentileMs(99);
        var metric = $"reserve latency p99 at half the max rate ({Format.Rate(m.PairsAtHalf.Paced!.TargetRate)} pairs/s)";
        if (reserveP99TargetMs is { } target) report.Target(metric, Format.Ms(reserveP99), $"< {Format.Ms(target)}", reserveP99 < target);
        else report.Figure(metric, Format.Ms(reserveP99));
        report.Figure($"usage latency p99 at half the max rate ({Format.Rate(m.UsageAtHalf.Paced!.TargetRate)} usages/s)",
            Format.Ms(m.UsageAtHalf.Step("usage").PercentileMs(99)));
    }
}

public sealed record SpendingPhases(PhaseResult Pairs, PhaseResult Usage, PhaseResult PairsAtHalf, PhaseResult UsageAtHalf)
{
    public IReadOnlyList<PhaseResult> All => [Pairs, Usage, PairsAtHalf, UsageAtHalf];
}

/// <summary>
/// DESIGN.md: "Distinct accounts: reserve+commit pairs per second >= 0.5 x the hand-written SQL ledger's operations per
/// second; p99 reserve latency &lt; 25 ms at half that load." 10,000 accounts on plan enterprise (10,000,000 credits
/// each), 32 clients, each operation on an account picked at random.
/// </summary>
public sealed class DistinctScenario(Options options) : SpendingScenario(options)
{
    private const string Plan = "enterprise";
    private const double PairsTarget = 0.5;
    private const double ReserveP99TargetMs = 25;
    private readonly int _accounts = options.Int("distinct-accounts", 10_000);
    private readonly int _clients = options.Clients;

    public override string Name => "distinct";
    public override string Summary => $"reserve+commit pairs and direct usage on {_accounts:N0} distinct accounts, {_clients} clients";
    public override int Clients => _clients;

    private BaselineSpec SqlLedger => BaselineSpec.SqlLedger(_clients, _accounts);
    private BaselineSpec SimpleUpdate => BaselineSpec.SimpleUpdate(_clients);
    public override IReadOnlyList<BaselineSpec> Baselines => [SimpleUpdate, SqlLedger];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        var accountIds = Enumerable.Range(1, _accounts).Select(i => $"bench-{RunTag}-{i:D6}").ToList();
        var opening = await OpenAccounts(context, accountIds, Plan, _clients, ct);
        var spending = new Spending(await LoadClient(context, ct), accountIds, RunTag);
        var m = await Measure(context, spending, _clients, ct);

        report.Figure("setup", $"{_accounts:N0} accounts on plan {Plan} (opened in {opening.TotalSeconds:N1} s), {_clients} clients, " +
            $"each operation on a random account, 1-100 credits reserved, committed 1-the hold; {WarmupSummary}");
        Headline(report, context, m, SqlLedger, SimpleUpdate, PairsTarget, ReserveP99TargetMs);
        report.Answers(m.All, context.Api);
        foreach (var phase in m.All) report.Phase(phase);
        await spending.Verify(context, report, sample: 500, ct);
    }
}
