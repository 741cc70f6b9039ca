using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// The service refuses to call itself ready on a database that may lose acknowledged commits in a crash
/// (<c>fsync=off</c>, or <c>synchronous_commit=off</c> for the server, the database or the role it connects as), and
/// says why in <c>/health/ready</c>; <c>LEDGER_ALLOW_UNSAFE_DURABILITY=true</c> lets a developer run on such a
/// database anyway (ready, "Degraded", still saying why). ADR 52.
/// </summary>
/// (In the "private clusters" collection: tests that start, crash and restart their own PostgreSQL clusters run one at a time,
/// so no two pick the same free port while one of them is down.)
[Collection("private clusters")]
public sealed class DurabilityGuardTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<(HttpStatusCode Status, string Overall, string Database)> ReadyAsync(LedgerApp app)
    {
        var response = await app.ClientWith(null).GetAsync("/health/ready", Ct);
        var body = await response.Json();
        return (response.StatusCode, body.GetProperty("status").GetString()!,
            body.GetProperty("checks").GetProperty("database").GetProperty("description").GetString()!);
    }

    [Fact]
    public async Task A_database_with_synchronous_commit_off_makes_the_service_not_ready_and_says_why()
    {
        var connectionString = await server.CreateDatabaseAsync("durability");
        await using (var safe = await LedgerApp.StartAsync(server, connectionString: connectionString))
            (await ReadyAsync(safe)).ShouldBe((HttpStatusCode.OK, "Healthy", "database reachable, fsync and synchronous_commit on"));

        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await Execute(server.AdminConnectionString, $"ALTER DATABASE \"{database}\" SET synchronous_commit = off");
        await using (var app = await LedgerApp.StartAsync(server, connectionString: connectionString))
        {
            var (status, overall, why) = await ReadyAsync(app);
            status.ShouldBe(HttpStatusCode.ServiceUnavailable);
            overall.ShouldBe("Unhealthy");
            why.ShouldContain("synchronous_commit=off");
            why.ShouldContain("LEDGER_ALLOW_UNSAFE_DURABILITY");
            (await app.ClientWith(null).GetAsync("/health/live", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK); // alive, not ready
        }

        await using (var allowed = await LedgerApp.StartAsync(server, connectionString: connectionString,
                         settings: new Dictionary<string, string> { ["LEDGER_ALLOW_UNSAFE_DURABILITY"] = "true" }))
        {
            var (status, overall, why) = await ReadyAsync(allowed);
            status.ShouldBe(HttpStatusCode.OK);
            overall.ShouldBe("Degraded");
            why.ShouldContain("synchronous_commit=off");
        }
        RunReport.Record("durability guard", "synchronous_commit=off for a database", 3, "503 not ready with the reason; Degraded when allowed");
    }

    [Fact]
    public async Task A_role_with_synchronous_commit_off_is_caught_too()
    {
        var connectionString = await server.CreateDatabaseAsync("durability-role");
        var role = "ledger_async_" + Guid.NewGuid().ToString("N")[..8];
        await Execute(server.AdminConnectionString, $"CREATE ROLE {role} LOGIN SUPERUSER; ALTER ROLE {role} SET synchronous_commit = off");
        var asRole = new NpgsqlConnectionStringBuilder(connectionString) { Username = role }.ConnectionString;
        await using var app = await LedgerApp.StartAsync(server, connectionString: asRole);
        var (status, _, why) = await ReadyAsync(app);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        why.ShouldContain("synchronous_commit=off");
    }

    [Fact]
    public async Task A_server_with_fsync_off_makes_the_service_not_ready()
    {
        var home = Path.Combine(Path.GetTempPath(), $"ledger-fsync-{Guid.NewGuid():N}");
        try
        {
            var cluster = (await PostgresServer.PrivateClusterAsync(home, "start")).Trim();
            await Execute(cluster, "ALTER SYSTEM SET fsync = off");
            await Execute(cluster, "SELECT pg_reload_conf()");
            await Eventually.Until(async () => (await Raw.Query(cluster, "show fsync"))[0]["fsync"] as string == "off" ? "off" : null,
                TimeSpan.FromSeconds(20), () => "fsync is still on after the reload");
            await using var app = await LedgerApp.StartAsync(server, connectionString: cluster);
            var (status, _, why) = await ReadyAsync(app);
            status.ShouldBe(HttpStatusCode.ServiceUnavailable);
            why.ShouldContain("fsync=off");
            why.ShouldNotContain("synchronous_commit=off");
            RunReport.Record("durability guard", "fsync=off for the server (ALTER SYSTEM)", 1, "503 not ready with the reason");
        }
        finally
        {
            await PostgresServer.PrivateClusterAsync(home, "stop");
            Directory.Delete(home, recursive: true);
        }
    }
}
