using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;

namespace Ledger.Domain.Usage;

public sealed record UsageRecord(
    string AccountId, string UsageId, long Amount, IReadOnlyList<Draw> Draws, string? Feature,
    IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset RecordedAt,
    long Refunded = 0, IReadOnlyList<Draw>? RefundedDraws = null)
{
    public string Id => RecordKeys.For(AccountId, UsageId);

    public static UsageRecord? Evolve(UsageRecord? record, object @event) => (record, @event) switch
    {
        (_, UsageRecorded e) => record ?? new UsageRecord(e.AccountId, e.UsageId, e.Amount, e.Draws, e.Feature, e.Metadata, e.RecordedAt),
        ({ } r, CreditsRefunded { SourceKind: RefundSourceKind.Usage } e) => r with
        {
            Refunded = r.Refunded + e.Amount, RefundedDraws = (r.RefundedDraws ?? []).Concat(e.Draws).Merge(),
        },
        _ => record,
    };
}
