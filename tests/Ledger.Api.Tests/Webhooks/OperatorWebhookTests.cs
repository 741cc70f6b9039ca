using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Webhooks;

/// <summary>A receiver for one test class, and an app that sends it operator webhooks (its clock kept in step with real time while waiting).</summary>
public sealed class OperatorWebhookFixture(PostgresServer server) : IAsyncLifetime
{
    public const string Secret = "whsec_operator_test_1c9f0e7a";
    public WebhookReceiver Receiver { get; private set; } = null!;
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync(Secret);
        App = await LedgerApp.StartAsync(server, "hooks", settings: new Dictionary<string, string>
        {
            ["LEDGER_OPERATOR_WEBHOOK_URL"] = Receiver.Url, ["LEDGER_OPERATOR_WEBHOOK_SECRET"] = Secret,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Receiver is not null) await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Operator webhooks (DESIGN "Operator webhooks and alerts", ADR 0030): each threshold fires once per crossing, status
/// changes fire once, every delivery is signed, carries a unique id, is retried until the receiver takes it, is listed
/// for admins and can be resent.
/// </summary>
public sealed class OperatorWebhookTests(OperatorWebhookFixture fixture) : IClassFixture<OperatorWebhookFixture>
{
    private LedgerApp App => fixture.App;
    private WebhookReceiver Receiver => fixture.Receiver;
    private HttpClient Admin { get; } = fixture.App.Admin();

    private async Task<List<JsonElement>> WaitForTypes(string account, params string[] types) =>
        await Eventually.Until(async () =>
        {
            await Task.Yield();
            CreditsKit.KeepInStepWithRealTime(App); // retries are timers on the app's clock
            var mine = Receiver.Received.Values.Where(r => r.GetProperty("accountId").GetString() == account).ToList();
            return types.All(t => mine.Any(r => r.GetProperty("type").GetString() == t)) ? mine : null;
        }, TimeSpan.FromSeconds(30), () => $"{account}: expected {string.Join(", ", types)}; received " +
            string.Join(", ", Receiver.Received.Values.Where(r => r.GetProperty("accountId").GetString() == account).Select(r => r.GetProperty("type").GetString())));

    [Fact]
    public async Task Crossing_thresholds_fires_each_alert_once_signed_with_a_unique_delivery_id()
    {
        var account = Raw.NewAccountId("alerts");
        await App.OpenAccountAsync(account, "starter"); // 10,000 a month; low below 1,000; quota warning at 80 %
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 7_000, feature = "ai" })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1_500, feature = "ai" })).ShouldBe(201); // 85 %: warning
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1_000, feature = "ai" })).ShouldBe(201); // 500 left: low
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 100, feature = "ai" })).ShouldBe(201);   // still low: nothing new
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 400, feature = "ai" })).ShouldBe(201);   // 0: depleted, exhausted

        var received = await WaitForTypes(account, "quota.warning", "balance.low", "balance.depleted", "quota.exhausted");
        Assert.Equal(4, received.Count);
        Assert.All(received.GroupBy(r => r.GetProperty("type").GetString()), g => Assert.Single(g));
        var low = received.Single(r => r.GetProperty("type").GetString() == "balance.low");
        Assert.Equal((500L, 1_000L), (low.GetProperty("data").GetProperty("value").GetInt64(), low.GetProperty("data").GetProperty("threshold").GetInt64()));
        Assert.Empty(Receiver.BadSignatures);

        // Credits back above the threshold re-arm it; falling again fires it again.
        await App.GrantAsync(account, 2_000);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 1_500, feature = "ai" })).ShouldBe(201);
        await Eventually.Until(async () =>
        {
            await Task.Yield();
            return Receiver.Received.Values.Count(r => r.GetProperty("accountId").GetString() == account && r.GetProperty("type").GetString() == "balance.low") == 2 ? "ok" : null;
        }, TimeSpan.FromSeconds(30), () => "balance.low did not fire again after re-arming");
    }

    [Fact]
    public async Task Status_changes_are_webhooks_and_an_account_may_set_its_own_threshold()
    {
        var account = Raw.NewAccountId("status");
        await App.OpenAccountAsync(account, "starter");
        var set = await (await Admin.PostJson($"/v1/accounts/{account}/alerts", new { lowBalance = 9_990 })).ShouldBe(200);
        Assert.Equal(9_990, set.GetProperty("lowBalance").GetInt64());
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 20 })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/grace", new { reason = "card declined" })).ShouldBe(200);
        await (await Admin.PostJson($"/v1/accounts/{account}/suspend", new { reason = "unpaid" })).ShouldBe(200);
        await (await Admin.PostJson($"/v1/accounts/{account}/restore", new { reason = "paid" })).ShouldBe(200);

        var received = await WaitForTypes(account, "balance.low", "grace.started", "account.suspended", "account.restored");
        Assert.Equal(4, received.Count);
        Assert.Equal(9_990, received.Single(r => r.GetProperty("type").GetString() == "balance.low").GetProperty("data").GetProperty("threshold").GetInt64());
    }

    [Fact]
    public async Task A_receiver_that_fails_is_retried_until_it_answers_and_admins_see_and_resend_deliveries()
    {
        var account = Raw.NewAccountId("retry");
        await App.OpenAccountAsync(account, "starter");
        Receiver.FailNext(2);
        await (await Admin.PostJson($"/v1/accounts/{account}/grace", new { reason = "card declined" })).ShouldBe(200);

        var delivered = (await WaitForTypes(account, "grace.started")).Single();
        var id = delivered.GetProperty("id").GetString()!;
        var listed = await Eventually.Until(async () =>
        {
            var page = await (await Admin.GetAsync($"/v1/admin/webhook-deliveries?accountId={account}&status=delivered", TestContext.Current.CancellationToken)).ShouldBe(200);
            return page.GetProperty("data").GetArrayLength() == 1 ? page.GetProperty("data")[0].GetRawText() : null;
        }, TimeSpan.FromSeconds(30), () => "the delivery was not listed as delivered");
        var entry = JsonDocument.Parse(listed).RootElement;
        Assert.Equal(id, entry.GetProperty("id").GetString());
        Assert.True(entry.GetProperty("attempts").GetInt32() >= 3, entry.GetRawText());

        await (await Admin.PostJson($"/v1/admin/webhook-deliveries/{id}/resend", new { })).ShouldBe(202);
        await Eventually.Until(async () => { await Task.Yield(); return Receiver.Deliveries[id] == 2 ? "again" : null; },
            TimeSpan.FromSeconds(30), () => "the resend did not arrive");
        await (await Admin.PostJson("/v1/admin/webhook-deliveries/whd_nope/resend", new { })).ShouldBeProblem(404, "not-found");
    }
}
