using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
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
    [EndpointDescription("Writes a plan change event: from then on the account has the new plan's features, limits and allowance. A move to a plan with a larger allowance grants the difference prorated to what is left of the period; a move down grants nothing and takes nothing back (ADR 9). `reason` is kept in the audit trail.")]
    [ProducesResponseType<AccountView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static AccountWrite Post(string accountId, ChangePlanRequest? body, PlanCatalog plans) =>
        new(accountId, new ChangePlan(plans.TermsOf(body!.Plan)!, body!.Reason),
            w => w.Ok(AccountView.From(w.Reading)));
}
