using Ledger.Api.Writes;
using System.Net;
using Ledger.Api.Accounts;
using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;
using Marten;
using Stripe;
using Stripe.Billing;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

using Account = Ledger.Domain.Accounts.Account;

namespace Ledger.Api.Stripe;

/// <summary>
/// A period's billed overage to report to Stripe as one meter event. <see cref="Identifier"/> is
/// <c>ledger:{account}:overage:{period start}</c> (a period is settled once at its end), or with <c>:v{version}</c> of
/// the settling event for overage settled at a plan change, so a retry or a redelivery after a crash is recorded by
/// Stripe once. <see cref="OccurredAt"/> is the second before the settlement, inside the invoice it belongs to.
/// </summary>
public sealed record ReportOverage(string Identifier, string AccountId, long Credits, DateTimeOffset OccurredAt, string? CustomerId);

/// <summary>
/// Overage is billed once per period, for what is still owed at its end (ADR 11): credits bought or granted during
/// the period repay overage first, and what remains is settled by <see cref="OverageSettled"/> (invoiced) instead of
/// being taken from the next allowance. That event sends <see cref="ReportOverage"/> through Wolverine's durable
/// outbox, in the same transaction, so the customer pays each overage credit exactly once.
/// </summary>
public sealed class OverageMeter : IAccountOutboxSource
{
    public IEnumerable<object> MessagesFor(string accountId, Outcome outcome)
    {
        var firstVersion = (outcome.Account?.Version ?? outcome.Events.Count) - outcome.Events.Count + 1;
        for (var i = 0; i < outcome.Events.Count; i++)
        {
            if (outcome.Events[i] is not OverageSettled { Settlement: OverageSettlement.Invoiced } e) continue;
            // A period settles once at its end; a plan change may settle part of it earlier, named by its stream version.
            var atPeriodEnd = e.PeriodEnd == PlanTerms.PeriodEnd(e.PeriodStart);
            var identifier = $"ledger:{accountId}:overage:{e.PeriodStart.UtcDateTime:yyyyMMddTHHmmss}"
                + (atPeriodEnd ? "" : $":v{firstVersion + i}");
            var occurredAt = e.PeriodEnd.AddSeconds(-1) < e.PeriodStart ? e.PeriodStart : e.PeriodEnd.AddSeconds(-1);
            yield return new ReportOverage(identifier, accountId, e.Amount, occurredAt, outcome.Account?.StripeCustomerId);
        }
    }
}

/// <summary>
/// Sends one meter event with Stripe.net (API base from <c>LEDGER_STRIPE_API_BASE</c>). Failures are retried by
/// Wolverine: three quick cooldowns, then durable scheduled retries backing off to an hour, then the error queue.
/// The identifier doubles as Stripe's idempotency key; Stripe answering that the identifier exists counts as sent.
/// </summary>
public static class ReportOverageHandler
{
    public static void Configure(HandlerChain chain)
    {
        chain.OnException<PermanentStripeFailure>().MoveToErrorQueue();
        chain.OnException<Exception>()
            .RetryWithCooldown(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1))
            .Then.ScheduleRetry(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5),
                TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
            .Then.MoveToErrorQueue();
    }

    public static async Task Handle(
        ReportOverage message, Envelope envelope, StripeGateway stripe, StripeOptions options, IDocumentStore store,
        TimeProvider clock, ILogger<ReportOverage> log, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var report = await session.LoadAsync<StripeMeterReport>(message.Identifier, ct) ?? new StripeMeterReport
        {
            Id = message.Identifier, AccountId = message.AccountId, EventName = options.MeterEventName,
            Value = message.Credits, OccurredAt = message.OccurredAt, Status = "pending",
        };
        if (report.Status is "sent" or "already-recorded") return; // redelivered after it was sent
        report.Attempts = Math.Max(report.Attempts, 0) + 1;

        var customer = message.CustomerId
            ?? (await session.LoadAsync<Account>(message.AccountId, ct))?.StripeCustomerId
            ?? (await session.Query<StripeCustomerLink>()
                .Where(l => l.AccountId == message.AccountId).OrderBy(l => l.LinkedAt).Select(l => l.Id).Take(1).ToListAsync(ct)).FirstOrDefault();
        if (customer is null)
        {
            log.LogWarning("Overage {Identifier} of {Account} not billed: the account has no Stripe customer", message.Identifier, message.AccountId);
            report.Status = "no-customer";
            session.Store(report);
            await session.SaveChangesAsync(ct);
            return;
        }
        report.CustomerId = customer;

        try
        {
            await new MeterEventService(stripe.Outbox).CreateAsync(new MeterEventCreateOptions
            {
                EventName = options.MeterEventName,
                Identifier = message.Identifier,
                Timestamp = message.OccurredAt.UtcDateTime,
                Payload = new Dictionary<string, string>
                {
                    ["stripe_customer_id"] = customer,
                    ["value"] = message.Credits.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            }, new RequestOptions { IdempotencyKey = message.Identifier }, ct);
            report.Status = "sent";
        }
        catch (StripeException ex) when (AlreadyRecorded(ex))
        {
            report.Status = "already-recorded";
        }
        catch (Exception ex)
        {
            report.LastError = ex.Message;
            var permanent = ex is StripeException { StripeError: not null } s
                && (int)s.HttpStatusCode is >= 400 and < 500 and not 409 and not 429;
            log.LogWarning(ex, "Overage {Identifier}: Stripe meter event failed (attempt {Attempt})", message.Identifier, envelope.Attempts);
            session.Store(report);
            await session.SaveChangesAsync(CancellationToken.None);
            if (permanent) throw new PermanentStripeFailure(ex);
            throw;
        }
        report.SentAt = clock.GetUtcNow();
        report.LastError = null;
        session.Store(report);
        await session.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>Stripe already holds a meter event with this identifier (its uniqueness window is at least 24 h).</summary>
    private static bool AlreadyRecorded(StripeException ex) =>
        ex.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict
        && (ex.StripeError?.Code is "resource_already_exists" or "duplicate_meter_event"
            || ex.StripeError?.Message?.Contains("identifier", StringComparison.OrdinalIgnoreCase) == true
               && ex.StripeError.Message.Contains("already", StringComparison.OrdinalIgnoreCase));
}

/// <summary>Stripe refused the meter event for good (bad request): retrying cannot help; it goes to the error queue.</summary>
public sealed class PermanentStripeFailure(Exception inner) : Exception(inner.Message, inner);
