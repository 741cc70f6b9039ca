using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
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
    [ProducesResponseType<BalanceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? asOf, string? version, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        var instant = Rules.Instant(asOf, "asOf", errors);
        var atVersion = Rules.Integer(version, "version", 1, long.MaxValue, errors);
        if (errors.Count == 0 && instant is not null && atVersion is not null) errors["asOf"] = ["Give asOf or version, not both."];
        if (errors.Count > 0) return Problems.Validation(errors);

        if (instant is null && atVersion is null)
        {
            var current = await session.LoadAsync<Account>(accountId, http.RequestAborted);
            return current is null ? AccountWrites.NotFound(accountId) : Results.Ok(BalanceView.From(current, clock.GetUtcNow(), plans.TermsOf(current.Plan)));
        }

        var events = await session.Events.FetchStreamAsync(accountId, atVersion ?? 0, instant, token: http.RequestAborted);
        if (events.Count == 0) return AccountWrites.NotFound(accountId);
        Account? state = null;
        foreach (var e in events) state = Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version } : null;
        if (state is null) return AccountWrites.NotFound(accountId);
        return Results.Ok(BalanceView.From(state, instant ?? events[^1].Timestamp, plans.TermsOf(state.Plan)));
    }
}
