using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Ledger.Projections.ReadModel;
using Marten;

namespace Ledger.Api.Statements;

/// <summary>What each event says about credits: the statement row it makes.</summary>
public static class Movements
{
    /// <summary>
    /// The row of a movement, without its balance; null for an event that moves no credits (an extension, a plan or
    /// status change). <paramref name="before"/> is the state the event applied to.
    /// </summary>
    public static StatementRow? RowOf(object e, Account? before, FeatureIndex features, string type, long? version, DateTimeOffset at)
    {
        StatementRow Row(long amount, string? grantId = null, long? released = null, string? reservationId = null,
            string? usageId = null, string? refundId = null, string? feature = null, IReadOnlyList<Draw>? draws = null,
            string? reason = null, string? source = null, CostBasis? costBasis = null, string? reference = null) =>
            new(type, version, at, amount, released, grantId, source, reservationId, usageId, refundId, feature, draws,
                costBasis, reference, reason, RunningBalance.Zero);

        return e switch
        {
            CreditsGranted x => Row(x.Amount, x.GrantId, source: SourceName(x.Source), costBasis: x.CostBasis,
                reference: x.Reference, reason: x.Reason),
            GrantVoided x => Row(x.Amount, x.GrantId, reason: x.Reason),
            PurchasePartlyRefunded x => Row(x.Voided, x.GrantId, reason: x.Reason),
            GrantExpired x => Row(x.Amount, x.GrantId),
            OverageRepaid x => Row(x.Amount, x.GrantId),
            OverageRepaymentReturned x => Row(x.Amount, x.GrantId),
            RefundedCreditsReclaimed x => Row(x.Amount, x.GrantId, reason: "taken back for a partial refund of the purchase"),
            OverageSettled x => Row(x.Amount, CreditBlock.OverageId, reason: x.Settlement == Domain.Plans.OverageSettlement.Invoiced
                ? "invoiced" : "written off"),
            CreditsReserved x => Row(x.Amount, reservationId: x.ReservationId, feature: x.Feature, draws: x.Draws),
            ReservationCommitted x => Row(x.Amount, released: x.Released.Total(), reservationId: x.ReservationId,
                feature: features.OfReservation(x.ReservationId), draws: x.Consumed, reference: x.ReceiptId),
            ReservationReleased x => Row(x.Released.Total(), reservationId: x.ReservationId,
                feature: features.OfReservation(x.ReservationId), draws: x.Released, reason: x.Reason),
            ReservationExpired x => Row(x.Released.Total(), reservationId: x.ReservationId,
                feature: features.OfReservation(x.ReservationId), draws: x.Released),
            UsageRecorded x => Row(x.Amount, usageId: x.UsageId, feature: x.Feature, draws: x.Draws),
            CreditsRefunded x => Row(x.Amount, refundId: x.RefundId, feature: features.Of(x), draws: x.Draws, reason: x.Reason,
                reservationId: x.SourceKind == RefundSourceKind.Reservation ? x.SourceId : null,
                usageId: x.SourceKind == RefundSourceKind.Usage ? x.SourceId : null),
            GrantFrozen x => Row(Unheld(before, x.GrantId), x.GrantId, reason: x.Reason),
            GrantUnfrozen x => Row(Unheld(before, x.GrantId), x.GrantId, reason: x.Reason),
            _ => null,
        };
    }

    /// <summary>The row of a grant that began to count at its <c>effectiveAt</c>.</summary>
    public static StatementRow TookEffect(CreditBlock block) => new(
        "grant_took_effect", null, block.EffectiveAt!.Value, block.Amount, null, block.GrantId, SourceName(block.Source),
        null, null, null, null, null, block.CostBasis, block.Reference, block.Reason, RunningBalance.Zero);

    private static string SourceName(GrantSource source) => source.ToString().ToLowerInvariant();

    private static long Unheld(Account? state, string grantId) =>
        state is not null && state.Blocks.TryGetValue(grantId, out var block) ? Math.Max(0, block.Unheld) : 0;
}

/// <summary>
/// The feature each reservation and usage named, learnt from the stream as it is replayed; a stretch that starts from a
/// snapshot learns the features of what came before it from the snapshot's open holds and the records (<see cref="For"/>).
/// </summary>
public sealed class FeatureIndex
{
    private readonly Dictionary<string, string?> _reservations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _usages = new(StringComparer.Ordinal);

    /// <summary>An index that knows the features of the reservations and usages a stretch of history refers to from before its start.</summary>
    public static async Task<FeatureIndex> For(IQuerySession session, string accountId, History history, CancellationToken ct)
    {
        var index = new FeatureIndex();
        if (history.Start is null) return index;
        foreach (var hold in history.Start.State.Holds.Values) index._reservations[hold.ReservationId] = hold.Feature;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reservations = new HashSet<string>(StringComparer.Ordinal);
        var usages = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in history.Events.Select(x => x.Data))
            switch (e)
            {
                case CreditsReserved r: seen.Add(r.ReservationId); break;
                case UsageRecorded u: seen.Add(u.UsageId); break;
                case ReservationCommitted c when !seen.Contains(c.ReservationId) && !index._reservations.ContainsKey(c.ReservationId):
                    reservations.Add(c.ReservationId); break;
                case CreditsRefunded { SourceKind: RefundSourceKind.Reservation } f when !seen.Contains(f.SourceId) && !index._reservations.ContainsKey(f.SourceId):
                    reservations.Add(f.SourceId); break;
                case CreditsRefunded { SourceKind: RefundSourceKind.Usage } f when !seen.Contains(f.SourceId): usages.Add(f.SourceId); break;
            }
        if (reservations.Count > 0)
            foreach (var r in await session.LoadManyAsync<ReservationRecord>(ct, reservations.Select(id => RecordKeys.For(accountId, id)).ToArray()))
                index._reservations[r.ReservationId] = r.Feature;
        if (usages.Count > 0)
            foreach (var u in await session.LoadManyAsync<UsageRecord>(ct, usages.Select(id => RecordKeys.For(accountId, id)).ToArray()))
                index._usages[u.UsageId] = u.Feature;
        return index;
    }

    public void Observe(object e)
    {
        if (e is CreditsReserved r) _reservations[r.ReservationId] = r.Feature;
        else if (e is UsageRecorded u) _usages[u.UsageId] = u.Feature;
    }

    public string? OfReservation(string reservationId) => _reservations.GetValueOrDefault(reservationId);

    /// <summary>The feature of the commit or usage a refund gives back; null if it named none (or is not in the stream).</summary>
    public string? Of(CreditsRefunded refund) => refund.SourceKind == RefundSourceKind.Reservation
        ? _reservations.GetValueOrDefault(refund.SourceId)
        : _usages.GetValueOrDefault(refund.SourceId);
}
