using JasperFx.Events;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Stripe;
using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;
using Marten;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// Proves a bank-test history against the event store, read directly (not through the API under test):
/// <list type="bullet">
/// <item>every acknowledged operation is in its account's stream exactly once, found by the id the client chose, with
/// the amount it asked for; every rejected one is absent; every operation left without an answer at most once;</item>
/// <item>no event names an id no client sent (nothing minted), and every reservation resolves at most once;</item>
/// <item>replaying each stream from its first event, the ledger invariant holds at every version and available never
/// goes below zero (no overspend on a plan that blocks at zero); the stored view equals the replay;</item>
/// <item>timers fired once under the faults: each abandoned hold expired exactly once, each grant past its expiry gave
/// up all its unspent credits and no more (more would overdraw the block);</item>
/// <item>the outbox delivered: every alert the events raised reached the webhook receiver (duplicates counted, one
/// effect each by delivery id) and every settled overage reached Stripe as one meter event.</item>
/// </list>
/// </summary>
public sealed class BankChecker(string database, BankHistory history, IReadOnlyList<string> accounts, int seed)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly List<string> _failures = [];

    private void Require(bool condition, Func<string> what)
    {
        if (!condition && _failures.Count < 50) _failures.Add(what());
    }

    public async Task<string> CheckAsync(WebhookReceiver receiver, StripeStandIn stripe, CancellationToken ct)
    {
        // connections this test process pooled before a PostgreSQL crash are dead: open new ones
        Npgsql.NpgsqlConnection.ClearAllPools();
        using var store = new DocumentStore(ServiceStore.Configure(new StoreOptions(), database, TimeProvider.System));
        var entries = history.Entries.ToList();

        // wait until every timer of the run fired: the last abandoned hold or expiring grant (within a minute), then 90 s
        var due = entries.Select(e => e.Op.ExpiresAt).OfType<DateTimeOffset>().Where(t => t < DateTimeOffset.UtcNow.AddMinutes(1)).DefaultIfEmpty(DateTimeOffset.UtcNow).Max();
        var streams = await Eventually.Until(async () =>
        {
            var read = await ReadAsync(store, ct);
            return TimersPending(read, due) == 0 ? read : null;
        }, due - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90), () => $"seed {seed}: timers still pending 90 s after they were due");

        CheckOperations(entries, streams);
        CheckReplay(streams, await LoadViews(store, streams.Keys, ct));
        await CheckOutbox(receiver, stripe, streams);

        Assert.True(_failures.Count == 0, $"bank test seed {seed} (rerun with LEDGER_BANK_SEED={seed}):\n" + string.Join("\n", _failures));
        var acknowledged = entries.Count(e => e.Outcome.Acknowledged);
        var rejected = entries.Count(e => e.Outcome.Rejected);
        var unknown = entries.Count(e => e.Outcome.Unknown);
        var latencies = entries.Select(e => e.Outcome.Milliseconds).Order().ToList();
        return $"p50 {latencies[latencies.Count / 2]:F0} ms, max {latencies[^1]:F0} ms; {acknowledged} acknowledged, {rejected} rejected, {unknown} without an answer; {streams.Values.Sum(s => s.Count)} events; " +
               $"{receiver.Received.Count} webhooks ({receiver.Duplicates} duplicate deliveries); {stripe.MeterEvents.Count} meter events";
    }

    private async Task<Dictionary<string, IReadOnlyList<IEvent>>> ReadAsync(IDocumentStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var streams = new Dictionary<string, IReadOnlyList<IEvent>>();
        foreach (var account in accounts.Append("bank-overage")) streams[account] = await session.Events.FetchStreamAsync(account, token: ct);
        return streams;
    }

    private static async Task<Dictionary<string, Account?>> LoadViews(IDocumentStore store, IEnumerable<string> ids, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var views = new Dictionary<string, Account?>();
        foreach (var id in ids) views[id] = await session.LoadAsync<Account>(id, ct);
        return views;
    }

    /// <summary>Abandoned holds not yet resolved, and grants past their expiry still lending credits.</summary>
    /// <summary>Open holds and unexpired blocks with credits left that fall due by <paramref name="due"/>, or are already due.</summary>
    private static int TimersPending(Dictionary<string, IReadOnlyList<IEvent>> streams, DateTimeOffset due)
    {
        var pending = 0;
        var until = due > DateTimeOffset.UtcNow ? due : DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var (account, events) in streams)
        {
            var state = Replay(events).Last().State;
            pending += state?.Holds.Values.Count(h => h.ExpiresAt <= until) ?? 0;
            pending += state?.Blocks.Values.Count(b => b.ExpiresAt is { } at && at <= until && b.Expired == 0 && b.Unheld > 0) ?? 0;
        }
        return pending;
    }

    private static IEnumerable<(IEvent Event, Account? State)> Replay(IReadOnlyList<IEvent> events)
    {
        Account? state = null;
        foreach (var e in events)
        {
            state = Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version } : null;
            yield return (e, state);
        }
        if (events.Count == 0) yield return (null!, null);
    }

    /// <summary>The id an event is about, per kind of operation the clients send.</summary>
    private static (string Kind, string Id, long Amount)? Subject(object data) => data switch
    {
        CreditsReserved e => ("reserve", e.ReservationId, e.Amount),
        ReservationCommitted e => ("commit", e.ReservationId, e.Consumed.Sum(d => d.Amount)),
        ReservationReleased e => ("release", e.ReservationId, 0),
        ReservationExpired e => ("expire", e.ReservationId, 0),
        UsageRecorded e => ("usage", e.UsageId, e.Amount),
        CreditsRefunded e => ("refund", e.RefundId, e.Amount),
        CreditsGranted e => ("grant", e.GrantId, e.Amount),
        _ => null,
    };

    private void CheckOperations(List<(BankOp Op, BankOutcome Outcome)> entries, Dictionary<string, IReadOnlyList<IEvent>> streams)
    {
        var found = streams.SelectMany(s => s.Value.Select(e => (Account: s.Key, Subject: Subject(e.Data))))
            .Where(x => x.Subject is not null).Select(x => (x.Account, x.Subject!.Value.Kind, x.Subject.Value.Id, x.Subject.Value.Amount)).ToList();
        var index = found.ToLookup(f => (f.Account, f.Kind, f.Id));
        foreach (var (op, outcome) in entries.Where(e => e.Op.Kind != "plan"))
        {
            var matches = index[(op.Account, op.Kind, op.Id)].ToList();
            var what = $"{op.Kind} {op.Id} on {op.Account} ({outcome.Status} after {outcome.Attempts} attempts via nodes {outcome.Nodes})";
            if (outcome.Acknowledged)
            {
                Require(matches.Count == 1, () => $"acknowledged {what} is in the stream {matches.Count} times");
                if (op.Kind is "reserve" or "usage" or "refund" or "grant")
                    Require(matches.All(m => m.Amount == op.Amount), () => $"acknowledged {what} asked {op.Amount}, the event says {matches[0].Amount}");
                if (op.Kind == "commit")
                    Require(matches.All(m => m.Amount == op.Amount), () => $"acknowledged {what} committed {op.Amount}, the event consumed {matches[0].Amount}");
            }
            else if (outcome.Rejected && op.Kind is "reserve" or "usage" or "refund" or "grant")
                Require(matches.Count == 0, () => $"rejected {what} is in the stream");
            else
                Require(matches.Count <= 1, () => $"{what} is in the stream {matches.Count} times");
        }

        // nothing minted: every id in the bank accounts' streams was sent by a client (or is the opening grant)
        var sent = entries.Select(e => (e.Op.Account, e.Op.Id)).ToHashSet();
        foreach (var f in found.Where(f => f.Account != "bank-overage" && f.Id != "bank-start"))
            Require(sent.Contains((f.Account, f.Id)), () => $"{f.Kind} {f.Id} on {f.Account} was never sent");
        // a reservation resolves at most once; an abandoned acknowledged hold exactly once, by its timer
        foreach (var group in found.Where(f => f.Kind is "commit" or "release" or "expire").GroupBy(f => (f.Account, f.Id)))
            Require(group.Count() == 1, () => $"reservation {group.Key.Id} on {group.Key.Account} resolved {group.Count()} times: {string.Join(", ", group.Select(g => g.Kind))}");
        foreach (var (op, _) in entries.Where(e => e.Op.Abandoned && e.Outcome.Acknowledged))
            Require(index[(op.Account, "expire", op.Id)].Count() == 1, () => $"abandoned hold {op.Id} on {op.Account} did not expire once");
    }

    private void CheckReplay(Dictionary<string, IReadOnlyList<IEvent>> streams, Dictionary<string, Account?> views)
    {
        foreach (var (account, events) in streams)
        {
            Account? last = null;
            var replay = Replay(events).ToList();
            for (var i = 0; i < replay.Count; i++)
            {
                var (e, state) = replay[i];
                if (state is null) continue;
                var at = AccountHistory.InstantOf(e);
                // at every version: the balance equation, nothing reserved below zero, no overspend
                var balance = Balance.Sum(state, at);
                Require(balance.IsConsistent && balance.Reserved >= 0, () => $"{account} v{e.Version} {e.EventTypeName}: balance equation broken: {balance}");
                if (account != "bank-overage")
                    Require(balance.Available >= 0, () => $"{account} v{e.Version}: overspent, available {balance.Available}");
                // at the end of every transaction (its events share the server timestamp): every structural invariant,
                // which may hold only once all of a decision's events are in (a hold released into an expired block,
                // then that part expired, is two events of one decision)
                var endOfTransaction = i == replay.Count - 1 || replay[i + 1].Event.Timestamp != e.Timestamp;
                if (endOfTransaction)
                {
                    try
                    {
                        Invariants.Check(state, at);
                    }
                    catch (LedgerInvariantViolated ex)
                    {
                        var dead = string.Join(", ", state.Blocks.Values.Where(b => b.IsDeadAt(at) && b.Unheld != 0).Select(b => $"{b.GrantId} expires {b.ExpiresAt:HH:mm:ss.fff}"));
                        Require(false, () => $"{account} v{e.Version} {e.EventTypeName} at {at:HH:mm:ss.fff} (stored {e.Timestamp:HH:mm:ss.fff}): invariant broken: {ex.Message} [{dead}]");
                    }
                }
                last = state;
            }
            // a grant's expiry may be several events (its unheld remainder at expiry, then each held part as it is
            // released); an expiry applied twice would overdraw the block, which Invariants.Check refuses
            if (last is null || !views.TryGetValue(account, out var view) || view is null)
            {
                Require(false, () => $"{account}: no stream or no stored view");
                continue;
            }
            var now = DateTimeOffset.UtcNow;
            Require(Balance.Sum(view, now) == Balance.Sum(last, now) && view.Version == last.Version && view.Holds.Count == last.Holds.Count,
                () => $"{account}: stored view {Balance.Sum(view, now)} v{view.Version} differs from the replay {Balance.Sum(last, now)} v{last.Version}");
        }
    }

    private async Task CheckOutbox(WebhookReceiver receiver, StripeStandIn stripe, Dictionary<string, IReadOnlyList<IEvent>> streams)
    {
        var expected = await OperatorWebhookCrashTests.Expected(database);
        var total = expected.Values.Sum();
        await Eventually.Until(() => Task.FromResult(receiver.Received.Count >= total ? "delivered" : null), TimeSpan.FromSeconds(120),
            () => $"seed {seed}: {receiver.Received.Count} of {total} operator webhooks delivered");
        Require(receiver.Received.Count == total, () => $"{receiver.Received.Count} distinct webhooks for {total} alerts");
        Require(receiver.BadSignatures.IsEmpty, () => $"{receiver.BadSignatures.Count} webhooks with a bad signature");
        foreach (var ((account, type), count) in expected)
        {
            var got = receiver.Received.Values.Count(r => r.GetProperty("accountId").GetString() == account && r.GetProperty("type").GetString() == type);
            Require(got == count, () => $"{account} {type}: {got} webhooks for {count} alerts");
        }

        var settled = streams["bank-overage"].Count(e => e.Data is OverageSettled { Settlement: OverageSettlement.Invoiced });
        Require(settled == 1, () => $"the plan change settled the overage {settled} times");
        await Eventually.Until(() => Task.FromResult(stripe.MeterEvents.Count >= settled ? "sent" : null), TimeSpan.FromSeconds(120),
            () => $"seed {seed}: {stripe.MeterEvents.Count} of {settled} meter events reached Stripe");
        Require(stripe.MeterEvents.Count == settled, () => $"{stripe.MeterEvents.Count} meter events for {settled} settlements");
    }
}
