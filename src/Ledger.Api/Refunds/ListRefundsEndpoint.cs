using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Refunds;

public static class ListRefundsEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/refunds")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Refunds")]
    [EndpointSummary("List an account's refunds, newest first, with the blocks each returned credits to")]
    [EndpointDescription(ListQuery.Description)]
    [ProducesResponseType<ListPage<RefundView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> List(string accountId, string? limit, string? starting_after, HttpContext http, IQuerySession session)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        if (ListQuery.Parse(limit, starting_after, errors) is not { } page) return Problems.Validation(errors);

        var ct = http.RequestAborted;
        if (await session.LoadAsync<Account>(accountId, ct) is null) return AccountWrites.NotFound(accountId);
        var after = page.StartingAfter is { } id ? RecordKeys.For(accountId, id) : null;
        if (after is not null && await session.LoadAsync<RefundRecord>(after, ct) is null)
            return Problems.Validation(ListQuery.UnknownCursor("refund", page.StartingAfter!));
        var records = await Keyset.Page<RefundRecord>(session, "refundedAt", "d.data ->> 'accountId' = ?", [accountId], after, page.Limit, ct);
        return Results.Ok(new ListPage<RefundView>(records.Data.Select(RefundView.From).ToList(), records.HasMore));
    }
}
