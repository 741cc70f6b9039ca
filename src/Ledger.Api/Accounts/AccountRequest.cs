using JasperFx.Events;
using Ledger.Api.Idempotency;
using Ledger.Domain.Accounts;
using Marten;

namespace Ledger.Api.Accounts;

/// <summary>Who asked, and why: written on every event the request produces.</summary>
public sealed record EventContext(string Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey)
{
    public static EventContext System(string actor) => new(actor, null, null, null);
}

/// <summary>
/// One command for one account, with how to answer it. <see cref="Render"/> turns an accepted or
/// replayed outcome into the success reply; rejections become problem details. <see cref="AlsoWrite"/>, if
/// set, is called with the outcome (accepted, replayed or rejected) and the request's stamped events (empty
/// unless accepted) before the batch commits, to write documents in the same transaction as the events
/// (e.g. the Stripe event record that makes a webhook exactly-once). It runs again if the batch is retried.
/// </summary>
public sealed record AccountRequest(
    string AccountId,
    IAccountCommand Command,
    Func<Outcome, (int Status, object Body)> Render,
    EventContext Context,
    IdempotencyScope? Idempotency = null,
    Action<IDocumentSession, Outcome, IReadOnlyList<IEvent>>? AlsoWrite = null);

/// <summary>
/// Messages that accepted outcomes send through Wolverine's durable outbox, enrolled in the same transaction as
/// the events (e.g. Stripe meter events for billed overage). Registered in DI; asked for every accepted outcome.
/// </summary>
public interface IAccountOutboxSource
{
    IEnumerable<object> MessagesFor(string accountId, Outcome outcome);
}
