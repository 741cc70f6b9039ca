using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Domain.Reservations;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Reservations;

public static class GetReservationEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/reservations/{reservationId}")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Reservations")]
    [EndpointSummary("A reservation and its state: pending, committed, released or expired")]
    [EndpointDescription("The hold with its amount, feature, metadata, ttl and expiry, the blocks it earmarked, and its outcome once resolved (committed amount, variance, receipt, release reason). A pending hold whose ttl has passed reads `expired` at once.")]
    [ProducesResponseType<ReservationView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string accountId, string reservationId, HttpContext http, IQuerySession session, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        var record = await session.LoadAsync<ReservationRecord>(RecordKeys.For(accountId, reservationId), http.RequestAborted);
        return record is null
            ? Problems.From(Funds.NotFound(reservationId))
            : Results.Ok(ReservationView.From(record, clock.GetUtcNow()));
    }
}
