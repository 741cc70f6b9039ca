using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Projections.ReadModel;
using Ledger.Domain.Entitlements;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Entitlements;

public sealed record EntitlementsView(
    string AccountId, string Plan, string Status, IReadOnlyDictionary<string, bool> Features,
    DateTimeOffset? GraceEndsAt, bool Frozen, DateTimeOffset? AnomalyFlaggedAt)
{
    /// <summary>Every feature any plan knows, on or off for this account in the reading (the one read model).</summary>
    public static EntitlementsView From(AccountReading reading, PlanCatalog plans)
    {
        var state = reading.State;
        var features = plans.Plans.Values.SelectMany(p => p.Features).Distinct().Order().ToDictionary(f => f, reading.IsOn);
        return new EntitlementsView(state.Id, state.Plan, reading.Status, features, state.GraceEndsAt, state.SpendingFrozen, state.AnomalyFlaggedAt);
    }
}

public sealed record StatusChangeRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<StatusChangeRequest>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
    }
}

/// <param name="EndsAt">Optional: when grace ends (later than now, within a year); the plan's grace days without it.</param>
public sealed record StartGraceRequest(string? Reason, DateTimeOffset? EndsAt = null)
{
    public sealed class Validator : AbstractValidator<StartGraceRequest>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
    }
}

public static class EntitlementsEndpoints
{
    [WolverineGet("/v1/accounts/{accountId}/entitlements")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Entitlements")]
    [EndpointSummary("Features on or off, status, grace end: now, as of an instant (asOf) or at a stream version (version)")]
    [EndpointDescription("Whether each feature of the plan (`ai`, `sync`, `reports`, `webhooks`) may be used now, with the status (`active`, `grace`, `suspended`, `frozen`), when a grace period ends, and whether spending is frozen after a usage anomaly. Check it before offering a feature; reserve and usage refuse a disabled one with 403. " + PointInTime.Description)]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? asOf, string? version, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        if (PointInTime.Parse(asOf, version, errors) is not { } when) return Problems.Validation(errors);
        var (reading, problem) = await when.Read(accountId, http, session, plans, clock);
        return problem ?? Results.Ok(EntitlementsView.From(reading!, plans));
    }

    [WolverinePost("/v1/accounts/{accountId}/grace")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Entitlements")]
    [EndpointSummary("Start a payment grace period: ai off at once, its holds released; suspension at grace end")]
    [EndpointDescription("What a failed payment does (Stripe's `invoice.payment_failed` does the same): the account enters grace, `ai` is off at once and its open holds are released; without payment, the account is suspended when grace ends: the plan's grace days, or `endsAt` (later than now, within a year) when given, as for a payment retry schedule agreed with the customer. 409 `account-state-conflict` if it is not active.")]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite StartGrace(string accountId, StartGraceRequest? body, PlanCatalog plans) =>
        Change(accountId, new StartGrace(body!.Reason, body!.EndsAt), plans);

    [WolverinePost("/v1/accounts/{accountId}/grace/end")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Entitlements")]
    [EndpointSummary("End grace (payment received): everything restored")]
    [EndpointDescription("What a paid invoice does: grace ends and every feature of the plan is on again. 409 `account-state-conflict` if the account is not in grace.")]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite EndGrace(string accountId, StatusChangeRequest? body, PlanCatalog plans) =>
        Change(accountId, new EndGrace(body!.Reason), plans);

    [WolverinePost("/v1/accounts/{accountId}/suspend")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Entitlements")]
    [EndpointSummary("Suspend: everything but reports off, open holds of those features released")]
    [EndpointDescription("Suspends the account at once (e.g. fraud or a chargeback): only `reports` stay on, and open holds of the other features are released. Undo with restore.")]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Suspend(string accountId, StatusChangeRequest? body, PlanCatalog plans) =>
        Change(accountId, new SuspendAccount(body!.Reason), plans);

    [WolverinePost("/v1/accounts/{accountId}/restore")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Entitlements")]
    [EndpointSummary("Restore a suspended or grace account")]
    [EndpointDescription("Ends a suspension or a grace period: every feature of the plan is on again. 409 `account-state-conflict` if the account is active.")]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Restore(string accountId, StatusChangeRequest? body, PlanCatalog plans) =>
        Change(accountId, new RestoreAccount(body!.Reason), plans);

    [WolverinePost("/v1/accounts/{accountId}/anomaly/clear")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Entitlements")]
    [EndpointSummary("Clear a usage anomaly and unfreeze spending")]
    [EndpointDescription("After the velocity alarm (credits per hour above the plan's threshold) froze spending: an admin who reviewed the usage clears the flag and spending resumes. 409 `account-state-conflict` if nothing is flagged.")]
    [ProducesResponseType<EntitlementsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite ClearAnomaly(string accountId, StatusChangeRequest? body, PlanCatalog plans) =>
        Change(accountId, new ClearAnomaly(body!.Reason), plans);

    private static AccountWrite Change(string accountId, IAccountCommand command, PlanCatalog plans) =>
        new(accountId, command, w => w.Ok(EntitlementsView.From(w.Reading, plans)));
}
