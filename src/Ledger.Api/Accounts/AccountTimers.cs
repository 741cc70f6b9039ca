using Ledger.Api.Plans;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Ledger.Api.Accounts;

/// <summary>Asks an account to let time catch up: expire its due holds and grants.</summary>
public sealed record CatchUpAccount(string AccountId);

/// <summary>
/// Durable timers: every hold expiry, renewed hold expiry, grant expiry, period end and grace end becomes a Wolverine
/// scheduled message enrolled in the same Marten transaction as the event that sets the time (<see cref="Writes.WriteBatch"/>),
/// so a crash can lose neither. Reads already treat a due hold or grant as expired; the timer only writes it down.
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
}

public static class CatchUpAccountHandler
{
    /// <summary>
    /// Most timers find nothing to do (the hold was committed or released, the grant spent): those cost one read, no
    /// transaction. A write racing this read catches the account up itself.
    /// </summary>
    public static async Task Handle(CatchUpAccount message, WritePipeline pipeline, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        var account = await session.LoadAsync<Account>(message.AccountId);
        if (account is null || CatchUp.To(account, clock.GetUtcNow(), plans.TermsOf(account.Plan)).Count == 0) return;
        await pipeline.Submit(new WriteRequest(message.AccountId, new CatchUpTime(), EventContext.System("system:timer")));
    }
}
