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

public sealed record ReserveRequest(string? ReservationId, long? Amount, int? TtlSeconds, string? Feature, IDictionary<string, string>? Metadata)
{
    public sealed class Validator : AbstractValidator<ReserveRequest>
    {
        public Validator()
        {
            RuleFor(x => x.ReservationId).ValidId().When(x => x.ReservationId is not null);
            RuleFor(x => x.Amount).ValidAmount();
            RuleFor(x => x.TtlSeconds).InclusiveBetween(Limits.MinTtlSeconds, Limits.MaxTtlSeconds).When(x => x.TtlSeconds is not null)
                .WithMessage($"Must be between {Limits.MinTtlSeconds} and {Limits.MaxTtlSeconds} seconds.");
            RuleFor(x => x.Feature).ValidId().When(x => x.Feature is not null);
            RuleFor(x => x.Metadata).ValidMetadata();
        }
    }
}

public sealed record ReservationResponse(ReservationView Reservation, BalanceView Balance)
{
    public static ReservationResponse Of(Written w) => new(ReservationView.From(w.Reservation, w.At), BalanceView.From(w.Reading));
}

public static class ReserveEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/reservations")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Reservations")]
    [EndpointSummary("Hold credits before a costly operation (all or nothing)")]
    [EndpointDescription("Holds `amount` credits for `ttlSeconds` (default 300, at most 86400) before a costly operation, earmarked in specific blocks; then commit what it really cost or release it. All or nothing: 402 `insufficient-credits` with `available` and `requested`, nothing held. A caller-chosen `reservationId` makes it safe to retry (same body: 200 with the first answer).")]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<ReservationResponse>(StatusCodes.Status200OK)] // the same id and body again: the first answer
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status402PaymentRequired, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, Problems.ContentType)]
    public static AccountWrite Post(string accountId, ReserveRequest? body)
    {
        var command = new Reserve(body!.ReservationId ?? Ids.New(), body!.Amount!.Value, body!.TtlSeconds ?? Limits.DefaultTtlSeconds,
            body!.Feature, body!.Metadata is null ? null : new Dictionary<string, string>(body!.Metadata));
        return new AccountWrite(accountId, command, w => w.Created(ReservationResponse.Of(w)));
    }
}
