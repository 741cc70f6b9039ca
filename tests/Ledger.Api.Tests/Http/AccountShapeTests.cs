using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

public sealed class AccountShapeApp(PostgresServer server) : SharedApp(server, "shape");

/// <summary>
/// Approval tests of the JSON clients read most: any change to its shape (a field renamed, added or dropped, a number
/// that moved) shows up as a diff against the committed <c>*.verified.json</c> beside this file.
/// </summary>
public sealed class AccountShapeTests(AccountShapeApp fixture) : IClassFixture<AccountShapeApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private async Task<string> AccountWithAGrantAndAHold(string accountId)
    {
        var admin = App.Admin();
        var open = await admin.Post("/v1/accounts", Raw.Json(new
        {
            accountId, plan = "starter", stripeCustomerId = "cus_shape", metadata = new Dictionary<string, string> { ["tier"] = "gold" },
        }));
        open.StatusCode.ShouldBe(HttpStatusCode.Created, await open.Content.ReadAsStringAsync(Ct));
        var grant = await admin.Post($"/v1/accounts/{accountId}/grants", Raw.Json(new
        {
            grantId = "g-welcome", amount = 500, source = "promo", reason = "welcome", reference = "promo_2025",
            expiresAt = App.Clock.GetUtcNow().AddDays(10), // never a period end, so its placeholder stays its own
        }));
        grant.StatusCode.ShouldBe(HttpStatusCode.Created, await grant.Content.ReadAsStringAsync(Ct));
        var reserve = await admin.Post($"/v1/accounts/{accountId}/reservations", Raw.Json(new
        {
            amount = 120, ttlSeconds = 600, feature = "ai", metadata = new Dictionary<string, string> { ["model"] = "gpt" },
        }));
        reserve.StatusCode.ShouldBe(HttpStatusCode.Created, await reserve.Content.ReadAsStringAsync(Ct));
        return accountId;
    }

    [Fact]
    public async Task An_account_after_a_grant_and_a_reservation()
    {
        var id = await AccountWithAGrantAndAHold("shape-account");
        var response = await App.Admin().Get($"/v1/accounts/{id}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Approvals.Verify(await response.Content.ReadAsStringAsync(Ct), "account");
    }

    [Fact]
    public async Task A_balance_after_a_grant_and_a_reservation()
    {
        var id = await AccountWithAGrantAndAHold("shape-balance");
        var response = await App.Admin().Get($"/v1/accounts/{id}/balance");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Approvals.Verify(await response.Content.ReadAsStringAsync(Ct), "balance");
    }
}
