using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Refunds;

/// <summary>Refunds return up to what a commit or usage consumed, to the blocks that paid, never more in total.</summary>
public sealed class RefundTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    private Task<HttpResponseMessage> Refund(string account, object body) => Client.PostJson($"/v1/accounts/{account}/refunds", body);

    [Fact]
    public async Task Refunds_of_a_commit_go_back_to_its_blocks_up_to_what_it_consumed_then_422()
    {
        const string account = "refund";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 100, source: "promo", grantId: "cheap");
        await App.GrantAsync(account, 1000, source: "purchase", grantId: "dear");
        await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 300 })).ShouldBe(201);
        var committed = await (await Client.PostJson($"/v1/accounts/{account}/reservations/r1/commit", new { amount = 250 })).ShouldBe(200);
        Assert.Equal([new("cheap", 100), new Drawn("dear", 150)], committed.GetProperty("reservation").GetProperty("consumed").Draws());

        var first = await (await Refund(account, new { refundId = "rf-1", reservationId = "r1", amount = 100, reason = "bad output" })).ShouldBe(201);
        Assert.Equal([new Drawn("dear", 100)], first.GetProperty("refund").GetProperty("draws").Draws()); // last-drawn block first
        first.GetProperty("balance").ShouldMatch(new ExpectedBalance(1100, Consumed: 250, Refunded: 100), "after refunding 100");

        var second = await (await Refund(account, new { reservationId = "r1", amount = 120, reason = "bad output" })).ShouldBe(201);
        Assert.Equal([new("dear", 50), new Drawn("cheap", 70)], second.GetProperty("refund").GetProperty("draws").Draws());

        var over = await (await Refund(account, new { reservationId = "r1", amount = 31, reason = "more" })).ShouldBeProblem(422, "refund-exceeds-consumed");
        Assert.Equal(250, over.GetProperty("consumed").GetInt64());
        Assert.Equal(220, over.GetProperty("refunded").GetInt64());
        Assert.Equal(31, over.GetProperty("requested").GetInt64());

        await (await Refund(account, new { reservationId = "r1", amount = 30, reason = "the rest" })).ShouldBe(201);
        await (await Refund(account, new { reservationId = "r1", amount = 1, reason = "one more" })).ShouldBeProblem(422, "refund-exceeds-consumed");

        var end = new ExpectedBalance(1100, Consumed: 250, Refunded: 250);
        (await Client.BalanceAsync(account)).ShouldMatch(end, "after refunding everything consumed");
        var balance = await Client.BalanceAsync(account);
        Assert.Equal(100, balance.Block("cheap").GetProperty("remaining").GetInt64());
        Assert.Equal(1000, balance.Block("dear").GetProperty("remaining").GetInt64());
        Assert.Equal(250, (await Client.ReservationAsync(account, "r1")).GetProperty("refunded").GetInt64());

        // the same refund id: the same body replays, another body is id-conflict
        var replay = await (await Refund(account, new { refundId = "rf-1", reservationId = "r1", amount = 100, reason = "bad output" })).ShouldBe(200);
        Assert.Equal(first.GetProperty("refund").GetRawText(), replay.GetProperty("refund").GetRawText());
        var conflict = await (await Refund(account, new { refundId = "rf-1", reservationId = "r1", amount = 99, reason = "bad output" }))
            .ShouldBeProblem(409, "id-conflict");
        Assert.Equal(["amount"], conflict.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));

        (await Client.BalanceAsync(account)).ShouldMatch(end, "after the replays");
        Assert.Equal(3, (await App.StreamAsync(account)).Count(e => e.Type == "credits_refunded"));
    }

    [Fact]
    public async Task Refunds_of_usage_are_bounded_and_unknown_or_pending_sources_are_refused()
    {
        const string account = "refund-usage";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 500, grantId: "g");
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 80 })).ShouldBe(201);
        await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "pending", amount = 50 })).ShouldBe(201);

        var over = await (await Refund(account, new { usageId = "u1", amount = 81, reason = "x" })).ShouldBeProblem(422, "refund-exceeds-consumed");
        Assert.Equal(80, over.GetProperty("consumed").GetInt64());
        // nothing consumed yet by a pending hold
        await (await Refund(account, new { reservationId = "pending", amount = 1, reason = "x" })).ShouldBeProblem(422, "refund-exceeds-consumed");
        await (await Refund(account, new { reservationId = "nope", amount = 1, reason = "x" })).ShouldBeProblem(404, "reservation-not-found");
        await (await Refund(account, new { usageId = "nope", amount = 1, reason = "x" })).ShouldBeProblem(404, "usage-not-found");
        await (await Refund("ghost", new { usageId = "u1", amount = 1, reason = "x" })).ShouldBeProblem(404, "account-not-found");

        var refunded = await (await Refund(account, new { usageId = "u1", amount = 80, reason = "x" })).ShouldBe(201);
        refunded.GetProperty("balance").ShouldMatch(new ExpectedBalance(500, Consumed: 80, Refunded: 80, Reserved: 50), "after refunding all usage");
        Assert.Single(await App.StreamAsync(account), e => e.Type == "credits_refunded");
    }

    [Fact]
    public async Task A_refund_to_a_block_that_has_expired_is_recorded_and_expires_at_once()
    {
        const string account = "refund-dead";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        CreditsKit.KeepInStepWithRealTime(App);
        var t0 = App.Clock.GetUtcNow();
        await App.GrantAsync(account, 100, source: "promo", expiresAt: t0.AddHours(1), grantId: "soon");
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 60 })).ShouldBe(201);

        App.Clock.Advance(TimeSpan.FromHours(2));
        (await Client.BalanceAsync(account)).ShouldMatch(new ExpectedBalance(100, Consumed: 60, Expired: 40), "after the block expired");

        var refund = await (await Refund(account, new { usageId = "u1", amount = 60, reason = "late refund" })).ShouldBe(201);
        var end = new ExpectedBalance(100, Consumed: 60, Expired: 100, Refunded: 60);
        refund.GetProperty("balance").ShouldMatch(end, "after refunding into the expired block");
        Assert.Equal(0, refund.GetProperty("balance").GetProperty("available").GetInt64());

        var expiries = (await App.StreamAsync(account)).Where(e => e.Type == "grant_expired").Select(e => e.Data.GetProperty("amount").GetInt64());
        Assert.Equal([40L, 60L], expiries);
    }

    [Fact]
    public async Task Refunding_usage_whose_overage_was_repaid_gives_the_credits_back_to_the_block_that_repaid_it()
    {
        var account = Http.Raw.NewAccountId("overage-back");
        await App.OpenAccountAsync(account, "pro");
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "all", amount = 100_000 })).ShouldBe(201);
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "over", amount = 100 })).ShouldBe(201);
        await App.GrantAsync(account, 60, grantId: "top-up"); // repays 60 of the 100 owed
        Assert.Equal(40, (await Client.BalanceAsync(account)).GetProperty("overage").GetInt64());

        var refunded = await (await Refund(account, new { usageId = "over", amount = 100, reason = "failed call" })).ShouldBe(201);

        var balance = refunded.GetProperty("balance");
        Assert.Equal((60L, 0L), (balance.GetProperty("available").GetInt64(), balance.GetProperty("overage").GetInt64()));
        Assert.Equal(60, balance.Block("top-up").GetProperty("remaining").GetInt64());
        Assert.DoesNotContain(balance.GetProperty("blocks").EnumerateArray(),
            b => b.GetProperty("grantId").GetString() == "~overage" && b.GetProperty("remaining").GetInt64() != 0);
    }
}
