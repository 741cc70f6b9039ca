using Ledger.Projections;
using Ledger.Projections.Metrics;
using Marten;

namespace Ledger.Api.Observability;

/// <summary>
/// How far the async projections behind the admin metrics have come: <see cref="AsOfSequence"/> is the event sequence
/// both have projected up to, <see cref="HighWater"/> the newest event's.
/// </summary>
public sealed record ProjectionProgress(long AsOfSequence, long HighWater)
{
    public static readonly string[] Shards = [$"{LedgerDayProjection.ProjectionName}:All", $"{AccountStandingProjection.ProjectionName}:All"];

    public long Lag => Math.Max(0, HighWater - AsOfSequence);

    public static async Task<ProjectionProgress> ReadAsync(IDocumentStore store, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText =
            $"""
            select (select coalesce(max(seq_id), 0) from {LedgerStore.Schema}.mt_events),
                   (select case when count(*) = @count then min(last_seq_id) else 0 end
                      from {LedgerStore.Schema}.mt_event_progression where name = any(@shards))
            """;
        command.Parameters.AddWithValue("count", (long)Shards.Length);
        command.Parameters.AddWithValue("shards", Shards);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ProjectionProgress(reader.IsDBNull(1) ? 0 : reader.GetInt64(1), reader.GetInt64(0));
    }
}

/// <summary>Reads <see cref="ProjectionProgress"/> every few seconds for the <c>ledger_projection_lag</c> gauge.</summary>
public sealed class ProjectionLagMonitor(IDocumentStore store, LedgerMetrics metrics, ILogger<ProjectionLagMonitor> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                metrics.SetProjectionLag((await ProjectionProgress.ReadAsync(store, stoppingToken)).Lag);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogDebug(ex, "Projection progress not read");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
