using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Timers;

/// <summary>A hold's expiry timer is durable: the process that scheduled it stops before it is due, another one writes it.</summary>
public sealed class TimerRestartTests(PostgresServer server)
{
    [Fact]
    public async Task A_hold_expiry_scheduled_before_a_restart_is_written_after_it()
    {
        const string account = "restart";
        DateTimeOffset expiresAt;
        string connectionString;
        int writtenBefore;

        var first = await CreditsKit.StartAppAsync(server, "timers-restart");
        try
        {
            connectionString = first.ConnectionString;
            await first.OpenAccountAsync(account, CreditsKit.Plan);
            await first.GrantAsync(account, 100, grantId: "g");
            CreditsKit.KeepInStepWithRealTime(first);
            var reserved = await (await first.Admin().PostJson($"/v1/accounts/{account}/reservations",
                new { reservationId = "r1", amount = 60, ttlSeconds = 10 })).ShouldBe(201); // time enough to stop first
            expiresAt = reserved.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset();
        }
        finally
        {
            await first.DisposeAsync();
        }

        Assert.True(DateTimeOffset.UtcNow < expiresAt, "the first process should be gone before the hold is due");
        var stream = await CreditsKit.StreamAsync(connectionString, account);
        Assert.DoesNotContain(stream, e => e.Type == "reservation_expired");
        writtenBefore = stream.Count;

        await using var second = await CreditsKit.StartAppAsync(server, connectionString: connectionString);
        var expired = await CreditsKit.WaitForEventAsync(second, account, "reservation_expired");
        Assert.Equal("r1", expired.Data.GetProperty("reservationId").GetString());
        Assert.Equal(expiresAt, expired.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal([new Drawn("g", 60)], expired.Data.GetProperty("released").Draws());
        Assert.Equal("system:timer", expired.Headers.GetProperty("actor").GetString());
        Assert.Equal(writtenBefore + 1, (await second.StreamAsync(account)).Count);
        (await second.Admin().BalanceAsync(account)).ShouldMatch(new ExpectedBalance(100), "after the restart and the expiry");
    }
}
