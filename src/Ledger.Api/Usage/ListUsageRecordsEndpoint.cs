using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Usage;

public static class ListUsageRecordsEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/usage-records")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Usage")]
    [EndpointSummary("List an account's direct usage records, newest first, with the blocks each drew from")]
    [EndpointDescription(ListQuery.Description + " Commits of reservations are listed with the reservations; the usage series is `GET .../usage`.")]
    [ProducesResponseType<ListPage<UsageView>>(StatusCodes.Status200OK)]
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
        if (after is not null && await session.LoadAsync<UsageRecord>(after, ct) is null)
            return Problems.Validation(ListQuery.UnknownCursor("usage", page.StartingAfter!));
        var records = await Keyset.Page<UsageRecord>(session, "recordedAt", "d.data ->> 'accountId' = ?", [accountId], after, page.Limit, ct);
        return Results.Ok(new ListPage<UsageView>(records.Data.Select(UsageView.From).ToList(), records.HasMore));
    }
}
