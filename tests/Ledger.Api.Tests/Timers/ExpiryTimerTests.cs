using System.Diagnostics;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Timers;

/// <summary>
/// The durable Wolverine timers write what time alone does: <c>ReservationExpired</c> when a hold's ttl passes and
/// <c>GrantExpired</c> (the unspent, unheld amount) when a block's expiry passes, with no request to the account.
/// Each test has an app of its own whose clock follows real time, as the timers are due in real time.
/// </summary>
public sealed class ExpiryTimerTests(PostgresServer server) : IAsyncLifetime
{
    private LedgerApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await CreditsKit.StartAppAsync(server, "timers");
        CreditsKit.KeepInStepWithRealTime(_app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_hold_with_a_ttl_of_one_second_gets_its_ReservationExpired_written_by_the_timer()
    {
        const string account = "hold-timer";
        var client = _app.Admin();
        await _app.OpenAccountAsync(account, CreditsKit.Plan);
        await _app.GrantAsync(account, 100, grantId: "g");
        CreditsKit.KeepInStepWithRealTime(_app);

        var reserved = await (await client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 40, ttlSeconds = 1 })).ShouldBe(201);
        var expiresAt = reserved.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset();
        var written = await _app.StreamAsync(account);
        if (DateTimeOffset.UtcNow < expiresAt) Assert.DoesNotContain(written, e => e.Type == "reservation_expired");

        var waited = Stopwatch.StartNew();
        var expired = await CreditsKit.WaitForEventAsync(_app, account, "reservation_expired");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"ReservationExpired written {(expired.Timestamp - expiresAt).TotalMilliseconds:F0} ms after expiresAt (waited {waited.ElapsedMilliseconds} ms)");

        Assert.Equal("r1", expired.Data.GetProperty("reservationId").GetString());
        Assert.Equal(expiresAt, expired.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal([new Drawn("g", 40)], expired.Data.GetProperty("released").Draws());
        Assert.Equal("system:timer", expired.Headers.GetProperty("actor").GetString());

        var stream = await _app.StreamAsync(account);
        Assert.Single(stream, e => e.Type == "reservation_expired");
        Assert.Equal(written.Count + 1, stream.Count); // the timer wrote the expiry and nothing else
        Assert.Equal("expired", (await client.ReservationAsync(account, "r1")).GetProperty("status").GetString());
        (await client.BalanceAsync(account)).ShouldMatch(new ExpectedBalance(100), "after the hold expired");
        await _app.ShouldEqualReplayOfStreamAsync(account);
    }

    [Fact]
    public async Task A_grant_past_its_expiry_gets_GrantExpired_with_its_unspent_unheld_amount_written_by_the_timer()
    {
        const string account = "grant-timer";
        var client = _app.Admin();
        await _app.OpenAccountAsync(account, CreditsKit.Plan);
        CreditsKit.KeepInStepWithRealTime(_app);
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(4); // time enough to spend and hold some of it first
        await _app.GrantAsync(account, 100, source: "promo", expiresAt: expiresAt, grantId: "promo"); // spent first
        await _app.GrantAsync(account, 50, source: "purchase", grantId: "bought");
        await (await client.PostJson($"/v1/accounts/{account}/usage", new { amount = 30 })).ShouldBe(201);
        var hold = await (await client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 20, ttlSeconds = 600 })).ShouldBe(201);
        Assert.Equal([new Drawn("promo", 20)], hold.GetProperty("reservation").GetProperty("held").Draws());
        var written = await _app.StreamAsync(account);
        if (DateTimeOffset.UtcNow < expiresAt) Assert.DoesNotContain(written, e => e.Type == "grant_expired");

        var expired = await CreditsKit.WaitForEventAsync(_app, account, "grant_expired");
        Assert.Equal("promo", expired.Data.GetProperty("grantId").GetString());
        Assert.Equal(50, expired.Data.GetProperty("amount").GetInt64()); // 100 - 30 consumed - 20 held
        Assert.Equal(expiresAt, expired.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal("system:timer", expired.Headers.GetProperty("actor").GetString());
        var stream = await _app.StreamAsync(account);
        Assert.Equal(written.Count + 1, stream.Count);
        (await client.BalanceAsync(account)).ShouldMatch(new ExpectedBalance(150, Consumed: 30, Expired: 50, Reserved: 20), "after the grant expired");

        // the hold stays backed; released later, its part of the dead block expires then, as an event of its own
        var released = await (await client.PostJson($"/v1/accounts/{account}/reservations/r1/release", new { })).ShouldBe(200);
        released.GetProperty("balance").ShouldMatch(new ExpectedBalance(150, Consumed: 30, Expired: 70), "after releasing the hold");
        var expiries = (await _app.StreamAsync(account)).Where(e => e.Type == "grant_expired").Select(e => e.Data.GetProperty("amount").GetInt64());
        Assert.Equal([50L, 20L], expiries);
        await _app.ShouldEqualReplayOfStreamAsync(account);
    }
}
