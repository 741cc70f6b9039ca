using System.Text.Json;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Stripe;

public sealed record StripeEventItem(
    string Id, string Type, string Status, string? Detail, string? AccountId, string? WaitingFor, string? ObjectId,
    string? PaymentKey, StripeMoney? Money, DateTimeOffset StripeCreatedAt, DateTimeOffset ReceivedAt, DateTimeOffset? AppliedAt,
    DateTimeOffset LastDeliveredAt, int Deliveries, int Attempts, IReadOnlyList<ProducedEvent> LedgerEvents,
    IReadOnlyList<StripeEventAttempt> History, JsonElement? Payload)
{
    public static StripeEventItem From(StripeEventRecord r, bool withPayload) => new(
        r.Id, r.Type, r.Status, r.Detail, r.AccountId, r.WaitingFor, r.ObjectId, r.PaymentKey, r.Money, r.StripeCreatedAt,
        r.ReceivedAt, r.AppliedAt, r.LastDeliveredAt, r.Deliveries, r.Attempts, r.LedgerEvents, r.History,
        withPayload ? JsonDocument.Parse(r.Payload).RootElement.Clone() : null);
}

/// <summary>
/// Webhook processing at a glance: <c>received</c> distinct events, <c>deliveries</c> (all of them),
/// <c>duplicateDeliveries</c> (repeats answered without effect), and events per status.
/// </summary>
public sealed record StripeEventSummary(long Received, long Deliveries, long DuplicateDeliveries, IReadOnlyDictionary<string, long> ByStatus);

public sealed record StripeEventList(StripeEventSummary Summary, IReadOnlyList<StripeEventItem> Items, int? NextOffset);

public static class StripeAdminEndpoints
{
    [WolverineGet("/v1/admin/stripe-events")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Stripe")]
    [EndpointSummary("Stripe events received: processed, duplicate, parked, failed, ignored, with the ledger events each produced")]
    [EndpointDescription("Every Stripe event received, newest first, with its status (`processed`, `duplicate`, `parked`, `failed`, `ignored`), what it was waiting for, its money, and the ledger events it produced; a summary counts them by status and duplicate deliveries. Filters: `status`, `type`, `accountId`; `limit` and `offset` page it.")]
    [ProducesResponseType<StripeEventList>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> List(
        IQuerySession session, string? status, string? type, string? accountId, string? limit, string? offset, HttpContext http)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !StripeEventStatus.All.Contains(status)) errors["status"] = [$"One of {string.Join(", ", StripeEventStatus.All)}."];
        var take = (int)(Rules.Integer(limit, "limit", 1, 500, errors) ?? 50);
        var skip = (int)(Rules.Integer(offset, "offset", 0, int.MaxValue - 501, errors) ?? 0);
        if (errors.Count > 0) return Problems.Validation(errors);

        var query = session.Query<StripeEventRecord>().AsQueryable();
        if (status is not null) query = query.Where(r => r.Status == status);
        if (type is not null) query = query.Where(r => r.Type == type);
        if (accountId is not null) query = query.Where(r => r.AccountId == accountId);
        var page = await query.OrderByDescending(r => r.ReceivedAt).ThenBy(r => r.Id).Skip(skip).Take(take + 1).ToListAsync(http.RequestAborted);

        var byStatus = new Dictionary<string, long>();
        foreach (var s in StripeEventStatus.All)
            byStatus[s] = await session.Query<StripeEventRecord>().Where(r => r.Status == s).CountAsync(http.RequestAborted);
        var received = byStatus.Values.Sum();
        var deliveries = received == 0 ? 0 : await session.Query<StripeEventRecord>().SumAsync(r => r.Deliveries, http.RequestAborted);
        var summary = new StripeEventSummary(received, deliveries, deliveries - received, byStatus);

        return Results.Ok(new StripeEventList(summary,
            page.Take(take).Select(r => StripeEventItem.From(r, withPayload: false)).ToList(),
            page.Count > take ? skip + take : null));
    }

    [WolverineGet("/v1/admin/stripe-events/{eventId}")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Stripe")]
    [EndpointSummary("One Stripe event: its record, attempts, ledger events and the payload as Stripe sent it")]
    [EndpointDescription("One event by its Stripe id (`evt_...`): its record, each processing attempt, the ledger events it produced and the payload exactly as Stripe sent it.")]
    [ProducesResponseType<StripeEventItem>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string eventId, IQuerySession session, HttpContext http)
    {
        var record = await session.LoadAsync<StripeEventRecord>(eventId, http.RequestAborted);
        return record is null
            ? StripeProblems.Result(StripeProblems.EventNotFound, $"No Stripe event '{eventId}' was received.")
            : Results.Ok(StripeEventItem.From(record, withPayload: true));
    }

    [WolverinePost("/v1/admin/stripe-events/{eventId}/replay")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Stripe")]
    [EndpointSummary("Apply a parked or failed Stripe event now (e.g. once its account exists)")]
    [EndpointDescription("Applies a parked or failed event again now, for instance after its account was opened. Exactly-once still holds: an event already applied is not applied twice (409 `stripe-event-not-replayable`).")]
    [ProducesResponseType<StripeEventItem>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static async Task<IResult> Replay(string eventId, HttpContext http, StripeEvents events)
    {
        var (record, error) = await events.Replay(eventId, $"admin:{http.User.KeyId()}");
        return error switch
        {
            StripeEvents.ReplayError.NotFound => StripeProblems.Result(StripeProblems.EventNotFound, $"No Stripe event '{eventId}' was received."),
            StripeEvents.ReplayError.NotReplayable => StripeProblems.Result(StripeProblems.NotReplayable,
                $"Stripe event '{eventId}' is {record!.Status}; only parked or failed events are replayed.",
                new Dictionary<string, object?> { ["eventStatus"] = record.Status }),
            StripeEvents.ReplayError.Raced => StripeProblems.Result(StripeProblems.NotReplayable,
                $"Stripe event '{eventId}' was applied concurrently; it is now {record!.Status}.",
                new Dictionary<string, object?> { ["eventStatus"] = record.Status }),
            _ => Results.Ok(StripeEventItem.From(record!, withPayload: false)),
        };
    }
}
