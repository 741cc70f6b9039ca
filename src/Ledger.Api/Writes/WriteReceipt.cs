using System.Collections.Immutable;
using System.Text.Json;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;

namespace Ledger.Api.Writes;

/// <summary>
/// A write's outcome as stored with its Idempotency-Key, in the same transaction as its effect: everything an endpoint
/// renders its answer from (the decision, the request's events, the account after it, the records it names, the
/// instant). The answer is always rendered from the stored form, so a replay answers byte for byte what the first
/// request answered, while rendering stays outside the transaction.
/// </summary>
public sealed record WriteReceipt(
    string Kind,
    string? RejectionCode,
    string? RejectionDetail,
    Dictionary<string, JsonElement>? RejectionExtensions,
    List<ReceiptEvent> Events,
    Account? Account,
    List<ReservationRecord> Reservations,
    List<UsageRecord> Usages,
    List<RefundRecord> Refunds,
    Subject Subject,
    DateTimeOffset At)
{
    private static readonly Dictionary<string, Type> EventTypes = AccountEvents.All.ToDictionary(t => t.Name, StringComparer.Ordinal);
    private static readonly Dictionary<string, RejectionCode> Codes = RejectionCodes.All.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static WriteReceipt Of(Written written, JsonSerializerOptions json)
    {
        var (decision, rejection) = written.Decision switch
        {
            Decision.Accepted => ("accepted", null),
            Decision.Replayed => ("replayed", null),
            Decision.Rejected r => ("rejected", r.Rejection),
            _ => throw new InvalidOperationException($"unknown decision {written.Decision}"),
        };
        var outcome = written.Outcome;
        return new WriteReceipt(decision, rejection?.Code.Name, rejection?.Detail,
            rejection?.Extensions?.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value, json)),
            [.. outcome.Events.Select(e => new ReceiptEvent(e.GetType().Name, JsonSerializer.SerializeToElement(e, e.GetType(), json)))],
            outcome.Account,
            [.. outcome.Known.Reservations.Values], [.. outcome.Known.Usages.Values], [.. outcome.Known.Refunds.Values],
            written.Subject, written.At);
    }

    public static WriteReceipt Parse(string receipt, JsonSerializerOptions json) =>
        JsonSerializer.Deserialize<WriteReceipt>(receipt, json) ?? throw new JsonException("an empty write receipt");

    public Written ToWritten(JsonSerializerOptions json, bool replayed)
    {
        Decision decision = Kind switch
        {
            "accepted" => new Decision.Accepted([.. Events.Select(e => e.Data.Deserialize(EventTypes[e.Type], json)!)]),
            "replayed" => Decision.Replay,
            _ => new Decision.Rejected(new Rejection(Codes[RejectionCode!], RejectionDetail!,
                RejectionExtensions?.ToDictionary(kv => kv.Key, kv => (object?)kv.Value))),
        };
        var known = new AccountRecords(
            Reservations.ToImmutableDictionary(r => r.ReservationId, StringComparer.Ordinal),
            Usages.ToImmutableDictionary(u => u.UsageId, StringComparer.Ordinal),
            Refunds.ToImmutableDictionary(f => f.RefundId, StringComparer.Ordinal));
        var events = decision is Decision.Accepted accepted ? accepted.Events : [];
        return new Written(new Outcome(decision, events, Account, known), At, replayed) { Subject = Subject };
    }
}

/// <summary>A domain event by its type name, for a receipt.</summary>
public sealed record ReceiptEvent(string Type, JsonElement Data);
