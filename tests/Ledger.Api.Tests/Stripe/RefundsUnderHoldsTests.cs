using System.Net.Http.Json;
using Ledger.Api.Cli;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// A partial Stripe refund takes back the refunded share of the pack even when the credits are held at the time: the
/// held share comes back as the hold releases it (issue 10, item 5); a dispute's frozen credits are part of the
/// balance equation the service publishes (item 6).
/// </summary>
public sealed class RefundsUnderHoldsTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string Account, string PaymentIntent)> BoughtPack(string prefix)
    {
        var customer = NewId("cus");
        var account = Raw.NewAccountId(prefix);
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "payg", stripeCustomerId = customer }, Ct)).EnsureSuccessStatusCode();
        var pi = NewId("pi");
        await App.DeliverAsync(Purchase(account, "pack_500", pi, App.Now(), customer: customer)).Applied("processed");
        return (account, pi);
    }

    [Fact]
    public async Task A_partial_refund_of_held_credits_takes_its_share_back_when_the_hold_is_released()
    {
        var (account, pi) = await BoughtPack("refund-held");
        // the trial (500, spent first) and the whole pack are held
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "job", amount = 1_000, feature = "ai" })).ShouldBe(201);

        var refund = Refund(pi, 2_900, 1_450, App.Now());
        await App.DeliverAsync(refund).Applied("processed");
        var note = (await App.RecordAsync(refund.Id))!.Detail;
        Assert.Contains("250 are held and will be taken back when released", note);
        Assert.Equal(0, (await Admin.BalanceAsync(account)).GetProperty("voided").GetInt64()); // the caller keeps its hold

        var released = await (await Admin.PostJson($"/v1/accounts/{account}/reservations/job/release", new { reason = "failed" })).ShouldBe(200);
        released.GetProperty("balance").ShouldMatch(new ExpectedBalance(1_000, Voided: 250), "after the release");
        var block = (await Admin.BalanceAsync(account)).Block($"stripe:{pi}");
        Assert.Equal((250L, 250L), (block.GetProperty("voided").GetInt64(), block.GetProperty("remaining").GetInt64()));
        var stream = await App.StreamAsync(account);
        Assert.Equal(250, stream.Single(e => e.Type == "refunded_credits_reclaimed").Data.GetProperty("amount").GetInt64());
        await App.ShouldEqualReplayOfStreamAsync(account);
    }

    [Fact]
    public async Task During_a_dispute_the_balance_satisfies_the_published_equation_with_its_frozen_credits()
    {
        var (account, pi) = await BoughtPack("disputed");
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 600, feature = "ai" })).ShouldBe(201); // trial 500 + 100 of the pack
        await App.DeliverAsync(DisputeEvent("charge.dispute.created", NewId("dp"), pi, 2_900, "needs_response", App.Now())).Applied("processed");

        var b = await Admin.BalanceAsync(account);
        long F(string name) => b.GetProperty(name).GetInt64();
        Assert.Equal(400, F("frozen"));
        Assert.Equal(0, F("available"));
        Assert.Equal(F("granted") - F("consumed") - F("expired") - F("voided") + F("refunded"), F("available") + F("reserved") + F("frozen"));

        var report = await InvariantCheck.Run(App.Services.GetRequiredService<IDocumentStore>(), account, Ct);
        Assert.Empty(report.Drifts);
    }
}
