using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Rebuilds;

/// <summary>One write the story made, as the test itself keeps it (independently of the service).</summary>
public sealed record Movement(DateTimeOffset At, string Kind, long Amount, string Feature);

/// <summary>
/// An account with a stream long enough to hold snapshots (ADR 40: one every 1,000 events), written through the API in
/// batches of concurrent requests: usages under two features, reservations committed whole, refunds of usages made in
/// earlier batches (so refunds refer back across snapshots). The clock moves 6 hours between batches, so the stream
/// spans days. The test keeps its own list of what it wrote.
/// </summary>
public sealed class LongStreamApp(PostgresServer server) : IAsyncLifetime
{
    public const string Account = "long";
    public const int Batches = 24;
    public const int UsagesPerBatch = 100;

    public LedgerApp App { get; private set; } = null!;
    public List<Movement> Movements { get; } = [];
    public DateTimeOffset OpenedAt { get; private set; }
    public List<DateTimeOffset> BatchInstants { get; } = [];

    public async ValueTask InitializeAsync()
    {
        App = await CreditsKit.StartAppAsync(server, "longstream");
        var admin = App.Admin();
        var random = new Random(20261202);
        var at = $"/v1/accounts/{Account}";
        App.ClockOffTheMicrosecond(); // every instant of the story: PostgreSQL would round each of them up
        OpenedAt = App.Clock.GetUtcNow();
        await App.OpenAccountAsync(Account, CreditsKit.Plan);
        await App.GrantAsync(Account, 10_000_000, grantId: "base");
        var usages = new List<(string Id, long Amount, string Feature)>();
        for (var batch = 0; batch < Batches; batch++)
        {
            App.Clock.Advance(TimeSpan.FromHours(6));
            var now = App.Clock.GetUtcNow();
            BatchInstants.Add(now);
            var writes = new List<Func<Task>>();
            for (var i = 0; i < UsagesPerBatch; i++)
            {
                var (id, amount, feature) = ($"u{batch}-{i}", (long)random.Next(1, 50), i % 3 == 0 ? "sync" : "ai");
                usages.Add((id, amount, feature));
                Movements.Add(new Movement(now, "usage", amount, feature));
                writes.Add(async () => await (await admin.PostJson($"{at}/usage", new { usageId = id, amount, feature })).ShouldBe(201));
            }
            for (var i = 0; i < 2; i++)
            {
                var (id, amount) = ($"r{batch}-{i}", (long)random.Next(10, 90));
                Movements.Add(new Movement(now, "commit", amount, "ai"));
                writes.Add(async () =>
                {
                    await (await admin.PostJson($"{at}/reservations", new { reservationId = id, amount, feature = "ai" })).ShouldBe(201);
                    await (await admin.PostJson($"{at}/reservations/{id}/commit", new { amount })).ShouldBe(200);
                });
            }
            if (batch > 0)
                for (var i = 0; i < 3; i++)
                {
                    var source = usages[random.Next(0, batch * UsagesPerBatch)];
                    if (Movements.Any(m => m.Kind == $"refund:{source.Id}")) continue;
                    var amount = Math.Max(1, source.Amount / 2);
                    Movements.Add(new Movement(now, $"refund:{source.Id}", amount, source.Feature));
                    writes.Add(async () => await (await admin.PostJson($"{at}/refunds",
                        new { refundId = $"f-{source.Id}", usageId = source.Id, amount, reason = "test" })).ShouldBe(201));
                }
            // eight at a time: the write pipeline batches them, as under real load
            foreach (var chunk in writes.Chunk(8)) await Task.WhenAll(chunk.Select(w => w()));
        }
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    public static long Consumed(IEnumerable<Movement> movements) => movements.Where(m => m.Kind is "usage" or "commit").Sum(m => m.Amount);

    public static long Refunded(IEnumerable<Movement> movements) => movements.Where(m => m.Kind.StartsWith("refund:", StringComparison.Ordinal)).Sum(m => m.Amount);

}
