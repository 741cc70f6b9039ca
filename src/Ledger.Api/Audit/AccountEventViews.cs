using System.Text.Json;

namespace Ledger.Api.Audit;

/// <summary>Who wrote an event and why, as stamped by the request that produced it; null when absent.</summary>
public sealed record EventMetadataView(string? Actor, string? CorrelationId, string? CausationId, string? IdempotencyKey);

/// <summary>
/// One event of an account's stream: <c>sequence</c> is the store-wide order, <c>version</c> the position in the
/// stream, <c>at</c> the instant it took effect (ADR 12: the one statements and balances use), <c>timestamp</c> when
/// it was stored, <c>data</c> the event body as it was stored,
/// its enum values camelCase as in every view (<c>"source": "purchase"</c>; ADR 47).
/// </summary>
public sealed record AccountEventView(
    long Sequence, long Version, string Type, DateTimeOffset At, DateTimeOffset Timestamp, JsonElement Data, EventMetadataView Metadata);

/// <summary>A page of events in stream order; <c>next</c> is the <c>after</c> of the following page, null on the last one.</summary>
public sealed record AccountEventPage(IReadOnlyList<AccountEventView> Items, long? Next);
