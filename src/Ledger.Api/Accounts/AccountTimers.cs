using Ledger.Domain.Accounts;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Ledger.Api.Accounts;

/// <summary>Asks an account to let time catch up: expire its due holds and grants.</summary>
public sealed record CatchUpAccount(string AccountId);

/// <summary>
/// Durable timers: every hold expiry, renewed hold expiry and grant expiry becomes a Wolverine
/// scheduled message enrolled in the same Marten transaction as the event that sets the time, so a
/// crash can lose neither. Reads already treat a due hold or grant as expired; the timer only writes it down.
/// </summary>
public static class AccountTimers
{
    public static IReadOnlyList<DateTimeOffset> DueTimes(IEnumerable<object> events) =>
        events.Select(e => e switch
            {
                CreditsReserved r => r.ExpiresAt,
                ReservationExtended x => x.ExpiresAt,
                CreditsGranted { ExpiresAt: { } at } => at,
                PeriodStarted p => p.PeriodEnd,
                GraceStarted g => g.GraceEndsAt,
                _ => (DateTimeOffset?)null,
            })
            .OfType<DateTimeOffset>()
            .Distinct()
            .ToList();

    /// <summary>Enrolls the session in Wolverine's outbox; the caller keeps <paramref name="outbox"/>'s scope alive until after SaveChanges.</summary>
    public static async Task Schedule(IMartenOutbox outbox, IDocumentSession session, string accountId, IReadOnlyList<DateTimeOffset> due)
    {
        outbox.Enroll(session);
        foreach (var at in due) await outbox.ScheduleAsync(new CatchUpAccount(accountId), at);
    }
}

public static class CatchUpAccountHandler
{
    public static async Task Handle(CatchUpAccount message, AccountCommandProcessor processor)
    {
        var reply = await processor.Submit(new AccountRequest(message.AccountId, new CatchUpTime(),
            _ => (200, new { message.AccountId }), EventContext.System("system:timer")));
        if (reply.Status >= 500) throw new InvalidOperationException($"catch-up of {message.AccountId} failed: {reply.Body}");
    }
}
