using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Grants;

public static class ListGrantsEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/grants")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Grants")]
    [EndpointSummary("List an account's grants (credit blocks), newest first, each with what is left, held, spent, expired and voided")]
    [EndpointDescription(ListQuery.Description + " Blocks are part of the account's stored view (one document per account), caught up to "
        + "now as every read is (a block past its expiry reads as expired, a period that ended is renewed), then paged on "
        + "(grantedAt, grantId).")]
    [ProducesResponseType<ListPage<BlockView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> List(
        string accountId, string? limit, string? starting_after, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        if (ListQuery.Parse(limit, starting_after, errors) is not { } page) return Problems.Validation(errors);
        if (await session.LoadAsync<Account>(accountId, http.RequestAborted) is not { } account) return AccountWrites.NotFound(accountId);

        var now = clock.GetUtcNow();
        var state = plans.Read(account, now).State;
        var newestFirst = state.Blocks.Values
            .OrderByDescending(b => b.GrantedAt).ThenByDescending(b => b.GrantId, StringComparer.Ordinal).ToList();
        var start = 0;
        if (page.StartingAfter is { } after)
        {
            var index = newestFirst.FindIndex(b => b.GrantId == after);
            if (index < 0) return Problems.Validation(ListQuery.UnknownCursor("grant", after));
            start = index + 1;
        }
        var blocks = newestFirst.Skip(start).Take(page.Limit + 1).ToList();
        return Results.Ok(new ListPage<BlockView>(blocks.Take(page.Limit).Select(b => BlockView.From(b, now)).ToList(), blocks.Count > page.Limit));
    }
}
