using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Api.Hosting;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Marten;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace Ledger.Api.Webhooks;

/// <summary>
/// Where operator webhooks go: <c>LEDGER_OPERATOR_WEBHOOK_URL</c>, signed with <c>LEDGER_OPERATOR_WEBHOOK_SECRET</c>
/// (a secret of its own, never an API key). Without a URL nothing is sent (deliveries are recorded as not configured).
/// </summary>
public sealed record OperatorWebhookOptions(Uri? Url, string? Secret)
{
    public const string SignatureHeader = "Ledger-Signature";
    public const string DeliveryHeader = "Ledger-Delivery-Id";
    public const string TypeHeader = "Ledger-Event-Type";

    public static OperatorWebhookOptions From(LedgerSettings settings) => new(
        Uri.TryCreate(settings.OperatorWebhookUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null,
        settings.OperatorWebhookSecret);

    /// <summary>Stripe's scheme: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body" with the secret&gt;</c>.</summary>
    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>One operator webhook to deliver: its unique <see cref="DeliveryId"/> (receivers deduplicate by it).</summary>
public sealed record DeliverOperatorWebhook(
    string DeliveryId, string Type, string? AccountId, DateTimeOffset CreatedAt, JsonElement Data, bool Resend = false);

/// <summary>What became of a delivery: attempts, the receiver's last answer, when it was delivered.</summary>
public sealed class WebhookDelivery
{
    public string Id { get; set; } = "";
    public string Type { get; set; } = "";
    public string? AccountId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public JsonElement Data { get; set; }
    public string Status { get; set; } = WebhookDeliveryStatus.Pending;
    public int Attempts { get; set; }
    public int? LastResponseStatus { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
}

public static class WebhookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failing = "failing";
    public const string NotConfigured = "not-configured";
}

/// <summary>
/// The account events that are operator webhooks: threshold alerts as they are raised, and status changes. Each is
/// decided with the write that caused it (an event in the account's stream), leaves through the durable outbox in that
/// transaction, and is named by the event's stream version, so a retried request or a second node never sends it
/// twice as a new delivery.
/// </summary>
public sealed class OperatorWebhooks(JsonSerializerOptionsProvider json) : IAccountOutboxSource
{
    /// <summary>
    /// Unique, stable under retries, and ordered by time (then by what caused it), so the admin list pages by id:
    /// <c>whd_{instant}_{account}_v{version}</c>, or <c>whd_{instant}_stripe_{event id}</c>.
    /// </summary>
    public static string DeliveryId(DateTimeOffset at, string cause) => $"whd_{at.UtcDateTime:yyyyMMddTHHmmssfffffff}_{cause}";

    public IEnumerable<object> MessagesFor(string accountId, Outcome outcome)
    {
        var firstVersion = (outcome.Account?.Version ?? outcome.Events.Count) - outcome.Events.Count + 1;
        for (var i = 0; i < outcome.Events.Count; i++)
        {
            (string Type, object Data, DateTimeOffset At)? hook = outcome.Events[i] switch
            {
                OperatorAlertRaised e => (e.Kind, new { e.Value, e.Threshold }, e.RaisedAt),
                GraceStarted e => ("grace.started", new { e.GraceEndsAt, e.Reason }, e.StartedAt),
                AccountSuspended e => ("account.suspended", new { e.Reason }, e.SuspendedAt),
                AccountRestored e => ("account.restored", new { e.Reason, From = "suspended" }, e.RestoredAt),
                GraceEnded e => ("account.restored", new { e.Reason, From = "grace" }, e.EndedAt),
                UsageAnomalyFlagged e => ("usage.anomaly", new { e.CreditsLastHour, e.Threshold, e.Frozen }, e.FlaggedAt),
                _ => null,
            };
            if (hook is { } h)
                yield return new DeliverOperatorWebhook(DeliveryId(h.At, $"{accountId}_v{firstVersion + i}"), h.Type, accountId, h.At,
                    JsonSerializer.SerializeToElement(h.Data, json.Options));
        }
    }
}

/// <summary>The service's JSON conventions (camelCase, enums as strings) for payloads built outside HTTP.</summary>
public sealed class JsonSerializerOptionsProvider(Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> options)
{
    public JsonSerializerOptions Options => options.Value.SerializerOptions;
}

/// <summary>
/// Sends one operator webhook: POST of <c>{id, type, createdAt, accountId, data}</c> signed like Stripe's webhooks.
/// Any answer but 2xx is retried by Wolverine with backoff (quick cooldowns, then durable scheduled retries up to
/// hours apart, then the error queue), as a receiver that is down must not lose alerts. At least once: a delivery
/// already acknowledged is not sent again unless an admin asks to resend it.
/// </summary>
public static class DeliverOperatorWebhookHandler
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static void Configure(HandlerChain chain) =>
        chain.OnException<Exception>()
            .RetryWithCooldown(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1))
            .Then.ScheduleRetry(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
                TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(6))
            .Then.MoveToErrorQueue();

    public static async Task Handle(DeliverOperatorWebhook message, OperatorWebhookOptions options, JsonSerializerOptionsProvider json,
        IDocumentStore store, TimeProvider clock, ILogger<DeliverOperatorWebhook> log, Observability.LedgerMetrics metrics, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var delivery = await session.LoadAsync<WebhookDelivery>(message.DeliveryId, ct) ?? new WebhookDelivery
        {
            Id = message.DeliveryId, Type = message.Type, AccountId = message.AccountId, CreatedAt = message.CreatedAt, Data = message.Data,
        };
        if (delivery.Status == WebhookDeliveryStatus.Delivered && !message.Resend) return; // redelivered by the outbox after a crash
        var now = clock.GetUtcNow();
        if (options.Url is null)
        {
            delivery.Status = WebhookDeliveryStatus.NotConfigured;
            session.Store(delivery);
            await session.SaveChangesAsync(ct);
            metrics.OperatorWebhook("not_configured");
            return;
        }

        var body = JsonSerializer.Serialize(new { id = delivery.Id, type = delivery.Type, createdAt = delivery.CreatedAt, accountId = delivery.AccountId, data = delivery.Data },
            json.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(OperatorWebhookOptions.SignatureHeader, OperatorWebhookOptions.Sign(options.Secret ?? "", now.ToUnixTimeSeconds(), body));
        request.Headers.Add(OperatorWebhookOptions.DeliveryHeader, delivery.Id);
        request.Headers.Add(OperatorWebhookOptions.TypeHeader, delivery.Type);
        delivery.Attempts++;
        delivery.LastAttemptAt = now;
        try
        {
            using var response = await Http.SendAsync(request, ct);
            delivery.LastResponseStatus = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"the receiver answered {(int)response.StatusCode}");
            delivery.Status = WebhookDeliveryStatus.Delivered;
            delivery.DeliveredAt = now;
            delivery.LastError = null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            delivery.Status = WebhookDeliveryStatus.Failing;
            delivery.LastError = ex.Message;
            log.LogWarning("Operator webhook {DeliveryId} ({Type}) failed (attempt {Attempt}): {Error}", delivery.Id, delivery.Type, delivery.Attempts, ex.Message);
            session.Store(delivery);
            await session.SaveChangesAsync(CancellationToken.None);
            metrics.OperatorWebhook("failed");
            throw;
        }
        session.Store(delivery);
        await session.SaveChangesAsync(CancellationToken.None);
        metrics.OperatorWebhook("delivered");
    }
}
