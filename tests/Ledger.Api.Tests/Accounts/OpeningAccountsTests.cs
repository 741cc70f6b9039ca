using System.Net.Http.Json;
using Ledger.Api.Tests.Infrastructure;
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
}
