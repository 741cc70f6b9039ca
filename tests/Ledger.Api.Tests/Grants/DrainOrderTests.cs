using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Grants;

/// <summary>Which credits pay: priority, then soonest expiry (never-expiring last), then oldest grant, then grant id.</summary>
public sealed class DrainOrderTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    [Fact]
    public async Task Holds_commits_and_usage_draw_by_priority_then_expiry_then_age_then_id()
    {
        const string account = "drain";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        var t0 = App.Clock.GetUtcNow();
        await App.GrantAsync(account, 100, source: "purchase", grantId: "purchase");                            // 50
        await App.GrantAsync(account, 50, source: "promo", expiresAt: t0.AddDays(10), grantId: "promo-late");   // 10
        await App.GrantAsync(account, 30, source: "promo", expiresAt: t0.AddDays(2), grantId: "promo-soon");    // 10
        await App.GrantAsync(account, 40, source: "manual", priority: 10, grantId: "manual-10");                // 10, never expires
        await App.GrantAsync(account, 20, source: "plan", expiresAt: t0.AddDays(30), grantId: "plan-z");        // 20, oldest
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        await App.GrantAsync(account, 25, source: "plan", expiresAt: t0.AddDays(30), grantId: "plan-b");        // 20, same instant
        await App.GrantAsync(account, 25, source: "plan", expiresAt: t0.AddDays(30), grantId: "plan-a");        // as plan-b: by id
        var granted = 290L;

        string[] order = ["promo-soon", "promo-late", "manual-10", "plan-z", "plan-a", "plan-b", "purchase"];
        var balance = await Client.BalanceAsync(account);
        Assert.Equal(order, balance.GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("grantId").GetString()));
        balance.ShouldMatch(new ExpectedBalance(granted), "after seven grants");

        var reserved = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 180 })).ShouldBe(201);
        Assert.Equal(
            [new("promo-soon", 30), new("promo-late", 50), new("manual-10", 40), new("plan-z", 20), new("plan-a", 25), new Drawn("plan-b", 15)],
            reserved.GetProperty("reservation").GetProperty("held").Draws());
        reserved.GetProperty("balance").ShouldMatch(new ExpectedBalance(granted, Reserved: 180), "after holding 180");
        Assert.Equal(15, reserved.GetProperty("balance").Block("plan-b").GetProperty("held").GetInt64());
        Assert.Equal(0, reserved.GetProperty("balance").Block("purchase").GetProperty("held").GetInt64());

        // a commit consumes the hold's own draws first, in the order they were taken
        var committed = await (await Client.PostJson($"/v1/accounts/{account}/reservations/r1/commit", new { amount = 100 })).ShouldBe(200);
        Assert.Equal([new("promo-soon", 30), new("promo-late", 50), new Drawn("manual-10", 20)],
            committed.GetProperty("reservation").GetProperty("consumed").Draws());
        committed.GetProperty("balance").ShouldMatch(new ExpectedBalance(granted, Consumed: 100), "after committing 100 of 180");

        var usage = await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 150 })).ShouldBe(201);
        Assert.Equal(
            [new("manual-10", 20), new("plan-z", 20), new("plan-a", 25), new("plan-b", 25), new Drawn("purchase", 60)],
            usage.GetProperty("usage").GetProperty("draws").Draws());
        var after = usage.GetProperty("balance");
        after.ShouldMatch(new ExpectedBalance(granted, Consumed: 250), "after using 150 more");
        Assert.Equal(40, after.Block("purchase").GetProperty("remaining").GetInt64());
        foreach (var spent in order[..^1]) Assert.Equal("spent", after.Block(spent).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_block_past_its_expiry_is_never_spendable_even_before_its_expiry_is_written()
    {
        // Two hours on, the hold (ttl 300 s) has expired, then the block: reads must say so before the timers (due
        // from then on) write it. A timer may win that race: then try again on a new account.
        string account = "";
        DateTimeOffset t0 = default;
        var readBeforeTimers = false;
        for (var attempt = 0; attempt < 5 && !readBeforeTimers; attempt++)
        {
            account = $"stale-{attempt}";
            await App.OpenAccountAsync(account, CreditsKit.Plan);
            CreditsKit.KeepInStepWithRealTime(App); // the timers are then due ahead of the wall clock too
            t0 = App.Clock.GetUtcNow();
            await App.GrantAsync(account, 100, source: "promo", expiresAt: t0.AddHours(1), grantId: "short");
            await App.GrantAsync(account, 100, source: "purchase", grantId: "long");
            var hold = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 30 })).ShouldBe(201);
            Assert.Equal([new Drawn("short", 30)], hold.GetProperty("reservation").GetProperty("held").Draws());

            readBeforeTimers = await CreditsKit.ReadBeforeTimersWriteAsync(App, account, TimeSpan.FromHours(2), async () =>
            {
                var balance = await Client.BalanceAsync(account);
                balance.ShouldMatch(new ExpectedBalance(200, Expired: 100), "two hours later");
                Assert.Equal("expired", balance.Block("short").GetProperty("status").GetString());
                Assert.Equal(0, balance.Block("short").GetProperty("held").GetInt64());
                Assert.Equal(0, balance.GetProperty("reserved").GetInt64());
            });
        }
        Assert.True(readBeforeTimers, "in 5 attempts the timers always wrote before the read");

        var refused = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { amount = 150 }))
            .ShouldBeProblem(402, "insufficient-credits");
        Assert.Equal(100, refused.GetProperty("available").GetInt64());

        var reserved = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r2", amount = 60 })).ShouldBe(201);
        Assert.Equal([new Drawn("long", 60)], reserved.GetProperty("reservation").GetProperty("held").Draws());
        reserved.GetProperty("balance").ShouldMatch(new ExpectedBalance(200, Expired: 100, Reserved: 60), "after reserving 60");

        // written once, by the timer or ahead of the reserve, dated at the block's expiry, with the whole unheld block
        var stream = await App.StreamAsync(account);
        var expiredGrant = Assert.Single(stream, e => e.Type == "grant_expired");
        Assert.Equal("short", expiredGrant.Data.GetProperty("grantId").GetString());
        Assert.Equal(100, expiredGrant.Data.GetProperty("amount").GetInt64());
        Assert.Equal(t0.AddHours(1), expiredGrant.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Single(stream, e => e.Type == "reservation_expired");
    }
}
