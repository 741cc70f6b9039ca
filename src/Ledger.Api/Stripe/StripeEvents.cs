using System.Net.Sockets;
using System.Text.RegularExpressions;
using JasperFx.Events;
using Ledger.Api.Accounts;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Stripe;
using Marten;
using Marten.Linq;
using Marten.Patching;
using Wolverine;
using Wolverine.Marten;
using Npgsql;

namespace Ledger.Api.Stripe;

/// <summary>The answer to one delivery: the event's record, and whether this delivery was a repeat.</summary>
public sealed record StripeDelivery(StripeEventRecord Record, bool Duplicate);

/// <summary>
/// Applies verified Stripe events exactly once (docs/adr/0010-stripe-webhooks.md): the event's record is inserted
/// in the same transaction as the ledger events it causes (through the <see cref="WritePipeline"/> and
/// <see cref="WriteRequest.AlsoWrite"/>), so a second delivery, here or on another node, concurrent or later, fails
/// that insert and changes nothing. The pipeline serializes each account's commands; the newest state-like event wins
/// (a revision claim in the same transaction); refunds and disputes that arrive before their purchase are parked and
/// applied by a durable <see cref="ReplayParkedStripeEvents"/> message: the purchase sends one in its transaction, and
/// parking schedules one a little later, which closes the race of the two committing at once.
/// </summary>
public sealed partial class StripeEvents(
    IDocumentStore store, WritePipeline pipeline, StripeEventMapper mapper, StripeOptions options, TimeProvider clock,
    IServiceScopeFactory scopes, Webhooks.JsonSerializerOptionsProvider json, ILogger<StripeEvents> log)
{
    public const string Actor = "stripe";
    private const int MaxStateRaces = 5;
    private readonly string _records = store.Options.FindOrResolveDocumentType(typeof(StripeEventRecord)).TableName.QualifiedName;

    /// <summary>A delivery whose signature was verified.</summary>
    public async Task<StripeDelivery> Receive(StripeEventView e, string payload)
    {
        var action = mapper.Map(e);
        var known = await Prefetch(e.Id, action);
        if (known.Record is { } recorded) return await Repeated(recorded);
        var delivery = await Apply(e, payload, previous: null, by: Actor, action, known);
        return delivery.Duplicate ? await Repeated(delivery.Record) : delivery;
    }

    public enum ReplayError { None, NotFound, NotReplayable, Raced }

    /// <summary>Applies a parked or failed event now (an admin's replay, or its purchase arrived).</summary>
    public async Task<(StripeEventRecord? Record, ReplayError Error)> Replay(string eventId, string by)
    {
        var record = await Load(eventId);
        if (record is null) return (null, ReplayError.NotFound);
        if (record.Status is not (StripeEventStatus.Parked or StripeEventStatus.Failed)) return (record, ReplayError.NotReplayable);
        var e = StripeEventView.Parse(record.Payload);
        var action = mapper.Map(e);
        var delivery = await Apply(e, record.Payload, record, by, action, await Prefetch(null, action));
        return delivery.Duplicate ? (delivery.Record, ReplayError.Raced) : (delivery.Record, ReplayError.None);
    }

    /// <summary>
    /// Replays the parked events waiting for <paramref name="milestone"/>, oldest Stripe event first, once it is reached
    /// (a <see cref="ReplayParkedStripeEvents"/> arriving before its purchase finds nothing to do). A failure throws, and
    /// Wolverine retries the message.
    /// </summary>
    public async Task ReplayWaiters(string milestone)
    {
        List<StripeEventRecord> waiting;
        await using (var session = store.QuerySession())
        {
            if (await session.LoadAsync<StripeMilestone>(milestone) is null) return;
            waiting = [.. await session.QueryAsync(new ParkedWaitingFor { Milestone = milestone })];
        }
        foreach (var record in waiting)
        {
            var (after, _) = await Replay(record.Id, "system:stripe-out-of-order");
            log.LogInformation("Parked Stripe event {EventId} ({Type}) replayed after {Milestone}: {Status}",
                record.Id, record.Type, milestone, after?.Status);
        }
    }

    public async Task<StripeEventRecord?> Load(string eventId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<StripeEventRecord>(eventId);
    }

    private async Task<StripeDelivery> Repeated(StripeEventRecord record)
    {
        await using var session = store.LightweightSession();
        // One statement for both fields, the increment done by PostgreSQL under the row's lock: redeliveries are half of
        // all webhook traffic, and Marten's patch (its plpgsql mt_jsonb_patch) was the costliest statement of the webhook
        // path (pg_stat_statements in one bench run: 0.628 ms a call, inserting the whole record 0.371), so plain jsonb_set
        // (0.504 ms in the next run, the insert 0.427 there; docs/benchmarks.md).
        session.QueueSqlCommand($$"""
            update {{_records}} set data = jsonb_set(jsonb_set(data, '{deliveries}', to_jsonb(coalesce((data ->> 'deliveries')::int, 0) + 1)),
              '{lastDeliveredAt}', ?::jsonb), mt_last_modified = transaction_timestamp()
            where id = ?
            """, store.Options.Serializer().ToJson(clock.GetUtcNow()), record.Id);
        await session.SaveChangesAsync();
        return new StripeDelivery(record, Duplicate: true);
    }

    private async Task<StripeDelivery> Apply(StripeEventView e, string payload, StripeEventRecord? previous, string by, StripeAction action, Known known)
    {
        var basis = new Attempt(e, payload, previous, by, action, clock.GetUtcNow());
        if (action.Kind != StripeActionKind.Apply)
        {
            var status = action.Kind == StripeActionKind.Ignore ? StripeEventStatus.Ignored : StripeEventStatus.Failed;
            if (action.Kind == StripeActionKind.Ignore)
                log.LogInformation("Stripe event {EventId} ({Type}) ignored: {Detail}", e.Id, e.Type, action.Detail);
            var link = ResolveForLink(action, known);
            return await WriteAlone(basis.Record(status, action.Detail, link?.AccountId ?? action.AccountId), basis, link);
        }

        var target = Resolve(action, known);
        if (target.AccountId is null)
            return await WriteAlone(target.WaitingFor is null
                ? basis.Record(StripeEventStatus.Failed, target.Detail, null)
                : basis.Record(StripeEventStatus.Parked, target.Detail, null, target.WaitingFor), basis, null);

        return await ApplyToAccount(basis, target, target.AccountId == action.AccountId ? known : null);
    }

    private async Task<StripeDelivery> ApplyToAccount(Attempt basis, Target target, Known? prefetched)
    {
        var (e, action) = (basis.Event, basis.Action);
        var accountId = target.AccountId!;
        for (var race = 1; ; race++)
        {
            Account? account;
            StripeAccountState? state;
            if (race == 1 && prefetched is not null)
            {
                (account, state) = (prefetched.Named, prefetched.NamedState);
            }
            else
            {
                await using var session = store.QuerySession();
                var batch = session.CreateBatchQuery();
                var loadAccount = batch.Load<Account>(accountId);
                var loadState = batch.Load<StripeAccountState>(accountId);
                await batch.Execute();
                (account, state) = (await loadAccount, await loadState);
            }
            if (account is null)
                return await WriteAlone(basis.Record(StripeEventStatus.Parked,
                    $"Account '{accountId}' does not exist (yet); replay the event once it does.", accountId, $"account:{accountId}"), basis, null);

            if (action.OrderKey is { } key && state is not null && state.Latest.TryGetValue(key, out var mark)
                && (mark.Created, mark.Rank).CompareTo((e.CreatedUnix, action.Rank)) > 0)
                return await WriteAlone(basis.Record(StripeEventStatus.Ignored,
                    $"Older than {mark.EventId}, already applied for '{key}': the newest Stripe state wins (ADR 0010).", accountId), basis, null);

            StripeEventRecord? written = null;
            var request = new WriteRequest(accountId, action.Command!, new EventContext(Actor, e.Id, e.Id, null),
                AlsoWrite: (session, outcome, events) =>
                {
                    written = Settle(basis, target, state, session, outcome, events);
                    return FollowUps(written, action);
                });
            try
            {
                await pipeline.Submit(request);
                return new StripeDelivery(written!, Duplicate: false);
            }
            catch (Exception ex) when (IsUniqueViolation(ex))
            {
                // Another delivery (or replay) of this event won, or another event of this account moved its state first.
                var now = await Load(e.Id);
                if (basis.Previous is null && now is not null) return new StripeDelivery(now, Duplicate: true);
                if (basis.Previous is not null && now is not null && now.Attempts != basis.Previous.Attempts)
                    return new StripeDelivery(now, Duplicate: true);
                if (race >= MaxStateRaces) throw;
            }
            catch (Exception ex) when (!IsTransient(ex))
            {
                log.LogError(ex, "Applying Stripe event {EventId} ({Type}) to {Account} failed", e.Id, e.Type, accountId);
                return await WriteAlone(basis.Record(StripeEventStatus.Failed, $"Applying it failed: {ex.Message}", accountId), basis, null);
            }
        }
    }

    /// <summary>Runs inside the account's transaction: the record, and on success the milestone, customer link and state mark.</summary>
    private StripeEventRecord Settle(Attempt basis, Target target, StripeAccountState? state, IDocumentSession session, Outcome outcome, IReadOnlyList<IEvent> events)
    {
        var (e, action) = (basis.Event, basis.Action);
        var accountId = target.AccountId!;
        string status, detail;
        string? waitingFor = null;
        switch (outcome.Decision)
        {
            case Decision.Accepted:
                status = StripeEventStatus.Processed;
                detail = Describe(outcome, events);
                break;
            case Decision.Replayed:
                status = StripeEventStatus.Duplicate;
                detail = "The ledger already reflected this event; nothing new was written.";
                break;
            case Decision.Rejected { Rejection: var r } when r.Code == RejectionCodes.GrantNotFound && action.PaymentKey is { } key:
                status = StripeEventStatus.Parked;
                waitingFor = $"payment:{key}";
                detail = $"The purchase '{key}' has not been seen yet; this event is applied when it arrives.";
                break;
            case Decision.Rejected { Rejection: var r } when r.Code == RejectionCodes.AccountNotFound:
                status = StripeEventStatus.Parked;
                waitingFor = $"account:{accountId}";
                detail = $"Account '{accountId}' does not exist (yet); replay the event once it does.";
                break;
            case Decision.Rejected { Rejection: var r } when r.Code == RejectionCodes.AccountStateConflict:
                status = StripeEventStatus.Ignored;
                detail = $"Nothing to change: {r.Detail}";
                break;
            case Decision.Rejected { Rejection: var r }:
                status = StripeEventStatus.Failed;
                detail = $"{r.Code}: {r.Detail}";
                break;
            default:
                throw new InvalidOperationException($"unexpected decision {outcome.Decision}");
        }

        var record = basis.Record(status, detail, accountId, waitingFor);
        if (outcome.Decision is Decision.Accepted)
        {
            var first = outcome.Account!.Version - events.Count + 1;
            record.LedgerEvents = events.Select((x, i) => new ProducedEvent(x.Id, first + i, EventTypeName(x))).ToList();
        }
        Write(session, record, basis);

        if (status is not (StripeEventStatus.Processed or StripeEventStatus.Duplicate)) return record;
        var now = basis.Now;
        if (action.Provides is { } milestone)
            session.Store(new StripeMilestone(milestone, accountId, action.PaymentKey is { } pk ? StripeEventMapper.GrantIdFor(pk) : null, e.Id, now));
        if (target.LinkCustomer is { } customer) session.Store(new StripeCustomerLink(customer, accountId, e.Id, now));
        if (action.OrderKey is { } orderKey)
        {
            var next = new StripeAccountState { Id = accountId, Revision = (state?.Revision ?? 0) + 1, Latest = new(state?.Latest ?? []) };
            next.Latest[orderKey] = new StripeStateMark(e.CreatedUnix, action.Rank, e.Id);
            session.Insert(new StripeEventClaim($"state:{accountId}#{next.Revision}", now));
            session.Store(next);
        }
        return record;
    }

    private static string Describe(Outcome outcome, IReadOnlyList<IEvent> events)
    {
        var voids = events.Select(x => x.Data).OfType<GrantVoided>().ToList();
        if (voids.Count > 0 && outcome.Account!.Blocks.TryGetValue(voids[0].GrantId, out var block))
        {
            var (spent, held, _) = PurchaseUse.Of(block);
            var voided = voids.Sum(v => v.Amount);
            return $"Voided {voided} of the {block.Amount} purchased credits of '{block.GrantId}'; {spent} had already been spent"
                + (held > 0 ? $", {held} are held and will be voided when released." : ".");
        }
        if (events.Select(x => x.Data).OfType<PurchasePartlyRefunded>().FirstOrDefault() is { } partly)
            return $"Refunded {partly.RefundedMinor} of {partly.ChargedMinor} so far: voided {partly.Voided} credits of '{partly.GrantId}' now"
                + (partly.Held > 0 ? $"; {partly.Held} are held and will be taken back when released" : "")
                + (partly.NotRecovered > 0 ? $"; {partly.NotRecovered} were already spent and stay spent (taken back if refunded to the block)" : "")
                + ".";
        if (events.Select(x => x.Data).OfType<CreditsGranted>().FirstOrDefault(g => g.Source == GrantSource.Purchase) is { } granted)
            return $"Granted {granted.Amount} credits as '{granted.GrantId}'.";
        return $"{events.Count} ledger event(s): {string.Join(", ", events.Select(EventTypeName).Distinct())}.";
    }

    private static string EventTypeName(IEvent e) =>
        string.IsNullOrEmpty(e.EventTypeName) ? SnakeCase().Replace(e.Data.GetType().Name, "$1_$2").ToLowerInvariant() : e.EventTypeName;

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex SnakeCase();

    /// <summary>Writes a record with no ledger effect (ignored, parked, failed), with its customer link if it brings one.</summary>
    private async Task<StripeDelivery> WriteAlone(StripeEventRecord record, Attempt basis, Target? link)
    {
        await using var session = store.LightweightSession();
        Write(session, record, basis);
        if (link?.LinkCustomer is { } customer && link.AccountId is { } accountId)
            session.Store(new StripeCustomerLink(customer, accountId, record.Id, basis.Now));
        await using var scope = scopes.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
        outbox.Enroll(session);
        foreach (var message in FollowUps(record, basis.Action))
            if (message is Later later) await outbox.ScheduleAsync(later.Message, later.At);
            else await outbox.PublishAsync(message);
        try
        {
            await session.SaveChangesAsync();
            return new StripeDelivery(record, Duplicate: false);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            // Another delivery or replay of this event was recorded first.
            return new StripeDelivery(await Load(record.Id) ?? throw new InvalidOperationException("the winning record vanished", ex), Duplicate: true);
        }
    }

    /// <summary>
    /// What a recorded event sends through the outbox with its record: a purchase applied replays the events parked
    /// for it; an event parked for a purchase checks again a little later (the purchase may have committed meanwhile,
    /// on another node), instead of a polling sweep.
    /// </summary>
    private IEnumerable<object> FollowUps(StripeEventRecord record, StripeAction action)
    {
        if (action.Provides is { } milestone && record.Status is StripeEventStatus.Processed or StripeEventStatus.Duplicate)
            yield return new ReplayParkedStripeEvents(milestone);
        // operator webhooks: a refund of a purchase applied, an event parked (once, at its first delivery)
        if (record is { Status: StripeEventStatus.Processed, Type: "charge.refunded" })
            yield return Hook(record, "purchase.refunded", new { eventId = record.Id, paymentKey = record.PaymentKey, money = record.Money, detail = record.Detail });
        if (record is { Status: StripeEventStatus.Parked, Attempts: 1 })
            yield return Hook(record, "stripe.event_parked", new { eventId = record.Id, eventType = record.Type, waitingFor = record.WaitingFor, detail = record.Detail });
        // bounded: an event that keeps parking after its purchase arrived is left for an admin (it is listed as parked)
        if (record is { Status: StripeEventStatus.Parked, WaitingFor: { } waiting, Attempts: <= 5 } && waiting.StartsWith("payment:", StringComparison.Ordinal))
            yield return new Later(new ReplayParkedStripeEvents(waiting), clock.GetUtcNow() + options.ParkedRecheckDelay);
    }

    private Webhooks.DeliverOperatorWebhook Hook(StripeEventRecord record, string type, object data) =>
        new(Webhooks.OperatorWebhooks.DeliveryId(record.ReceivedAt, $"stripe_{record.Id}_{type}"), type, record.AccountId, record.ReceivedAt,
            System.Text.Json.JsonSerializer.SerializeToElement(data, json.Options));

    /// <summary>First delivery: insert the record (a second insert fails). Replay: insert this attempt's claim, then update the record.</summary>
    private static void Write(IDocumentSession session, StripeEventRecord record, Attempt basis)
    {
        if (basis.Previous is null)
        {
            session.Insert(record);
            return;
        }
        session.Insert(new StripeEventClaim($"{record.Id}#{basis.Previous.Attempts}", basis.Now));
        // Field by field, so deliveries counted meanwhile (patched by concurrent repeats) are not overwritten.
        var patch = session.Patch<StripeEventRecord>(record.Id);
        patch.Set(x => x.Status, record.Status);
        patch.Set(x => x.Detail, record.Detail);
        patch.Set(x => x.AccountId, record.AccountId);
        patch.Set(x => x.WaitingFor, record.WaitingFor);
        patch.Set(x => x.AppliedAt, record.AppliedAt);
        patch.Set(x => x.Attempts, record.Attempts);
        patch.Set(x => x.LedgerEvents, record.LedgerEvents);
        patch.Append(x => x.History, record.History[^1]);
    }

    private sealed record Target(string? AccountId, string? WaitingFor, string? Detail, string? LinkCustomer);

    /// <summary>What deciding an event needs to read, fetched in one round trip.</summary>
    public sealed record Known(
        StripeEventRecord? Record, StripeMilestone? Purchase, StripeCustomerLink? Link, string? CustomerAccount,
        Account? Named, StripeAccountState? NamedState);

    private async Task<Known> Prefetch(string? eventId, StripeAction action)
    {
        await using var session = store.QuerySession();
        var batch = session.CreateBatchQuery();
        var record = eventId is null ? null : batch.Load<StripeEventRecord>(eventId);
        var purchase = action.PaymentFirst && action.PaymentKey is { } key ? batch.Load<StripeMilestone>($"payment:{key}") : null;
        var link = action.CustomerId is { } customer ? batch.Load<StripeCustomerLink>(customer) : null;
        var byCustomer = action.CustomerId is { } c
            ? batch.Query<Account>().Where(a => a.StripeCustomerId == c).Select(a => a.Id).ToList()
            : null;
        var named = action.AccountId is { } id && Rules.IsValidId(id) ? batch.Load<Account>(id) : null;
        var namedState = action.AccountId is { } sid && Rules.IsValidId(sid) ? batch.Load<StripeAccountState>(sid) : null;
        await batch.Execute();
        var linked = link is null ? null : await link;
        return new Known(
            record is null ? null : await record,
            purchase is null ? null : await purchase,
            linked,
            linked?.AccountId ?? (byCustomer is null ? null : (await byCustomer).FirstOrDefault()),
            named is null ? null : await named,
            namedState is null ? null : await namedState);
    }

    /// <summary>The account an event is for: its purchase's account (refunds, disputes), its metadata, or its Stripe customer's.</summary>
    private static Target Resolve(StripeAction action, Known known)
    {
        if (action.PaymentFirst && known.Purchase is { } purchase) return new Target(purchase.AccountId, null, null, null);

        if (action.AccountId is { } named)
        {
            if (!Rules.IsValidId(named))
                return new Target(null, null, $"'{StripeEventMapper.AccountKey}' is not a valid account id.", null);
            var linkCustomer = action.CustomerId is not null && known.CustomerAccount is null ? action.CustomerId : null;
            return new Target(named, null, null, linkCustomer);
        }
        if (known.CustomerAccount is { } customerAccount) return new Target(customerAccount, null, null, null);

        if (action.PaymentFirst && action.PaymentKey is { } waitKey)
            return new Target(null, $"payment:{waitKey}",
                $"No account yet for payment '{waitKey}': this event is applied when its purchase arrives.", null);
        if (action.CustomerId is { } unknown)
            return new Target(null, $"customer:{unknown}",
                $"No account is linked to Stripe customer '{unknown}'; open the account with stripeCustomerId (or send '{StripeEventMapper.AccountKey}' metadata) and replay.", null);
        return new Target(null, null,
            $"The event names no '{StripeEventMapper.AccountKey}', Stripe customer or known payment; replay after fixing.", null);
    }

    /// <summary>An ignored event that names an existing account and a new customer still links them (e.g. a subscription checkout).</summary>
    private static Target? ResolveForLink(StripeAction action, Known known) =>
        action.CustomerId is { } customer && known.Named is { } account && known.CustomerAccount is null && account.StripeCustomerId != customer
            ? new Target(account.Id, null, null, customer)
            : null;


    private static bool IsUniqueViolation(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is JasperFx.DocumentAlreadyExistsException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
                return true;
        return false;
    }

    /// <summary>The database or network failed: nothing was recorded, and Stripe should deliver again.</summary>
    public static bool IsTransient(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is NpgsqlException or TimeoutException or SocketException) return true;
        return false;
    }

    /// <summary>What one application attempt starts from.</summary>
    private sealed record Attempt(StripeEventView Event, string Payload, StripeEventRecord? Previous, string By, StripeAction Action, DateTimeOffset Now)
    {
        public StripeEventRecord Record(string status, string? detail, string? accountId, string? waitingFor = null)
        {
            var applied = status is StripeEventStatus.Processed or StripeEventStatus.Duplicate;
            return new StripeEventRecord
            {
                Id = Event.Id,
                Type = Event.Type,
                Status = status,
                Detail = detail,
                AccountId = accountId,
                WaitingFor = status == StripeEventStatus.Parked ? waitingFor : null,
                ObjectId = Event.ObjectId,
                PaymentKey = Action.PaymentKey,
                Money = Action.Money,
                StripeCreatedAt = Event.Created,
                ApiVersion = Event.ApiVersion,
                Livemode = Event.Livemode,
                ReceivedAt = Previous?.ReceivedAt ?? Now,
                LastDeliveredAt = Previous?.LastDeliveredAt ?? Now,
                AppliedAt = applied ? Now : null,
                Deliveries = Previous?.Deliveries ?? 1,
                Attempts = (Previous?.Attempts ?? 0) + 1,
                History = [.. Previous?.History ?? [], new StripeEventAttempt(Now, status, detail, By)],
                Payload = Payload,
            };
        }
    }
}

/// <summary>
/// Parked events waiting for a milestone, oldest Stripe event first. Compiled once (every purchase asks, and LINQ
/// parsing per call showed in profiles of the webhook).
/// </summary>
public sealed class ParkedWaitingFor : ICompiledListQuery<StripeEventRecord>
{
    public string Milestone { get; set; } = "";

    public System.Linq.Expressions.Expression<Func<IMartenQueryable<StripeEventRecord>, IEnumerable<StripeEventRecord>>> QueryIs() =>
        q => q.Where(r => r.WaitingFor == Milestone && r.Status == StripeEventStatus.Parked)
            .OrderBy(r => r.StripeCreatedAt).ThenBy(r => r.ReceivedAt).Take(1000);
}
