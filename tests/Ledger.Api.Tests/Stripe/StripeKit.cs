using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ledger.Api.Stripe;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Ledger.Api.Tests.Stripe;

/// <summary>A Ledger app wired to a webhook secret and a Stripe stand-in, shared by the tests of one class.</summary>
public sealed class StripeAppFixture(PostgresServer server) : IAsyncLifetime
{
    public const string Secret = "whsec_test_6f1c2b4e9d8a7f3c5b2e1d0a9c8b7e6f";

    public LedgerApp App { get; private set; } = null!;
    public StripeStandIn Stripe { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Stripe = await StripeStandIn.StartAsync();
        App = await LedgerApp.StartAsync(server, "stripe", settings: StripeKit.Settings(Stripe.BaseUrl));
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
    }
}

public static class StripeKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Dictionary<string, string> Settings(string? apiBase = null) => new()
    {
        ["LEDGER_STRIPE_WEBHOOK_SECRET"] = StripeAppFixture.Secret,
        ["LEDGER_STRIPE_API_KEY"] = "sk_test_ledger_standin",
        ["LEDGER_STRIPE_API_BASE"] = apiBase ?? "http://127.0.0.1:9",
        ["LEDGER_STRIPE_RECHECK_SECONDS"] = "1",
    };

    /// <summary>The clock's now in Unix seconds (what Stripe puts in <c>t=</c> and <c>created</c>).</summary>
    public static long Now(this LedgerApp app) => app.Clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Signs the body with stripe-node (at the app's clock unless told) and posts it as Stripe does.</summary>
    public static async Task<HttpResponseMessage> DeliverAsync(this LedgerApp app, StripeFixtures.StripeEvent e, long? timestamp = null,
        string secret = StripeAppFixture.Secret, HttpClient? client = null)
    {
        var header = await StripeNodeSigner.SignAsync(e.Body, secret, timestamp ?? app.Now());
        return await PostSigned(client ?? app.CreateClient(), e.Body, header);
    }

    public static Task<HttpResponseMessage> PostSigned(HttpClient client, string body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/stripe")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        if (signature is not null) request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        request.Headers.UserAgent.ParseAdd("Stripe/1.0 (+https://stripe.com/docs/webhooks)");
        return client.SendAsync(request, Ct);
    }

    public static async Task<JsonElement> Applied(this Task<HttpResponseMessage> delivery, string status, bool duplicate = false)
    {
        var response = await delivery;
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == 200, $"expected 200, got {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.True(body.GetProperty("status").GetString() == status, $"expected status {status}: {text}");
        Assert.True(body.GetProperty("duplicate").GetBoolean() == duplicate, $"expected duplicate={duplicate}: {text}");
        return body;
    }

    public static async Task<StripeEventRecord?> RecordAsync(this LedgerApp app, string eventId)
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.LoadAsync<StripeEventRecord>(eventId, Ct);
    }

    public static async Task<int> RecordCountAsync(this LedgerApp app)
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<StripeEventRecord>().CountAsync(Ct);
    }

    /// <summary>Ledger events of one account whose causation is the given Stripe event id.</summary>
    public static async Task<List<string>> CausedByAsync(this LedgerApp app, string eventId) =>
        (await app.Query("select type from ledger.mt_events where causation_id = @id order by seq_id", ("id", eventId)))
            .Select(r => (string)r["type"]!).ToList();
}
