using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Ledger.Domain.Reservations;
using Ledger.Projections;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Reservations;

public static class ListReservationsEndpoint
{
    public static readonly string[] Statuses = ["pending", "committed", "released", "expired"];

    [WolverineGet("/v1/accounts/{accountId}/reservations")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Reservations")]
    [EndpointSummary("List an account's reservations, newest first; status=pending lists the open holds")]
    [EndpointDescription(ListQuery.Description + " Filter: `status` (`pending`, `committed`, `released`, `expired`, as each reads now: "
        + "a pending hold whose ttl passed is expired at once).")]
    [ProducesResponseType<ListPage<ReservationView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> List(
        string accountId, string? status, string? limit, string? starting_after, HttpContext http, IQuerySession session, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        var page = ListQuery.Parse(limit, starting_after, errors);
        if (status is not null && !Statuses.Contains(status)) errors["status"] = [$"One of: {string.Join(", ", Statuses)}."];
        if (page is null || errors.Count > 0) return Problems.Validation(errors);

        var ct = http.RequestAborted;
        if (await session.LoadAsync<Account>(accountId, ct) is null) return AccountWrites.NotFound(accountId);
        var after = page.StartingAfter is { } id ? RecordKeys.For(accountId, id) : null;
        if (after is not null && await session.LoadAsync<ReservationRecord>(after, ct) is null)
            return Problems.Validation(ListQuery.UnknownCursor("reservation", page.StartingAfter!));

        var now = clock.GetUtcNow();
        var expiresAt = $"{LedgerStore.Schema}.mt_immutable_timestamptz(d.data ->> 'expiresAt')";
        var filter = "d.data ->> 'accountId' = ?" + status switch
        {
            null => "",
            // a pending hold past its ttl reads as expired before its timer writes it (ReservationView)
            "pending" => $" and lower(d.data ->> 'status') = 'pending' and {expiresAt} > ?",
            "expired" => $" and (lower(d.data ->> 'status') = 'expired' or (lower(d.data ->> 'status') = 'pending' and {expiresAt} <= ?))",
            _ => $" and lower(d.data ->> 'status') = '{status}'",
        };
        object[] args = status is "pending" or "expired" ? [accountId, now] : [accountId];
        var records = await Keyset.Page<ReservationRecord>(session, "reservedAt", filter, args, after, page.Limit, ct);
        return Results.Ok(new ListPage<ReservationView>(records.Data.Select(r => ReservationView.From(r, now)).ToList(), records.HasMore));
    }
}
