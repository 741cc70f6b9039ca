using JasperFx.Events;
using Ledger.Api.Integrity;
using Ledger.Api.Stripe;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Api.Disputes;

/// <summary>The purchase a dispute pack is about: its block as granted.</summary>
public sealed record DisputedGrant(
    string GrantId, long Version, DateTimeOffset GrantedAt, long Amount, string Source, CostBasis? CostBasis, string? Reference, string? Reason);

/// <summary>
/// One event that moved credits of the block or changed its standing, in stream order. <c>kind</c>: <c>grant</c>,
/// <c>consumption</c> (a commit or a usage that drew <c>credits</c> from the block; with the request's feature, metadata
/// and receipt), <c>usage-refund</c> (credits a refund returned to the block), <c>purchase-refund</c> (money refunded:
/// <c>refundedMinor</c> of <c>chargedMinor</c>, <c>credits</c> taken back now), <c>refund-reclaim</c>, <c>void</c>,
/// <c>expiry</c>, <c>dispute-opened</c> (the block frozen), <c>dispute-won</c> (unfrozen), <c>overage-repayment</c>,
/// <c>overage-repayment-returned</c>. <c>hash</c> is the event's link in the account's chain (ADR 45).
/// </summary>
public sealed record DisputeEntry(
    long Version, DateTimeOffset At, string Type, string Kind, long Credits, long? TotalAmount, string? ReservationId, string? UsageId,
    string? RefundId, string? Feature, string? ReceiptId, IReadOnlyDictionary<string, string>? Metadata, string? Reason,
    long? RefundedMinor, long? ChargedMinor, string? Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey, string? Hash);

/// <summary>A Stripe event about the same payment, as the ledger recorded it.</summary>
public sealed record DisputeStripeEvent(string Id, string Type, string Status, string? ObjectId, DateTimeOffset StripeCreatedAt, DateTimeOffset? AppliedAt);

/// <summary>What the block's credits became, summed over the entries.</summary>
public sealed record DisputeTotals(long Granted, long Consumed, long ReturnedByRefunds, long Voided, long Expired, long Remaining, bool Frozen);

/// <summary>
/// Everything the ledger knows about one purchase, for a card-network response (ADR 46): the grant, every consumption that
/// drew from its block with the request's metadata, refunds, voids, the dispute's events, the Stripe events of the payment,
/// and the verdict on the account's hash chain (so the pack shows the history it comes from was not edited).
/// </summary>
public sealed record DisputePackView(
    string AccountId, string Reference, string? PaymentKey, DisputedGrant Grant, IReadOnlyList<DisputeEntry> Entries, DisputeTotals Totals,
    IReadOnlyList<DisputeStripeEvent> StripeEvents, ChainVerdict Chain);

public static class DisputePack
{
    /// <summary>The grant a reference names: a grant id, a grant's reference (the payment intent of a Stripe purchase), else null.</summary>
    public static string? GrantNamedBy(Account account, string reference) =>
        account.Blocks.ContainsKey(reference) && !account.Blocks[reference].IsOverage
            ? reference
            : account.Blocks.Values.Where(b => b.Reference == reference && !b.IsOverage).OrderBy(b => b.GrantedAt).Select(b => b.GrantId).FirstOrDefault();

    public static DisputePackView Build(
        string accountId, string reference, string grantId, IReadOnlyList<IEvent> events, IReadOnlyList<StripeEventRecord> stripe,
        ChainVerdict chain, Func<Type, string> typeName)
    {
        var reservations = new Dictionary<string, CreditsReserved>(StringComparer.Ordinal);
        var entries = new List<DisputeEntry>();
        DisputedGrant? grant = null;
        foreach (var e in events)
        {
            if (e.Data is CreditsReserved reserved) reservations[reserved.ReservationId] = reserved;
            if (e.Data is CreditsGranted g && g.GrantId == grantId)
                grant = new DisputedGrant(g.GrantId, e.Version, g.GrantedAt, g.Amount, SourceName(g.Source), g.CostBasis, g.Reference, g.Reason);
            if (Entry(e, grantId, reservations, typeName(e.Data.GetType())) is { } entry) entries.Add(entry);
        }
        if (grant is null) throw new InvalidOperationException($"grant {grantId} has no CreditsGranted event on {accountId}");
        long Sum(string kind) => entries.Where(x => x.Kind == kind).Sum(x => x.Credits);
        var consumed = Sum("consumption") + Sum("overage-repayment") - Sum("overage-repayment-returned");
        var returned = Sum("usage-refund");
        var voided = Sum("void") + Sum("purchase-refund") + Sum("refund-reclaim");
        var expired = Sum("expiry");
        var frozen = entries.LastOrDefault(x => x.Kind is "dispute-opened" or "dispute-won")?.Kind == "dispute-opened";
        var paymentKey = grantId.StartsWith(StripeEventMapper.GrantIdFor(""), StringComparison.Ordinal) ? grantId[StripeEventMapper.GrantIdFor("").Length..] : null;
        return new DisputePackView(accountId, reference, paymentKey, grant, entries,
            new DisputeTotals(grant.Amount, consumed - returned, returned, voided, expired, grant.Amount - consumed + returned - voided - expired, frozen),
            // Stripe's `created` has whole seconds: events of one second follow the order of their effects in the stream
            [.. stripe.OrderBy(s => s.StripeCreatedAt).ThenBy(s => s.LedgerEvents.Count == 0 ? long.MaxValue : s.LedgerEvents.Min(p => p.Version))
                .ThenBy(s => s.ReceivedAt).ThenBy(s => s.Id, StringComparer.Ordinal)
                .Select(s => new DisputeStripeEvent(s.Id, s.Type, s.Status, s.ObjectId, s.StripeCreatedAt, s.AppliedAt))],
            chain);
    }

    private static DisputeEntry? Entry(IEvent e, string grantId, Dictionary<string, CreditsReserved> reservations, string type)
    {
        DisputeEntry Make(string kind, long credits, DateTimeOffset at, long? total = null, string? reservation = null, string? usage = null,
            string? refund = null, string? feature = null, string? receipt = null, IReadOnlyDictionary<string, string>? metadata = null,
            string? reason = null, long? refundedMinor = null, long? chargedMinor = null) =>
            new(e.Version, at, type, kind, credits, total, reservation, usage, refund, feature, receipt, metadata, reason, refundedMinor, chargedMinor,
                Header(e, "actor"), e.CorrelationId, e.CausationId, Header(e, "idempotencyKey"), Header(e, EventHash.Header));

        return e.Data switch
        {
            CreditsGranted x when x.GrantId == grantId => Make("grant", x.Amount, x.GrantedAt, reason: x.Reason),
            ReservationCommitted x when On(x.Consumed, grantId) is { } credits => Make("consumption", credits, x.CommittedAt, x.Amount,
                reservation: x.ReservationId, feature: reservations.GetValueOrDefault(x.ReservationId)?.Feature, receipt: x.ReceiptId,
                metadata: Merge(reservations.GetValueOrDefault(x.ReservationId)?.Metadata, x.Metadata)),
            UsageRecorded x when On(x.Draws, grantId) is { } credits => Make("consumption", credits, x.RecordedAt, x.Amount,
                usage: x.UsageId, feature: x.Feature, metadata: x.Metadata),
            CreditsRefunded x when On(x.Draws, grantId) is { } credits => Make("usage-refund", credits, x.RefundedAt, x.Amount,
                reservation: x.SourceKind == RefundSourceKind.Reservation ? x.SourceId : null, usage: x.SourceKind == RefundSourceKind.Usage ? x.SourceId : null,
                refund: x.RefundId, reason: x.Reason),
            PurchasePartlyRefunded x when x.GrantId == grantId => Make("purchase-refund", x.Voided, x.RefundedAt, reason: x.Reason,
                refundedMinor: x.RefundedMinor, chargedMinor: x.ChargedMinor),
            RefundedCreditsReclaimed x when x.GrantId == grantId => Make("refund-reclaim", x.Amount, x.ReclaimedAt),
            GrantVoided x when x.GrantId == grantId => Make("void", x.Amount, x.VoidedAt, reason: x.Reason),
            GrantExpired x when x.GrantId == grantId => Make("expiry", x.Amount, x.ExpiredAt),
            GrantFrozen x when x.GrantId == grantId => Make("dispute-opened", 0, x.FrozenAt, reason: x.Reason),
            GrantUnfrozen x when x.GrantId == grantId => Make("dispute-won", 0, x.UnfrozenAt, reason: x.Reason),
            OverageRepaid x when x.GrantId == grantId => Make("overage-repayment", x.Amount, x.RepaidAt),
            OverageRepaymentReturned x when x.GrantId == grantId => Make("overage-repayment-returned", x.Amount, x.ReturnedAt),
            _ => null,
        };
    }

    private static long? On(IEnumerable<Draw> draws, string grantId) =>
        draws.Where(d => d.GrantId == grantId).Sum(d => d.Amount) is var sum and not 0 ? sum : null;

    private static IReadOnlyDictionary<string, string>? Merge(IReadOnlyDictionary<string, string>? first, IReadOnlyDictionary<string, string>? then)
    {
        if (first is null) return then;
        if (then is null) return first;
        var merged = new Dictionary<string, string>(first, StringComparer.Ordinal);
        foreach (var (key, value) in then) merged[key] = value;
        return merged;
    }

    private static string? Header(IEvent e, string name) => e.Headers is { } h && h.TryGetValue(name, out var v) ? v?.ToString() : null;

    private static string SourceName(GrantSource source) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(source.ToString());
}
