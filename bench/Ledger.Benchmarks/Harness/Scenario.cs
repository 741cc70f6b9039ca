using Ledger.Benchmarks.Scenarios;
using Npgsql;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// One benchmark. It names the baselines it is compared with (measured by pgbench before the service starts),
/// then drives the running service and fills a report. A new scenario is a new subclass listed in
/// <see cref="ScenarioCatalog.All"/>.
/// </summary>
public abstract class Scenario
{
    public abstract string Name { get; }
    public abstract string Summary { get; }

    /// <summary>The most concurrent clients any of its phases uses (the HTTP connection pool is sized for it).</summary>
    public abstract int Clients { get; }
    public abstract IReadOnlyList<BaselineSpec> Baselines { get; }
    public abstract Task Run(BenchContext context, ScenarioReport report, CancellationToken ct);
}

/// <summary>What a scenario works with: the service over HTTP, its database for verification, this run's baselines.</summary>
public sealed record BenchContext(
    LedgerClient Api,
    NpgsqlDataSource Database,
    string DatabaseSchema,
    string WebhookSecret,
    IReadOnlyDictionary<string, BaselineResult> Baselines,
    LinuxProcess Service,
    LinuxProcess Postmaster,
    RssSampler Rss)
{
    /// <summary>Starts measuring where the CPU goes: the service, PostgreSQL (all its backends), this load generator.</summary>
    public CpuMeter MeasureCpu() => CpuMeter.Start(
        (Service, "service", false),
        (Postmaster, "PostgreSQL", true),
        (LinuxProcess.Self, "load generator", false));

    /// <summary>The postmaster of the server behind <paramref name="database"/>: the parent of this connection's backend.</summary>
    public static async Task<LinuxProcess> PostmasterOf(NpgsqlDataSource database, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT pg_backend_pid()");
        var backend = new LinuxProcess((int)(await command.ExecuteScalarAsync(ct))!);
        return new LinuxProcess(backend.ParentPid());
    }
}

public static class ScenarioCatalog
{
    public static readonly IReadOnlyDictionary<string, Func<Options, Scenario>> All =
        new Dictionary<string, Func<Options, Scenario>>(StringComparer.Ordinal)
        {
            ["distinct"] = options => new DistinctScenario(options),
            ["hot"] = options => new HotScenario(options),
            ["balance"] = options => new BalanceScenario(options),
            ["webhooks"] = options => new WebhooksScenario(options),
            ["rebuild"] = options => new RebuildScenario(options),
            ["chain"] = options => new ChainScenario(options),
        };

    public static IReadOnlyList<Scenario> Select(Options options)
    {
        var names = options.Scenarios.Count > 0 ? options.Scenarios : All.Keys.ToList();
        return names.Select(name => All.TryGetValue(name, out var create)
            ? create(options)
            : throw new UsageException($"Unknown scenario '{name}'; known: {string.Join(", ", All.Keys)}.")).ToList();
    }
}
