using Ledger.Benchmarks.Harness;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// DESIGN.md: "One hot account, 64 concurrent clients: >= 4 x the hand-written SQL ledger on one hot row, zero
/// overspend, zero 5xx." Throughput: one account on plan enterprise with ample credits (a manual grant), every client
/// on it. Overspend: another account on plan starter (overage blocked) holding about half the credits a fixed burst of
/// mixed reserve+commit (a quarter of the commits above their hold) and usage asks for, so hundreds of requests are
/// refused with 402; then its balance and its events, replayed in order, must show that it never spent what it did
/// not have.
/// </summary>
public sealed class HotScenario(Options options) : SpendingScenario(options)
{
    private const string Plan = "enterprise";
    private const string OverspendPlan = "starter";
    private const double PairsTarget = 4;
    private const long AmpleCredits = 1_000_000_000_000;

    // Mean of the credits one operation of the burst asks for: 1-100 reserved or used (50.5), plus the excess of the
    // quarter of commits that go above their hold (1-the hold, 25.75 on average, on half the operations).
    private const double CreditsAskedPerOperation = 50.5 + 0.5 * 0.25 * 25.75;
    private const double OverHoldShare = 0.25;

    private readonly int _clients = options.Int("hot-clients", 64);
    private readonly int _overspendOperations = options.Int("hot-overspend-operations", 4000);

    public override string Name => "hot";
    public override string Summary => $"reserve+commit pairs and direct usage on one hot account, {_clients} clients; then an overspend burst";
    public override int Clients => _clients;

    private BaselineSpec SqlLedger => BaselineSpec.SqlLedger(_clients, accounts: 1);
    private BaselineSpec SimpleUpdate => BaselineSpec.SimpleUpdate(_clients);
    public override IReadOnlyList<BaselineSpec> Baselines => [SimpleUpdate, SqlLedger];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        var load = await LoadClient(context, ct);
        var hot = $"bench-{RunTag}-hot";
        await OpenAccounts(context, [hot], Plan, 1, ct);
        Granted(await context.Api.Grant(hot, AmpleCredits, "manual", "bench: ample credits for the throughput phases", ct));
        var spending = new Spending(load, [hot], RunTag);
        var m = await Measure(context, spending, _clients, ct);

        // The overspend burst: credits for about half of what it asks.
        var catalog = await context.Api.Plans(ct);
        var allowance = catalog.Plans.Single(p => p.Id == OverspendPlan).Allowance;
        var scarce = $"bench-{RunTag}-scarce";
        var credits = (long)(_overspendOperations * CreditsAskedPerOperation / 2);
        await OpenAccounts(context, [scarce], OverspendPlan, 1, ct);
        if (credits > allowance) Granted(await context.Api.Grant(scarce, credits - allowance, "manual", "bench: half the burst's demand", ct));
        var scarceSpending = new Spending(load, [scarce], RunTag) { OverHoldShare = OverHoldShare };
        var burst = await Phase.Count(context, "overspend burst", "operations", _overspendOperations, _clients,
            (i, steps, t) => scarceSpending.Mixed("o", i, steps, t), ct);

        report.Figure("setup", $"throughput: one account on plan {Plan} with {Format.Count(AmpleCredits)} more credits granted, {_clients} clients, " +
            $"1-100 credits reserved, committed 1-the hold; {WarmupSummary}. Overspend burst: one account on plan " +
            $"{OverspendPlan} (overage blocked) with {Format.Count(Math.Max(credits, allowance))} credits, {_overspendOperations} operations " +
            $"(half reserve+commit with {OverHoldShare:P0} of the commits above the hold, half usage) asking about {Format.Count((long)(_overspendOperations * CreditsAskedPerOperation))} credits");
        Headline(report, context, m, SqlLedger, SimpleUpdate, PairsTarget, reserveP99TargetMs: null);
        report.Answers([.. m.All, burst], context.Api, expected: s => s == 402);
        foreach (var phase in m.All) report.Phase(phase);
        report.Phase(burst);

        await spending.Verify(context, report, sample: 1, ct, "hot account: ");
        await VerifyNoOverspend(context, report, scarce, scarceSpending, burst, ct);
    }

    private async Task VerifyNoOverspend(BenchContext context, ScenarioReport report, string account, Spending spending, PhaseResult burst,
        CancellationToken ct)
    {
        var refused = burst.Requests.Sum(r => r.CountWhere(s => s == 402));
        report.Target("overspend burst: requests refused with 402 (the demand exceeded the credits)", Format.Count(refused), "> 0", refused > 0);
        await spending.Verify(context, report, sample: 1, ct, "overspend burst: ");
        var balance = await context.Api.Balance(account, ct);
        report.Check("overspend burst: balance consumed <= granted, available >= 0",
            $"consumed {Format.Count(balance.Consumed)} of {Format.Count(balance.Granted)} granted, available {Format.Count(balance.Available)}, " +
            $"reserved {Format.Count(balance.Reserved)}", "consumed <= granted", balance.Consumed <= balance.Granted && balance.Available >= 0);
        var replay = await Spending.ReplayOverspend(context, account, ct);
        report.Check("overspend burst: event store replayed in order, consumed (+ held) never exceeds granted",
            replay.FirstBreach ?? $"{Format.Count(replay.Events)} events: never; at the end consumed {Format.Count(replay.Consumed)} of {Format.Count(replay.Granted)}",
            "never", replay.FirstBreach is null && replay.Consumed == balance.Consumed && replay.Granted == balance.Granted);
    }

    private static void Granted(int status)
    {
        if (status != 201) throw new InvalidOperationException($"Granting credits answered {status}.");
    }
}
