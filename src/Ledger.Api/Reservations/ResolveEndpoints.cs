using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
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
    [ProducesResponseType<CommitResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status402PaymentRequired, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static async Task<IResult> Commit(
        string accountId, string reservationId, CommitRequest? body, HttpContext http, AccountCommandProcessor processor,
        IValidator<CommitRequest> validator, TimeProvider clock)
    {
        body ??= new CommitRequest(null, null, null);
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        var command = new Domain.Reservations.Commit(reservationId, body.Amount, body.ReceiptId,
            body.Metadata is null ? null : new Dictionary<string, string>(body.Metadata));
        return await AccountWrites.Submit(http, processor, accountId, command, outcome =>
        {
            var now = clock.GetUtcNow();
            var r = outcome.Known.Reservation(reservationId)!;
            return (200, new CommitResponse(ReservationView.From(r, now), r.Committed, r.ReleasedAmount, r.Variance,
                BalanceView.From(outcome.Account!, now)));
        });
    }

    [WolverinePost("/v1/accounts/{accountId}/reservations/{reservationId}/release")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Return everything held")]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static async Task<IResult> Release(
        string accountId, string reservationId, ReleaseRequest? body, HttpContext http, AccountCommandProcessor processor,
        IValidator<ReleaseRequest> validator, TimeProvider clock)
    {
        body ??= new ReleaseRequest(null);
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        return await AccountWrites.Submit(http, processor, accountId, new Release(reservationId, body.Reason),
            outcome => Respond(outcome, reservationId, clock));
    }

    [WolverinePost("/v1/accounts/{accountId}/reservations/{reservationId}/extend")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Renew a pending hold's ttl")]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static async Task<IResult> Extend(
        string accountId, string reservationId, ExtendRequest? body, HttpContext http, AccountCommandProcessor processor,
        IValidator<ExtendRequest> validator, TimeProvider clock)
    {
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        return await AccountWrites.Submit(http, processor, accountId, new Extend(reservationId, body!.TtlSeconds!.Value),
            outcome => Respond(outcome, reservationId, clock));
    }

    private static (int, object) Respond(Outcome outcome, string reservationId, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return (200, new ReservationResponse(ReservationView.From(outcome.Known.Reservation(reservationId)!, now),
            BalanceView.From(outcome.Account!, now)));
    }
}
