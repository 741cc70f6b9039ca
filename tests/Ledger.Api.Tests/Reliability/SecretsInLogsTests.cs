using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Stripe;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// DESIGN: never a secret in a log. The service runs as its own process with every secret it can be given (bootstrap
/// admin key, database password, Stripe webhook secret and API key, operator webhook secret) and logging at Debug; the
/// test creates API keys of every kind, uses them, revokes one and uses it again, presents an unknown key, calls Stripe
/// (checkout), receives a signed Stripe event and sends an operator webhook. Then the whole of the process's stdout and
/// stderr is scanned for every secret, and for any 10-character piece of a key beyond the prefix a key list may show.
/// </summary>
public sealed class SecretsInLogsTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_secret_the_service_was_given_or_created_appears_in_its_output()
    {
        var operatorSecret = "whsec_operator_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var stripeWebhookSecret = "whsec_stripe_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var stripeApiKey = "sk_test_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var databasePassword = "pgpw_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)); // trust authentication: any password is accepted
        await using var receiver = await WebhookReceiver.StartAsync(operatorSecret);
        await using var stripe = await StripeStandIn.StartAsync();
        var database = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("secrets")) { Password = databasePassword }.ConnectionString;
        await using var service = new LedgerProcess(database, new Dictionary<string, string>
        {
            ["LEDGER_STRIPE_WEBHOOK_SECRET"] = stripeWebhookSecret, ["LEDGER_STRIPE_API_KEY"] = stripeApiKey, ["LEDGER_STRIPE_API_BASE"] = stripe.BaseUrl,
            ["LEDGER_OPERATOR_WEBHOOK_URL"] = receiver.Url, ["LEDGER_OPERATOR_WEBHOOK_SECRET"] = operatorSecret,
            ["Logging__LogLevel__Default"] = "Debug", ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
        });
        await service.StartAsync();
        using var admin = service.Client();
        const string account = "secrets";
        (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "starter" }, Ct)).EnsureSuccessStatusCode();

        var keys = new List<string>();
        foreach (var (scopes, bound) in new[] { (new[] { "ledger:read" }, (string?)null), (["ledger:write"], account), (["admin"], null), (["admin"], account) })
        {
            var created = await (await admin.PostAsJsonAsync("/v1/admin/api-keys", new { name = "secret-scan", scopes, accountId = bound }, Ct)).Json();
            keys.Add(created.GetProperty("secret").GetString()!);
            using var user = Client(service, keys[^1]);
            await user.GetAsync($"/v1/accounts/{account}", Ct);
            await user.PostAsJsonAsync($"/v1/accounts/{account}/usage", new { amount = 1 }, Ct);
            if (created.GetProperty("scopes").EnumerateArray().Any(s => s.GetString() == "admin"))
                await user.DeleteAsync($"/v1/admin/api-keys/{created.GetProperty("id").GetString()}", Ct); // revoked, then used again
            await user.GetAsync($"/v1/accounts/{account}/balance", Ct);
        }
        var unknown = "lk_live_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
        keys.Add(unknown);
        using (var stranger = Client(service, unknown)) await stranger.GetAsync($"/v1/accounts/{account}", Ct);

        // outbound: Stripe (checkout), an operator webhook (quota warning at 80 % of starter's 10,000)
        (await admin.PostAsJsonAsync($"/v1/accounts/{account}/checkout-sessions",
            new { pack = "pack_500", successUrl = "https://example.com/ok", cancelUrl = "https://example.com/no" }, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync($"/v1/accounts/{account}/usage", new { amount = 8_500, feature = "ai" }, Ct)).EnsureSuccessStatusCode();
        // inbound: a Stripe event signed as Stripe signs it, and one with a forged signature
        var body = StripeFixtures.Event("customer.created", new System.Text.Json.Nodes.JsonObject { ["id"] = "cus_scan", ["object"] = "customer" },
            DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Body;
        var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(stripeWebhookSecret), Encoding.UTF8.GetBytes($"{t}.{body}")));
        (await StripeKit.PostSigned(admin, body, $"t={t},v1={signature}")).EnsureSuccessStatusCode();
        (await StripeKit.PostSigned(admin, body, $"t={t},v1={new string('0', 64)}")).StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        await Eventually.Until(() => Task.FromResult(receiver.Received.IsEmpty ? null : "delivered"), TimeSpan.FromSeconds(30), () => "no operator webhook");

        service.Kill();
        var output = service.AllOutput();
        output.Length.ShouldBeGreaterThan(1000, "the service's output was not captured");
        output.ShouldContain("Request finished"); // Debug logging of requests was on: the scan saw the request log
        output.ShouldContain($"{keys[2][..12]}... was revoked"); // and the authentication log, which shows a key's prefix only
        var secrets = new Dictionary<string, string>
        {
            ["bootstrap admin key"] = LedgerApp.AdminKey, ["database password"] = databasePassword, ["Stripe webhook secret"] = stripeWebhookSecret,
            ["Stripe API key"] = stripeApiKey, ["operator webhook secret"] = operatorSecret,
        };
        foreach (var (key, i) in keys.Select((k, i) => (k, i))) secrets[$"API key #{i}"] = key;
        var leaks = new List<string>();
        foreach (var (name, secret) in secrets)
        {
            if (output.Contains(secret, StringComparison.Ordinal)) leaks.Add($"{name} in full");
            // beyond the 12-character prefix a key list shows, no 10-character piece of an API key either
            if (secret.StartsWith("lk_live_", StringComparison.Ordinal))
                for (var at = 12; at + 10 <= secret.Length; at++)
                    if (output.Contains(secret.Substring(at, 10), StringComparison.Ordinal)) { leaks.Add($"{name}: a piece after its prefix"); break; }
        }
        leaks.ShouldBeEmpty();
        RunReport.Record("secrets never in logs", "Debug logging, revoked/unknown keys, Stripe in and out, operator webhook", secrets.Count, "no secret in the output");
    }

    private static HttpClient Client(LedgerProcess service, string key)
    {
        var client = new HttpClient { BaseAddress = service.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
