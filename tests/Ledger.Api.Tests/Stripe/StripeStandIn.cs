using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// A local stand-in for Stripe's API (Kestrel on 127.0.0.1, a random port) that Stripe.net talks to through
/// <c>LEDGER_STRIPE_API_BASE</c>. It answers <c>POST /v1/checkout/sessions</c> and <c>POST /v1/billing/meter_events</c>
/// as Stripe does, honours <c>Idempotency-Key</c> (a repeat gets the first answer, with <c>Idempotent-Replayed</c>),
/// refuses a meter event whose <c>identifier</c> it already holds, records every request, and fails on demand.
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    public enum Failure
    {
        /// <summary>500 before doing anything (Stripe was down).</summary>
        Before,

        /// <summary>Does the work, then answers 500 (the answer was lost on the way back).</summary>
        After,
    }

    public sealed record Request(
        DateTimeOffset At, string Method, string Path, string? IdempotencyKey, IReadOnlyDictionary<string, string> Form, int Status, bool Replayed);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _idempotent = new();
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _meterEvents = new();
    private readonly object _gate = new();
    private int _failuresLeft;
    private Failure _failure;

    private StripeStandIn(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";
    public IReadOnlyList<Request> Requests => _requests.ToArray();

    /// <summary>Meter events Stripe accepted, by identifier: each identifier at most once.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> MeterEvents => _meterEvents;

    public int AcceptedMeterEventPosts => _requests.Count(r => r.Path == "/v1/billing/meter_events" && r.Status == 200);

    public void FailNext(int count, Failure how = Failure.Before)
    {
        lock (_gate)
        {
            _failuresLeft = count;
            _failure = how;
        }
    }

    public static async Task<StripeStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new StripeStandIn(app);
        app.MapPost("/v1/checkout/sessions", context => standIn.Handle(context, standIn.CheckoutSession));
        app.MapPost("/v1/billing/meter_events", context => standIn.Handle(context, standIn.MeterEvent));
        await app.StartAsync();
        standIn.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    private async Task Handle(HttpContext context, Func<IReadOnlyDictionary<string, string>, (int Status, string Body)> work)
    {
        var form = (await context.Request.ReadFormAsync()).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        bool fail;
        Failure how;
        lock (_gate)
        {
            fail = _failuresLeft > 0;
            if (fail) _failuresLeft--;
            how = _failure;
        }

        (int Status, string Body) answer;
        var replayed = false;
        if (fail && how == Failure.Before)
        {
            answer = (500, Error("api_error", null, "An unknown error occurred (stand-in: failing on demand)."));
        }
        else
        {
            lock (_gate)
            {
                if (key is not null && _idempotent.TryGetValue($"{context.Request.Path}:{key}", out var first))
                {
                    answer = first;
                    replayed = true;
                }
                else
                {
                    answer = work(form);
                    if (key is not null && answer.Status < 500) _idempotent[$"{context.Request.Path}:{key}"] = answer;
                }
            }
            if (fail) answer = (500, Error("api_error", null, "An unknown error occurred after the request was processed (stand-in)."));
        }
        _requests.Enqueue(new Request(DateTimeOffset.UtcNow, context.Request.Method, context.Request.Path, key, form, answer.Status, replayed));
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = $"req_{Guid.NewGuid():N}";
        if (replayed) context.Response.Headers["Idempotent-Replayed"] = "true";
        await context.Response.WriteAsync(answer.Body);
    }

    private (int, string) CheckoutSession(IReadOnlyDictionary<string, string> form)
    {
        var id = $"cs_test_{Guid.NewGuid():N}";
        var session = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["amount_subtotal"] = long.Parse(form["line_items[0][price_data][unit_amount]"]),
            ["amount_total"] = long.Parse(form["line_items[0][price_data][unit_amount]"]),
            ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["currency"] = form["line_items[0][price_data][currency]"],
            ["customer"] = form.GetValueOrDefault("customer"),
            ["expires_at"] = DateTimeOffset.UtcNow.AddHours(24).ToUnixTimeSeconds(),
            ["livemode"] = false,
            ["metadata"] = form.Where(kv => kv.Key.StartsWith("metadata[", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["metadata[".Length..^1], kv => kv.Value),
            ["mode"] = form["mode"],
            ["payment_intent"] = null,
            ["payment_status"] = "unpaid",
            ["status"] = "open",
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["url"] = $"https://checkout.stripe.com/c/pay/{id}",
        };
        return (200, JsonSerializer.Serialize(session));
    }

    private (int, string) MeterEvent(IReadOnlyDictionary<string, string> form)
    {
        var identifier = form.GetValueOrDefault("identifier") ?? Guid.NewGuid().ToString();
        if (!_meterEvents.TryAdd(identifier, form))
            return (400, Error("invalid_request_error", "resource_already_exists",
                $"An event with identifier {identifier} already exists.", "identifier"));
        return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["object"] = "billing.meter_event",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["event_name"] = form.GetValueOrDefault("event_name"),
            ["identifier"] = identifier,
            ["livemode"] = false,
            ["payload"] = form.Where(kv => kv.Key.StartsWith("payload[", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["payload[".Length..^1], kv => kv.Value),
            ["timestamp"] = long.TryParse(form.GetValueOrDefault("timestamp"), out var t) ? t : DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        }));
    }

    private static string Error(string type, string? code, string message, string? param = null) =>
        JsonSerializer.Serialize(new { error = new { type, code, message, param } });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
