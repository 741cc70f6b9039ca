using Ledger.Api.Audit;
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
    [EndpointDescription("Query: `asOf` (an ISO-8601 instant: the events that happened by it, each at its own instant, as statements "
        + "place them, and what time alone did by then) or `version` (a stream version; the balance is dated at its event's instant). "
        + "A version after the stream's last answers 400 `version-beyond-stream` (with `streamVersion`); an instant before the account "
        + "was opened answers 400 `before-account-opened` (with `openedAt`): there was no balance then, not a zero one.")]
    [ProducesResponseType<BalanceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? asOf, string? version, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
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

        // ADR 12: an instant counts the events that happened by it (their own instants), a version is dated at its event's
        var stream = await session.Events.FetchStreamStateAsync(accountId, http.RequestAborted);
        if (stream is null) return AccountWrites.NotFound(accountId);
        if (atVersion > stream.Version)
            return Problems.Result(ProblemTypes.VersionBeyondStream, $"The account's stream ends at version {stream.Version}.",
                new Dictionary<string, object?>
                {
                    ["streamVersion"] = stream.Version, ["errors"] = new Dictionary<string, string[]> { ["version"] = [$"Must be at most {stream.Version}."] },
                });
        var last = instant is { } at
            ? await AccountHistory.LastVersionAtOrBefore(session, accountId, stream.Version, at, http.RequestAborted)
            : atVersion!.Value;
        var events = last == 0 ? [] : await session.Events.FetchStreamAsync(accountId, last, token: http.RequestAborted);
        Account? state = null;
        foreach (var e in events) state = Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version } : null;
        if (state is null && instant is not null && await session.LoadAsync<Account>(accountId, http.RequestAborted) is { } opened)
        {
            var openedAt = opened.OpenedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Result(ProblemTypes.BeforeAccountOpened, $"Account '{accountId}' was opened at {openedAt}.",
                new Dictionary<string, object?>
                {
                    ["openedAt"] = opened.OpenedAt, ["errors"] = new Dictionary<string, string[]> { ["asOf"] = [$"Must be at or after {openedAt}."] },
                });
        }
        if (state is null) return AccountWrites.NotFound(accountId);
        return Results.Ok(BalanceView.From(state, instant ?? AccountHistory.InstantOf(events[^1]), plans.TermsOf(state.Plan)));
    }
}
