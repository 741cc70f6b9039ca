using Ledger.Projections.Rebuilds;
using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Api.Rebuilds;

/// <summary>
/// Every <c>LEDGER_DRIFT_CHECK_INTERVAL</c> (seconds; default 3600; 0 or <c>off</c>: never) recomputes every stored view
/// from the events as a dry run of the rebuild (replacing nothing) and checks the invariants on the recomputed state;
/// the last result is what <c>/health/ready</c> shows under <c>projections</c> (ADR 41). Drift leaves the service ready
/// (degraded, still 200): the events are the truth and a rebuild repairs the views, so traffic should not stop. The
/// anonymous readiness answer carries counts only (per view, of the listed differences); which accounts and fields
/// differ is for an admin: a dry run of the rebuild (API or command line) names them.
/// </summary>
public sealed class DriftMonitor(IDocumentStore store, DriftMonitor.Settings settings, ILogger<DriftMonitor> log, Ledger.Api.Observability.LedgerMetrics? metrics = null)
    : BackgroundService, IHealthCheck
{
    public sealed record Settings(TimeSpan? Interval)
    {
        public const string Variable = "LEDGER_DRIFT_CHECK_INTERVAL";

        public static Settings From(IConfiguration configuration)
        {
            var raw = configuration[Variable] ?? configuration[$"Ledger:{Variable}"];
            if (string.IsNullOrWhiteSpace(raw)) return new(TimeSpan.FromHours(1));
            if (raw.Trim() is "off" or "0") return new((TimeSpan?)null);
            return double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? new(TimeSpan.FromSeconds(seconds))
                : throw new InvalidOperationException($"{Variable} must be a number of seconds, 0 or off (got '{raw}').");
        }
    }

    private volatile RebuildReport? _last;
    private DateTimeOffset? _checkedAt;

    public RebuildReport? Last => _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Interval is not { } interval) return;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var report = await new ProjectionRebuild(store).Run(new RebuildScope(DryRun: true), ct: stoppingToken);
                (_last, _checkedAt) = (report, DateTimeOffset.UtcNow);
                // the ledger_invariant_drift gauge: accounts with a drifted view, plus invariant violations (ADR 65)
                metrics?.SetInvariantDrift(report.Differences.Select(d => d.AccountId).Distinct().Count() + report.InvariantViolations.Count);
                if (report.DifferencesFound > 0 || report.InvariantViolations.Count > 0)
                    log.LogWarning("Projection drift: {Differences} differences, {Violations} invariant violations in {Streams} streams; run a rebuild",
                        report.DifferencesFound, report.InvariantViolations.Count, report.Streams);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "The drift check could not run");
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (settings.Interval is null) return Task.FromResult(HealthCheckResult.Healthy("drift check off"));
        if (_last is not { } report)
            return Task.FromResult(HealthCheckResult.Healthy($"no drift check yet (every {settings.Interval.Value.TotalSeconds:0} s)"));
        var data = new Dictionary<string, object>
        {
            ["checkedAt"] = _checkedAt!.Value,
            ["streams"] = report.Streams,
            ["events"] = report.Events,
            ["differencesFound"] = report.DifferencesFound,
            ["views"] = report.Differences.GroupBy(d => d.View).ToDictionary(g => g.Key, g => g.Count()),
            ["invariantViolations"] = report.InvariantViolations.Count,
        };
        return Task.FromResult(report.DifferencesFound == 0 && report.InvariantViolations.Count == 0
            ? HealthCheckResult.Healthy("stored views match the events", data)
            : HealthCheckResult.Degraded(
                $"{report.DifferencesFound} stored view differences and {report.InvariantViolations.Count} invariant violations: POST /v1/admin/projections/rebuild",
                data: data));
    }
}
