using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Entitlements;

/// <summary>
/// In-flight work completes up to what it holds; anything a commit takes above its hold is new spending and passes the
/// same checks as usage (issue 10, item 4). A suspension releases featureless holds too, so none can be extended and
/// committed past it.
/// </summary>
public sealed class SpendingBeyondHoldsTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    private Task<HttpResponseMessage> Post(string path, object body) => Client.PostJson(path, body);

    [Fact]
    public async Task A_frozen_account_commits_up_to_its_hold_and_is_refused_anything_above_it()
    {
        var account = Http.Raw.NewAccountId("frozen");
        await App.OpenAccountAsync(account, "free"); // velocity alarm at 1,000 credits an hour, freezing
        await App.GrantAsync(account, 5_000);
        await (await Post($"/v1/accounts/{account}/reservations", new { reservationId = "r-big", amount = 10, feature = "reports" })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/reservations", new { reservationId = "r-small", amount = 10, feature = "reports" })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/usage", new { amount = 600 })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/usage", new { amount = 600 })).ShouldBe(201); // 1,200 in the hour: frozen
        Assert.Equal("frozen", (await (await Client.Get($"/v1/accounts/{account}")).ShouldBe(200)).GetProperty("status").GetString());
        var before = await Client.BalanceAsync(account);

        var refused = await (await Post($"/v1/accounts/{account}/reservations/r-big/commit", new { amount = 1_000 })).ShouldBeProblem(403, "account-frozen");
        Assert.Equal(before.GetProperty("version").GetInt64(), (await Client.BalanceAsync(account)).GetProperty("version").GetInt64());
        Assert.Equal("pending", (await Client.ReservationAsync(account, "r-big")).GetProperty("status").GetString()); // the hold stays
        Assert.False(string.IsNullOrEmpty(refused.GetProperty("detail").GetString()));

        await (await Post($"/v1/accounts/{account}/reservations/r-big/commit", new { amount = 10 })).ShouldBe(200);
        await (await Post($"/v1/accounts/{account}/reservations/r-small/commit", new { amount = 4 })).ShouldBe(200);
        Assert.Equal(1_200 + 14, (await Client.BalanceAsync(account)).GetProperty("consumed").GetInt64());
    }

    [Fact]
    public async Task A_suspension_releases_featureless_holds_so_none_is_extended_or_committed_past_it()
    {
        var account = Http.Raw.NewAccountId("suspended");
        await App.OpenAccountAsync(account, "starter");
        await (await Post($"/v1/accounts/{account}/reservations", new { reservationId = "r-none", amount = 100 })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/reservations", new { reservationId = "r-reports", amount = 100, feature = "reports" })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/suspend", new { reason = "abuse" })).ShouldBe(200);

        Assert.Equal("released", (await Client.ReservationAsync(account, "r-none")).GetProperty("status").GetString());
        await (await Post($"/v1/accounts/{account}/reservations/r-none/extend", new { ttlSeconds = 3_600 })).ShouldBeProblem(409, "reservation-released");
        await (await Post($"/v1/accounts/{account}/reservations/r-none/commit", new { amount = 9_999 })).ShouldBeProblem(409, "reservation-released");
        await (await Post($"/v1/accounts/{account}/usage", new { amount = 10 })).ShouldBeProblem(403, "account-suspended");

        // reports stay on while suspended: above its hold, a reports job spends as reports usage may
        var done = await (await Post($"/v1/accounts/{account}/reservations/r-reports/commit", new { amount = 160 })).ShouldBe(200);
        done.GetProperty("balance").ShouldMatch(new ExpectedBalance(10_000, Consumed: 160), "after the reports job");
    }

    [Fact]
    public async Task A_commit_above_the_hold_of_a_feature_the_new_plan_lacks_is_refused()
    {
        var account = Http.Raw.NewAccountId("plan-off");
        await App.OpenAccountAsync(account, "pro");
        await (await Post($"/v1/accounts/{account}/reservations", new { reservationId = "gen", amount = 100, feature = "ai" })).ShouldBe(201);
        await (await Post($"/v1/accounts/{account}/plan", new { plan = "free", reason = "downgrade" })).ShouldBe(200); // free has no ai

        await (await Post($"/v1/accounts/{account}/reservations/gen/commit", new { amount = 150 })).ShouldBeProblem(403, "feature-disabled");
        await (await Post($"/v1/accounts/{account}/reservations/gen/commit", new { amount = 100 })).ShouldBe(200); // what it held completes
    }
}
