using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>Stripe's purchases and refunds against the ledger's purchase grants and voids, per account and in total, with every mismatch named.</summary>
public sealed class StripeReconciliationTests(PostgresServer server) : IAsyncLifetime
{
    private LedgerApp App { get; set; } = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => App = await LedgerApp.StartAsync(server, "recon", settings: StripeKit.Settings());

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    private async Task<JsonElement> Report(string query = "") =>
        await (await App.Admin().GetAsync($"/v1/admin/reconciliation{query}", Ct)).ShouldBe(200);

    [Fact]
    public async Task Matching_purchases_and_refunds_reconcile_and_every_disagreement_is_listed()
    {
        await App.OpenAccountAsync("rec-a");
        await App.OpenAccountAsync("rec-b");
        var t = App.Now();
        var (a1, a2, b1, b2) = (NewId("pi"), NewId("pi"), NewId("pi"), NewId("pi"));
        await App.DeliverAsync(Purchase("rec-a", "pack_500", a1, t)).Applied("processed");
        await App.DeliverAsync(Purchase("rec-a", "pack_2000", a2, t)).Applied("processed");
        await App.DeliverAsync(Refund(a2, 7900, 7900, t, accountId: "rec-a")).Applied("processed");
        await App.DeliverAsync(Purchase("rec-b", "pack_2000", b1, t)).Applied("processed");

        var clean = await Report();
        Assert.Empty(clean.GetProperty("mismatches").EnumerateArray());
        var usd = clean.GetProperty("totals").EnumerateArray().Single();
        Assert.Equal("usd", usd.GetProperty("currency").GetString());
        Assert.Equal(2900 + 7900 + 7900, usd.GetProperty("stripe").GetProperty("purchasedMinor").GetInt64());
        Assert.Equal(7900, usd.GetProperty("stripe").GetProperty("refundedMinor").GetInt64());
        Assert.Equal(usd.GetProperty("stripe").GetProperty("netMinor").GetInt64(), usd.GetProperty("ledger").GetProperty("netMinor").GetInt64());
        Assert.True(usd.GetProperty("withinOnePercent").GetBoolean());
        var accountA = clean.GetProperty("accounts").EnumerateArray().Single(x => x.GetProperty("accountId").GetString() == "rec-a");
        Assert.True(2900 == accountA.GetProperty("totals")[0].GetProperty("stripe").GetProperty("netMinor").GetInt64(), accountA.ToString());

        // Now make them disagree: a purchase for an account that does not exist (parked), a manual purchase grant and a
        // manual void of a Stripe purchase. A partial refund is applied, so it agrees.
        await App.DeliverAsync(Purchase("rec-ghost", "pack_500", NewId("pi"), t)).Applied("parked");
        await App.DeliverAsync(Refund(b1, 7900, 2000, t, accountId: "rec-b")).Applied("processed");
        await App.GrantAsync("rec-b", 100, source: "purchase", grantId: "manual-purchase");
        await App.DeliverAsync(Purchase("rec-b", "pack_500", b2, t)).Applied("processed");
        await (await App.Admin().PostJson($"/v1/accounts/rec-b/grants/stripe:{b2}/void", new { reason = "support" })).ShouldBe(200);

        var report = await Report($"?from={Uri.EscapeDataString(DateTimeOffset.FromUnixTimeSeconds(t - 60).ToString("O"))}");
        var kinds = report.GetProperty("mismatches").EnumerateArray()
            .Select(m => (m.GetProperty("kind").GetString(), m.GetProperty("accountId").GetString())).OrderBy(x => x).ToList();
        Assert.Equal([
            ("missing-grant", "rec-ghost"),
            ("purchase-without-stripe", "rec-b"),
            ("void-without-stripe-refund", "rec-b"),
        ], kinds);
        var totals = report.GetProperty("totals").EnumerateArray().Single();
        // Stripe minus ledger: the ghost's 2900 the ledger never granted and the 2900 of b2 the ledger voided while
        // Stripe kept the money (the manual grant has no cost basis); the partial refund's 2000 is on both sides.
        Assert.Equal(2900 + 2900, totals.GetProperty("differenceMinor").GetInt64());
        Assert.Equal(7900 + 2000 + 2900, totals.GetProperty("ledger").GetProperty("refundedMinor").GetInt64()); // b2 counted as refunded by its void
        Assert.False(totals.GetProperty("withinOnePercent").GetBoolean());

        await (await App.Admin().GetAsync("/v1/admin/reconciliation?from=yesterday", Ct)).ShouldBeProblem(400, "validation");
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        Assert.Equal(403, (int)(await reader.GetAsync("/v1/admin/reconciliation", Ct)).StatusCode);
    }
}
