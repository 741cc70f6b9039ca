using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Reservations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Reservations;

public sealed record CommitRequest(long? Amount, string? ReceiptId, IDictionary<string, string>? Metadata)
{
    public sealed class Validator : AbstractValidator<CommitRequest>
    {
        public Validator()
        {
            RuleFor(x => x.Amount).ValidAmount(min: 0).When(x => x.Amount is not null);
            RuleFor(x => x.ReceiptId).ValidText(255);
            RuleFor(x => x.Metadata).ValidMetadata();
        }
    }
}

public sealed record ReleaseRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<ReleaseRequest>
    {
        public Validator() => RuleFor(x => x.Reason).ValidText();
    }
}

public sealed record ExtendRequest(int? TtlSeconds)
{
    public sealed class Validator : AbstractValidator<ExtendRequest>
    {
        public Validator() => RuleFor(x => x.TtlSeconds).NotNull().WithMessage("Required.")
            .InclusiveBetween(Limits.MinTtlSeconds, Limits.MaxTtlSeconds)
            .WithMessage($"Must be between {Limits.MinTtlSeconds} and {Limits.MaxTtlSeconds} seconds.");
    }
}

public sealed record CommitResponse(ReservationView Reservation, long Committed, long Released, long Variance, BalanceView Balance);

public static class ResolveEndpoints
{
    [WolverinePost("/v1/accounts/{accountId}/reservations/{reservationId}/commit")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Consume what the operation really cost and release the rest")]
    [EndpointDescription("Consumes `amount` (default: everything held) and releases the rest, in one event; `amount` may exceed the hold, the excess drawn from available credits (402 if they are not there: the hold stays pending). Repeating the same commit answers the first result; a commit after release or expiry, or with another amount, is 409.")]
    [ProducesResponseType<CommitResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status402PaymentRequired, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Commit(string accountId, string reservationId, CommitRequest? body = null)
    {
        var command = new Domain.Reservations.Commit(reservationId, body?.Amount, body?.ReceiptId,
            body?.Metadata is null ? null : new Dictionary<string, string>(body!.Metadata));
        return new AccountWrite(accountId, command, w =>
        {
            var r = w.Reservation;
            return w.Ok(new CommitResponse(ReservationView.From(r, w.At), r.Committed, r.ReleasedAmount, r.Variance, BalanceView.From(w.Reading)));
        });
    }

    [WolverinePost("/v1/accounts/{accountId}/reservations/{reservationId}/release")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Return everything held")]
    [EndpointDescription("The operation did not happen: every credit held goes back to the account. Repeating the release answers the first result; after a commit or expiry it is 409.")]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Release(string accountId, string reservationId, ReleaseRequest? body = null) =>
        new(accountId, new Release(reservationId, body?.Reason), w => w.Ok(ReservationResponse.Of(w)));

    [WolverinePost("/v1/accounts/{accountId}/reservations/{reservationId}/extend")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Renew a pending hold's ttl")]
    [EndpointDescription("Sets the hold's expiry to `ttlSeconds` from now (at most 24 h), for long-running work; extend before the ttl passes. 409 once the hold is committed, released or expired.")]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Extend(string accountId, string reservationId, ExtendRequest? body) =>
        new(accountId, new Extend(reservationId, body!.TtlSeconds!.Value), w => w.Ok(ReservationResponse.Of(w)));
}
