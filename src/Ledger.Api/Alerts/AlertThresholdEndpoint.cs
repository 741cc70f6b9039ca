using FluentValidation;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Alerts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Alerts;

public sealed record AlertThresholdRequest([property: NullMeansDefault] long? LowBalance)
{
    public sealed class Validator : AbstractValidator<AlertThresholdRequest>
    {
        public Validator() => RuleFor(x => x.LowBalance).InclusiveBetween(0, Limits.MaxAmount).When(x => x.LowBalance is not null)
            .WithMessage($"Between 0 and {Limits.MaxAmount} credits, or null for the plan's threshold.");
    }
}

/// <summary>The account's alert thresholds in force and the threshold alerts raised and not yet cleared.</summary>
public sealed record AlertsView(string AccountId, long? LowBalance, long? PlanLowBalance, int? QuotaWarningPercent, IReadOnlyList<string> Active)
{
    public static AlertsView From(Account account, PlanCatalog plans)
    {
        var terms = plans.TermsOf(account.Plan)?.Alerts;
        return new AlertsView(account.Id, account.LowBalanceThreshold ?? terms?.LowBalance, terms?.LowBalance, terms?.QuotaWarningPercent,
            [.. (account.ActiveAlerts ?? []).Order(StringComparer.Ordinal)]);
    }
}

public static class AlertThresholdEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/alerts")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Alerts")]
    [EndpointSummary("Set the account's own low-balance threshold (null: its plan's); balance.low fires when available drops below it")]
    [EndpointDescription("`lowBalance` is the account's own threshold in credits; send `null` to fall back to the plan's. A `balance.low` operator webhook is sent once when `available` drops below the threshold and re-armed when it rises above it. Answers the thresholds in force and the alerts raised.")]
    [ProducesResponseType<AlertsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static AccountWrite Post(string accountId, AlertThresholdRequest? body, PlanCatalog plans) =>
        new(accountId, new SetLowBalanceThreshold(body!.LowBalance), w => w.Ok(AlertsView.From(w.Account, plans)));
}
