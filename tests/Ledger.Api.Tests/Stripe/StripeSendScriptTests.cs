using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// What the README tells a new user to do: run the service, then post the sample events of docs/stripe-events with
/// scripts/stripe-send.sh (openssl and curl), in several orders and repeats. The service listens on a real socket
/// with the real clock, as it does in production.
/// </summary>
public sealed class StripeSendApp(PostgresServer server)
    : KestrelLedger(server, "stripe-send", new Dictionary<string, string> { ["LEDGER_STRIPE_WEBHOOK_SECRET"] = StripeSendScriptTests.Secret });

public sealed class StripeSendScriptTests(StripeSendApp fixture) : IClassFixture<StripeSendApp>
{
    public const string Secret = "whsec_readme_demo_secret";
    private HttpClient Admin => fixture.Admin;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs scripts/stripe-send.sh on sample files; one parsed answer per file.</summary>
    private async Task<List<JsonElement>> Send(string[] samples, long? signedAt = null)
    {
        var root = PostgresServer.FindRepositoryRoot();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root, "scripts", "stripe-send.sh"));
        foreach (var sample in samples) start.ArgumentList.Add(Path.Combine(root, "docs", "stripe-events", sample));
        start.Environment["LEDGER_STRIPE_WEBHOOK_SECRET"] = Secret;
        start.Environment["LEDGER_URL"] = Admin.BaseAddress!.ToString().TrimEnd('/');
        if (signedAt is { } t) start.Environment["STRIPE_SIGNED_AT"] = t.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var errors = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"stripe-send.sh exited {process.ExitCode}: {errors}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    private static string Outcome(JsonElement answer) =>
        answer.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
            ? $"{status.GetString()}{(answer.GetProperty("duplicate").GetBoolean() ? " (again)" : "")}"
            : answer.GetProperty("type").GetString()!;

    private async Task<JsonElement> Account() => await (await Admin.GetAsync("/v1/accounts/acme", Ct)).ShouldBe(200);

    [Fact]
    public async Task The_sample_events_posted_with_the_script_in_any_order_and_repeated_apply_once_each()
    {
        (await Admin.PostAsJsonAsync("/v1/accounts", new { accountId = "acme", plan = "starter", stripeCustomerId = "cus_demo_acme" }, Ct))
            .EnsureSuccessStatusCode();

        // the partial refund before its purchase: parked, then applied when the purchase arrives
        var answers = await Send(["02-charge-refunded-partial.json", "01-checkout-session-completed.json", "01-checkout-session-completed.json"]);
        Assert.Equal(["parked", "processed", "processed (again)"], answers.Select(Outcome));
        // re-applied after the purchase, by a durable message the purchase sends: wait for it
        var status = await Eventually.Until(async () =>
        {
            var read = await (await Admin.GetAsync("/v1/admin/stripe-events/evt_demo_refund_1", Ct)).ShouldBe(200);
            return read.GetProperty("status").GetString() is var current && current != "parked" ? current : null;
        }, TimeSpan.FromSeconds(30), () => "the parked refund was not re-applied after its purchase arrived");
        Assert.Equal("processed", status);
        var balance = (await Account()).GetProperty("balance");
        Assert.Equal((10_000 + 500, 172), (balance.GetProperty("granted").GetInt64(), balance.GetProperty("voided").GetInt64()));

        // the full refund, then the partial one again and the payment failure / payment in reverse order
        answers = await Send(["03-charge-refunded-full.json", "02-charge-refunded-partial.json", "05-invoice-paid.json", "04-invoice-payment-failed.json"]);
        Assert.Equal(["processed", "processed (again)", "duplicate", "ignored"], answers.Select(Outcome));
        var account = await Account();
        Assert.Equal(500, account.GetProperty("balance").GetProperty("voided").GetInt64());
        Assert.Equal("active", account.GetProperty("status").GetString()); // the older failure did not start a grace period

        // a signature older than the 300 s tolerance is refused and nothing is recorded
        var stale = await Send(["01-checkout-session-completed.json"], signedAt: DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 301);
        Assert.Equal(["/problems/invalid-signature"], stale.Select(Outcome));
    }
}
