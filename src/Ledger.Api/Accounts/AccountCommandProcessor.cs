using System.Collections.Concurrent;
using System.Text.Json;
using JasperFx.Events;
using Ledger.Api.Http;
using Ledger.Api.Idempotency;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Marten;
using Wolverine.Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Accounts;

/// <summary>
/// Serializes each account's commands in one lane per account and commits them in groups: a batch
/// takes the account's stream row lock once (<c>FetchForExclusiveWriting</c>, which also serializes
/// across API processes), decides every command in order against the evolving state, and saves
/// events, records, idempotency replies and timers in one transaction. Callers never see a
/// concurrency conflict; a failing batch is retried one command at a time. See docs/adr/0004.
/// </summary>
public sealed class AccountCommandProcessor(
    IDocumentStore store, TimeProvider clock, PlanCatalog plans, IServiceScopeFactory scopes,
    IOptions<JsonOptions> json, ILogger<AccountCommandProcessor> log, IEnumerable<IAccountOutboxSource> outboxSources)
{
    public const int MaxBatch = 64;
    private const int MaxAttempts = 8;
    private readonly IAccountOutboxSource[] _outboxSources = outboxSources.ToArray();
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public Task<HttpReply> Submit(AccountRequest request)
    {
        var pending = new Pending(request, new TaskCompletionSource<HttpReply>(TaskCreationOptions.RunContinuationsAsynchronously));
        var lane = _lanes.GetOrAdd(request.AccountId, _ => new Lane());
        bool start;
        lock (lane)
        {
            lane.Queue.Enqueue(pending);
            start = !lane.Running;
            lane.Running = true;
        }
        if (start) _ = Task.Run(() => Drain(request.AccountId, lane));
        return pending.Reply.Task;
    }

    private async Task Drain(string accountId, Lane lane)
    {
        while (true)
        {
            List<Pending> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0)
                {
                    lane.Running = false;
                    _lanes.TryRemove(new KeyValuePair<string, Lane>(accountId, lane));
                    return;
                }
                batch = [];
                while (batch.Count < MaxBatch && lane.Queue.TryDequeue(out var next)) batch.Add(next);
            }
            await ProcessBatch(accountId, batch);
        }
    }

    private async Task ProcessBatch(string accountId, List<Pending> batch)
    {
        try
        {
            var replies = await Execute(accountId, batch);
            for (var i = 0; i < batch.Count; i++) batch[i].Reply.TrySetResult(replies[i]);
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            log.LogDebug(ex, "Batch of {Count} for {Account} failed; retrying one by one", batch.Count, accountId);
        }
        catch (Exception ex)
        {
            await FinishAlone(accountId, batch[0], ex);
            return;
        }
        foreach (var pending in batch)
        {
            try
            {
                var replies = await Execute(accountId, [pending]);
                pending.Reply.TrySetResult(replies[0]);
            }
            catch (Exception ex)
            {
                await FinishAlone(accountId, pending, ex);
            }
        }
    }

    /// <summary>Retries one command through conflicts with other processes; a lost idempotency race replays the winner.</summary>
    private async Task FinishAlone(string accountId, Pending pending, Exception first)
    {
        var error = first;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (error.GetType().Name == "DocumentAlreadyExistsException" && pending.Request.Idempotency is { } scope)
            {
                pending.Reply.TrySetResult(await StoredReply(scope));
                return;
            }
            if (!IsConcurrencyConflict(error)) break;
            try
            {
                pending.Reply.TrySetResult((await Execute(accountId, [pending]))[0]);
                return;
            }
            catch (Exception ex)
            {
                error = ex;
                await Task.Delay(Random.Shared.Next(1, 5 * attempt));
            }
        }
        if (error.GetType().Name == "DocumentAlreadyExistsException")
            // A unique insert of the request's own (e.g. a Stripe event's record) lost a race with a twin delivery:
            // nothing was written, and the caller answers from the winner's record.
            log.LogDebug(error, "Command {Command} for {Account} lost an insert race", pending.Request.Command.GetType().Name, accountId);
        else
            log.LogError(error, "Command {Command} for {Account} failed", pending.Request.Command.GetType().Name, accountId);
        pending.Reply.TrySetException(error);
    }

    private async Task<HttpReply> StoredReply(IdempotencyScope scope)
    {
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<IdempotencyRecord>(scope.Id)
            ?? throw new InvalidOperationException("idempotency record vanished");
        return record.Fingerprint == scope.Fingerprint
            ? new HttpReply(record.Status, record.Body, record.ContentType)
            : Reply(Problems.Create("idempotency-key-reused", "This Idempotency-Key was used with a different request."));
    }

    // Matched by name: Marten 9 and JasperFx each define some of these, in namespaces that moved between majors.
    private static readonly HashSet<string> ConflictTypes =
        ["ConcurrencyException", "EventStreamUnexpectedMaxEventIdException", "ExistingStreamIdCollisionException", "StreamLockedException"];

    private static bool IsConcurrencyConflict(Exception ex) =>
        ConflictTypes.Contains(ex.GetType().Name) || ex.InnerException is { } inner && IsConcurrencyConflict(inner);

    private async Task<List<HttpReply>> Execute(string accountId, List<Pending> batch)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForExclusiveWriting<Account>(accountId);
        var account = stream.Aggregate;
        var known = await LoadRecords(session, accountId, account, batch);
        var original = known;
        var replies = new List<HttpReply>(batch.Count);
        var appended = new List<object>();
        var messages = new List<object>();

        foreach (var pending in batch)
        {
            var request = pending.Request;
            var now = clock.GetUtcNow();
            var terms = plans.TermsOf(account?.Plan ?? (request.Command as OpenAccount)?.Plan);
            var context = new DecisionContext(now, terms?.AllowOverage ?? false, terms);
            var outcome = AccountDecider.Handle(account, known, request.Command, context);
            var reply = Render(request, outcome);
            var stamped = new List<IEvent>();
            if (outcome.Decision is Decision.Accepted)
            {
                foreach (var e in outcome.Events)
                {
                    var wrapped = session.Events.BuildEvent(e);
                    Stamp(wrapped, request.Context);
                    stream.AppendOne(wrapped);
                    stamped.Add(wrapped);
                }
                appended.AddRange(outcome.Events);
                foreach (var source in _outboxSources) messages.AddRange(source.MessagesFor(accountId, outcome));
                account = outcome.Account;
                known = outcome.Known;
            }
            request.AlsoWrite?.Invoke(session, outcome, stamped);
            if (request.Idempotency is { } scope && reply.Status < 500)
                scope.Save(session, reply, now);
            replies.Add(reply);
        }

        StoreChangedRecords(session, original, known);
        var due = AccountTimers.DueTimes(appended);
        await using var timersScope = due.Count > 0 || messages.Count > 0 ? scopes.CreateAsyncScope() : (AsyncServiceScope?)null;
        if (timersScope is { } timerScope)
        {
            var outbox = timerScope.ServiceProvider.GetRequiredService<IMartenOutbox>();
            await AccountTimers.Schedule(outbox, session, accountId, due);
            foreach (var message in messages) await outbox.PublishAsync(message);
        }
        await session.SaveChangesAsync();
        return replies;
    }

    private HttpReply Render(AccountRequest request, Outcome outcome)
    {
        if (outcome.Decision is Decision.Rejected rejected)
        {
            var rejection = rejected.Rejection.Code == RejectionCodes.AccountNotFound
                ? Rejection.AccountNotFound(request.AccountId)
                : rejected.Rejection;
            return Reply(Problems.Create(rejection.Code, rejection.Detail, rejection.Extensions));
        }
        var (status, body) = request.Render(outcome);
        return new HttpReply(status, JsonSerializer.Serialize(body, _json));
    }

    private HttpReply Reply(Microsoft.AspNetCore.Mvc.ProblemDetails problem) =>
        new(problem.Status ?? 500, JsonSerializer.Serialize(problem, _json), Problems.ContentType);

    private static void Stamp(IEvent e, EventContext context)
    {
        e.CorrelationId = context.CorrelationId;
        e.CausationId = context.CausationId;
        e.SetHeader("actor", context.Actor);
        if (context.IdempotencyKey is not null) e.SetHeader("idempotencyKey", context.IdempotencyKey);
    }

    /// <summary>Loads the records the batch names, and those of holds that time may expire now.</summary>
    private static async Task<AccountRecords> LoadRecords(IDocumentSession session, string accountId, Account? account, List<Pending> batch)
    {
        var reservations = new HashSet<string>(account?.Holds.Keys ?? []);
        var usages = new HashSet<string>();
        var refunds = new HashSet<string>();
        foreach (var command in batch.Select(p => p.Request.Command))
        {
            switch (command)
            {
                case Reserve c: reservations.Add(c.ReservationId); break;
                case Commit c: reservations.Add(c.ReservationId); break;
                case Release c: reservations.Add(c.ReservationId); break;
                case Extend c: reservations.Add(c.ReservationId); break;
                case RecordUsage c: usages.Add(c.UsageId); break;
                case RefundCredits c:
                    refunds.Add(c.RefundId);
                    (c.SourceKind == RefundSourceKind.Reservation ? reservations : usages).Add(c.SourceId);
                    break;
            }
        }
        var known = AccountRecords.Empty;
        if (reservations.Count > 0)
            foreach (var r in await session.LoadManyAsync<ReservationRecord>(reservations.Select(id => RecordKeys.For(accountId, id))))
                known = known with { Reservations = known.Reservations.SetItem(r.ReservationId, r) };
        if (usages.Count > 0)
            foreach (var u in await session.LoadManyAsync<UsageRecord>(usages.Select(id => RecordKeys.For(accountId, id))))
                known = known with { Usages = known.Usages.SetItem(u.UsageId, u) };
        if (refunds.Count > 0)
            foreach (var f in await session.LoadManyAsync<RefundRecord>(refunds.Select(id => RecordKeys.For(accountId, id))))
                known = known with { Refunds = known.Refunds.SetItem(f.RefundId, f) };
        return known;
    }

    private static void StoreChangedRecords(IDocumentSession session, AccountRecords before, AccountRecords after)
    {
        foreach (var (id, record) in after.Reservations)
            if (!before.Reservations.TryGetValue(id, out var old) || !ReferenceEquals(old, record)) session.Store(record);
        foreach (var (id, record) in after.Usages)
            if (!before.Usages.TryGetValue(id, out var old) || !ReferenceEquals(old, record)) session.Store(record);
        foreach (var (id, record) in after.Refunds)
            if (!before.Refunds.TryGetValue(id, out var old) || !ReferenceEquals(old, record)) session.Store(record);
    }

    private sealed record Pending(AccountRequest Request, TaskCompletionSource<HttpReply> Reply);

    private sealed class Lane
    {
        public readonly Queue<Pending> Queue = new();
        public bool Running;
    }
}
