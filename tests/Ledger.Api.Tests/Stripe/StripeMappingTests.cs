using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>Each Stripe event type does what DESIGN.md "Stripe" says, exactly once, with the Stripe event id as causation.</summary>
public sealed class StripeMappingTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> Account(string id) => await (await Admin.GetAsync($"/v1/accounts/{id}", Ct)).ShouldBe(200);

    private static JsonElement Block(JsonElement account, string grantId) =>
        account.GetProperty("balance").GetProperty("blocks").EnumerateArray().Single(b => b.GetProperty("grantId").GetString() == grantId);

    private async Task<string> Open(string prefix, string plan = "free", string? customer = null)
    {
        var id = Raw.NewAccountId(prefix);
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = id, plan, stripeCustomerId = customer }, Ct)).EnsureSuccessStatusCode();
        return id;
    }

    [Fact]
    public async Task A_paid_checkout_grants_the_pack_once_with_cost_basis_reference_and_causation()
    {
        var account = await Open("buy");
        var pi = NewId("pi");
        var e = Purchase(account, "pack_2000", pi, App.Now(), customer: NewId("cus"));

        var first = await App.DeliverAsync(e).Applied("processed");
        Assert.Equal(account, first.GetProperty("accountId").GetString());
        var produced = first.GetProperty("ledgerEvents").EnumerateArray().ToList();
        Assert.Contains(produced, x => x.GetProperty("type").GetString() == "credits_granted");

        var block = Block(await Account(account), $"stripe:{pi}");
        Assert.Equal(2000, block.GetProperty("amount").GetInt64());
        Assert.Equal("purchase", block.GetProperty("source").GetString());
        Assert.Equal(7900, block.GetProperty("costBasis").GetProperty("amountMinor").GetInt64());
        Assert.Equal("usd", block.GetProperty("costBasis").GetProperty("currency").GetString());
        Assert.Equal(pi, block.GetProperty("reference").GetString());

        // Every ledger event it produced names the Stripe event as causation; the record lists the same events.
        var caused = await App.CausedByAsync(e.Id);
        Assert.Equal(produced.Select(x => x.GetProperty("type").GetString()), caused);
        var record = (await App.RecordAsync(e.Id))!;
        Assert.Equal("processed", record.Status);
        Assert.Equal(produced.Count, record.LedgerEvents.Count);
        Assert.Equal(e.Body, record.Payload);
        var ids = await App.Query("select id, version from ledger.mt_events where causation_id = @id order by version", ("id", e.Id));
        Assert.Equal(ids.Select(r => ((Guid)r["id"]!, (long)r["version"]!)), record.LedgerEvents.Select(x => (x.Id, x.Version)));

        // Stripe delivers it again: 200, nothing new.
        var version = (await Account(account)).GetProperty("version").GetInt64();
        await App.DeliverAsync(e).Applied("processed", duplicate: true);
        await App.DeliverAsync(e).Applied("processed", duplicate: true);
        Assert.Equal(version, (await Account(account)).GetProperty("version").GetInt64());
        Assert.Equal(caused, await App.CausedByAsync(e.Id));
        Assert.Equal(3, (await App.RecordAsync(e.Id))!.Deliveries);
    }

    [Fact]
    public async Task An_unpaid_session_waits_for_async_payment_success_and_the_second_report_of_a_purchase_is_a_duplicate()
    {
        var account = await Open("async");
        var pi = NewId("pi");
        var session = NewId("cs_test");
        var unpaid = Purchase(account, "pack_500", pi, App.Now(), paymentStatus: "unpaid", sessionId: session);
        var succeeded = Purchase(account, "pack_500", pi, App.Now() + 60, type: "checkout.session.async_payment_succeeded", sessionId: session);
        var failedOther = Purchase(account, "pack_500", NewId("pi"), App.Now(), type: "checkout.session.async_payment_failed", paymentStatus: "unpaid");

        await App.DeliverAsync(unpaid).Applied("ignored");
        Assert.Equal(1000, (await LedgerTotals.Of(App, account)).Granted);
        await App.DeliverAsync(failedOther).Applied("ignored");
        await App.DeliverAsync(succeeded).Applied("processed");
        Assert.Equal(1500, (await LedgerTotals.Of(App, account)).Granted);

        // The same purchase reported again under another event id (completed, paid) changes nothing.
        var again = Purchase(account, "pack_500", pi, App.Now() + 120, sessionId: session);
        var answer = await App.DeliverAsync(again).Applied("duplicate");
        Assert.Empty(answer.GetProperty("ledgerEvents").EnumerateArray());
        Assert.Equal(1500, (await LedgerTotals.Of(App, account)).Granted);
    }

    [Fact]
    public async Task Invoices_start_and_end_grace_and_an_older_invoice_event_arriving_late_is_ignored()
    {
        var customer = NewId("cus");
        var account = await Open("inv", "starter", customer);
        var sub = NewId("sub");
        var t = App.Now();
        var failed = InvoiceEvent("invoice.payment_failed", customer, sub, t);
        var paid = InvoiceEvent("invoice.paid", customer, sub, t + 3600);

        var started = await App.DeliverAsync(failed).Applied("processed");
        Assert.Contains(started.GetProperty("ledgerEvents").EnumerateArray(), x => x.GetProperty("type").GetString() == "grace_started");
        Assert.Equal("grace", (await Account(account)).GetProperty("status").GetString());
        await App.DeliverAsync(paid).Applied("processed");
        Assert.Equal("active", (await Account(account)).GetProperty("status").GetString());

        // A failure reported before the payment, delivered after it, does not put the account back in grace.
        var stale = InvoiceEvent("invoice.payment_failed", customer, sub, t + 1800);
        var ignored = await App.DeliverAsync(stale).Applied("ignored");
        Assert.Contains(paid.Id, ignored.GetProperty("detail").GetString());
        Assert.Equal("active", (await Account(account)).GetProperty("status").GetString());

        // A one-off invoice (no subscription) does not touch grace.
        var oneOff = Event("invoice.payment_failed", Invoice(NewId("in"), customer, null, 1000, "open", billingReason: "manual", created: t + 7200), t + 7200);
        await App.DeliverAsync(oneOff).Applied("ignored");
        Assert.Equal("active", (await Account(account)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Subscription_updates_change_the_plan_and_cancellation_falls_back_to_free()
    {
        var customer = NewId("cus");
        var account = await Open("sub", "free", customer);
        var sub = NewId("sub");
        var t = App.Now();

        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", sub, customer, "active", "starter", t)).Applied("processed");
        Assert.Equal("starter", (await Account(account)).GetProperty("plan").GetString());
        // metadata ledger_plan wins over the price's lookup_key
        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", sub, customer, "active", "starter", t + 10, planMetadata: "pro")).Applied("processed");
        Assert.Equal("pro", (await Account(account)).GetProperty("plan").GetString());
        // a lookup_key that names no plan, and no metadata: nothing to do
        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", sub, customer, "active", "gold_monthly", t + 20)).Applied("ignored");
        // the same plan again is a duplicate
        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", sub, customer, "active", "pro", t + 30)).Applied("duplicate");

        var deleted = SubscriptionEvent("customer.subscription.deleted", sub, customer, "canceled", "pro", t + 40);
        await App.DeliverAsync(deleted).Applied("processed");
        Assert.Equal("free", (await Account(account)).GetProperty("plan").GetString());
        // an update sent before the cancellation, arriving after it, is ignored
        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", sub, customer, "active", "starter", t + 35)).Applied("ignored");
        Assert.Equal("free", (await Account(account)).GetProperty("plan").GetString());
    }

    [Fact]
    public async Task A_full_refund_voids_what_is_left_of_the_pack_and_says_what_was_spent()
    {
        var account = await Open("refund");
        var pi = NewId("pi");
        await App.DeliverAsync(Purchase(account, "pack_500", pi, App.Now())).Applied("processed");
        // the free allowance (priority 20) is spent first, then the pack (50)
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1000 })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 120 })).ShouldBe(201);

        var full = Refund(pi, 2900, 2900, App.Now());
        var answer = await App.DeliverAsync(full).Applied("processed");
        Assert.Equal("Voided 380 of the 500 purchased credits of 'stripe:" + pi + "'; 120 had already been spent.", answer.GetProperty("detail").GetString());
        var block = Block(await Account(account), $"stripe:{pi}");
        Assert.Equal("voided", block.GetProperty("status").GetString());
        Assert.Equal(380, block.GetProperty("voided").GetInt64());
        Assert.Equal(0, (await LedgerTotals.Of(App, account)).Available);

        // refunded again under another event (e.g. charge.refunded re-sent after a refund update): no second void
        await App.DeliverAsync(Refund(pi, 2900, 2900, App.Now() + 5)).Applied("duplicate");
        Assert.Equal(380, (await LedgerTotals.Of(App, account)).Voided);
    }

    [Fact]
    public async Task A_partial_refund_takes_back_the_refunded_share_and_a_late_older_total_changes_nothing()
    {
        var account = await Open("refund-part");
        var pi = NewId("pi");
        await App.DeliverAsync(Purchase(account, "pack_500", pi, App.Now())).Applied("processed");
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1000 })).ShouldBe(201); // the free allowance
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 120 })).ShouldBe(201);  // then the pack
        var t = App.Now();

        // 10.00 of 29.00 back: 500 × 1000 / 2900 = 172.4, rounded down
        var first = await App.DeliverAsync(Refund(pi, 2900, 1000, t)).Applied("processed");
        Assert.Equal($"Refunded 1000 of 2900 so far: voided 172 credits of 'stripe:{pi}' now.", first.GetProperty("detail").GetString());
        var block = Block(await Account(account), $"stripe:{pi}");
        Assert.Equal("active", block.GetProperty("status").GetString()); // the rest stays spendable
        Assert.Equal(172, block.GetProperty("voided").GetInt64());

        // 25.00 back in all: 431 owed in all, 259 more, but only 208 are left: 51 were already spent
        var second = await App.DeliverAsync(Refund(pi, 2900, 2500, t + 20)).Applied("processed");
        Assert.Equal($"Refunded 2500 of 2900 so far: voided 208 credits of 'stripe:{pi}' now; 51 were already spent and stay spent (taken back if refunded to the block).",
            second.GetProperty("detail").GetString());
        // the first refund's event delivered again, and an older total arriving late: nothing more
        await App.DeliverAsync(Refund(pi, 2900, 1000, t + 10)).Applied("duplicate");
        var totals = await LedgerTotals.Of(App, account);
        Assert.Equal((380, 0), (totals.Voided, totals.Available));
    }

    [Fact]
    public async Task A_dispute_freezes_the_pack_a_won_dispute_unfreezes_it_a_lost_one_voids_it()
    {
        var account = await Open("dispute");
        var (won, lost) = (NewId("pi"), NewId("pi"));
        await App.DeliverAsync(Purchase(account, "pack_500", won, App.Now())).Applied("processed");
        await App.DeliverAsync(Purchase(account, "pack_2000", lost, App.Now())).Applied("processed");
        var t = App.Now();
        var (dpWon, dpLost) = (NewId("dp"), NewId("dp"));

        await App.DeliverAsync(DisputeEvent("charge.dispute.created", dpWon, won, 2900, "needs_response", t)).Applied("processed");
        await App.DeliverAsync(DisputeEvent("charge.dispute.created", dpLost, lost, 7900, "needs_response", t)).Applied("processed");
        var frozen = await Account(account);
        Assert.Equal(2500, frozen.GetProperty("balance").GetProperty("frozen").GetInt64());
        Assert.Equal(1000, frozen.GetProperty("balance").GetProperty("available").GetInt64());

        await App.DeliverAsync(DisputeEvent("charge.dispute.closed", dpWon, won, 2900, "won", t + 60)).Applied("processed");
        var lostAnswer = await App.DeliverAsync(DisputeEvent("charge.dispute.closed", dpLost, lost, 7900, "lost", t + 60)).Applied("processed");
        Assert.Equal(["grant_unfrozen", "grant_voided"], lostAnswer.GetProperty("ledgerEvents").EnumerateArray().Select(x => x.GetProperty("type").GetString()));
        var after = await Account(account);
        Assert.Equal(0, after.GetProperty("balance").GetProperty("frozen").GetInt64());
        Assert.Equal(1500, after.GetProperty("balance").GetProperty("available").GetInt64());
        Assert.Equal(2000, after.GetProperty("balance").GetProperty("voided").GetInt64());

        // A dispute's opening delivered after its close does not freeze again.
        var late = DisputeEvent("charge.dispute.created", dpWon, won, 2900, "needs_response", t);
        await App.DeliverAsync(late).Applied("ignored");
        Assert.Equal(0, (await Account(account)).GetProperty("balance").GetProperty("frozen").GetInt64());
    }

    [Fact]
    public async Task Unknown_types_are_acknowledged_ignored_and_recorded()
    {
        var e = Event("customer.tax_id.created", new System.Text.Json.Nodes.JsonObject { ["id"] = NewId("txi"), ["object"] = "tax_id" }, App.Now());
        var answer = await App.DeliverAsync(e).Applied("ignored");
        Assert.Contains("no effect", answer.GetProperty("detail").GetString());
        Assert.Equal("ignored", (await App.RecordAsync(e.Id))!.Status);

        // An account id no account can have, and an event that names nothing to find one by: failed, listed, replayable.
        var invalid = Purchase("not a valid id!", "pack_500", NewId("pi"), App.Now());
        Assert.Contains("not a valid account id", (await App.DeliverAsync(invalid).Applied("failed")).GetProperty("detail").GetString());
        var nameless = Event("invoice.paid", Invoice(NewId("in"), "", NewId("sub"), 4900, "paid", created: App.Now()), App.Now());
        await App.DeliverAsync(nameless).Applied("failed");
    }

    [Fact]
    public async Task The_account_is_found_by_the_linked_stripe_customer()
    {
        var customer = NewId("cus");
        var account = await Open("bycus", "starter", customer);
        // no ledger_account_id anywhere: the invoice names only the customer
        await App.DeliverAsync(InvoiceEvent("invoice.payment_failed", customer, NewId("sub"), App.Now())).Applied("processed");
        Assert.Equal("grace", (await Account(account)).GetProperty("status").GetString());

        // A purchase names both: its customer is linked, and later events that name only the customer find the account.
        var other = await Open("linked", "starter");
        var newCustomer = NewId("cus");
        await App.DeliverAsync(Purchase(other, "pack_500", NewId("pi"), App.Now(), customer: newCustomer)).Applied("processed");
        await App.DeliverAsync(InvoiceEvent("invoice.payment_failed", newCustomer, NewId("sub"), App.Now())).Applied("processed");
        Assert.Equal("grace", (await Account(other)).GetProperty("status").GetString());
    }
}
