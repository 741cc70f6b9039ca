using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Grants;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Grants;

public sealed record CostBasisRequest(long? AmountMinor, string? Currency);

public sealed record GrantRequest(
    string? GrantId, long? Amount, string? Source, DateTimeOffset? EffectiveAt, DateTimeOffset? ExpiresAt,
    int? Priority, string? Reason, string? Reference, CostBasisRequest? CostBasis)
{
    public static readonly string[] Sources = ["plan", "purchase", "promo", "manual"];

    public sealed class Validator : AbstractValidator<GrantRequest>
    {
        public Validator()
        {
            RuleFor(x => x.GrantId).ValidId().When(x => x.GrantId is not null);
            RuleFor(x => x.Amount).ValidAmount();
            RuleFor(x => x.Source).NotEmpty().WithMessage("Required.")
                .Must(s => s is null || Sources.Contains(s)).WithMessage($"One of: {string.Join(", ", Sources)}.");
            RuleFor(x => x.Priority).InclusiveBetween(0, Limits.MaxPriority).When(x => x.Priority is not null)
                .WithMessage($"Must be between 0 and {Limits.MaxPriority}.");
            RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
            RuleFor(x => x.Reference).ValidText(255);
            RuleFor(x => x.ExpiresAt).GreaterThan(x => x.EffectiveAt).When(x => x.ExpiresAt is not null && x.EffectiveAt is not null)
                .WithMessage("Must be later than effectiveAt.");
            RuleFor(x => x.CostBasis!.AmountMinor).NotNull().InclusiveBetween(0, Limits.MaxAmount).When(x => x.CostBasis is not null)
                .WithMessage("Required, between 0 and 10^15.");
            RuleFor(x => x.CostBasis!.Currency).Matches(@"^[A-Za-z]{3}\z").NotNull().When(x => x.CostBasis is not null)
                .WithMessage("An ISO 4217 code such as usd.");
        }
    }

    public GrantCredits ToCommand() => new(
        GrantId ?? Ids.New(), Amount!.Value, Enum.Parse<GrantSource>(Source!, ignoreCase: true), Priority,
        EffectiveAt, ExpiresAt,
        CostBasis is null ? null : new CostBasis(CostBasis.AmountMinor!.Value, CostBasis.Currency!.ToLowerInvariant()),
        Reference, Reason);
}

public sealed record GrantResponse(BlockView Grant, BalanceView Balance);

public static class GrantCreditsEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/grants")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Grants")]
    [EndpointSummary("Grant a block of credits")]
    [EndpointDescription("Adds a credit block: `source` (`plan`, `purchase`, `promo`, `manual`) sets its default priority (promo 10, plan 20, manual 40, purchase 50; lower is spent first), `effectiveAt`/`expiresAt` bound when it may be spent, `costBasis` records what was paid. A caller-chosen `grantId` makes it safe to retry (same body: 200 with the first answer). A grant repays overage first.")]
    [ProducesResponseType<GrantResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<GrantResponse>(StatusCodes.Status200OK)] // the same id and body again: the first answer
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Post(string accountId, GrantRequest? body)
    {
        return new AccountWrite(accountId, body!.ToCommand(), w =>
            w.Created(new GrantResponse(BlockView.From(w.Grant, w.At), BalanceView.From(w.Reading))));
    }
}

public sealed record VoidGrantRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<VoidGrantRequest>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
    }
}

public sealed record VoidGrantResponse(string GrantId, long Voided, BlockView Grant, BalanceView Balance);

public static class VoidGrantEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/grants/{grantId}/void")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Grants")]
    [EndpointSummary("Void what is left of a grant")]
    [EndpointDescription("Removes what is left of a block that was granted by mistake (or whose payment was refunded): its unheld remainder is voided at once; credits held from it are voided when their hold is released. Spent credits stay spent. 409 if it is already void.")]
    [ProducesResponseType<VoidGrantResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Post(string accountId, string grantId, VoidGrantRequest? body) =>
        new(accountId, new VoidGrant(grantId, body!.Reason), w =>
        {
            var voided = w.Outcome.Events.OfType<GrantVoided>().Where(e => e.GrantId == grantId).Sum(e => e.Amount);
            return w.Ok(new VoidGrantResponse(grantId, voided, BlockView.From(w.Grant, w.At), BalanceView.From(w.Reading)));
        });
}
