using System.Collections.Concurrent;
using Ledger.Benchmarks.Harness;
using Npgsql;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// DESIGN.md: "Stripe ingestion: >= 500 webhook deliveries/s with half of them duplicates, exactly one effect
/// each". Unique Checkout events, each delivered twice in shuffled order by concurrent clients and signed as
/// Stripe signs; then every account's balance and the event store are checked for exactly one grant per paid
/// purchase.
/// </summary>
public sealed class WebhooksScenario(Options options) : Scenario
{
    private const string Plan = "starter";
    private const double TargetDeliveriesPerSecond = 500;
    private const int DeliveriesPerEvent = 2;

    // A few sessions complete unpaid (delayed payment methods): recorded, but they must grant nothing.
    private const double UnpaidShare = 0.05;
    private static readonly string[] Packs = ["pack_500", "pack_2000"];

    private readonly int _accounts = options.Int("webhooks-accounts", 500);
    private readonly int _events = options.Int("webhooks-events", 6000);
    private readonly int _warmupEvents = options.Int("webhooks-warmup-events", 500);
    private readonly int _clients = options.Clients;
    private readonly int _seed = options.Int("seed", 20261123);
    private readonly TimeSpan _latency = options.LatencyDuration;

    public override string Name => "webhooks";

    public override int Clients => _clients;

    public override string Summary =>
        "Stripe webhook ingestion: checkout.session.completed events, each delivered twice (half the deliveries are duplicates)";

    public override IReadOnlyList<BaselineSpec> Baselines => [BaselineSpec.SimpleUpdate(_clients), BaselineSpec.SqlLedger(_clients)];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        var api = context.Api;
        var random = new Random(_seed);
        var catalog = await api.Plans(ct);
        var plan = catalog.Plans.Single(p => p.Id == Plan);
        var packs = Packs.Select(id => catalog.CreditPacks.Single(p => p.Id == id)).ToArray();

        var runTag = Guid.NewGuid().ToString("N")[..8];
        var accountIds = Enumerable.Range(1, _accounts).Select(i => $"bench-{runTag}-{i:D5}").ToList();
        // the warm-up's purchases go to accounts of their own: each purchase adds a credit block to its account, so a
        // longer warm-up on the measured accounts would make every measured write larger
        var warmupIds = Enumerable.Range(1, _accounts).Select(i => $"bench-{runTag}-w{i:D5}").ToList();
        Console.WriteLine($"  opening {_accounts} accounts on plan '{Plan}' (and {_accounts} for the warm-up)");
        var opened = await LoadGenerator.Run([.. accountIds, .. warmupIds], _clients, (id, t) => api.OpenAccount(id, Plan, t), ct);
        if (opened.CountWhere(s => s is not (200 or 201)) > 0)
            throw new InvalidOperationException($"Opening the accounts failed ({opened.StatusSummary()}).");

        Purchase NewPurchase(IReadOnlyList<string>? on = null)
        {
            on ??= accountIds;
            var pack = packs[random.Next(packs.Length)];
            var paid = random.NextDouble() >= UnpaidShare;
            return StripeDeliveries.CheckoutCompleted(on[random.Next(on.Count)], pack.Id, pack.Credits,
                pack.PriceMinor, pack.Currency, paid, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        }
        var warmup = new List<Purchase>();
        var measured = Enumerable.Range(0, _events).Select(_ => NewPurchase()).ToList();

        Task<int> Deliver(Purchase purchase, CancellationToken t) => api.PostRaw("/v1/webhooks/stripe", purchase.Body,
            [("Stripe-Signature", StripeDeliveries.Signature(context.WebhookSecret, purchase.Body, DateTimeOffset.UtcNow.ToUnixTimeSeconds()))], t);

        var warmupSummary = await Warmup.UntilSettled(context, options, $"{_warmupEvents} new events delivered {DeliveriesPerEvent}x", _ =>
        {
            var slice = Enumerable.Range(0, _warmupEvents).Select(_ => NewPurchase(warmupIds)).ToList();
            warmup.AddRange(slice);
            return LoadGenerator.Run(Deliveries(slice, random), _clients, Deliver, ct);
        });

        var deliveries = Deliveries(measured, random);
        Console.WriteLine($"  measuring: {deliveries.Count} deliveries of {measured.Count} events, {_clients} clients");
        var cpu = context.MeasureCpu();
        var load = await LoadGenerator.Run(deliveries, _clients, Deliver, ct);
        var cpuShares = cpu.Stop();

        // Latency at half the rate just measured, open loop: more events, each delivered twice, on a fixed schedule.
        var half = Math.Max(1, load.PerSecond / 2);
        var paced = Enumerable.Range(0, Math.Max(1, Phase.CountFor(half, _latency) / DeliveriesPerEvent)).Select(_ => NewPurchase()).ToList();
        var pacedDeliveries = Deliveries(paced, random);
        var atHalf = await Phase.AtRate(context, "deliveries at half the max rate", "deliveries", half, pacedDeliveries.Count, _clients,
            (i, steps, t) => steps.Time("delivery", u => Deliver(pacedDeliveries[(int)i], u), t), ct);

        var paidCount = measured.Count(p => p.Paid);
        report.Figure("setup", $"{_accounts} accounts ({Plan}; the warm-up on {_accounts} others), {measured.Count} unique events ({paidCount} paid, {measured.Count - paidCount} unpaid), " +
            $"each delivered {DeliveriesPerEvent}x shuffled = {deliveries.Count} deliveries, {_clients} clients, " +
            $"after {warmup.Count * DeliveriesPerEvent} warm-up deliveries; {warmupSummary}");
        report.Target("deliveries/s", Format.Rate(load.PerSecond), $">= {Format.Rate(TargetDeliveriesPerSecond)}",
            load.PerSecond >= TargetDeliveriesPerSecond);
        report.Ratio("deliveries/s", load.PerSecond, context.Baselines, BaselineSpec.SimpleUpdate(_clients));
        report.Ratio("deliveries/s", load.PerSecond, context.Baselines, BaselineSpec.SqlLedger(_clients));
        report.Figure("unique events applied/s", Format.Rate(load.PerSecond / DeliveriesPerEvent));
        report.Figure("latency p50 / p99 / max",
            $"{Format.Ms(load.PercentileMs(50))} / {Format.Ms(load.PercentileMs(99))} / {Format.Ms(load.PercentileMs(100))}");
        var notOk = load.CountWhere(s => s != 200);
        report.Target("non-200 answers", notOk == 0 ? "0" : $"{notOk} ({load.StatusSummary()})", "0", notOk == 0);
        if (load.FirstError is { } error) report.Note($"first transport error: {error}");
        report.Cpu("while measuring", cpuShares);
        report.Figure($"delivery latency p99 at half the max rate ({Format.Rate(half)} deliveries/s)", Format.Ms(atHalf.Step("delivery").PercentileMs(99)));
        report.Phase(atHalf);
        var pacedNotOk = atHalf.Load.CountWhere(s => s != 200);
        report.Target("non-200 answers at half the max rate", pacedNotOk == 0 ? "0" : $"{pacedNotOk} ({atHalf.Load.StatusSummary()})", "0", pacedNotOk == 0);

        await Verify(context, report, plan, [.. accountIds, .. warmupIds], [.. warmup, .. measured, .. paced], ct);
    }

    /// <summary>Every purchase twice, shuffled: duplicates arrive sometimes far apart, sometimes concurrently.</summary>
    private static List<Purchase> Deliveries(IReadOnlyList<Purchase> purchases, Random random)
    {
        var deliveries = purchases.SelectMany(p => Enumerable.Repeat(p, DeliveriesPerEvent)).ToArray();
        random.Shuffle(deliveries);
        return [.. deliveries];
    }

    /// <summary>Exactly one effect per event: seen through the API (balances) and in the event store itself.</summary>
    private async Task Verify(BenchContext context, ScenarioReport report, PlanInfo plan, IReadOnlyList<string> accountIds,
        IReadOnlyList<Purchase> sent, CancellationToken ct)
    {
        var opening = plan.Allowance + plan.TrialGrant;
        var expected = accountIds.ToDictionary(id => id, _ => opening);
        foreach (var purchase in sent) expected[purchase.AccountId] += purchase.Credits;

        var wrong = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(accountIds, new ParallelOptions { MaxDegreeOfParallelism = _clients, CancellationToken = ct },
            async (id, t) =>
            {
                var balance = await context.Api.Balance(id, t);
                if (balance.Available != expected[id]) wrong.Add($"{id}: available {balance.Available}, expected {expected[id]}");
            });
        report.Check("balances = allowance + unique paid purchases", $"{accountIds.Count - wrong.Count} of {accountIds.Count} accounts",
            $"all {accountIds.Count}", wrong.IsEmpty);
        foreach (var example in wrong.Take(5)) report.Note($"balance mismatch: {example}");

        var paidIds = sent.Where(p => p.Paid).Select(p => p.EventId).ToArray();
        var unpaidIds = sent.Where(p => !p.Paid).Select(p => p.EventId).ToArray();
        var schema = context.DatabaseSchema;

        // Purchase grants in the event store, by the Stripe event that caused them (ADR 10: the event id is the causation).
        var grants = await Scalars(context.Database, $"""
            SELECT count(*) FILTER (WHERE causation_id = ANY(@paid)),
                   count(DISTINCT causation_id) FILTER (WHERE causation_id = ANY(@paid)),
                   count(*) FILTER (WHERE causation_id = ANY(@unpaid)),
                   count(*)
            FROM {schema}.mt_events
            WHERE type = 'credits_granted' AND stream_id = ANY(@accounts) AND lower(data->>'source') = 'purchase'
            """, ct, ("paid", paidIds), ("unpaid", unpaidIds), ("accounts", accountIds.ToArray()));
        var (byPaid, distinctPaid, byUnpaid, allPurchaseGrants) = (grants[0], grants[1], grants[2], grants[3]);
        report.Check("purchase grants in the event store", $"{allPurchaseGrants} ({distinctPaid} distinct causing events, {byUnpaid} from unpaid)",
            $"{paidIds.Length} (one per paid event)",
            byPaid == paidIds.Length && distinctPaid == paidIds.Length && byUnpaid == 0 && allPurchaseGrants == paidIds.Length);

        // Each event recorded once, with both deliveries counted.
        var records = await Scalars(context.Database, $"""
            SELECT count(*), coalesce(sum((data->>'deliveries')::bigint), 0)
            FROM {schema}.mt_doc_stripeeventrecord WHERE id = ANY(@ids)
            """, ct, ("ids", sent.Select(p => p.EventId).ToArray()));
        report.Check("Stripe event records", $"{records[0]}", $"{sent.Count} (one per event)", records[0] == sent.Count);
        report.Target("deliveries counted on the records", $"{records[1]}", $"{sent.Count * DeliveriesPerEvent}", records[1] == sent.Count * DeliveriesPerEvent);
    }

    private static async Task<long[]> Scalars(NpgsqlDataSource database, string sql, CancellationToken ct, params (string Name, string[] Values)[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        foreach (var (name, values) in parameters) command.Parameters.AddWithValue(name, values);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }
}
