using System.Collections.Immutable;
using System.Text.Json;
using JasperFx.Events;
using Ledger.Api.Accounts;
using Ledger.Api.Idempotency;
using Ledger.Api.Integrity;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace Ledger.Api.Writes;

/// <summary>
/// Runs one batch of the <see cref="WritePipeline"/> as one transaction: locks every account's stream in ordinal
/// order and loads the account documents and the records the commands name in one round trip, decides every command
/// in order against the evolving state, then saves events, records, idempotency receipts, timers and outbox messages
/// in one commit. If the batch fails, its halves run on their own, down to a single command that is retried through
/// conflicts with other processes or failed alone.
/// </summary>
public sealed class WriteBatch(
    IDocumentStore store, TimeProvider clock, PlanCatalog plans, IServiceScopeFactory scopes, IOptions<JsonOptions> json,
    ILogger<WriteBatch> log, IEnumerable<IAccountOutboxSource> outboxSources, Observability.LedgerMetrics metrics)
{
    private const int MaxConflictRetries = 8;
    private readonly IAccountOutboxSource[] _outboxSources = outboxSources.ToArray();
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public async Task Execute(IReadOnlyList<Pending> batch)
    {
        try
        {
            var written = await Commit(batch);
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(written[i]);
        }
        catch (Exception ex) when (Failures.IsUnavailable(ex))
        {
            log.LogWarning(ex, "The database is unavailable: {Count} writes fail", batch.Count);
            foreach (var pending in batch) pending.Done.TrySetException(ex);
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            log.LogDebug(ex, "A batch of {Count} failed; its halves run on their own", batch.Count);
            var half = batch.Count / 2;
            await Execute([.. batch.Take(half)]);
            await Execute([.. batch.Skip(half)]);
        }
        catch (Exception ex)
        {
            await Alone(batch[0], ex);
        }
    }

    /// <summary>Retries one command through conflicts with other processes; an Idempotency-Key another process used first answers its receipt.</summary>
    private async Task Alone(Pending pending, Exception first)
    {
        var error = first;
        for (var attempt = 1; attempt <= MaxConflictRetries && Failures.IsConflict(error); attempt++)
        {
            await Task.Delay(Random.Shared.Next(1, 5 * attempt));
            try
            {
                pending.Done.TrySetResult((await Commit([pending]))[0]);
                return;
            }
            catch (Exception ex)
            {
                error = ex;
            }
        }
        if (Failures.IsDuplicateInsert(error) && pending.Request.Idempotency is { } scope
            && await StoredReceipt(scope) is { } receipt)
        {
            pending.Done.TrySetResult(receipt);
            return;
        }
        if (Failures.IsDuplicateInsert(error))
            log.LogDebug(error, "{Command} for {Account} lost an insert race", pending.Request.Command.GetType().Name, pending.Request.AccountId);
        else
            log.LogError(error, "{Command} for {Account} failed", pending.Request.Command.GetType().Name, pending.Request.AccountId);
        pending.Done.TrySetException(error);
    }

    private async Task<Written?> StoredReceipt(IdempotencyScope scope)
    {
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<IdempotencyRecord>(scope.Id);
        return record is { Receipt: { } receipt } && record.Fingerprint == scope.Fingerprint
            ? WriteReceipt.Parse(receipt, _json).ToWritten(_json, replayed: true) with { Receipt = receipt }
            : null;
    }

    private async Task<Written[]> Commit(IReadOnlyList<Pending> batch)
    {
        var now = clock.GetUtcNow();
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(CancellationToken.None);

        var accounts = batch.GroupBy(p => p.Request.AccountId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AccountBatch(g.Key, [.. g]))
            .ToList();
        var query = session.CreateBatchQuery();
        var streams = accounts.ToDictionary(a => a.Id, a => query.Events.FetchForExclusiveWriting<Account>(a.Id), StringComparer.Ordinal);
        var records = RecordSet.Named(query, accounts.SelectMany(a => a.Pending.Select(p => (a.Id, p.Request.Command))));
        await query.Execute();
        var known = await records;

        var written = new Dictionary<Pending, Written>();
        var appended = new List<(string Account, IReadOnlyList<object> Events)>();
        var messages = new List<object>();
        foreach (var account in accounts)
        {
            var stream = await streams[account.Id];
            var chain = await StreamChain.Open(session, stream);
            var outcomes = Decide(account, stream.Aggregate, known.Of(account.Id), now);
            if (MissingRecords(account.Id, outcomes) is { Count: > 0 } missing)
            {
                // A command touched records it did not name (holds released by a status change): load them and decide again.
                await known.Load(session, missing);
                outcomes = Decide(account, stream.Aggregate, known.Of(account.Id), now);
            }
            var loaded = known.Of(account.Id);
            var final = loaded;
            foreach (var (pending, outcome) in account.Pending.Zip(outcomes))
            {
                var stamped = Append(session, stream, chain, pending.Request, outcome);
                if (outcome.Decision is Decision.Accepted)
                {
                    appended.Add((account.Id, outcome.Events));
                    foreach (var source in _outboxSources) messages.AddRange(source.MessagesFor(account.Id, outcome));
                    final = outcome.Known;
                }
                if (pending.Request.AlsoWrite is { } alsoWrite) messages.AddRange(alsoWrite(session, outcome, stamped));
                written[pending] = Result(session, pending.Request, outcome, now);
            }
            StoreChangedRecords(session, loaded, final);
        }

        await using var outboxScope = appended.Count > 0 || messages.Count > 0 ? scopes.CreateAsyncScope() : (AsyncServiceScope?)null;
        if (outboxScope is { } scope)
        {
            var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
            outbox.Enroll(session);
            foreach (var (accountId, events) in appended)
                foreach (var at in AccountTimers.DueTimes(events))
                    await outbox.ScheduleAsync(new CatchUpAccount(accountId), at);
            foreach (var message in messages)
                if (message is Later later) await outbox.ScheduleAsync(later.Message, later.At);
                else await outbox.PublishAsync(message);
        }
        await session.SaveChangesAsync();
        Written[] results = [.. batch.Select(p => written[p])];
        metrics.BatchCommitted(batch, results);
        return results;
    }

    private List<Outcome> Decide(AccountBatch batch, Account? account, AccountRecords records, DateTimeOffset now)
    {
        var outcomes = new List<Outcome>(batch.Pending.Count);
        foreach (var pending in batch.Pending)
        {
            var command = pending.Request.Command;
            var terms = plans.TermsOf(account?.Plan ?? (command as OpenAccount)?.Plan);
            var outcome = AccountDecider.Handle(account, records, command, new DecisionContext(now, terms?.AllowOverage ?? false, terms));
            if (outcome.Decision is Decision.Rejected { Rejection.Code: var code } && code == RejectionCodes.AccountNotFound)
                outcome = outcome with { Decision = Decision.Reject(Rejection.AccountNotFound(batch.Id)) };
            if (outcome.Decision is Decision.Accepted) (account, records) = (outcome.Account, outcome.Known);
            outcomes.Add(outcome);
        }
        return outcomes;
    }

    /// <summary>Records an accepted event changes that were neither loaded nor created by an earlier event.</summary>
    private static List<RecordKey> MissingRecords(string accountId, IEnumerable<Outcome> outcomes)
    {
        var missing = new List<RecordKey>();
        foreach (var outcome in outcomes.Where(o => o.Decision is Decision.Accepted))
            foreach (var e in outcome.Events)
            {
                var (reservation, usage, refund) = AccountRecords.Touches(e);
                if (reservation is not null && outcome.Known.Reservation(reservation) is null)
                    missing.Add(new RecordKey(RecordKind.Reservation, RecordKeys.For(accountId, reservation)));
                if (usage is not null && outcome.Known.Usage(usage) is null) missing.Add(new RecordKey(RecordKind.Usage, RecordKeys.For(accountId, usage)));
                if (refund is not null && outcome.Known.Refund(refund) is null) missing.Add(new RecordKey(RecordKind.Refund, RecordKeys.For(accountId, refund)));
            }
        return missing;
    }

    /// <summary>The one place events are appended: metadata first, then the hash that covers it (ADR 45).</summary>
    private static IReadOnlyList<IEvent> Append(IDocumentSession session, IEventStream<Account> stream, StreamChain chain, WriteRequest request, Outcome outcome)
    {
        if (outcome.Decision is not Decision.Accepted) return [];
        var stamped = new List<IEvent>(outcome.Events.Count);
        foreach (var e in outcome.Events)
        {
            var wrapped = session.Events.BuildEvent(e);
            wrapped.CorrelationId = request.Context.CorrelationId;
            wrapped.CausationId = request.Context.CausationId;
            wrapped.SetHeader("actor", request.Context.Actor);
            if (request.Context.IdempotencyKey is not null) wrapped.SetHeader("idempotencyKey", request.Context.IdempotencyKey);
            chain.Stamp(wrapped);
            stream.AppendOne(wrapped);
            stamped.Add(wrapped);
        }
        return stamped;
    }

    /// <summary>The request's result; with an Idempotency-Key, its receipt is saved in this transaction and answered from.</summary>
    private Written Result(IDocumentSession session, WriteRequest request, Outcome outcome, DateTimeOffset now)
    {
        var written = new Written(outcome with { Known = outcome.Known.Only(request.Command) }, now) { Subject = Subject.Of(request.Command) };
        if (request.Idempotency is not { } scope) return written;
        var receipt = JsonSerializer.Serialize(WriteReceipt.Of(written, _json), _json);
        scope.SaveReceipt(session, receipt, now);
        return written with { Receipt = receipt };
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

    private sealed record AccountBatch(string Id, List<Pending> Pending);
}
