using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Grants;

/// <summary>A void takes only the unheld remainder; a held part released later is voided then, as its own event.</summary>
public sealed class VoidGrantTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    private Task<HttpResponseMessage> Void(string account, string grantId) =>
        Client.PostJson($"/v1/accounts/{account}/grants/{grantId}/void", new { reason = "chargeback" });

    [Fact]
    public async Task Voiding_after_partial_consumption_voids_the_unheld_remainder_and_later_the_released_held_part()
    {
        const string account = "void";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 500, source: "manual", grantId: "g");      // priority 40: spent first
        await App.GrantAsync(account, 100, source: "purchase", grantId: "other"); // priority 50
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { amount = 100 })).ShouldBe(201);
        var hold = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 150 })).ShouldBe(201);
        Assert.Equal([new Drawn("g", 150)], hold.GetProperty("reservation").GetProperty("held").Draws());

        var voided = await (await Void(account, "g")).ShouldBe(200);
        Assert.Equal(250, voided.GetProperty("voided").GetInt64()); // 500 - 100 consumed - 150 held
        Assert.Equal("voided", voided.GetProperty("grant").GetProperty("status").GetString());
        var afterVoid = new ExpectedBalance(600, Consumed: 100, Voided: 250, Reserved: 150);
        voided.GetProperty("balance").ShouldMatch(afterVoid, "after the void");
        (await Client.BalanceAsync(account)).ShouldMatch(afterVoid, "GET balance after the void");

        var again = await (await Void(account, "g")).ShouldBeProblem(409, "grant-already-voided");
        Assert.Equal(250, again.GetProperty("voided").GetInt64());
        await (await Void(account, "nope")).ShouldBeProblem(404, "grant-not-found");

        // new holds cannot touch the void block; the old hold stays backed by it
        var fresh = await (await Client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r2", amount = 50 })).ShouldBe(201);
        Assert.Equal([new Drawn("other", 50)], fresh.GetProperty("reservation").GetProperty("held").Draws());
        await (await Client.PostJson($"/v1/accounts/{account}/reservations/r2/release", new { })).ShouldBe(200);

        var committed = await (await Client.PostJson($"/v1/accounts/{account}/reservations/r1/commit", new { amount = 50 })).ShouldBe(200);
        Assert.Equal([new Drawn("g", 50)], committed.GetProperty("reservation").GetProperty("consumed").Draws());
        var end = new ExpectedBalance(600, Consumed: 150, Voided: 350);
        committed.GetProperty("balance").ShouldMatch(end, "after committing 50 of the hold on the void block");
        (await Client.BalanceAsync(account)).ShouldMatch(end, "GET balance at the end");

        var voids = (await App.StreamAsync(account)).Where(e => e.Type == "grant_voided").ToList();
        Assert.Equal([250L, 100L], voids.Select(e => e.Data.GetProperty("amount").GetInt64()));
        Assert.All(voids, e => Assert.Equal("g", e.Data.GetProperty("grantId").GetString()));
    }

    [Fact]
    public async Task Voiding_a_grant_with_nothing_left_is_a_no_op_that_writes_no_event()
    {
        const string account = "void-spent";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 100, grantId: "spent");
        await (await Client.PostJson($"/v1/accounts/{account}/usage", new { amount = 100 })).ShouldBe(201);
        var version = (await Client.BalanceAsync(account)).GetProperty("version").GetInt64();

        var voided = await (await Void(account, "spent")).ShouldBe(200);
        Assert.Equal(0, voided.GetProperty("voided").GetInt64());
        Assert.Equal(version, (await Client.BalanceAsync(account)).GetProperty("version").GetInt64());
        Assert.DoesNotContain(await App.StreamAsync(account), e => e.Type == "grant_voided");
        await (await Void(account, "spent")).ShouldBe(200); // still nothing to void: the same answer
    }
}
