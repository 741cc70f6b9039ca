using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Refunds;

public sealed record RefundRequest(string? RefundId, string? ReservationId, string? UsageId, long? Amount, string? Reason)
{
    public sealed class Validator : AbstractValidator<RefundRequest>
    {
        public Validator()
        {
            RuleFor(x => x.RefundId).ValidId().When(x => x.RefundId is not null);
            RuleFor(x => x.ReservationId).ValidId().When(x => x.ReservationId is not null);
            RuleFor(x => x.UsageId).ValidId().When(x => x.UsageId is not null);
            RuleFor(x => x).Must(x => (x.ReservationId is null) != (x.UsageId is null))
                .WithName("reservationId").WithMessage("Give exactly one of reservationId or usageId.");
            RuleFor(x => x.Amount).ValidAmount();
            RuleFor(x => x.Reason).NotEmpty().WithMessage("Required.").ValidText();
        }
    }
}

public sealed record RefundResponse(RefundView Refund, BalanceView Balance);

public static class RefundEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/refunds")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Refunds")]
    [EndpointSummary("Return credits a commit or usage consumed, to the blocks that paid")]
    [EndpointDescription("Returns up to what one commit (`reservationId`) or usage (`usageId`) consumed, to the blocks that paid for it (a block that has expired since takes nothing back; the refund is still recorded). The refunds of one consumption never exceed it (422 `refund-exceeds-consumed`). A caller-chosen `refundId` makes it safe to retry.")]
    [ProducesResponseType<RefundResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<RefundResponse>(StatusCodes.Status200OK)] // the same id and body again: the first answer
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, Problems.ContentType)]
    public static AccountWrite Post(string accountId, RefundRequest? body)
    {
        var (kind, source) = body!.ReservationId is { } rid ? (RefundSourceKind.Reservation, rid) : (RefundSourceKind.Usage, body!.UsageId!);
        var command = new RefundCredits(body!.RefundId ?? Ids.New(), kind, source, body!.Amount!.Value, body!.Reason);
        return new AccountWrite(accountId, command, w =>
            w.Created(new RefundResponse(RefundView.From(w.Refund), BalanceView.From(w.Reading))));
    }
}
