using System.Text;
using Ledger.Api.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Stripe;
using Wolverine;
using Wolverine.Http;

namespace Ledger.Api.Stripe;

/// <summary>What the webhook answers (Stripe only looks at the status; people replaying with curl read the rest).</summary>
public sealed record StripeWebhookReply(
    bool Received, string EventId, string Type, string Status, bool Duplicate, string? Detail, string? AccountId,
    IReadOnlyList<ProducedEvent> LedgerEvents);

public static class StripeWebhookEndpoint
{
    [WolverinePost("/v1/webhooks/stripe")]
    [AllowAnonymous]
    [SignedJsonBody("Stripe-Signature",
        "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the endpoint secret>, as Stripe sends it.",
        "A Stripe event object, exactly as Stripe sent it (any API version).")]
    [Tags("Stripe")]
    [EndpointSummary("Stripe webhook: signed events, applied exactly once")]
    [EndpointDescription("Stripe calls this, not you: the body is checked against `Stripe-Signature` with `LEDGER_STRIPE_WEBHOOK_SECRET` over its exact bytes, recorded, and answered 200 at once; the ledger effect (a purchase grant, a refund void, grace on a failed payment ...) is applied exactly once, however often Stripe delivers it. Events for an account that does not exist yet are parked until it does.")]
    [ProducesResponseType<StripeWebhookReply>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, Problems.ContentType)]
    public static async Task<IResult> Post(HttpContext http, IMessageBus bus, StripeOptions options, TimeProvider clock, ILogger<StripeEvents> log,
        Observability.LedgerMetrics metrics)
    {
        if (options.WebhookSecrets.Count == 0)
            return StripeProblems.Result(StripeProblems.NotConfigured, "LEDGER_STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified.");

        // The signature covers the exact bytes Stripe sent (JsonBodyGuard buffered them and rewound).
        http.Request.EnableBuffering();
        http.Request.Body.Position = 0;
        string payload;
        using (var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, leaveOpen: true))
            payload = await reader.ReadToEndAsync(http.RequestAborted);

        var header = http.Request.Headers["Stripe-Signature"].ToString();
        if (string.IsNullOrWhiteSpace(header))
            return StripeProblems.Result(StripeProblems.InvalidSignature, "The Stripe-Signature header is missing.");

        var (signed, failure) = Verify(payload, header, options, clock);
        if (!signed)
        {
            log.LogWarning("Stripe webhook refused: {Reason}", failure);
            metrics.StripeWebhook("refused");
            return StripeProblems.Result(StripeProblems.InvalidSignature, failure!);
        }

        StripeEventView view;
        try
        {
            view = StripeEventView.Parse(payload);
        }
        catch (System.Text.Json.JsonException)
        {
            return Problems.Result(ProblemTypes.MalformedRequest, "The body is not a JSON Stripe event.");
        }
        if (view.Id.Length is 0 or > 255 || view.Type.Length == 0)
            return Problems.Validation(new Dictionary<string, string[]> { ["id"] = ["A Stripe event needs an id (at most 255 characters) and a type."] });

        try
        {
            var delivery = await bus.InvokeAsync<StripeDelivery>(new ReceiveStripeEvent(view, payload), http.RequestAborted);
            var r = delivery.Record;
            metrics.StripeWebhook(delivery.Duplicate ? StripeEventStatus.Duplicate : r.Status);
            return Results.Ok(new StripeWebhookReply(true, r.Id, r.Type, r.Status, delivery.Duplicate, r.Detail, r.AccountId, r.LedgerEvents));
        }
        catch (Exception ex) when (StripeEvents.IsTransient(ex))
        {
            log.LogWarning(ex, "Stripe event {EventId} not recorded: the database is unavailable", view.Id);
            return Problems.Result(ProblemTypes.ServiceUnavailable, "The event could not be recorded now; Stripe will deliver it again.");
        }
    }

    /// <summary>Stripe.net verifies (tolerance 300 s against the injected clock, any API version); each configured secret is tried.</summary>
    /// <summary>
    /// Checks the signature with each configured secret (several while rotating), on the raw body, with the injected
    /// clock. Only the signature: the event is read by <see cref="StripeEventView"/>, so Stripe.net's typed event
    /// would be built for nothing.
    /// </summary>
    private static (bool Signed, string? Failure) Verify(string payload, string header, StripeOptions options, TimeProvider clock)
    {
        string? failure = null;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        foreach (var secret in options.WebhookSecrets)
        {
            try
            {
                EventUtility.ValidateSignature(payload, header, secret, StripeOptions.ToleranceSeconds, now);
                return (true, null);
            }
            catch (StripeException ex)
            {
                failure = ex.Message;
            }
        }
        return (false, failure);
    }
}
