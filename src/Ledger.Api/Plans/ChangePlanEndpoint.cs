using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Domain.Plans;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Plans;

public sealed record ChangePlanRequest(string? Plan, string? Reason)
{
    public sealed class Validator : AbstractValidator<ChangePlanRequest>
    {
        public Validator(PlanCatalog plans)
        {
            RuleFor(x => x.Plan).NotEmpty().WithMessage("Required.")
                .Must(p => p is null || plans.Find(p) is not null)
                .WithMessage($"Unknown plan; one of: {string.Join(", ", plans.Plans.Keys)}.");
            RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
        }
    }
}

public static class ChangePlanEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/plan")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Plans")]
    [EndpointSummary("Move the account to another plan (upgrades prorate the allowance; see ADR 9)")]
    [ProducesResponseType<AccountView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Post(string accountId, ChangePlanRequest? body, HttpContext http, AccountCommandProcessor processor,
        IValidator<ChangePlanRequest> validator, PlanCatalog plans, TimeProvider clock)
    {
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        var command = new ChangePlan(plans.TermsOf(body!.Plan)!, body.Reason);
        return await AccountWrites.Submit(http, processor, accountId, command,
            outcome => (200, AccountView.From(outcome.Account!, clock.GetUtcNow(), plans.TermsOf(outcome.Account!.Plan))));
    }
}
