using FluentValidation;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Accounts;

/// <param name="BillingCycleAnchor">
/// Optional, as Stripe's <c>billing_cycle_anchor</c>: the first period ends here (later than now, at most a month away),
/// with the allowance prorated to the month; periods then renew monthly from it. Without it, periods renew monthly from
/// the opening.
/// </param>
public sealed record CreateAccountRequest(
    string? AccountId, string? Plan, string? StripeCustomerId, IDictionary<string, string>? Metadata, DateTimeOffset? BillingCycleAnchor = null)
{
    public sealed class Validator : AbstractValidator<CreateAccountRequest>
    {
        public Validator(PlanCatalog plans)
        {
            RuleFor(x => x.AccountId).NotEmpty().WithMessage("Required.").ValidId();
            RuleFor(x => x.Plan).NotEmpty().WithMessage("Required.")
                .Must(p => p is null || plans.Find(p) is not null)
                .WithMessage($"Unknown plan; one of: {string.Join(", ", plans.Plans.Keys)}.");
            RuleFor(x => x.StripeCustomerId).ValidText(255);
            RuleFor(x => x.Metadata).ValidMetadata();
        }
    }
}

public static class OpenAccountEndpoint
{
    [WolverinePost("/v1/accounts")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Accounts")]
    [EndpointSummary("Open an account on a plan")]
    [EndpointDescription("Opens an account under the id you use for the customer (1-64 characters of `[A-Za-z0-9_.:-]`) and grants the plan's first-period allowance. With `billingCycleAnchor` (as Stripe's `billing_cycle_anchor`: later than now, at most a month away) the first period ends there with its allowance prorated to the month, and periods renew monthly from it; align it with the Stripe subscription's cycle. Opening the same id on the same plan again answers 200 with the account (safe to retry); on another plan, 409 `account-exists`.")]
    [ProducesResponseType<AccountView>(StatusCodes.Status201Created)]
    [ProducesResponseType<AccountView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Post(CreateAccountRequest? body)
    {
        var command = new OpenAccount(body!.AccountId!, body!.Plan!, body!.StripeCustomerId,
            body!.Metadata is null ? null : new Dictionary<string, string>(body!.Metadata), body!.BillingCycleAnchor);
        return new AccountWrite(command.AccountId, command, w => w.Created(AccountView.From(w.Reading)));
    }
}
