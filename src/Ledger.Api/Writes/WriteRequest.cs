using JasperFx.Events;
using Ledger.Api.Idempotency;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Marten;

namespace Ledger.Api.Writes;

/// <summary>Who asked, and why: written on every event the request produces.</summary>
public sealed record EventContext(string Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey)
{
    public static EventContext System(string actor) => new(actor, null, null, null);
}

/// <summary>
/// Writes documents in the same transaction as a request's events, given its outcome (accepted, replayed or rejected)
/// and its stamped events (empty unless accepted), e.g. the Stripe event record that makes a webhook exactly-once, and
/// returns messages to send through the durable outbox in that transaction. It runs again if the batch is retried, so
/// it only adds to the session.
/// </summary>
public delegate IEnumerable<object> AlsoWrite(IDocumentSession session, Outcome outcome, IReadOnlyList<IEvent> events);

/// <summary>A message for the outbox to send at <see cref="At"/> instead of at once (a durable timer).</summary>
public sealed record Later(object Message, DateTimeOffset At);

/// <summary>One command for one account, who asked, and what else its transaction must hold.</summary>
public sealed record WriteRequest(
    string AccountId,
    IAccountCommand Command,
    EventContext Context,
    IdempotencyScope? Idempotency = null,
    AlsoWrite? AlsoWrite = null);

/// <summary>
/// A request's outcome once it is durable (or refused): what was decided, the account and records after it, and the
/// instant it was decided at, which every view of the answer is computed for. <see cref="Replayed"/>: answered from
/// the first request with the same Idempotency-Key.
/// </summary>
public sealed record Written(Outcome Outcome, DateTimeOffset At, bool Replayed = false)
{
    /// <summary>With an Idempotency-Key: the <see cref="WriteReceipt"/> saved with the write, which the answer is rendered from.</summary>
    public string? Receipt { get; init; }

    /// <summary>What the command was about (its ids as decided, generated ones included, also on a replay).</summary>
    public Subject Subject { get; init; } = Subject.None;

    public ReservationRecord Reservation => Records.Reservation(Subject.Reservation ?? "") ?? throw Missing("reservation");
    public UsageRecord Usage => Records.Usage(Subject.Usage ?? "") ?? throw Missing("usage");
    public RefundRecord Refund => Records.Refund(Subject.Refund ?? "") ?? throw Missing("refund");
    public CreditBlock Grant => Subject.Grant is { } id && Account.Blocks.TryGetValue(id, out var block) ? block : throw Missing("grant");

    private static InvalidOperationException Missing(string what) => new($"the write's {what} is not in its outcome");

    public Decision Decision => Outcome.Decision;

    /// <summary>201 for a write that created something now, 200 for the same request seen before (TigerBeetle's <c>exists</c>).</summary>
    public int CreatedStatus => Decision is Decision.Accepted ? StatusCodes.Status201Created : StatusCodes.Status200OK;

    public Account Account => Outcome.Account ?? throw new InvalidOperationException("an accepted or replayed write has an account");

    /// <summary>The plans the answer is read under (set when the answer is rendered).</summary>
    public Ledger.Api.Plans.PlanCatalog? Plans { get; init; }

    /// <summary>The account after the write as the one read model shows it at the write's instant.</summary>
    public Ledger.Projections.ReadModel.AccountReading Reading =>
        (Plans ?? throw new InvalidOperationException("a written answer is rendered with the plans")).Read(Account, At);

    public AccountRecords Records => Outcome.Known;

    /// <summary>The answer to a write that may create something: 201 with <paramref name="body"/>, or 200 for a repeat.</summary>
    public IResult Created(object body) => Results.Json(body, statusCode: CreatedStatus);

    public IResult Ok(object body) => Results.Json(body);
}

/// <summary>
/// Messages that accepted outcomes send through Wolverine's durable outbox, enrolled in the same transaction as
/// the events (e.g. Stripe meter events for billed overage). Registered in DI; asked for every accepted outcome.
/// </summary>
public interface IAccountOutboxSource
{
    IEnumerable<object> MessagesFor(string accountId, Outcome outcome);
}
