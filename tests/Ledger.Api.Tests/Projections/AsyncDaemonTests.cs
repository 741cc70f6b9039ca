using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Projections;
using Marten;
using Marten.Events.Aggregation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// The ledger has no async projection yet, but its store configuration (<see cref="LedgerStore.Configure"/>)
/// must keep Marten's async daemon working: HotCold leader election takes a PostgreSQL advisory lock through
/// Patched.DistributedLock.Postgres (ADR 13). Two nodes on one database: the first one elected catches up,
/// then it stops and the second takes the lock over and projects what was appended since.
/// With the old stand-in for that package (ADR 2) and without UseAdvisoryLockTransaction, every election failed
/// with "Multiplexing is current incompatible with DbDataSource" and this test timed out.
/// </summary>
public sealed class AsyncDaemonTests(PostgresServer server)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed record DaemonProbed(int Number);

    public sealed class ProbeTally
    {
        public string Id { get; set; } = "";
        public int Count { get; set; }
        public int Sum { get; set; }
    }

    public sealed class ProbeTallyProjection : SingleStreamProjection<ProbeTally, string>
    {
        public void Apply(ProbeTally tally, DaemonProbed probed)
        {
            tally.Count++;
            tally.Sum += probed.Number;
        }
    }

    [Fact]
    public async Task A_hot_cold_daemon_on_the_ledger_store_projects_and_fails_over()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var connectionString = await server.CreateDatabaseAsync("async_daemon");

        using var first = await StartNodeAsync(connectionString, cancellation);
        var store = first.Services.GetRequiredService<IDocumentStore>();
        await AppendAsync(store, 1, 10, cancellation);
        await WaitForTallyAsync(store, count: 10, sum: 55, cancellation);
        // The leader holds a session-level advisory lock and no open transaction (ADR 13: without
        // UseAdvisoryLockTransaction), so it never sits "idle in transaction" during its tenure.
        var holders = await AdvisoryLockHoldersAsync(connectionString, cancellation);
        holders.ShouldNotBeEmpty();
        holders.ShouldAllBe(state => state != "idle in transaction");

        using var second = await StartNodeAsync(connectionString, cancellation);
        await first.StopAsync(cancellation);

        var survivor = second.Services.GetRequiredService<IDocumentStore>();
        await AppendAsync(survivor, 11, 20, cancellation);
        await WaitForTallyAsync(survivor, count: 20, sum: 210, cancellation);

        await second.StopAsync(cancellation);
    }

    private static async Task<IHost> StartNodeAsync(string connectionString, CancellationToken cancellation)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMarten(options =>
            {
                LedgerStore.Configure(options, connectionString);
                options.Projections.Add<ProbeTallyProjection>(ProjectionLifecycle.Async);
                options.Projections.LeadershipPollingTime = 250;
            })
            .AddAsyncDaemon(DaemonMode.HotCold)
            .ApplyAllDatabaseChangesOnStartup();
        var host = builder.Build();
        await host.StartAsync(cancellation);
        return host;
    }

    private static async Task<List<string>> AdvisoryLockHoldersAsync(string connectionString, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(
            """
            select a.state from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted
              and l.database = (select oid from pg_database where datname = current_database())
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var states = new List<string>();
        while (await reader.ReadAsync(cancellation)) states.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        return states;
    }

    private static async Task AppendAsync(IDocumentStore store, int from, int to, CancellationToken cancellation)
    {
        for (var number = from; number <= to; number++)
        {
            await using var session = store.LightweightSession();
            session.Events.Append("daemon-probe", new DaemonProbed(number));
            await session.SaveChangesAsync(cancellation);
        }
    }

    private static async Task WaitForTallyAsync(IDocumentStore store, int count, int sum, CancellationToken cancellation)
    {
        ProbeTally? last = null;
        var tally = await Eventually.Until(async () =>
        {
            await using var session = store.QuerySession();
            last = await session.LoadAsync<ProbeTally>("daemon-probe", cancellation);
            return last is { } t && t.Count == count ? t : null;
        }, Patience, () => $"the async projection did not reach {count} events within {Patience} (last: {last?.Count.ToString() ?? "nothing"})");
        tally.Sum.ShouldBe(sum);
    }
}
