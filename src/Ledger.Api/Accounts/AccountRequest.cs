using Ledger.Api.Idempotency;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Accounts;

/// <summary>Who asked, and why: written on every event the request produces.</summary>
public sealed record EventContext(string Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey)
{
    public static EventContext System(string actor) => new(actor, null, null, null);
}

/// <summary>
/// One command for one account, with how to answer it. <see cref="Render"/> turns an accepted or
/// replayed outcome into the success reply; rejections become problem details.
/// </summary>
public sealed record AccountRequest(
    string AccountId,
    IAccountCommand Command,
    Func<Outcome, (int Status, object Body)> Render,
    EventContext Context,
    IdempotencyScope? Idempotency = null);
