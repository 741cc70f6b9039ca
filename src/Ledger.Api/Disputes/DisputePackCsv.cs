using Ledger.Api.Http;
using static Ledger.Api.Http.CsvCell;

namespace Ledger.Api.Disputes;

/// <summary>
/// A dispute pack as one CSV table a finance team can attach to a card-network response (<see cref="CsvWriter"/>: RFC 4180,
/// formula injection escaped): one row per entry in stream order (the <c>grant</c> row with the cost basis and reference), one <c>stripe-event</c> row per Stripe
/// event of the payment, then <c>totals</c> and <c>chain</c> rows. Metadata reads <c>key=value</c> pairs by key, separated by <c>;</c>.
/// </summary>
public static class DisputePackCsv
{
    public static readonly string[] Header =
    [
        "row", "version", "at", "type", "credits", "totalAmount", "reservationId", "usageId", "refundId", "feature", "receiptId", "metadata",
        "reason", "refundedMinor", "chargedMinor", "currency", "actor", "correlationId", "causationId", "idempotencyKey", "hash", "reference",
    ];

    public static string Write(DisputePackView pack)
    {
        var csv = new CsvWriter().Header(Header);
        var g = pack.Grant;
        foreach (var e in pack.Entries)
        {
            var grant = e.Kind == "grant"; // the grant's row also carries its cost basis and reference
            csv.Row([e.Kind, Number(e.Version), Instant(e.At), e.Type, Number(e.Credits), Number(e.TotalAmount), e.ReservationId, e.UsageId,
                e.RefundId, e.Feature, e.ReceiptId, Metadata(e.Metadata), e.Reason, Number(e.RefundedMinor),
                Number(grant ? g.CostBasis?.AmountMinor : e.ChargedMinor), grant ? g.CostBasis?.Currency : null,
                e.Actor, e.CorrelationId, e.CausationId, e.IdempotencyKey, e.Hash, grant ? g.Reference ?? g.GrantId : null]);
        }
        foreach (var s in pack.StripeEvents)
            csv.Row(["stripe-event", null, Instant(s.StripeCreatedAt), s.Type, null, null, null, null, null, null, null, null, s.Status,
                null, null, null, null, null, null, null, null, s.Id]);
        var t = pack.Totals;
        csv.Row(["totals", null, null, null, Number(t.Remaining), Number(t.Granted), null, null, null, null, null,
            $"consumed={t.Consumed};returnedByRefunds={t.ReturnedByRefunds};voided={t.Voided};expired={t.Expired};frozen={(t.Frozen ? "true" : "false")}",
            null, null, null, null, null, null, null, null, null, pack.Reference]);
        var c = pack.Chain;
        csv.Row(["chain", Number(c.Version), null, c.Status, null, null, null, null, null, null, null, null,
            c.FirstBreak is { } b ? $"first break at version {b.Version} ({b.Reason}): expected {b.ExpectedHash ?? "-"}, stored {b.StoredHash ?? "-"}" : null,
            null, null, null, null, null, null, null, c.Head, pack.AccountId]);
        return csv.ToString();
    }

    public static string FileName(DisputePackView pack) => $"dispute-{Safe(pack.AccountId)}-{Safe(pack.Reference)}.csv";

    private static string? Metadata(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null ? null : string.Join(';', metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"));

    private static string Safe(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_'));
}
