using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Stripe;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>Events that cannot be applied yet are parked, visible to admins and applied later: by a replay, or by their purchase arriving.</summary>
public sealed class StripeParkingTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> List(string query = "") => await (await Admin.GetAsync($"/v1/admin/stripe-events{query}", Ct)).ShouldBe(200);

    [Fact]
    public async Task An_event_for_an_unknown_account_is_parked_listed_and_replayed_once_the_account_exists()
    {
        var account = Raw.NewAccountId("later");
        var pi = NewId("pi");
        var e = Purchase(account, "pack_500", pi, App.Now());

        var parked = await App.DeliverAsync(e).Applied("parked");
        Assert.Contains("does not exist", parked.GetProperty("detail").GetString());
        await App.DeliverAsync(e).Applied("parked", duplicate: true);

        var listed = await List("?status=parked");
        var item = listed.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetString() == e.Id);
        Assert.Equal($"account:{account}", item.GetProperty("waitingFor").GetString());
        Assert.Equal(2, item.GetProperty("deliveries").GetInt32());
        Assert.True(listed.GetProperty("summary").GetProperty("byStatus").GetProperty("parked").GetInt64() >= 1);

        // Replaying before the account exists parks it again (a new attempt, nothing applied).
        var early = await (await Admin.PostJson($"/v1/admin/stripe-events/{e.Id}/replay", new { })).ShouldBe(200);
        Assert.Equal("parked", early.GetProperty("status").GetString());
        Assert.Equal(2, early.GetProperty("attempts").GetInt32());

        await App.OpenAccountAsync(account);
        var replayed = await (await Admin.PostJson($"/v1/admin/stripe-events/{e.Id}/replay", new { })).ShouldBe(200);
        Assert.Equal("processed", replayed.GetProperty("status").GetString());
        Assert.Equal(1500, (await LedgerTotals.Of(App, account)).Granted);
        Assert.Equal(["parked", "parked", "processed"],
            replayed.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("status").GetString()));
        Assert.Single(await App.CausedByAsync(e.Id), "credits_granted");

        // Applied events cannot be replayed again; redeliveries stay duplicates.
        var again = await Admin.PostJson($"/v1/admin/stripe-events/{e.Id}/replay", new { });
        var problem = await again.ShouldBeProblem(409, "stripe-event-not-replayable");
        Assert.Equal("processed", problem.GetProperty("eventStatus").GetString());
        await App.DeliverAsync(e).Applied("processed", duplicate: true);
        Assert.Equal(1500, (await LedgerTotals.Of(App, account)).Granted);
        await (await Admin.PostJson("/v1/admin/stripe-events/evt_nope/replay", new { })).ShouldBeProblem(404, "stripe-event-not-found");
    }

    [Fact]
    public async Task A_refund_and_a_dispute_before_their_purchase_are_parked_and_applied_when_it_arrives()
    {
        var account = Raw.NewAccountId("ooo");
        await App.OpenAccountAsync(account);
        var pi = NewId("pi");
        var t = App.Now();
        var dp = NewId("dp");
        // Charges carry the purchase's metadata (the checkout sets payment_intent_data.metadata); disputes do not.
        var refund = Refund(pi, 7900, 7900, t + 30, accountId: account);
        var disputeOpened = DisputeEvent("charge.dispute.created", dp, pi, 7900, "needs_response", t + 20);
        var disputeLost = DisputeEvent("charge.dispute.closed", dp, pi, 7900, "lost", t + 40);

        var r = await App.DeliverAsync(refund).Applied("parked");
        Assert.Contains("has not been seen yet", r.GetProperty("detail").GetString());
        var d = await App.DeliverAsync(disputeLost).Applied("parked");
        Assert.Contains("applied when its purchase arrives", d.GetProperty("detail").GetString());
        await App.DeliverAsync(disputeOpened).Applied("parked");
        Assert.Equal($"payment:{pi}", (await App.RecordAsync(refund.Id))!.WaitingFor);

        await App.DeliverAsync(Purchase(account, "pack_2000", pi, t)).Applied("processed");

        // The purchase sent a durable replay of its waiters with its own transaction; they are applied right after,
        // in Stripe's order: opened (freeze), refunded (unfreeze, void), lost (already void).
        await Eventually.Until(async () => await App.RecordAsync(disputeLost.Id) is { Status: not "parked" } done ? done : null,
            TimeSpan.FromSeconds(30), () => "the parked events were not replayed after their purchase");
        Assert.Equal("processed", (await App.RecordAsync(disputeOpened.Id))!.Status);
        Assert.Equal("processed", (await App.RecordAsync(refund.Id))!.Status);
        Assert.Equal("duplicate", (await App.RecordAsync(disputeLost.Id))!.Status);
        var totals = await LedgerTotals.Of(App, account);
        Assert.Equal(2000, totals.Voided);
        Assert.Equal(1000, totals.Available);
        Assert.Equal(["grant_unfrozen", "grant_voided"], await App.CausedByAsync(refund.Id));
    }

    [Fact]
    public async Task A_parked_event_is_replayed_by_its_durable_recheck_when_its_purchase_arrived_meanwhile()
    {
        var account = Raw.NewAccountId("sweep");
        await App.OpenAccountAsync(account);
        var pi = NewId("pi");
        var refund = Refund(pi, 2900, 2900, App.Now(), accountId: account);
        await App.DeliverAsync(refund).Applied("parked");

        // The purchase lands the way a crash between its commit and the replay of its waiters would leave it:
        // applied, milestone written, the waiter still parked.
        var store = App.Services.GetRequiredService<Marten.IDocumentStore>();
        await App.GrantAsync(account, 500, source: "purchase", grantId: $"stripe:{pi}");
        await using (var session = store.LightweightSession())
        {
            session.Store(new StripeMilestone($"payment:{pi}", account, $"stripe:{pi}", "evt_manual", App.Clock.GetUtcNow()));
            await session.SaveChangesAsync(Ct);
        }
        Assert.Equal("parked", (await App.RecordAsync(refund.Id))!.Status);

        // Parking scheduled a durable recheck (LEDGER_STRIPE_RECHECK_SECONDS, 1 s here): it finds the purchase and replays.
        await Eventually.Until(async () =>
        {
            CreditsKit.KeepInStepWithRealTime(App);
            var record = await App.RecordAsync(refund.Id);
            return record!.Status == "processed" ? record : null;
        }, TimeSpan.FromSeconds(30), () => "the parked refund was not replayed by its recheck");
        Assert.Equal(500, (await LedgerTotals.Of(App, account)).Voided);
    }

    [Fact]
    public async Task Failed_events_are_listed_and_replayable_and_the_admin_view_counts_deliveries()
    {
        var account = Raw.NewAccountId("failed");
        await App.OpenAccountAsync(account);
        var e = Event("checkout.session.completed",
            CheckoutSession(NewId("cs_test"), account, "pack_9999", NewId("pi"), 100, created: App.Now()), App.Now());
        var answer = await App.DeliverAsync(e).Applied("failed");
        Assert.Contains("Unknown credit pack", answer.GetProperty("detail").GetString());

        var failed = await List($"?status=failed&accountId={account}");
        Assert.Equal(e.Id, failed.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString());
        var one = await (await Admin.GetAsync($"/v1/admin/stripe-events/{e.Id}", Ct)).ShouldBe(200);
        Assert.Equal("checkout.session.completed", one.GetProperty("payload").GetProperty("type").GetString());
        var replay = await (await Admin.PostJson($"/v1/admin/stripe-events/{e.Id}/replay", new { })).ShouldBe(200);
        Assert.Equal("failed", replay.GetProperty("status").GetString()); // still an unknown pack

        await (await Admin.GetAsync("/v1/admin/stripe-events?status=nope", Ct)).ShouldBeProblem(400, "validation");
        var all = await List();
        var summary = all.GetProperty("summary");
        Assert.Equal(summary.GetProperty("received").GetInt64(), summary.GetProperty("byStatus").EnumerateObject().Sum(s => s.Value.GetInt64()));
        Assert.Equal(summary.GetProperty("deliveries").GetInt64() - summary.GetProperty("received").GetInt64(),
            summary.GetProperty("duplicateDeliveries").GetInt64());

        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read", "ledger:write"]));
        Assert.Equal(403, (int)(await reader.GetAsync("/v1/admin/stripe-events", Ct)).StatusCode);
        Assert.Equal(403, (int)(await reader.PostJson($"/v1/admin/stripe-events/{e.Id}/replay", new { })).StatusCode);
    }
}
