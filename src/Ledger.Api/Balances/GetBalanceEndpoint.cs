using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Balances;

public static class GetBalanceEndpoint
{
    /// <summary>Now from the inline view; <c>asOf</c> or <c>version</c> recomputed from the events alone.</summary>
    [WolverineGet("/v1/accounts/{accountId}/balance")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Balances")]
    [EndpointSummary("Balance now, as of an instant (asOf) or at a stream version (version)")]
    [EndpointDescription(PointInTime.Description)]
    [ProducesResponseType<BalanceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? asOf, string? version, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        if (PointInTime.Parse(asOf, version, errors) is not { } when) return Problems.Validation(errors);
        var (reading, problem) = await when.Read(accountId, http, session, plans, clock);
        return problem ?? Results.Ok(BalanceView.From(reading!));
    }
}
