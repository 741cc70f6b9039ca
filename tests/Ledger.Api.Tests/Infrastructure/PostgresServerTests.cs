using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task Creates_a_database_on_a_real_server()
    {
        var connectionString = await server.CreateDatabaseAsync("infrastructure");

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Database.ShouldNotBeNull().ShouldStartWith("ledger_test_infrastructure_");
        builder.IncludeErrorDetail.ShouldBeTrue();
        builder.Pooling.ShouldBeTrue();
        builder.MaxPoolSize.ShouldBe(100);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);

        await using (var select = new NpgsqlCommand("select 1", connection))
            (await select.ExecuteScalarAsync(TestContext.Current.CancellationToken)).ShouldBe(1);

        await using (var database = new NpgsqlCommand("select current_database()", connection))
            (await database.ExecuteScalarAsync(TestContext.Current.CancellationToken)).ShouldBe(builder.Database);

        await using var showFsync = new NpgsqlCommand("show fsync", connection);
        var fsync = (string?)await showFsync.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        // Both scripts/postgres.sh and the container are configured with fsync on: durability stays honest.
        fsync.ShouldBe("on");
    }

    [Fact]
    public void Says_which_server_it_is()
    {
        server.Kind.ShouldBeOneOf("testcontainers", "local");
        server.AdminConnectionString.ShouldContain("Include Error Detail=True", Case.Insensitive);
    }
}
