using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Grants;
using Ledger.Domain.Refunds;
using Ledger.Domain.Usage;
using Res = Ledger.Domain.Reservations;

namespace Ledger.Domain.Tests;

/// <summary>Instants, and the past events of a story, with the defaults most tests share.</summary>
public static class Facts
{
    public const string Acc = "acc-1";
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset Sec(double seconds) => T0.AddSeconds(seconds);
    public static DateTimeOffset Min(double minutes) => T0.AddMinutes(minutes);
    public static DateTimeOffset Hour(double hours) => T0.AddHours(hours);
    public static DateTimeOffset Day(double days) => T0.AddDays(days);

    public static Draw D(string grantId, long amount) => new(grantId, amount);

    public static AccountOpened Opened() => new(Acc, "pro", null, null, T0);

    public static CreditsGranted Granted(
        string id, long amount, GrantSource source = GrantSource.Purchase, int? priority = null,
        DateTimeOffset? effectiveAt = null, DateTimeOffset? expiresAt = null, DateTimeOffset? at = null) =>
        new(Acc, id, amount, source, priority ?? CreditBlock.DefaultPriority(source), effectiveAt, expiresAt,
            null, null, null, at ?? T0);

    public static CreditsReserved Reserved(string id, long amount, Draw[] draws, DateTimeOffset? at = null, int ttl = 300, string? feature = "ai") =>
        new(Acc, id, amount, draws, feature, ttl, (at ?? T0).AddSeconds(ttl), null, at ?? T0);

    public static ReservationCommitted Committed(
        string id, long amount, Draw[] consumed, Draw[] released, DateTimeOffset at, long? requested = null, string? receipt = null) =>
        new(Acc, id, amount, requested ?? amount, consumed, released, receipt, null, at);

    public static ReservationReleased Released(string id, Draw[] released, DateTimeOffset at, string? reason = null) =>
        new(Acc, id, released, reason, at);

    public static ReservationExpired HoldExpired(string id, Draw[] released, DateTimeOffset at) => new(Acc, id, released, at);

    public static ReservationExtended Extended(string id, int ttl, DateTimeOffset at) => new(Acc, id, ttl, at.AddSeconds(ttl), at);

    public static UsageRecorded Used(string id, long amount, Draw[] draws, DateTimeOffset? at = null, string? feature = "ai") =>
        new(Acc, id, amount, draws, feature, null, at ?? T0);

    public static CreditsRefunded Refunded(
        string refundId, RefundSourceKind kind, string sourceId, long amount, Draw[] draws, DateTimeOffset at, string? reason = null,
        DateTimeOffset? consumedAt = null) =>
        new(Acc, refundId, kind, sourceId, amount, draws, reason, at, consumedAt);

    public static GrantExpired Expired(string grantId, long amount, DateTimeOffset at) => new(Acc, grantId, amount, at);

    public static GrantVoided Voided(string grantId, long amount, DateTimeOffset at, string? reason = "void") =>
        new(Acc, grantId, amount, reason, at);

    public static GrantVoided VoidedOnRelease(string grantId, long amount, DateTimeOffset at) =>
        new(Acc, grantId, amount, "held credits released after the void", at);

    public static OverageRepaid Repaid(string grantId, long amount, DateTimeOffset at) => new(Acc, grantId, amount, at);

    public const string OverageBlock = CreditBlock.OverageId;
}

/// <summary>The commands of a story (named apart from the command types they build).</summary>
public static class Do
{
    public static OpenAccount Open(string plan = "pro") => new(Facts.Acc, plan, null, null);

    public static GrantCredits Grant(
        string id, long amount, GrantSource source = GrantSource.Purchase, int? priority = null,
        DateTimeOffset? effectiveAt = null, DateTimeOffset? expiresAt = null, string? reference = null) =>
        new(id, amount, source, priority, effectiveAt, expiresAt, null, reference, null);

    public static VoidGrant Void(string grantId, string? reason = "void") => new(grantId, reason);

    public static Res.Reserve Reserve(string id, long amount, int ttl = 300, string? feature = "ai",
        IReadOnlyDictionary<string, string>? metadata = null) => new(id, amount, ttl, feature, metadata);

    public static Res.Commit Commit(string id, long? amount = null, string? receipt = null) => new(id, amount, receipt, null);

    public static Res.Release Release(string id, string? reason = null) => new(id, reason);

    public static Res.Extend Extend(string id, int ttl) => new(id, ttl);

    public static RecordUsage Use(string id, long amount, string? feature = "ai",
        IReadOnlyDictionary<string, string>? metadata = null) => new(id, amount, feature, metadata);

    public static RefundCredits RefundUsage(string refundId, string usageId, long amount, string? reason = null) =>
        new(refundId, RefundSourceKind.Usage, usageId, amount, reason);

    public static RefundCredits RefundCommit(string refundId, string reservationId, long amount, string? reason = null) =>
        new(refundId, RefundSourceKind.Reservation, reservationId, amount, reason);

    public static CatchUpTime CatchUp() => new();
}
