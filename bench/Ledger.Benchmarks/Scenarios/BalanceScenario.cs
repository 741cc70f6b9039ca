using Ledger.Benchmarks.Harness;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// Balance reads (<c>GET /v1/accounts/{id}/balance</c>) on distinct accounts with a read-only key, next to two
/// trivial requests that show what comes before the read: <c>GET /health/live</c> (anonymous: the HTTP stack alone)
/// and <c>GET /v1/plans</c> (authenticated, answered from memory: plus the API key check). Each at its maximum rate,
/// then the balance reads at half theirs for the latency. Baseline: pgbench select-only, the read ceiling.
/// </summary>
public sealed class BalanceScenario(Options options) : Scenario
{
    private const string Plan = "enterprise";
    private readonly int _accounts = options.Int("balance-accounts", 2000);
    private readonly int _clients = options.Clients;
    private readonly TimeSpan _maxRate = options.MaxRateDuration;
    private readonly TimeSpan _latency = options.LatencyDuration;
    private readonly TimeSpan _warmup = options.WarmupDuration;

    public override string Name => "balance";
    public override string Summary => $"balance reads on {_accounts:N0} accounts, against GET /health/live and GET /v1/plans, {_clients} clients";
    public override int Clients => _clients;
    private BaselineSpec SelectOnly => BaselineSpec.SelectOnly(_clients);
    public override IReadOnlyList<BaselineSpec> Baselines => [SelectOnly];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        var runTag = Guid.NewGuid().ToString("N")[..8];
        var accountIds = Enumerable.Range(1, _accounts).Select(i => $"bench-{runTag}-{i:D6}").ToList();
        Console.WriteLine($"  opening {_accounts} accounts on plan '{Plan}', one usage each");
        var opened = await LoadGenerator.Run(accountIds, _clients, async (id, t) =>
        {
            var status = await context.Api.OpenAccount(id, Plan, t);
            return status is 200 or 201 ? await context.Api.Usage(id, $"{id}.setup", 10, Spending.Feature, t) : status;
        }, ct);
        if (opened.CountWhere(s => s != 201) > 0) throw new InvalidOperationException($"Setting the accounts up failed ({opened.StatusSummary()}).");

        var reader = context.Api.WithKey(await context.Api.CreateApiKey("bench reads", ["ledger:read"], ct));
        Task<int> Balance(StepTimer steps, CancellationToken t) =>
            steps.Time("balance", u => reader.Get($"{LedgerClient.AccountPath(accountIds[Random.Shared.Next(accountIds.Count)])}/balance", u), t);

        Console.WriteLine($"  warm-up: {_warmup.TotalSeconds:N0} s of each request (not counted)");
        await LoadGenerator.RunFor(_warmup, _clients, (i, t) => (i % 3) switch
        {
            0 => reader.Get("/health/live", t, anonymous: true),
            1 => reader.Get("/v1/plans", t),
            _ => Balance(new StepTimer(), t),
        }, ct);

        var live = await Phase.MaxRate(context, "GET /health/live (anonymous), max rate", "requests", _maxRate, _clients,
            (_, steps, t) => steps.Time("live", u => reader.Get("/health/live", u, anonymous: true), t), ct);
        var plans = await Phase.MaxRate(context, "GET /v1/plans (API key), max rate", "requests", _maxRate, _clients,
            (_, steps, t) => steps.Time("plans", u => reader.Get("/v1/plans", u), t), ct);
        var balances = await Phase.MaxRate(context, "GET balance, max rate", "reads", _maxRate, _clients, (_, steps, t) => Balance(steps, t), ct);
        var half = Phase.HalfOf(balances);
        var balancesAtHalf = await Phase.AtRate(context, "GET balance at half the max rate", "reads", half, Phase.CountFor(half, _latency), _clients,
            (_, steps, t) => Balance(steps, t), ct);

        report.Figure("setup", $"{_accounts:N0} accounts on plan {Plan}, one usage each (4 events per stream), {_clients} clients, " +
            $"each read on a random account with a ledger:read key; warm-up {_warmup.TotalSeconds:N0} s");
        report.Ratio("balance reads/s", balances.Rate, context.Baselines, SelectOnly);
        report.Ratio("GET /v1/plans/s", plans.Rate, context.Baselines, SelectOnly);
        report.Ratio("GET /health/live/s", live.Rate, context.Baselines, SelectOnly);
        report.Figure($"balance read latency p99 at half the max rate ({Format.Rate(half)} reads/s)", Format.Ms(balancesAtHalf.Step("balance").PercentileMs(99)));
        PhaseResult[] all = [live, plans, balances, balancesAtHalf];
        report.Answers(all, context.Api);
        foreach (var phase in all) report.Phase(phase);
    }
}
