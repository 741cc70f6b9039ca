using Ledger.Api.Auth;
using Ledger.Api.Http;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;

namespace Ledger.Api.Webhooks;

/// <summary>A page of deliveries, as every list answers (<c>data</c>, <c>has_more</c>: Stripe's names).</summary>
public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDelivery> Data, [property: System.Text.Json.Serialization.JsonPropertyName("has_more")] bool HasMore);

public static class WebhookDeliveryEndpoints
{
    public const int MaxLimit = 100;

    [WolverineGet("/v1/admin/webhook-deliveries")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Operator webhooks")]
    [EndpointSummary("Operator webhook deliveries, newest first, paged by id (starting_after), filtered by status, type or account")]
    [EndpointDescription("What Ledger sent (or is sending) to `LEDGER_OPERATOR_WEBHOOK_URL`: each delivery's type, payload, status (`pending`, `delivered`, `failed`), attempts and last response. Newest first; `limit` and `starting_after` page it; `status`, `type` and `accountId` filter it.")]
    [ProducesResponseType<WebhookDeliveryList>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> List(HttpContext http, IQuerySession session, string? status = null, string? type = null,
        string? accountId = null, string? limit = null, string? starting_after = null)
    {
        var errors = new Dictionary<string, string[]>();
        var take = Rules.Integer(limit, "limit", 1, MaxLimit, errors) ?? 10;
        if (starting_after is not null && (starting_after.Length > 200 || !starting_after.StartsWith("whd_", StringComparison.Ordinal)))
            errors["starting_after"] = ["A delivery id (whd_...)."];
        if (errors.Count > 0) return Problems.Validation(errors);

        IQueryable<WebhookDelivery> query = session.Query<WebhookDelivery>();
        if (status is not null) query = query.Where(d => d.Status == status);
        if (type is not null) query = query.Where(d => d.Type == type);
        if (accountId is not null) query = query.Where(d => d.AccountId == accountId);
        if (starting_after is not null) query = query.Where(d => string.Compare(d.Id, starting_after) < 0);
        var page = await query.OrderByDescending(d => d.Id).Take((int)take + 1).ToListAsync(http.RequestAborted);
        return Results.Ok(new WebhookDeliveryList(page.Take((int)take).ToList(), page.Count > take));
    }

    [WolverinePost("/v1/admin/webhook-deliveries/{deliveryId}/resend")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Operator webhooks")]
    [EndpointSummary("Send a delivery again (same id and payload), whatever became of it")]
    [EndpointDescription("Queues the delivery again with the same id and payload (receivers deduplicate by id), whether it was delivered, failed or is still pending; answers 202 with the delivery as it stands.")]
    [ProducesResponseType<WebhookDelivery>(StatusCodes.Status202Accepted)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Resend(string deliveryId, IQuerySession session, IMessageBus bus, HttpContext http)
    {
        var delivery = deliveryId.Length <= 200 ? await session.LoadAsync<WebhookDelivery>(deliveryId, http.RequestAborted) : null;
        if (delivery is null) return Problems.Result(ProblemTypes.NotFound, $"No webhook delivery '{deliveryId}'.");
        await bus.PublishAsync(new DeliverOperatorWebhook(delivery.Id, delivery.Type, delivery.AccountId, delivery.CreatedAt, delivery.Data, Resend: true));
        return Results.Json(delivery, statusCode: StatusCodes.Status202Accepted);
    }
}
