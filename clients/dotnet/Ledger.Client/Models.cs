using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.Client;

public sealed record BalanceView(string AccountId, DateTimeOffset AsOf, long Version, long Granted, long Consumed, long Expired, long Voided,
    long Refunded, long Reserved, long Available, long Overage, long Upcoming, long Frozen, IReadOnlyList<BlockView> Blocks);

public sealed record BlockView(string GrantId, string Source, int Priority, long Amount, long Remaining, long Held, long Consumed, long Refunded,
    long Expired, long Voided, DateTimeOffset GrantedAt, DateTimeOffset? EffectiveAt, DateTimeOffset? ExpiresAt, string Status,
    JsonElement? CostBasis, string? Reference, string? Reason);

public sealed record AccountView(string AccountId, string Plan, string Status, string? StripeCustomerId, IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset OpenedAt, long Version, BalanceView Balance);

public sealed record ReservationView(string ReservationId, string AccountId, string Status, long Amount, string? Feature, int TtlSeconds,
    DateTimeOffset ReservedAt, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string>? Metadata, JsonElement Held, long? Committed,
    JsonElement? Consumed, long? Released, long? Variance, string? ReceiptId, IReadOnlyDictionary<string, string>? CommitMetadata,
    string? ReleaseReason, DateTimeOffset? ResolvedAt, long Refunded);

public sealed record ReservationResponse(ReservationView Reservation, BalanceView Balance);

public sealed record CommitResponse(ReservationView Reservation, long Committed, long Released, long Variance, BalanceView Balance);

public sealed record GrantResponse(BlockView Grant, BalanceView Balance);

public sealed record UsageResponse(JsonElement Usage, BalanceView Balance);

public sealed record AccountEventView(long Sequence, long Version, string Type, DateTimeOffset At, DateTimeOffset Timestamp, JsonElement Data,
    EventMetadataView Metadata);

public sealed record EventMetadataView(string? Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey);

public sealed record AccountEventPage(IReadOnlyList<AccountEventView> Items, long? Next);

/// <summary>A page of a cursor list: <c>data</c> and <c>has_more</c> (Stripe's names).</summary>
public sealed record ListPageOfReservationView(IReadOnlyList<ReservationView> Data, [property: JsonPropertyName("has_more")] bool HasMore);

public sealed record ListPageOfAccountView(IReadOnlyList<AccountView> Data, [property: JsonPropertyName("has_more")] bool HasMore);

public sealed record CreateAccountRequest(string AccountId, string Plan, string? StripeCustomerId = null, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record ReserveRequest(long Amount, string? ReservationId = null, int? TtlSeconds = null, string? Feature = null,
    IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record CommitRequest(long? Amount = null, string? ReceiptId = null, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record ReleaseRequest(string? Reason = null);

public sealed record ExtendRequest(int TtlSeconds);

public sealed record CostBasisRequest(long AmountMinor, string Currency);

public sealed record GrantRequest(long Amount, string Source, string Reason, string? GrantId = null, DateTimeOffset? EffectiveAt = null,
    DateTimeOffset? ExpiresAt = null, int? Priority = null, string? Reference = null, CostBasisRequest? CostBasis = null);

public sealed record UsageRequest(long Amount, string? UsageId = null, string? Feature = null, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>System.Text.Json source generation for every model (no reflection; trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(ReservationResponse))]
[JsonSerializable(typeof(CommitResponse))]
[JsonSerializable(typeof(GrantResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(AccountEventPage))]
[JsonSerializable(typeof(ListPageOfReservationView))]
[JsonSerializable(typeof(ListPageOfAccountView))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(CommitRequest))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(ExtendRequest))]
[JsonSerializable(typeof(GrantRequest))]
[JsonSerializable(typeof(UsageRequest))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class LedgerJson : JsonSerializerContext;
