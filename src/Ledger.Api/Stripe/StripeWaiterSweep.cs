using Marten;

namespace Ledger.Api.Stripe;

/// <summary>
/// A safety net for out-of-order events: a refund or dispute parked for a purchase is replayed by the purchase
/// itself right after it commits; if that process died in between, or the two raced on different nodes, this
/// sweep finds parked events whose purchase has now arrived and replays them (every
/// <c>LEDGER_STRIPE_SWEEP_SECONDS</c>, default 10, on the injected clock).
/// </summary>
public sealed class StripeWaiterSweep(IDocumentStore store, StripeEvents events, StripeOptions options, TimeProvider clock, ILogger<StripeWaiterSweep> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.WaiterSweepInterval, clock, stoppingToken);
                await SweepOnce(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Stripe waiter sweep failed; trying again later");
            }
        }
    }

    /// <summary>Replays every parked event whose awaited purchase is now known; returns how many milestones were reached.</summary>
    public async Task<int> SweepOnce(CancellationToken ct = default)
    {
        List<string> reached;
        await using (var session = store.QuerySession())
        {
            var waiting = (await session.Query<StripeEventRecord>()
                .Where(r => r.Status == StripeEventStatus.Parked && r.WaitingFor!.StartsWith("payment:"))
                .Select(r => r.WaitingFor!).Take(1000).ToListAsync(ct)).Distinct().ToList();
            if (waiting.Count == 0) return 0;
            reached = (await session.LoadManyAsync<StripeMilestone>(ct, waiting)).Select(m => m.Id).ToList();
        }
        foreach (var milestone in reached) await events.ReplayWaiters(milestone);
        return reached.Count;
    }
}
