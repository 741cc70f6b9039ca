using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Usage;

/// <summary>Direct usage deducts at once, all or nothing, and its id is an idempotency handle.</summary>
public sealed class UsageTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    [Fact]
    public async Task Usage_deducts_at_once_is_402_beyond_available_and_replays_or_conflicts_by_id()
    {
        const string account = "usage";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 300, grantId: "g");
        await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { amount = 100 })).ShouldBe(201);

        var body = new { usageId = "u1", amount = 150, feature = "ai" };
        var used = await (await Client.PostJson($"/v1/accounts/{account}/usage", body)).ShouldBe(201);
        Assert.Equal([new Drawn("g", 150)], used.GetProperty("usage").GetProperty("draws").Draws());
        used.GetProperty("balance").ShouldMatch(new ExpectedBalance(300, Consumed: 150, Reserved: 100), "after using 150");

        var replay = await (await Client.PostJson($"/v1/accounts/{account}/usage", body)).ShouldBe(200);
        Assert.Equal(used.GetProperty("usage").GetRawText(), replay.GetProperty("usage").GetRawText());
        var conflict = await (await Client.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 151, feature = "sync" }))
            .ShouldBeProblem(409, "id-conflict");
        Assert.Equal(["amount", "feature"], conflict.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));

        var refused = await (await Client.PostJson($"/v1/accounts/{account}/usage", new { amount = 51 })).ShouldBeProblem(402, "insufficient-credits");
        Assert.Equal(50, refused.GetProperty("available").GetInt64());
        Assert.Equal(51, refused.GetProperty("requested").GetInt64());

        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { amount = 0 })).ShouldBeProblem(400, "validation");
        await (await Client.PostJson("/v1/accounts/ghost/usage", new { amount = 1 })).ShouldBeProblem(404, "account-not-found");

        (await Client.BalanceAsync(account)).ShouldMatch(new ExpectedBalance(300, Consumed: 150, Reserved: 100), "after the refusals");
        Assert.Single(await App.StreamAsync(account), e => e.Type == "usage_recorded");
    }
}
