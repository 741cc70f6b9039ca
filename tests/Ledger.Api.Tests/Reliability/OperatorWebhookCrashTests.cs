using System.Net.Http.Json;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// Operator webhooks leave through the durable outbox in the transaction of the write that crossed the threshold: a
/// `kill -9` of the service between the commit and the delivery loses none (the restarted process sends what was
/// committed), and a delivery cut off mid-flight is sent again with the same id, so the receiver sees every alert at
/// least once and can drop duplicates by id.
/// </summary>
public sealed class OperatorWebhookCrashTests(PostgresServer server)
{
    private const string Secret = "whsec_operator_crash_test_7b21";
    private const int Accounts = 8;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Each account's steps, each crossing into an alert: quota warning, low balance, grace, restore, depletion.</summary>
    private static readonly (string Path, object Body)[] Steps =
    [
        ("usage", new { amount = 8_500, feature = "ai" }),
        ("usage", new { amount = 1_000, feature = "ai" }),
        ("grace", new { reason = "card declined" }),
        ("restore", new { reason = "paid" }),
        ("usage", new { amount = 500, feature = "ai" }),
    ];

    [Fact]
    public async Task A_kill_9_between_the_commit_and_the_delivery_loses_no_operator_webhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        var database = await server.CreateDatabaseAsync("hookcrash");
        await using var service = new LedgerProcess(database, new Dictionary<string, string>
        {
            ["LEDGER_OPERATOR_WEBHOOK_URL"] = receiver.Url, ["LEDGER_OPERATOR_WEBHOOK_SECRET"] = Secret,
        });
        await service.StartAsync();
        using var client = service.Client();
        var accounts = Enumerable.Range(1, Accounts).Select(i => $"hook-crash-{i}").ToList();
        foreach (var account in accounts)
            (await client.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "starter" }, Ct)).EnsureSuccessStatusCode();

        // The first half of every account's steps; the receiver is down meanwhile, so deliveries pile up in the outbox.
        receiver.FailNext(int.MaxValue);
        foreach (var account in accounts) await Run(client, account, Steps[..3]);
        service.Kill();
        receiver.FailNext(0);
        await service.StartAsync();
        using var again = service.Client();
        foreach (var account in accounts) await Run(again, account, Steps[3..]);

        // Every alert the event store holds arrives, by a distinct delivery id, as many times as it was raised.
        var expected = await Expected(database);
        await Eventually.Until(async () =>
            {
                await Task.Yield();
                return expected.All(e => Received(receiver, e.Key.Account, e.Key.Type) >= e.Value) ? "all" : null;
            }, TimeSpan.FromSeconds(90),
            () => "missing deliveries: " + string.Join(", ", expected.Where(e => Received(receiver, e.Key.Account, e.Key.Type) < e.Value)
                .Select(e => $"{e.Key.Account} {e.Key.Type} {Received(receiver, e.Key.Account, e.Key.Type)}/{e.Value}")) + "\n" + service.Output());
        Assert.All(expected, e => Assert.Equal(e.Value, Received(receiver, e.Key.Account, e.Key.Type)));
        Assert.Equal(expected.Values.Sum(), receiver.Received.Count);
        Assert.True(expected.Values.Sum() >= Accounts * Steps.Length, $"{expected.Values.Sum()} alerts for {Accounts} accounts");
        Assert.Empty(receiver.BadSignatures);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{receiver.Received.Count} webhooks across a kill -9, {receiver.Duplicates} duplicate deliveries (dropped by id)");
        RunReport.Record("operator webhooks across kill -9", "receiver down, then kill -9 with deliveries in the outbox",
            receiver.Received.Count, $"all delivered, {receiver.Duplicates} duplicate deliveries (dropped by id)");
    }

    private static async Task Run(HttpClient client, string account, (string Path, object Body)[] steps)
    {
        foreach (var (path, body) in steps)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{account}/{path}") { Content = JsonContent.Create(body) };
            (await client.SendAsync(request, Ct)).EnsureSuccessStatusCode();
        }
    }

    private static int Received(WebhookReceiver receiver, string account, string type) =>
        receiver.Received.Values.Count(r => r.GetProperty("accountId").GetString() == account && r.GetProperty("type").GetString() == type);

    /// <summary>Per account and webhook type, how many the event store says were raised.</summary>
    internal static async Task<Dictionary<(string Account, string Type), int>> Expected(string database)
    {
        var rows = await Http.Raw.Query(database,
            "select stream_id, type, data->>'kind' as kind from ledger.mt_events " +
            "where type in ('operator_alert_raised', 'grace_started', 'grace_ended', 'account_suspended', 'account_restored', 'usage_anomaly_flagged')");
        return rows.Select(r => ((string)r["stream_id"]!, (string)r["type"]! switch
            {
                "operator_alert_raised" => (string)r["kind"]!,
                "grace_started" => "grace.started",
                "grace_ended" or "account_restored" => "account.restored",
                "account_suspended" => "account.suspended",
                _ => "usage.anomaly",
            }))
            .GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
    }
}
