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
    public static async Task<IResult> Get(string accountId, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        var query = http.Request.Query;
        DateTimeOffset? asOf = null;
        long? version = null;
        if (query.TryGetValue("asOf", out var rawAsOf))
        {
            var errors = new Dictionary<string, string[]>();
            asOf = Rules.Instant(rawAsOf.ToString(), "asOf", errors);
            if (errors.Count > 0) return Problems.Validation(errors);
        }
        if (query.TryGetValue("version", out var rawVersion))
        {
            if (!long.TryParse(rawVersion, out var v) || v < 1)
                return Problems.Validation(new Dictionary<string, string[]> { ["version"] = ["Must be a positive integer."] });
            version = v;
        }
        if (asOf is not null && version is not null)
            return Problems.Validation(new Dictionary<string, string[]> { ["asOf"] = ["Give asOf or version, not both."] });

        if (asOf is null && version is null)
        {
            var current = await session.LoadAsync<Account>(accountId, http.RequestAborted);
            return current is null ? AccountWrites.NotFound(accountId) : Results.Ok(BalanceView.From(current, clock.GetUtcNow(), plans.TermsOf(current.Plan)));
        }

        var events = await session.Events.FetchStreamAsync(accountId, version ?? 0, asOf, token: http.RequestAborted);
        if (events.Count == 0) return AccountWrites.NotFound(accountId);
        Account? state = null;
        foreach (var e in events) state = Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version } : null;
        if (state is null) return AccountWrites.NotFound(accountId);
        return Results.Ok(BalanceView.From(state, asOf ?? events[^1].Timestamp, plans.TermsOf(state.Plan)));
    }
}
