using System.Net.Http.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Accounts;

public sealed class OpeningAccountsTests(PostgresServer server) : IAsyncLifetime
{
    private LedgerApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await LedgerApp.StartAsync(server, "accounts");
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Opening_an_account_answers_201_then_200_for_the_same_plan_and_409_for_another()
    {
        var admin = _app.Admin();
        var first = await admin.PostAsJsonAsync("/v1/accounts", new { accountId = "acme", plan = "pro" }, TestContext.Current.CancellationToken);
        Assert.Equal(201, (int)first.StatusCode);
        var again = await admin.PostAsJsonAsync("/v1/accounts", new { accountId = "acme", plan = "pro" }, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)again.StatusCode);
        var other = await admin.PostAsJsonAsync("/v1/accounts", new { accountId = "acme", plan = "free" }, TestContext.Current.CancellationToken);
        await other.ShouldBeProblem(409, "account-exists");

        var account = await (await admin.GetAsync("/v1/accounts/acme", TestContext.Current.CancellationToken)).Json();
        Assert.Equal("pro", account.GetProperty("plan").GetString());
        Assert.Equal(3, account.GetProperty("version").GetInt64()); // opened, period started, allowance granted
    }

    [Fact]
    public async Task A_billing_cycle_anchor_ends_the_first_period_there_with_the_allowance_prorated_and_renews_from_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = _app.Admin();
        var now = _app.Clock.GetUtcNow();
        var anchor = now.AddDays(10);
        await (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = "anchored", plan = "starter", billingCycleAnchor = anchor }, ct)).ShouldBe(201);
        var quota = await (await admin.GetAsync("/v1/accounts/anchored/quota", ct)).Json();
        quota.GetProperty("periodEnd").GetDateTimeOffset().ShouldBe(anchor);
        // 10 days of the month before the anchor, at starter's 10,000 a month, rounded down
        var expected = (long)((Int128)10_000 * TimeSpan.FromDays(10).Ticks / (anchor - anchor.AddMonths(-1)).Ticks);
        var balance = await (await admin.GetAsync("/v1/accounts/anchored/balance", ct)).Json();
        balance.GetProperty("available").GetInt64().ShouldBe(expected);

        _app.Clock.SetUtcNow(anchor.AddHours(1));
        var renewed = await (await admin.GetAsync("/v1/accounts/anchored/quota", ct)).Json();
        (renewed.GetProperty("periodStart").GetDateTimeOffset(), renewed.GetProperty("periodEnd").GetDateTimeOffset()).ShouldBe((anchor, anchor.AddMonths(1)));
        (await (await admin.GetAsync("/v1/accounts/anchored/balance", ct)).Json()).GetProperty("available").GetInt64().ShouldBe(10_000);
    }

    [Theory]
    [InlineData(-60.0)]
    [InlineData(0.0)]
    [InlineData(32 * 86_400.0)]
    public async Task An_anchor_not_later_than_now_or_more_than_a_month_away_is_a_field_error_and_opens_nothing(double seconds)
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = _app.Admin();
        var refused = await admin.PostAsJsonAsync("/v1/accounts",
            new { accountId = "badanchor", plan = "starter", billingCycleAnchor = _app.Clock.GetUtcNow().AddSeconds(seconds) }, ct);
        (await refused.ShouldBeProblem(400, "validation")).GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["billingCycleAnchor"]);
        await (await admin.GetAsync("/v1/accounts/badanchor", ct)).ShouldBeProblem(404, "account-not-found");
    }
}
