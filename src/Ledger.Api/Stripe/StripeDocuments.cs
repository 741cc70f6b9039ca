namespace Ledger.Api.Stripe;

/// <summary>Where a Stripe event stands. See docs/adr/0010-stripe-webhooks.md.</summary>
public static class StripeEventStatus
{
    /// <summary>Applied: the ledger events it produced are listed.</summary>
    public const string Processed = "processed";

    /// <summary>Applied, but the ledger already reflected it (the same purchase under another event, a plan already set ...): no new event.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Waiting for something that has not arrived (an account, a purchase, a dispute's opening); replayable.</summary>
    public const string Parked = "parked";

    /// <summary>The ledger refused it, or applying it threw; replayable once fixed.</summary>
    public const string Failed = "failed";

    /// <summary>Acknowledged without effect: an unknown type, an unpaid session, an older state than the one applied.</summary>
    public const string Ignored = "ignored";

    public static readonly string[] All = [Processed, Duplicate, Parked, Failed, Ignored];
}

/// <summary>A ledger event a Stripe event produced.</summary>
public sealed record ProducedEvent(Guid Id, long Version, string Type);

/// <summary>One application attempt of a Stripe event (first delivery, a replay).</summary>
public sealed record StripeEventAttempt(DateTimeOffset At, string Status, string? Detail, string By);

/// <summary>
/// The money a Stripe event reports, kept apart from the payload for reconciliation: a purchase (checkout paid),
/// a refund (charge.refunded) or a lost dispute.
/// </summary>
public sealed record StripeMoney(string Kind, string PaymentKey, long AmountMinor, string Currency, long? Credits = null, string? Pack = null);

/// <summary>
/// The ledger's own record of a Stripe event (id = Stripe's event id), written in the same transaction as its
/// effect and never deleted before 30 days (nothing deletes these today). Duplicated deliveries only count up
/// <see cref="Deliveries"/>.
/// </summary>
public sealed class StripeEventRecord
{
    public string Id { get; set; } = "";
    public string Type { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Detail { get; set; }
    public string? AccountId { get; set; }

    /// <summary>What a parked event waits for: <c>account:{id}</c>, <c>customer:{id}</c>, <c>payment:{id}</c>, <c>dispute:{id}</c>.</summary>
    public string? WaitingFor { get; set; }

    public string? ObjectId { get; set; }
    public string? PaymentKey { get; set; }
    public StripeMoney? Money { get; set; }
    public DateTimeOffset StripeCreatedAt { get; set; }
    public string? ApiVersion { get; set; }
    public bool Livemode { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset LastDeliveredAt { get; set; }
    public DateTimeOffset? AppliedAt { get; set; }
    public int Deliveries { get; set; } = 1;
    public int Attempts { get; set; } = 1;
    public List<ProducedEvent> LedgerEvents { get; set; } = [];
    public List<StripeEventAttempt> History { get; set; } = [];

    /// <summary>The body exactly as Stripe sent it (verified), so a parked event can be applied later.</summary>
    public string Payload { get; set; } = "";
}

/// <summary>Guards one application attempt of a parked or failed event: the second of two concurrent replays fails to insert it.</summary>
public sealed record StripeEventClaim(string Id, DateTimeOffset At);

/// <summary>
/// Something later events may wait for: <c>payment:{payment intent}</c> (a purchase was granted: which account and
/// block) or <c>dispute:{id}</c> (a dispute's opening was applied). Written with the effect.
/// </summary>
public sealed record StripeMilestone(string Id, string AccountId, string? GrantId, string EventId, DateTimeOffset At);

/// <summary>A Stripe customer known to belong to an account (from an event that named both).</summary>
public sealed record StripeCustomerLink(string Id, string AccountId, string EventId, DateTimeOffset LinkedAt);

/// <summary>
/// The newest state-like Stripe event applied to an account per kind (<c>billing</c>: invoice paid/failed,
/// <c>subscription</c>: updated/deleted): an older one arriving later is ignored (ADR 0010).
/// </summary>
public sealed class StripeAccountState
{
    public string Id { get; set; } = "";
    public int Revision { get; set; }
    public Dictionary<string, StripeStateMark> Latest { get; set; } = [];
}

/// <summary>The applied event's Stripe <c>created</c> second and its rank among events of the same second (a close outranks an opening).</summary>
public sealed record StripeStateMark(long Created, int Rank, string EventId);

/// <summary>A Checkout Session created for a credit pack.</summary>
public sealed record StripeCheckoutSession(
    string Id, string AccountId, string Pack, long AmountMinor, string Currency, string Url, string? ApiKeyId, DateTimeOffset CreatedAt);

/// <summary>One overage report to Stripe (id = the meter event's identifier) and how its delivery went.</summary>
public sealed class StripeMeterReport
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string? CustomerId { get; set; }
    public string EventName { get; set; } = "";
    public long Value { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary><c>sent</c>, <c>already-recorded</c> (Stripe had it) or <c>no-customer</c> (nothing to bill it to).</summary>
    public string Status { get; set; } = "";
    public int Attempts { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
}
