using System.Globalization;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Stripe;

public sealed record MoneySide(int Purchases, long PurchasedMinor, int Refunds, long RefundedMinor, long NetMinor, long Credits);

public sealed record CurrencyTotals(string Currency, MoneySide Stripe, MoneySide Ledger, long DifferenceMinor, decimal DifferencePercent, bool WithinOnePercent);

public sealed record AccountReconciliation(string AccountId, IReadOnlyList<CurrencyTotals> Totals, int Mismatches);

/// <summary>
/// One disagreement: <c>missing-grant</c> (Stripe took the money, no ledger credits), <c>grant-without-stripe-purchase</c>,
/// <c>amount-differs</c>, <c>credits-differ</c>, <c>refund-not-voided</c> (Stripe refunded all of it, the grant is not void),
/// <c>refund-differs</c> (Stripe refunded part of it; the ledger recorded another total), <c>void-without-stripe-refund</c>,
/// <c>purchase-without-stripe</c> (a purchase grant not made from Stripe), <c>unbilled-overage</c> (one per
/// <see cref="UnbilledOverage"/>).
/// </summary>
public sealed record ReconciliationMismatch(
    string Kind, string? AccountId, string? PaymentKey, string? GrantId, IReadOnlyList<string> StripeEventIds, string Detail);

/// <summary>
/// Overage a period settled as invoiced (ADR 11) that no Stripe invoice carries: <c>reason</c> is <c>no-customer</c> (the
/// account has no Stripe customer to bill it to) or <c>failed</c> (Stripe refused the meter event or could not be reached;
/// it is retried until sent or moved to the error queue, <c>lastError</c> says why). <c>identifier</c> is the meter event's.
/// </summary>
public sealed record UnbilledOverage(
    string AccountId, string Identifier, long Credits, string Reason, DateTimeOffset OccurredAt, int Attempts, string? LastError);

public sealed record ReconciliationReport(
    DateTimeOffset From, DateTimeOffset To, IReadOnlyList<CurrencyTotals> Totals, IReadOnlyList<AccountReconciliation> Accounts,
    IReadOnlyList<ReconciliationMismatch> Mismatches, IReadOnlyList<UnbilledOverage> Unbilled);

/// <summary>
/// Purchases and refunds as Stripe reported them (the Stripe event records) against the purchase grants and voids in
/// the ledger (the account streams). Totals count what happened in [from, to); each purchase of the period is
/// compared with its counterpart wherever in time it is, so a boundary never shows as a mismatch.
/// </summary>
public static class ReconciliationEndpoint
{
    private sealed record LedgerPurchase(CreditsGranted Grant, long Voided, List<GrantVoided> Voids, List<PurchasePartlyRefunded> PartRefunds)
    {
        public bool IsVoid => Voids.Count > 0;

        /// <summary>The money the ledger has taken back: all of it once void, else the latest partial total.</summary>
        public long RefundedMinor => IsVoid ? Grant.CostBasis?.AmountMinor ?? 0 : PartRefunds.Select(p => p.RefundedMinor).DefaultIfEmpty(0).Max();

        public DateTimeOffset? FirstTakenBackAt =>
            Voids.Select(v => v.VoidedAt).Concat(PartRefunds.Select(p => p.RefundedAt)).Select(t => (DateTimeOffset?)t).Min();
    }

    [WolverineGet("/v1/admin/reconciliation")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Stripe")]
    [EndpointSummary("Stripe purchases and refunds against ledger purchase grants and voids, per account and in total, with mismatches and unbilled overage")]
    [EndpointDescription("For a period (`from`, `to`; default the last 30 days): what Stripe says was bought and refunded against the purchase grants and voids in the ledger, per currency and per account, listing every mismatch (a payment without its grant, a grant without its payment, amounts that differ) and overage not yet billed.")]
    [ProducesResponseType<ReconciliationReport>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> Get(string? from, string? to, IQuerySession session, TimeProvider clock, HttpContext http)
    {
        var errors = new Dictionary<string, string[]>();
        var end = Rules.Instant(to, "to", errors) ?? clock.GetUtcNow().AddMilliseconds(1); // by default up to and including now (PostgreSQL keeps microseconds)
        var start = Rules.Instant(from, "from", errors) ?? end.AddDays(-30);
        if (errors.Count == 0 && start >= end) errors["from"] = ["Must be earlier than 'to'."];
        if (errors.Count > 0) return Problems.Validation(errors);
        var ct = http.RequestAborted;

        // Stripe's side in the period, and the ledger's. PostgreSQL compares instants rounded to microseconds, so each query
        // asks for a little more and the period is applied here, to the tick (an instant just before the end stays in it).
        var (low, high) = (start - Slack, end + Slack);
        bool InPeriod(DateTimeOffset at) => at >= start && at < end;
        var stripeInPeriod = (await session.Query<StripeEventRecord>()
            .Where(r => r.Money != null && r.StripeCreatedAt >= low && r.StripeCreatedAt < high).ToListAsync(ct)).Where(r => InPeriod(r.StripeCreatedAt)).ToList();
        // (the source is filtered here: event enums are stored with their C# names, which LINQ does not match)
        var grantsInPeriod = (await session.Events.QueryRawEventDataOnly<CreditsGranted>()
            .Where(g => g.GrantedAt >= low && g.GrantedAt < high).ToListAsync(ct)).Where(g => g.Source == GrantSource.Purchase && InPeriod(g.GrantedAt)).ToList();
        var voidsInPeriod = (await session.Events.QueryRawEventDataOnly<GrantVoided>()
            .Where(v => v.VoidedAt >= low && v.VoidedAt < high && v.GrantId.StartsWith("stripe:")).ToListAsync(ct)).Where(v => InPeriod(v.VoidedAt)).ToList();
        var partRefundsInPeriod = (await session.Events.QueryRawEventDataOnly<PurchasePartlyRefunded>()
            .Where(p => p.RefundedAt >= low && p.RefundedAt < high && p.GrantId.StartsWith("stripe:")).ToListAsync(ct)).Where(p => InPeriod(p.RefundedAt)).ToList();

        // Their counterparts, wherever they are in time.
        var keys = stripeInPeriod.Select(r => r.Money!.PaymentKey)
            .Concat(grantsInPeriod.Where(g => g.GrantId.StartsWith("stripe:", StringComparison.Ordinal)).Select(g => g.GrantId["stripe:".Length..]))
            .Concat(voidsInPeriod.Select(v => v.GrantId["stripe:".Length..]))
            .Concat(partRefundsInPeriod.Select(p => p.GrantId["stripe:".Length..]))
            .Where(k => k.Length > 0).Distinct().ToArray();
        var grantIds = keys.Select(StripeEventMapper.GrantIdFor).ToArray();
        var stripeRecords = keys.Length == 0 ? [] : (await session.Query<StripeEventRecord>()
            .Where(r => r.Money != null && r.PaymentKey.IsOneOf(keys)).ToListAsync(ct)).ToList();
        var grants = grantIds.Length == 0 ? [] : (await session.Events.QueryRawEventDataOnly<CreditsGranted>()
            .Where(g => g.GrantId.IsOneOf(grantIds)).ToListAsync(ct)).ToList();
        var voids = grantIds.Length == 0 ? [] : (await session.Events.QueryRawEventDataOnly<GrantVoided>()
            .Where(v => v.GrantId.IsOneOf(grantIds)).ToListAsync(ct)).ToList();
        var partRefunds = grantIds.Length == 0 ? [] : (await session.Events.QueryRawEventDataOnly<PurchasePartlyRefunded>()
            .Where(p => p.GrantId.IsOneOf(grantIds)).ToListAsync(ct)).ToList();

        var ledger = grants.GroupBy(g => g.GrantId).Select(g => g.First())
            .ToDictionary(g => g.GrantId["stripe:".Length..], g =>
            {
                var mine = voids.Where(v => v.AccountId == g.AccountId && v.GrantId == g.GrantId).ToList();
                var parts = partRefunds.Where(p => p.AccountId == g.AccountId && p.GrantId == g.GrantId).ToList();
                return new LedgerPurchase(g, mine.Sum(v => v.Amount) + parts.Sum(p => p.Voided), mine, parts);
            });
        var mismatches = new List<ReconciliationMismatch>();
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            var records = stripeRecords.Where(r => r.PaymentKey == key).OrderBy(r => r.StripeCreatedAt).ToList();
            var purchase = records.FirstOrDefault(r => r.Money!.Kind == "purchase"
                && r.Status is StripeEventStatus.Processed or StripeEventStatus.Duplicate) ?? records.FirstOrDefault(r => r.Money!.Kind == "purchase");
            ledger.TryGetValue(key, out var granted);
            var ids = records.Select(r => r.Id).ToList();
            var accountId = granted?.Grant.AccountId ?? records.Select(r => r.AccountId).FirstOrDefault(a => a is not null);
            var grantId = StripeEventMapper.GrantIdFor(key);

            if (purchase is not null && granted is null)
                mismatches.Add(new("missing-grant", accountId, key, null, ids,
                    $"Stripe reported a paid purchase ({Money(purchase.Money!)}) with no ledger grant; its event is {purchase.Status}."));
            if (purchase is null && granted is not null)
                mismatches.Add(new("grant-without-stripe-purchase", accountId, key, grantId, ids,
                    $"The ledger granted {granted.Grant.Amount} credits for '{key}' but no Stripe purchase event was recorded."));
            if (purchase is not null && granted is not null)
            {
                var basis = granted.Grant.CostBasis;
                if (basis is null || basis.AmountMinor != purchase.Money!.AmountMinor || !SameCurrency(basis.Currency, purchase.Money.Currency))
                    mismatches.Add(new("amount-differs", accountId, key, grantId, ids,
                        $"Stripe {Money(purchase.Money!)}, ledger cost basis {(basis is null ? "none" : $"{basis.AmountMinor} {basis.Currency}")}."));
                if (purchase.Money!.Credits is { } credits && credits != granted.Grant.Amount)
                    mismatches.Add(new("credits-differ", accountId, key, grantId, ids,
                        $"The pack gives {credits} credits; the ledger granted {granted.Grant.Amount}."));
            }
            var takeBacks = records.Where(r => r.Money!.Kind is "refund" or "dispute-lost" && r.Status != StripeEventStatus.Ignored).ToList();
            var charged = purchase?.Money!.AmountMinor ?? granted?.Grant.CostBasis?.AmountMinor ?? 0;
            var stripeRefunded = takeBacks.Where(r => r.Money!.Kind == "refund").Select(r => r.Money!.AmountMinor).DefaultIfEmpty(0).Max();
            var stripeTookAll = takeBacks.Any(r => r.Money!.Kind == "dispute-lost") || charged > 0 && stripeRefunded >= charged;
            if (granted is not null && takeBacks.Count > 0)
            {
                var what = string.Join(", ", takeBacks.Select(r => $"{r.Type} {Money(r.Money!)} {r.Status}"));
                if (stripeTookAll && !granted.IsVoid)
                    mismatches.Add(new("refund-not-voided", accountId, key, grantId, ids,
                        $"Stripe took all the money back ({what}) but the grant is not void."));
                else if (!stripeTookAll && !granted.IsVoid && granted.RefundedMinor != stripeRefunded)
                    mismatches.Add(new("refund-differs", accountId, key, grantId, ids,
                        $"Stripe refunded {stripeRefunded} of {charged} ({what}); the ledger recorded {granted.RefundedMinor}."));
            }
            if (granted is { RefundedMinor: > 0 } && takeBacks.Count == 0)
                mismatches.Add(new("void-without-stripe-refund", accountId, key, grantId, ids,
                    $"The ledger voided {granted.Voided} credits of '{grantId}' with no Stripe refund or lost dispute recorded."));
        }
        foreach (var g in grantsInPeriod.Where(g => !g.GrantId.StartsWith("stripe:", StringComparison.Ordinal)))
            mismatches.Add(new("purchase-without-stripe", g.AccountId, null, g.GrantId, [],
                $"A purchase grant of {g.Amount} credits not made from a Stripe payment (cost basis {g.CostBasis?.AmountMinor.ToString(CultureInfo.InvariantCulture) ?? "none"} {g.CostBasis?.Currency})."));

        var unbilled = await Unbilled(session, start, end, ct);
        mismatches.AddRange(unbilled.Select(u => new ReconciliationMismatch("unbilled-overage", u.AccountId, null, null, [],
            $"{u.Credits} overage credits settled as invoiced ({u.Identifier}) are billed nowhere: "
            + (u.Reason == "no-customer" ? "the account has no Stripe customer." : $"Stripe refused the meter event {u.Attempts} time(s): {u.LastError}"))));

        // Totals of the period, per currency, in total and per account. Both sides are dated by Stripe's event when
        // there is one (a purchase parked for a week belongs to the period Stripe took the money in), else by the ledger.
        // Stripe: one purchase per payment (completed and async success name the same one), the largest refund per
        // charge (amount_refunded is cumulative) and each lost dispute.
        var stripeRows = stripeInPeriod
            .GroupBy(r => (r.Money!.Kind, r.Money.PaymentKey))
            .Select(g => g.OrderByDescending(r => r.Money!.AmountMinor).First())
            .Select(r => new Row(r.AccountId ?? ledger.GetValueOrDefault(r.Money!.PaymentKey)?.Grant.AccountId ?? "?", Norm(r.Money!.Currency),
                r.Money.Kind == "purchase", r.Money.AmountMinor, r.Money.Kind == "purchase" ? r.Money.Credits ?? 0 : 0))
            .ToList();
        // Ledger: purchase grants at their cost basis; a voided Stripe purchase gives its cost basis back, a partly
        // refunded one the refunded total it recorded.
        var ledgerRows = new List<Row>();
        foreach (var (key, purchase) in ledger)
        {
            if (purchase.Grant.CostBasis is not { } basis) continue;
            var records = stripeRecords.Where(r => r.PaymentKey == key).ToList();
            var paidAt = records.Where(r => r.Money!.Kind == "purchase").Select(r => (DateTimeOffset?)r.StripeCreatedAt).Min() ?? purchase.Grant.GrantedAt;
            if (InPeriod(paidAt))
                ledgerRows.Add(new Row(purchase.Grant.AccountId, Norm(basis.Currency), true, basis.AmountMinor, purchase.Grant.Amount));
            if (purchase.FirstTakenBackAt is not { } ledgerTookBackAt) continue;
            var takenBackAt = records.Where(r => r.Money!.Kind is "refund" or "dispute-lost" && r.Status != StripeEventStatus.Ignored)
                .Select(r => (DateTimeOffset?)r.StripeCreatedAt).Min() ?? ledgerTookBackAt;
            if (InPeriod(takenBackAt))
                ledgerRows.Add(new Row(purchase.Grant.AccountId, Norm(basis.Currency), false, purchase.RefundedMinor, 0));
        }
        ledgerRows.AddRange(grantsInPeriod.Where(g => !g.GrantId.StartsWith("stripe:", StringComparison.Ordinal) && g.CostBasis is not null)
            .Select(g => new Row(g.AccountId, Norm(g.CostBasis!.Currency), true, g.CostBasis.AmountMinor, g.Amount)));

        var totals = Totals(stripeRows, ledgerRows);
        var accounts = stripeRows.Select(r => r.AccountId).Concat(ledgerRows.Select(r => r.AccountId)).Concat(unbilled.Select(u => u.AccountId))
            .Distinct().Order(StringComparer.Ordinal)
            .Select(a => new AccountReconciliation(a,
                Totals(stripeRows.Where(r => r.AccountId == a).ToList(), ledgerRows.Where(r => r.AccountId == a).ToList()),
                mismatches.Count(m => m.AccountId == a)))
            .ToList();
        return Results.Ok(new ReconciliationReport(start, end, totals, accounts, mismatches, unbilled));
    }

    /// <summary>How much wider than the period the queries ask (PostgreSQL rounds stored instants to microseconds).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(1);

    /// <summary>Meter reports of the period (dated at their invoice instant) that were not sent: no customer, or Stripe failed.</summary>
    private static async Task<List<UnbilledOverage>> Unbilled(IQuerySession session, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var (low, high) = (start - Slack, end + Slack);
        var reports = await session.Query<StripeMeterReport>()
            .Where(r => r.OccurredAt >= low && r.OccurredAt < high && r.Status != "sent" && r.Status != "already-recorded")
            .ToListAsync(ct);
        return reports.Where(r => r.OccurredAt >= start && r.OccurredAt < end && (r.Status == "no-customer" || r.LastError is not null))
            .OrderBy(r => r.OccurredAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(r => new UnbilledOverage(r.AccountId, r.Id, r.Value, r.Status == "no-customer" ? "no-customer" : "failed",
                r.OccurredAt, r.Attempts, r.LastError))
            .ToList();
    }

    private sealed record Row(string AccountId, string Currency, bool IsPurchase, long AmountMinor, long Credits);

    private static List<CurrencyTotals> Totals(List<Row> stripe, List<Row> ledger) =>
        stripe.Select(r => r.Currency).Concat(ledger.Select(r => r.Currency)).Distinct().Order(StringComparer.Ordinal)
            .Select(currency =>
            {
                var s = Side(stripe.Where(r => r.Currency == currency).ToList());
                var l = Side(ledger.Where(r => r.Currency == currency).ToList());
                var difference = s.NetMinor - l.NetMinor;
                var percent = s.NetMinor == 0 ? (difference == 0 ? 0m : 100m) : Math.Round(Math.Abs(difference) * 100m / Math.Abs(s.NetMinor), 4);
                return new CurrencyTotals(currency, s, l, difference, percent, percent <= 1m);
            })
            .ToList();

    private static MoneySide Side(List<Row> rows)
    {
        var purchases = rows.Where(r => r.IsPurchase).ToList();
        var refunds = rows.Where(r => !r.IsPurchase).ToList();
        var purchased = purchases.Sum(r => r.AmountMinor);
        var refunded = refunds.Sum(r => r.AmountMinor);
        return new MoneySide(purchases.Count, purchased, refunds.Count, refunded, purchased - refunded, purchases.Sum(r => r.Credits));
    }

    private static string Norm(string currency) => currency.ToLowerInvariant();

    private static bool SameCurrency(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Money(StripeMoney m) => $"{m.AmountMinor} {m.Currency}";

}
