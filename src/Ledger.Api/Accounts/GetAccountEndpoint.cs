using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Accounts;

public static class GetAccountEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Accounts")]
    [EndpointSummary("An account: plan, status, balance and version")]
    [EndpointDescription("The account as it is now: plan, status, Stripe customer, metadata, its stream version and its balance with every credit block. Reads see every acknowledged write (inline projection).")]
    [ProducesResponseType<AccountView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string accountId, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        var account = await session.LoadAsync<Account>(accountId, http.RequestAborted);
        return account is null ? AccountWrites.NotFound(accountId) : Results.Ok(AccountView.From(plans.Read(account, clock.GetUtcNow())));
    }
}
