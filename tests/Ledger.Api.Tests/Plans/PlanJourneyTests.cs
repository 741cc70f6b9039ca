using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Stripe;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Stripe;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Plans;

/// <summary>
/// Plan journeys through admin plan changes and Stripe subscription events (issue 10, items 1-3): within one period,
/// allowances and prorations never grant more than the most generous plan held in it, a payment never grants an
/// allowance twice, and a move to a plan without overage settles the overage instead of leaving credits below zero.
/// </summary>
public sealed class PlanJourneyTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> Open(string prefix, string plan, string? customer = null)
    {
        var id = Raw.NewAccountId(prefix);
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = id, plan, stripeCustomerId = customer }, Ct)).EnsureSuccessStatusCode();
        return id;
    }

    private async Task<JsonElement> Balance(string account) => await Admin.BalanceAsync(account);

    private async Task ChangePlan(string account, string plan) =>
        await (await Admin.PostJson($"/v1/accounts/{account}/plan", new { plan, reason = "journey" })).ShouldBe(200);

    /// <summary>What plan allowances and prorations granted the account (rollovers and trials are not allowances).</summary>
    private static long AllowanceGranted(JsonElement balance) => balance.GetProperty("blocks").EnumerateArray()
        .Where(b => b.GetProperty("grantId").GetString() is { } id && (id.StartsWith("plan:", StringComparison.Ordinal) || id.StartsWith("proration:", StringComparison.Ordinal)))
        .Sum(b => b.GetProperty("amount").GetInt64());

    [Fact]
    public async Task A_pay_as_you_go_account_upgraded_through_stripe_gets_the_prorated_allowance_once()
    {
        var customer = NewId("cus");
        var account = await Open("payg-up", "payg", customer);
        var created = App.Now();
        await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", NewId("sub"), customer, "active", null, created,
            accountId: account, planMetadata: "starter")).Applied("processed");
        var afterChange = await Balance(account);
        var proration = AllowanceGranted(afterChange);
        Assert.InRange(proration, 9_000, 10_000); // starter's 10,000 over what is left of the month

        // The subscription invoice of the change, then a failed renewal and its payment: none grants an allowance again.
        var paid = Event("invoice.paid", Invoice(NewId("in"), customer, NewId("sub"), 4900, "paid", account, billingReason: "subscription_update",
            created: created + 1), created + 1);
        Assert.Empty((await App.DeliverAsync(paid).Applied("duplicate")).GetProperty("ledgerEvents").EnumerateArray()); // nothing to do
        await (await Admin.PostJson($"/v1/accounts/{account}/grace", new { reason = "card declined" })).ShouldBe(200);
        await (await Admin.PostJson($"/v1/accounts/{account}/grace/end", new { reason = "paid" })).ShouldBe(200);

        var balance = await Balance(account);
        Assert.Equal(proration, AllowanceGranted(balance));
        Assert.Equal(500 + proration, balance.GetProperty("granted").GetInt64()); // the trial and the proration, nothing else
    }

    [Fact]
    public async Task A_journey_through_plans_in_one_period_grants_no_more_than_going_straight_to_the_most_generous()
    {
        var direct = await Open("direct", "free");
        var journey = await Open("journey", "free");
        App.Clock.Advance(TimeSpan.FromDays(9.3)); // prorations of about 70 %, rounded down at each step
        await ChangePlan(direct, "enterprise");
        foreach (var plan in new[] { "starter", "free", "pro", "free", "enterprise" }) await ChangePlan(journey, plan);

        var straight = AllowanceGranted(await Balance(direct));
        var travelled = AllowanceGranted(await Balance(journey));
        Assert.True(straight is > 6_000_000 and <= 10_000_000, $"free then enterprise granted {straight}");
        Assert.InRange(travelled, straight - 3, straight); // never more; at most a credit less per step from rounding
        await App.ShouldEqualReplayOfStreamAsync(journey);
    }

    [Fact]
    public async Task Stripe_subscription_changes_up_and_down_grant_no_more_than_going_straight_to_the_most_generous_plan()
    {
        var customer = NewId("cus");
        var account = await Open("sub-journey", "free", customer);
        var direct = await Open("sub-direct", "free");
        await ChangePlan(direct, "enterprise");
        var subscription = NewId("sub");
        var created = App.Now();
        foreach (var plan in new[] { "starter", "free", "pro", "starter", "free", "enterprise", "pro" })
            await App.DeliverAsync(SubscriptionEvent("customer.subscription.updated", subscription, customer, "active", null, ++created,
                accountId: account, planMetadata: plan)).Applied("processed");

        var granted = AllowanceGranted(await Balance(account));
        Assert.True(granted <= 10_000_000, $"a period that held at most enterprise granted {granted} in allowances");
        Assert.Equal(AllowanceGranted(await Balance(direct)), granted);
    }

    [Fact]
    public async Task A_downgrade_with_overage_owed_settles_it_on_the_old_plans_terms_and_never_leaves_credits_below_zero()
    {
        var customer = NewId("cus");
        var account = await Open("down-owed", "pro", customer);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 100_000 })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 5_000 })).ShouldBe(201);
        // a hold that runs into overage too: the downgrade settles what it took, and it may still complete
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "long-job", amount = 700 })).ShouldBe(201);
        Assert.Equal(-5_700, (await Balance(account)).GetProperty("available").GetInt64());

        await ChangePlan(account, "starter");

        var balance = await Balance(account);
        Assert.Equal(0, balance.GetProperty("available").GetInt64());
        Assert.Equal(0, balance.GetProperty("overage").GetInt64());
        Assert.Equal(700, balance.GetProperty("reserved").GetInt64());
        await using (var session = App.Services.GetRequiredService<IDocumentStore>().QuerySession())
        {
            var settled = (await session.Events.FetchStreamAsync(account, token: Ct)).Select(e => e.Data).OfType<OverageSettled>().Single();
            Assert.Equal((5_700L, Domain.Plans.OverageSettlement.Invoiced), (settled.Amount, settled.Settlement));
        }
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations/long-job/commit", new { amount = 700 })).ShouldBe(200);
        Assert.Equal(0, (await Balance(account)).GetProperty("available").GetInt64());

        // billed once, on the pro terms, with an identifier of its own (a period-end settlement may follow in the same period)
        var report = await Eventually.Until(async () =>
        {
            await using var session = App.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return (await session.Query<StripeMeterReport>().Where(r => r.AccountId == account).ToListAsync(Ct))
                .SingleOrDefault(r => r.Status is "sent" or "already-recorded");
        }, TimeSpan.FromSeconds(30), () => $"no meter event for {account}");
        Assert.Equal("5700", fixture.Stripe.MeterEvents[report.Id]["payload[value]"]);
        Assert.Matches($"^ledger:{account}:overage:[0-9T]+:v[0-9]+$", report.Id);

        // the next period's starter allowance is whole: the debt was not left for it to repay
        var periodEnd = (await (await Admin.GetAsync($"/v1/accounts/{account}/quota", Ct)).ShouldBe(200)).GetProperty("periodEnd").GetDateTimeOffset();
        App.Clock.Advance(periodEnd - App.Clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.Equal(10_000, (await Balance(account)).GetProperty("available").GetInt64());
    }
}
