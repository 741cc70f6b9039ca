using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Stripe;
using Shouldly;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Disputes;

/// <summary>
/// Issue 12, item 5 (ADR 46): <c>GET /v1/accounts/{id}/disputes/{reference}</c> for a pack bought through Stripe Checkout
/// (signed webhooks), spent by a usage and a commit, partly refunded by the caller and by Stripe, then disputed. The pack is
/// asserted whole, the numbers worked out by hand: the trial (500, promo, spent first) pays 500 of the 600 usage, the pack 100;
/// the commit takes 80 of the pack; a refund of 30 of that commit returns 30 to it; Stripe refunds 14.50 of 29.00, the
/// same share of the 500 credits (250) is taken from the 350 left; the dispute freezes the other 100.
/// </summary>
public sealed class DisputePackTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Injection = "=HYPERLINK(\"http://evil.example\",\"click\")";

    private sealed record Story(string Account, string PaymentIntent, string Session, string Charge, string Dispute, string[] StripeEvents);

    private async Task<Story> DisputedPurchase()
    {
        var customer = NewId("cus");
        var account = Raw.NewAccountId("dispute");
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "payg", stripeCustomerId = customer }, Ct)).EnsureSuccessStatusCode();
        var (pi, session, charge, dispute) = (NewId("pi"), NewId("cs_test"), NewId("ch"), NewId("dp"));
        var purchase = Purchase(account, "pack_500", pi, App.Now(), customer: customer, sessionId: session);
        await App.DeliverAsync(purchase).Applied("processed");

        await (await Admin.PostJson($"/v1/accounts/{account}/usage",
            new { usageId = "gen-1", amount = 600, feature = "ai", metadata = new { request = "req-1", model = "image-xl" } })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations",
            new { reservationId = "job-2", amount = 100, feature = "ai", metadata = new { request = "req-2" } })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations/job-2/commit",
            new { amount = 80, receiptId = "@SUM(1+1)", metadata = new { stage = "final" } })).ShouldBe(200);
        await (await Admin.PostJson($"/v1/accounts/{account}/refunds",
            new { refundId = "rf-1", reservationId = "job-2", amount = 30, reason = Injection })).ShouldBe(201);

        var refund = Refund(pi, 2_900, 1_450, App.Now(), customer, chargeId: charge);
        await App.DeliverAsync(refund).Applied("processed");
        var opened = Event("charge.dispute.created", Dispute(dispute, charge, pi, 2_900, "needs_response", App.Now()), App.Now());
        await App.DeliverAsync(opened).Applied("processed");
        return new Story(account, pi, session, charge, dispute, [purchase.Id, refund.Id, opened.Id]);
    }

    private async Task<JsonElement> Pack(Story story, string reference) =>
        await (await Admin.GetAsync($"/v1/accounts/{story.Account}/disputes/{Uri.EscapeDataString(reference)}", Ct)).ShouldBe(200);

    private static string? Text(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    [Fact]
    public async Task The_pack_of_a_disputed_purchase_holds_exactly_its_grant_consumptions_refunds_dispute_stripe_events_and_chain_verdict()
    {
        var story = await DisputedPurchase();
        var pack = await Pack(story, story.PaymentIntent);
        var grantId = $"stripe:{story.PaymentIntent}";

        pack.GetProperty("accountId").GetString().ShouldBe(story.Account);
        pack.GetProperty("paymentKey").GetString().ShouldBe(story.PaymentIntent);
        var grant = pack.GetProperty("grant");
        (grant.GetProperty("grantId").GetString(), grant.GetProperty("amount").GetInt64(), grant.GetProperty("source").GetString(), Text(grant, "reference"))
            .ShouldBe((grantId, 500L, "purchase", story.PaymentIntent));
        (grant.GetProperty("costBasis").GetProperty("amountMinor").GetInt64(), grant.GetProperty("costBasis").GetProperty("currency").GetString())
            .ShouldBe((2_900L, "usd"));

        var entries = pack.GetProperty("entries").EnumerateArray().ToList();
        entries.Select(e => $"{e.GetProperty("kind").GetString()} {e.GetProperty("type").GetString()} {e.GetProperty("credits").GetInt64()}").ShouldBe([
            "grant credits_granted 500",
            "consumption usage_recorded 100",
            "consumption reservation_committed 80",
            "usage-refund credits_refunded 30",
            "purchase-refund purchase_partly_refunded 250",
            "dispute-opened grant_frozen 0",
        ]);
        entries.Select(e => e.GetProperty("version").GetInt64()).ShouldBe(entries.Select(e => e.GetProperty("version").GetInt64()).Order(), "stream order");
        var usage = entries[1];
        (Text(usage, "usageId"), usage.GetProperty("totalAmount").GetInt64(), Text(usage, "feature")).ShouldBe(("gen-1", 600L, "ai"));
        usage.GetProperty("metadata").GetProperty("request").GetString().ShouldBe("req-1");
        usage.GetProperty("metadata").GetProperty("model").GetString().ShouldBe("image-xl");
        Text(usage, "actor").ShouldNotBeNullOrEmpty();
        Text(usage, "hash")!.ShouldMatch("^[0-9a-f]{64}$");
        var commit = entries[2];
        (Text(commit, "reservationId"), Text(commit, "receiptId"), Text(commit, "feature")).ShouldBe(("job-2", "@SUM(1+1)", "ai"));
        commit.GetProperty("metadata").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").Order().ShouldBe(["request=req-2", "stage=final"]);
        (Text(entries[3], "refundId"), Text(entries[3], "reservationId"), Text(entries[3], "reason")).ShouldBe(("rf-1", "job-2", Injection));
        (entries[4].GetProperty("refundedMinor").GetInt64(), entries[4].GetProperty("chargedMinor").GetInt64()).ShouldBe((1_450L, 2_900L));
        Text(entries[4], "causationId").ShouldBe(story.StripeEvents[1]);
        Text(entries[5], "causationId").ShouldBe(story.StripeEvents[2]);

        var totals = pack.GetProperty("totals");
        string.Join(",", new[] { "granted", "consumed", "returnedByRefunds", "voided", "expired", "remaining" }.Select(n => totals.GetProperty(n).GetInt64()))
            .ShouldBe("500,150,30,250,0,100");
        totals.GetProperty("frozen").GetBoolean().ShouldBeTrue();
        var block = (await Admin.BalanceAsync(story.Account)).Block(grantId);
        block.GetProperty("remaining").GetInt64().ShouldBe(totals.GetProperty("remaining").GetInt64(), block.ToString());

        pack.GetProperty("stripeEvents").EnumerateArray().Select(s => $"{s.GetProperty("id").GetString()} {s.GetProperty("type").GetString()} {s.GetProperty("status").GetString()}")
            .ShouldBe([$"{story.StripeEvents[0]} checkout.session.completed processed", $"{story.StripeEvents[1]} charge.refunded processed",
                $"{story.StripeEvents[2]} charge.dispute.created processed"]);
        var chain = pack.GetProperty("chain");
        chain.GetProperty("status").GetString().ShouldBe("intact");
        var verify = await (await Admin.GetAsync($"/v1/accounts/{story.Account}/verify", Ct)).ShouldBe(200);
        chain.GetProperty("head").GetString().ShouldBe(verify.GetProperty("head").GetString());

        // the same pack whatever the purchase is named by: grant id, checkout session, charge, dispute
        foreach (var reference in new[] { grantId, story.Session, story.Charge, story.Dispute })
        {
            var same = await Pack(story, reference);
            JsonElement.DeepEquals(same.GetProperty("entries"), pack.GetProperty("entries")).ShouldBeTrue(reference);
            same.GetProperty("reference").GetString().ShouldBe(reference);
        }
    }

    [Fact]
    public async Task The_csv_pack_is_one_table_with_formula_cells_escaped_by_format_or_accept_header()
    {
        var story = await DisputedPurchase();
        var response = await Admin.GetAsync($"/v1/accounts/{story.Account}/disputes/{story.PaymentIntent}?format=csv", Ct);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        response.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe($"dispute-{story.Account}-{story.PaymentIntent}.csv");
        var csv = await response.Content.ReadAsStringAsync(Ct);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("row,version,at,type,credits,totalAmount,");
        lines.Skip(1).Select(l => l.Split(',')[0]).ShouldBe(["grant", "consumption", "consumption", "usage-refund", "purchase-refund", "dispute-opened",
            "stripe-event", "stripe-event", "stripe-event", "totals", "chain"]);
        lines[2].ShouldContain(",gen-1,,ai,,model=image-xl;request=req-1,");
        lines[3].ShouldContain(",'@SUM(1+1),request=req-2;stage=final,");
        lines[4].ShouldContain(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",");
        lines[^2].ShouldContain(",consumed=150;returnedByRefunds=30;voided=250;expired=0;frozen=true,");
        lines[^1].ShouldStartWith("chain,");
        lines[^1].ShouldContain(",intact,");
        csv.ShouldNotContain(",=");
        csv.ShouldNotContain(",@");

        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/accounts/{story.Account}/disputes/{story.PaymentIntent}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var negotiated = await Admin.SendAsync(request, Ct);
        (await negotiated.Content.ReadAsStringAsync(Ct)).ShouldBe(csv);
    }

    [Fact]
    public async Task An_unknown_reference_is_a_404_problem_and_another_accounts_key_finds_no_account()
    {
        var story = await DisputedPurchase();
        var missing = await Admin.GetAsync($"/v1/accounts/{story.Account}/disputes/pi_unknown", Ct);
        (await missing.ShouldBeProblem(404, "dispute-reference-not-found")).GetProperty("reference").GetString().ShouldBe("pi_unknown");
        // a grant that is not the purchase's is still a pack (a manual grant), an overage block is not
        await (await Admin.GetAsync($"/v1/accounts/{story.Account}/disputes/overage", Ct)).ShouldBeProblem(404, "dispute-reference-not-found");
        await (await Admin.GetAsync($"/v1/accounts/{story.Account}/disputes/{story.PaymentIntent}?format=xml", Ct)).ShouldBeProblem(400, "validation");
        var other = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], Raw.NewAccountId("elsewhere")));
        await (await other.GetAsync($"/v1/accounts/{story.Account}/disputes/{story.PaymentIntent}", Ct)).ShouldBeProblem(404, "account-not-found");
        var own = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], story.Account));
        await (await own.GetAsync($"/v1/accounts/{story.Account}/disputes/{story.PaymentIntent}", Ct)).ShouldBe(200);
    }
}
