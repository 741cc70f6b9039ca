using System.Diagnostics.Metrics;
using Ledger.Domain.Accounts;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;

namespace Ledger.Api.Observability;

/// <summary>
/// The ledger's own instruments (meter <c>Ledger</c>), exported at <c>/metrics</c> under the Prometheus names in the
/// comments (docs/adr/0065, docs/grafana/ledger.json). Recording is a few interlocked adds when nothing listens
/// (<c>LEDGER_TELEMETRY=off</c>).
/// </summary>
public sealed class LedgerMetrics
{
    public const string MeterName = "Ledger";

    /// <summary>Outcomes a Stripe delivery or an operator webhook attempt can have: their series exist from the start, at 0.</summary>
    public static readonly string[] StripeOutcomes = ["processed", "duplicate", "parked", "failed", "ignored", "refused"];
    public static readonly string[] OperatorWebhookOutcomes = ["delivered", "failed", "not_configured"];

    private readonly Counter<long> _reserves;      // ledger_reserves_total{outcome, reason}
    private readonly Counter<long> _consumed;      // ledger_credits_consumed_total
    private readonly Counter<long> _writes;        // ledger_writes_total{command, outcome}
    private readonly Histogram<long> _batchSize;   // ledger_write_batch_size_{bucket,sum,count}
    private readonly Counter<long> _stripe;        // ledger_stripe_webhooks_total{outcome}
    private readonly Counter<long> _operator;      // ledger_operator_webhooks_total{outcome}
    private long _projectionLag;                   // ledger_projection_lag (events behind the newest)
    private long _invariantDrift;                  // ledger_invariant_drift (accounts whose stored view differs from their events)

    public LedgerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _reserves = meter.CreateCounter<long>("ledger.reserves", description: "Reserve commands decided, by outcome (accepted, replayed, rejected) and rejection reason.");
        _consumed = meter.CreateCounter<long>("ledger.credits.consumed", description: "Credits consumed by commits and direct usage.");
        _writes = meter.CreateCounter<long>("ledger.writes", description: "Account commands decided by the write pipeline, by command and outcome.");
        _batchSize = meter.CreateHistogram<long>("ledger.write.batch.size", description: "Commands per committed write-pipeline transaction.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _stripe = meter.CreateCounter<long>("ledger.stripe.webhooks", description: "Stripe webhook deliveries, by outcome.");
        _operator = meter.CreateCounter<long>("ledger.operator_webhooks", description: "Operator webhook delivery attempts, by outcome.");
        meter.CreateObservableGauge("ledger.projection.lag", () => Interlocked.Read(ref _projectionLag),
            description: "Events the async projections (admin metrics) are behind the newest event.");
        meter.CreateObservableGauge("ledger.invariant.drift", () => Interlocked.Read(ref _invariantDrift),
            description: "Accounts whose stored views differ from their events at the last invariant check.");
        foreach (var outcome in StripeOutcomes) _stripe.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        foreach (var outcome in OperatorWebhookOutcomes) _operator.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        _consumed.Add(0);
    }

    /// <summary>One committed transaction of the write pipeline and what it decided.</summary>
    public void BatchCommitted(IReadOnlyList<Writes.Pending> batch, IReadOnlyList<Writes.Written> written)
    {
        _batchSize.Record(batch.Count);
        for (var i = 0; i < batch.Count; i++) Decided(batch[i].Request.Command, written[i]);
    }

    private void Decided(IAccountCommand command, Writes.Written written)
    {
        var (outcome, reason) = written.Decision switch
        {
            Decision.Rejected r => ("rejected", r.Rejection.Code),
            Decision.Accepted when !written.Replayed => ("accepted", ""),
            _ => ("replayed", ""),
        };
        var name = command.GetType().Name;
        _writes.Add(1, new("command", name), new("outcome", outcome));
        if (command is Reserve) _reserves.Add(1, new("outcome", outcome), new("reason", reason));
        if (written.Decision is not Decision.Accepted || written.Replayed) return;
        long consumed = 0;
        foreach (var e in written.Outcome.Events)
            consumed += e switch { ReservationCommitted c => c.Amount, UsageRecorded u => u.Amount, _ => 0 };
        if (consumed > 0) _consumed.Add(consumed);
    }

    public void StripeWebhook(string outcome) => _stripe.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void OperatorWebhook(string outcome) => _operator.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void SetProjectionLag(long events) => Interlocked.Exchange(ref _projectionLag, Math.Max(0, events));

    /// <summary>For the invariant check (drift found by a rebuild comparison or a background check): accounts drifting now.</summary>
    public void SetInvariantDrift(long accounts) => Interlocked.Exchange(ref _invariantDrift, Math.Max(0, accounts));
}
