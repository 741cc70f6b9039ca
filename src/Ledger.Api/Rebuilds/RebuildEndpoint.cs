using FluentValidation;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Ledger.Projections.Rebuilds;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Rebuilds;

public sealed record RebuildRequest(string? Projection = null, string? AccountId = null, bool? DryRun = null)
{
    public sealed class Validator : AbstractValidator<RebuildRequest>
    {
        public Validator()
        {
            RuleFor(x => x.Projection).Must(p => RebuildScope.Views.Contains(p!))
                .WithMessage($"Must be one of {string.Join(", ", RebuildScope.Views)} (or omitted: all).").When(x => x.Projection is not null);
            RuleFor(x => x.AccountId).ValidId().When(x => x.AccountId is not null);
        }
    }

    public RebuildScope Scope => new(Projection, AccountId, DryRun ?? false);
}

public static class RebuildEndpoint
{
    [WolverinePost("/v1/admin/projections/rebuild")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Projections")]
    [EndpointSummary("Recompute stored views from the events, report every difference, then (unless dryRun) replace what differs")]
    [EndpointDescription("Body (all optional): `projection` (one of `accounts`, `reservations`, `usage`, `refunds`, `snapshots`; default all), "
        + "`accountId` (default every account), `dryRun` (default false: report and replace; true: report only). Each difference names the "
        + "account, the view, the document, the field, the stored value and the recomputed one (the first 1,000 are listed, "
        + "`differencesFound` counts them all). Only documents that differ are replaced, each account under its stream's lock. "
        + "Invariant violations found on the recomputed state are listed too. The same from the command line: `rebuild`.")]
    [ProducesResponseType<RebuildReport>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Post(RebuildRequest? body, HttpContext http, IDocumentStore store)
    {
        var scope = (body ?? new RebuildRequest()).Scope;
        if (scope.AccountId is { } id && !await Exists(store, id, http.RequestAborted)) return AccountWrites.NotFound(id);
        return Results.Ok(await new ProjectionRebuild(store).Run(scope, ct: http.RequestAborted));
    }

    public static async Task<bool> Exists(IDocumentStore store, string accountId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamStateAsync(accountId, ct) is not null || await session.LoadAsync<Account>(accountId, ct) is not null;
    }
}
