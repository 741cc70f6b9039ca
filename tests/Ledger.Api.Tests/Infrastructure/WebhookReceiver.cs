using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// An operator's webhook endpoint on a real socket, as an operator would write it: it verifies the
/// <c>Ledger-Signature</c> header (HMAC-SHA256 over <c>t.body</c>, 300 s tolerance), counts each delivery by its id and
/// every duplicate, and can be told to fail the next requests.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _secret;
    private int _failNext;
    private int _loseAnswers;

    public ConcurrentDictionary<string, JsonElement> Received { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, int> Deliveries { get; } = new(StringComparer.Ordinal);
    public ConcurrentBag<string> BadSignatures { get; } = [];
    public string Url { get; private set; } = "";

    public int Duplicates => Deliveries.Values.Sum(n => n - 1);

    private WebhookReceiver(string secret)
    {
        _secret = secret;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hooks", (RequestDelegate)Receive);
    }

    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var receiver = new WebhookReceiver(secret);
        await receiver._app.StartAsync();
        receiver.Url = receiver._app.Urls.Single() + "/hooks";
        return receiver;
    }

    /// <summary>Answers 500 to the next <paramref name="count"/> deliveries (a receiver that is down).</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    /// <summary>
    /// Takes the next <paramref name="count"/> deliveries in (their effect counts) but answers 500, as a receiver that
    /// crashes before it answers: each comes again with the same delivery id, a duplicate it must recognize.
    /// </summary>
    public void LoseAnswersToNext(int count) => Interlocked.Exchange(ref _loseAnswers, count);

    private async Task Receive(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        if (!Verify(http.Request.Headers["Ledger-Signature"].ToString(), body))
        {
            BadSignatures.Add(body);
            http.Response.StatusCode = 400;
            return;
        }
        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            http.Response.StatusCode = 500;
            return;
        }
        var json = JsonDocument.Parse(body).RootElement.Clone();
        var id = json.GetProperty("id").GetString()!;
        if (http.Request.Headers["Ledger-Delivery-Id"].ToString() != id) BadSignatures.Add(body);
        Received[id] = json;
        Deliveries.AddOrUpdate(id, 1, (_, n) => n + 1);
        http.Response.StatusCode = Interlocked.Decrement(ref _loseAnswers) >= 0 ? 500 : 200;
    }

    /// <summary>What a receiver does: recompute the HMAC of <c>t.body</c> and compare in constant time.</summary>
    private bool Verify(string header, string body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1) || !long.TryParse(t, out _)) return false;
        // A production receiver also refuses a t more than 5 minutes from its clock (README); the tests' clocks are fake.
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return v1.Length == expected.Length * 2 && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(v1), expected);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
