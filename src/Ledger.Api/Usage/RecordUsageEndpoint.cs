using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Usage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Usage;

public sealed record UsageRequest(string? UsageId, long? Amount, string? Feature, IDictionary<string, string>? Metadata)
{
    public sealed class Validator : AbstractValidator<UsageRequest>
    {
        public Validator()
        {
            RuleFor(x => x.UsageId).ValidId().When(x => x.UsageId is not null);
            RuleFor(x => x.Amount).ValidAmount();
            RuleFor(x => x.Feature).ValidId().When(x => x.Feature is not null);
            RuleFor(x => x.Metadata).ValidMetadata();
        }
    }
}

public sealed record UsageResponse(UsageView Usage, BalanceView Balance);

public static class RecordUsageEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/usage")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Usage")]
    [EndpointSummary("Deduct credits at once, without a hold")]
    [EndpointDescription("For operations whose cost is known up front. Draws `amount` credits from the account's blocks in drain order (priority, soonest expiry, oldest) and records which blocks paid. A caller-chosen `usageId` makes the call safe to retry: the same id with the same body answers the first result (200), with another body 409 `id-conflict`. 402 when the credits are not there (nothing is taken).")]
    [ProducesResponseType<UsageResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<UsageResponse>(StatusCodes.Status200OK)] // the same id and body again: the first answer
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status402PaymentRequired, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Post(string accountId, UsageRequest? body)
    {
        var command = new RecordUsage(body!.UsageId ?? Ids.New(), body!.Amount!.Value, body!.Feature,
            body!.Metadata is null ? null : new Dictionary<string, string>(body!.Metadata));
        return new AccountWrite(accountId, command, w =>
            w.Created(new UsageResponse(UsageView.From(w.Usage), BalanceView.From(w.Reading))));
    }
}
