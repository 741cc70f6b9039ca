using System.Text.Json;
using System.Net.Http.Json;
using Ledger.Api.Stripe;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// Calls to Stripe go through Stripe.net to the configured API base (here a local stand-in that fails on demand):
/// checkout sessions for credit packs, and billed overage as meter events through the durable outbox, retried
/// until Stripe has each identifier exactly once.
/// </summary>
public sealed class StripeOutboundTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private StripeStandIn Stripe => fixture.Stripe;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Checkout(string pack) =>
        new { pack, successUrl = "https://app.example.com/ok?session={CHECKOUT_SESSION_ID}", cancelUrl = "https://app.example.com/cancel" };

    [Fact]
    public async Task A_checkout_session_is_created_through_stripe_for_the_pack_with_the_account_in_its_metadata()
    {
        var account = Raw.NewAccountId("co");
        await App.OpenAccountAsync(account);
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));

        var created = await (await writer.PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_2000"))).ShouldBe(201);
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("cs_test_", id);
        Assert.Equal($"https://checkout.stripe.com/c/pay/{id}", created.GetProperty("url").GetString());
        Assert.Equal(7900, created.GetProperty("amountMinor").GetInt64());
        Assert.Equal(2000, created.GetProperty("credits").GetInt64());

        var sent = Stripe.Requests.Single(r => r.Path == "/v1/checkout/sessions" && r.Form.GetValueOrDefault("client_reference_id") == account);
        Assert.Equal("payment", sent.Form["mode"]);
        Assert.Equal("1", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("7900", sent.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("usd", sent.Form["line_items[0][price_data][currency]"]);
        Assert.Equal("2,000 credits", sent.Form["line_items[0][price_data][product_data][name]"]);
        Assert.Equal(account, sent.Form["metadata[ledger_account_id]"]);
        Assert.Equal("pack_2000", sent.Form["metadata[ledger_pack]"]);
        Assert.Equal(account, sent.Form["payment_intent_data[metadata][ledger_account_id]"]);
        Assert.Equal("https://app.example.com/cancel", sent.Form["cancel_url"]);
        Assert.NotNull(sent.IdempotencyKey);
    }

    [Fact]
    public async Task Unknown_packs_accounts_and_urls_are_refused_before_calling_stripe()
    {
        var account = Raw.NewAccountId("co-bad");
        await App.OpenAccountAsync(account);
        var before = Stripe.Requests.Count;

        var unknown = await (await Admin.PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_1"))).ShouldBeProblem(400, "validation");
        Assert.Contains("pack_500", unknown.GetProperty("errors").GetProperty("pack")[0].GetString());
        await (await Admin.PostJson($"/v1/accounts/{account}/checkout-sessions", new { pack = "pack_500", successUrl = "ftp://x", cancelUrl = "nope" }))
            .ShouldBeProblem(400, "validation");
        await (await Admin.PostJson("/v1/accounts/nobody-here/checkout-sessions", Checkout("pack_500"))).ShouldBeProblem(404, "account-not-found");
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        Assert.Equal(403, (int)(await reader.PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_500"))).StatusCode);
        Assert.Equal(before, Stripe.Requests.Count);
    }

    [Fact]
    public async Task A_checkout_retried_with_the_same_idempotency_key_gets_the_same_session_and_stripe_errors_are_502()
    {
        var account = Raw.NewAccountId("co-idem");
        await App.OpenAccountAsync(account);
        var client = App.Admin();
        client.DefaultRequestHeaders.Add("Idempotency-Key", Guid.NewGuid().ToString());

        Stripe.FailNext(1); // Stripe.net retries it itself, with the same idempotency key
        var first = await (await client.PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_500"))).ShouldBe(201);
        var again = await (await client.PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_500"))).ShouldBe(201);
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        var posts = Stripe.Requests.Where(r => r.Form.GetValueOrDefault("client_reference_id") == account).ToList();
        Assert.Equal([500, 200], posts.Select(p => p.Status));
        Assert.Single(posts.Select(p => p.IdempotencyKey).Distinct());

        Stripe.FailNext(10);
        await (await App.Admin().PostJson($"/v1/accounts/{account}/checkout-sessions", Checkout("pack_500"))).ShouldBeProblem(502, "stripe-unavailable");
        Stripe.FailNext(0);
    }

    private async Task<(string Account, string Customer)> OverdrawnAccount(string prefix, long overage, string plan = "pro", long allowance = 100_000)
    {
        var customer = NewId("cus");
        var account = Raw.NewAccountId(prefix);
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan, stripeCustomerId = customer }, Ct)).EnsureSuccessStatusCode();
        for (var left = allowance; left > 0; left -= 1_000_000) // the plans' per-request limits
            await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = Math.Min(left, 1_000_000) })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = overage })).ShouldBe(201);
        return (account, customer);
    }

    /// <summary>
    /// Moves the clock past the account's period end and writes one credit of usage: the processor catches the
    /// account up first, so the period's settlement is written (and its meter event queued) in that transaction.
    /// </summary>
    private async Task<JsonElement> CloseThePeriod(string account)
    {
        var periodEnd = (await (await Admin.GetAsync($"/v1/accounts/{account}/quota", Ct)).ShouldBe(200)).GetProperty("periodEnd").GetDateTimeOffset();
        App.Clock.Advance(periodEnd - App.Clock.GetUtcNow() + TimeSpan.FromHours(1));
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1 })).ShouldBe(201);
        return await (await Admin.GetAsync($"/v1/accounts/{account}/balance", Ct)).ShouldBe(200);
    }

    private async Task<StripeMeterReport> SentReport(string account)
    {
        var store = App.Services.GetRequiredService<IDocumentStore>();
        return await Eventually.Until(async () =>
            {
                await using var session = store.QuerySession();
                var report = (await session.Query<StripeMeterReport>().Where(r => r.AccountId == account).ToListAsync(Ct)).SingleOrDefault();
                return report is { Status: "sent" or "already-recorded" } ? report : null;
            },
            TimeSpan.FromSeconds(30), () => $"no meter event was sent for {account}");
    }

    [Fact]
    public async Task Overage_owed_at_the_period_end_is_billed_as_one_meter_event_and_the_new_allowance_stays_whole()
    {
        var (account, customer) = await OverdrawnAccount("meter", 600);
        var owing = await (await Admin.GetAsync($"/v1/accounts/{account}/balance", Ct)).ShouldBe(200);
        Assert.Equal(600, owing.GetProperty("overage").GetInt64());
        Assert.Equal(-600, owing.GetProperty("available").GetInt64());
        var periodStart = (await (await Admin.GetAsync($"/v1/accounts/{account}/quota", Ct)).ShouldBe(200)).GetProperty("periodStart").GetDateTimeOffset();
        Assert.DoesNotContain(Stripe.MeterEvents.Keys, k => k.Contains(account, StringComparison.Ordinal)); // billed at the end, not as it is used

        var balance = await CloseThePeriod(account);

        Assert.Equal(0, balance.GetProperty("overage").GetInt64());
        Assert.Equal(100_000 - 1, balance.GetProperty("available").GetInt64()); // not repaid from the new allowance
        var report = await SentReport(account);
        Assert.Equal($"ledger:{account}:overage:{periodStart.UtcDateTime:yyyyMMddTHHmmss}", report.Id);
        var accepted = Stripe.MeterEvents[report.Id];
        Assert.Equal("ledger_overage", accepted["event_name"]);
        Assert.Equal(customer, accepted["payload[stripe_customer_id]"]);
        Assert.Equal("600", accepted["payload[value]"]);
        Assert.Equal(periodStart.AddMonths(1).AddSeconds(-1).ToUnixTimeSeconds().ToString(), accepted["timestamp"]); // inside the closing invoice
        await using var session = App.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var settled = (await session.Events.FetchStreamAsync(account, token: Ct)).Select(e => e.Data).OfType<OverageSettled>().Single();
        Assert.Equal((600, OverageSettlement.Invoiced, periodStart), (settled.Amount, settled.Settlement, settled.PeriodStart));
    }

    [Fact]
    public async Task Credits_bought_during_the_period_repay_overage_first_and_only_the_rest_is_billed()
    {
        var (account, _) = await OverdrawnAccount("meter-pack", 600);
        await (await Admin.PostJson($"/v1/accounts/{account}/grants", new { grantId = "pack-1", amount = 500, source = "purchase", reason = "credit pack" })).ShouldBe(201);
        Assert.Equal(100, (await (await Admin.GetAsync($"/v1/accounts/{account}/balance", Ct)).ShouldBe(200)).GetProperty("overage").GetInt64());

        await CloseThePeriod(account);

        var report = await SentReport(account);
        Assert.Equal("100", Stripe.MeterEvents[report.Id]["payload[value]"]);
    }

    [Fact]
    public async Task A_meter_event_is_retried_through_failures_and_accepted_once()
    {
        var (account, _) = await OverdrawnAccount("meter-retry", 250);
        Stripe.FailNext(3); // down for three attempts
        await CloseThePeriod(account);

        var report = await SentReport(account);
        Assert.Equal("sent", report.Status);
        Assert.Equal(4, report.Attempts);
        var posts = Stripe.Requests.Where(r => r.Path == "/v1/billing/meter_events" && r.Form.GetValueOrDefault("identifier") == report.Id).ToList();
        Assert.Equal([500, 500, 500, 200], posts.Select(p => p.Status));
        Assert.All(posts, p => Assert.Equal(report.Id, p.IdempotencyKey));
        Assert.Single(Stripe.MeterEvents.Keys, k => k == report.Id);
    }

    [Fact]
    public async Task A_lost_answer_is_retried_and_stripe_keeps_the_meter_event_once()
    {
        var (account, _) = await OverdrawnAccount("meter-lost", 250);
        Stripe.FailNext(1, StripeStandIn.Failure.After); // Stripe records it, the answer is lost
        await CloseThePeriod(account);

        var report = await SentReport(account);
        var posts = Stripe.Requests.Where(r => r.Path == "/v1/billing/meter_events" && r.Form.GetValueOrDefault("identifier") == report.Id).ToList();
        Assert.Equal([500, 200], posts.Select(p => p.Status));
        Assert.Single(Stripe.MeterEvents.Keys, k => k == report.Id);

        // Delivered again later (at-least-once after a crash): the identifier keeps it single at Stripe, whatever the path.
        var bus = App.Services.GetRequiredService<Wolverine.IMessageBus>();
        await using (var session = App.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            session.Delete<StripeMeterReport>(report.Id);
            await session.SaveChangesAsync(Ct);
        }
        await bus.InvokeAsync(new ReportOverage(report.Id, account, 250, report.OccurredAt, null), Ct);
        Assert.Single(Stripe.MeterEvents.Keys, k => k == report.Id);
        posts = Stripe.Requests.Where(r => r.Path == "/v1/billing/meter_events" && r.Form.GetValueOrDefault("identifier") == report.Id).ToList();
        Assert.Equal([(500, false), (200, true), (200, true)], posts.Select(p => (p.Status, p.Replayed)));
    }

    private async Task<StripeMeterReport> Report(string account, Func<StripeMeterReport, bool> when, string what)
    {
        var store = App.Services.GetRequiredService<IDocumentStore>();
        return await Eventually.Until(async () =>
            {
                await using var session = store.QuerySession();
                var report = (await session.Query<StripeMeterReport>().Where(r => r.AccountId == account).ToListAsync(Ct)).SingleOrDefault();
                return report is not null && when(report) ? report : null;
            },
            TimeSpan.FromSeconds(30), () => $"the meter report of {account} never became {what}");
    }

    private async Task<List<JsonElement>> Unbilled(string account, string kind = "unbilled-overage")
    {
        var report = await (await Admin.GetAsync("/v1/admin/reconciliation", Ct)).ShouldBe(200);
        var mismatches = report.GetProperty("mismatches").EnumerateArray()
            .Where(m => m.GetProperty("kind").GetString() == kind && m.GetProperty("accountId").GetString() == account).ToList();
        var unbilled = report.GetProperty("unbilled").EnumerateArray().Where(u => u.GetProperty("accountId").GetString() == account).ToList();
        Assert.Equal(unbilled.Count, mismatches.Count);
        if (unbilled.Count > 0)
            Assert.Equal(unbilled.Count, report.GetProperty("accounts").EnumerateArray()
                .Single(a => a.GetProperty("accountId").GetString() == account).GetProperty("mismatches").GetInt32());
        return unbilled;
    }

    [Fact]
    public async Task Invoiced_overage_of_an_account_without_a_stripe_customer_is_listed_as_unbilled_in_reconciliation()
    {
        var account = Raw.NewAccountId("meter-nocus");
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "pro" }, Ct)).EnsureSuccessStatusCode();
        for (var left = 100_000L; left > 0; left -= 1_000_000)
            await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = Math.Min(left, 1_000_000) })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 300 })).ShouldBe(201);
        Assert.Empty(await Unbilled(account));

        await CloseThePeriod(account);
        var report = await Report(account, r => r.Status == "no-customer", "no-customer");

        var unbilled = Assert.Single(await Unbilled(account));
        Assert.Equal(report.Id, unbilled.GetProperty("identifier").GetString());
        Assert.Equal(300, unbilled.GetProperty("credits").GetInt64());
        Assert.Equal("no-customer", unbilled.GetProperty("reason").GetString());
        Assert.DoesNotContain(Stripe.MeterEvents.Keys, k => k.Contains(account, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_meter_event_stripe_keeps_refusing_is_unbilled_until_it_is_sent()
    {
        var (account, _) = await OverdrawnAccount("meter-failing", 120);
        Stripe.FailNext(1000);
        try
        {
            await CloseThePeriod(account);
            var failing = await Report(account, r => r.LastError is not null, "failed");

            var unbilled = Assert.Single(await Unbilled(account));
            Assert.Equal(failing.Id, unbilled.GetProperty("identifier").GetString());
            Assert.Equal(120, unbilled.GetProperty("credits").GetInt64());
            Assert.Equal("failed", unbilled.GetProperty("reason").GetString());
            Assert.False(string.IsNullOrEmpty(unbilled.GetProperty("lastError").GetString()));
        }
        finally
        {
            Stripe.FailNext(0);
        }

        await SentReport(account);
        Assert.Empty(await Unbilled(account));
    }

    [Fact]
    public async Task Fair_use_overage_is_written_off_at_the_period_end_and_never_metered()
    {
        var (account, _) = await OverdrawnAccount("unmetered", 10, plan: "unlimited", allowance: 5_000_000);
        var balance = await CloseThePeriod(account);
        Assert.Equal(5_000_000 - 1, balance.GetProperty("available").GetInt64());
        Assert.Equal(0, balance.GetProperty("overage").GetInt64());

        // a metered account settled after it proves the outbox has drained past this one
        var (metered, _) = await OverdrawnAccount("metered-after", 5);
        await CloseThePeriod(metered);
        await SentReport(metered);
        Assert.DoesNotContain(Stripe.MeterEvents.Keys, k => k.Contains(account, StringComparison.Ordinal));
    }
}
