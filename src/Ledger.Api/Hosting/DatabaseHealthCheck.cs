using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Api.Hosting;

/// <summary>
/// Ready means the database answers a query and keeps what it acknowledges: with <c>fsync=off</c> or
/// <c>synchronous_commit=off</c> (for the server, this database or this role: <c>current_setting</c> sees all three)
/// a committed write can vanish in a crash, so an acknowledged ledger operation could be lost. The service then
/// reports not ready and says why, unless <c>LEDGER_ALLOW_UNSAFE_DURABILITY=true</c> (development), when it is
/// ready but degraded, still saying why (ADR 52).
/// </summary>
public sealed class DatabaseHealthCheck(IDocumentStore store, IConfiguration configuration) : IHealthCheck
{
    public const string AllowUnsafeSetting = "LEDGER_ALLOW_UNSAFE_DURABILITY";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        IReadOnlyList<string> settings;
        try
        {
            await using var session = store.QuerySession();
            settings = await session.QueryAsync<string>(
                "select 'fsync=' || current_setting('fsync') union all select 'synchronous_commit=' || current_setting('synchronous_commit')", ct);
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("database unreachable", ex);
        }
        var unsafeSettings = settings.Where(s => s.EndsWith("=off", StringComparison.Ordinal)).ToList();
        if (unsafeSettings.Count == 0) return HealthCheckResult.Healthy("database reachable, fsync and synchronous_commit on");
        var why = $"the database does not keep acknowledged commits through a crash ({string.Join(", ", unsafeSettings)})";
        return AllowsUnsafe()
            ? HealthCheckResult.Degraded($"{why}; allowed by {AllowUnsafeSetting}=true (development only)")
            : HealthCheckResult.Unhealthy($"{why}: turn them on, or set {AllowUnsafeSetting}=true for development");
    }

    private bool AllowsUnsafe() =>
        string.Equals((configuration[AllowUnsafeSetting] ?? configuration[$"Ledger:{AllowUnsafeSetting}"])?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}
