using System.Diagnostics;
using Ledger.Benchmarks.Harness;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// Issue 12, item 3 (ADR 45): the cost of the hash chain. Appends: one account's stream grown to
/// <c>--chain-events</c> (default 10,000) events by usage requests from <c>--chain-clients</c> clients (every event hashed
/// in its write transaction), as events/s; the same appends on a build without the chain are the "without" figure
/// (docs/benchmarks.md). Verify: <c>GET /verify</c> on that stream (reads every row, recomputes every hash), repeated,
/// with the chain checked intact. Baseline: pgbench simple-update, the durable-commit ceiling.
/// </summary>
public sealed class ChainScenario(Options options) : SpendingScenario(options)
{
    private readonly int _events = options.Int("chain-events", 10_000);
    private readonly int _clients = options.Int("chain-clients", 16);
    private readonly int _verifies = options.Int("chain-verifies", 5);

    public override string Name => "chain";
    public override string Summary => $"hash chain: {_events:N0} events appended to one account by {_clients} clients, then verify";
    public override int Clients => _clients;
    private BaselineSpec SimpleUpdate => BaselineSpec.SimpleUpdate(_clients);
    public override IReadOnlyList<BaselineSpec> Baselines => [SimpleUpdate];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        var load = await LoadClient(context, ct);
        var account = $"bench-{RunTag}-chain";
        await OpenAccounts(context, [account], "enterprise", 1, ct);
        var opened = (await TryVerify(context, account, ct))?.Events ?? 0;
        var usages = Enumerable.Range(1, Math.Max(0, _events - (int)opened)).Select(i => $"{account}.u{i}").ToList();
        Console.WriteLine($"  appending {usages.Count:N0} usage events to {account} with {_clients} clients");
        var appended = await LoadGenerator.Run(usages, _clients, (id, t) => load.Usage(account, id, 1, Spending.Feature, t), ct);

        report.Figure("setup", $"one account on plan enterprise, {opened + usages.Count:N0} events, usage of 1 credit per request, {_clients} clients");
        report.Ratio("appends (events)/s", appended.SucceededPerSecond, context.Baselines, SimpleUpdate);
        report.Figure("append latency p50 / p99", $"{Format.Ms(appended.PercentileMs(50))} / {Format.Ms(appended.PercentileMs(99))}");
        report.Check("every append accepted", appended.StatusSummary(), "all 201", appended.Succeeded == usages.Count);
        if (await TryVerify(context, account, ct) is not { } verdict) // warm: the first read of the rows
        {
            report.Figure("GET /verify", "not available: a build without the chain (the appends above are the \"without\" figure)");
            return;
        }
        var timings = new List<double>();
        for (var i = 0; i < _verifies; i++)
        {
            var started = Stopwatch.GetTimestamp();
            verdict = await context.Api.Verify(account, ct);
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        timings.Sort();
        report.Figure($"GET /verify on {verdict.Events:N0} events: min / median / max of {_verifies}",
            $"{Format.Ms(timings[0])} / {Format.Ms(timings[timings.Count / 2])} / {Format.Ms(timings[^1])}");
        report.Figure("verify throughput (events/s, median)", Format.Rate(verdict.Events / (timings[timings.Count / 2] / 1000)));
        report.Check("the chain verifies intact", verdict.Status, "intact", verdict.Status == "intact" && verdict.Events == verdict.Version);
    }

    private static async Task<VerifyInfo?> TryVerify(BenchContext context, string account, CancellationToken ct)
    {
        try
        {
            return await context.Api.Verify(account, ct);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
