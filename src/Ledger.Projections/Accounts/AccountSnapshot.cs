using Ledger.Domain.Accounts;

namespace Ledger.Projections.Accounts;

/// <summary>
/// The account's state at <see cref="Version"/>, whose event happened at <see cref="Instant"/>: a point-in-time read, a
/// statement or a usage series starts here instead of at the stream's first event (ADR 40). One per bucket of
/// <see cref="Every"/> versions: the first write that reaches the bucket stores it. Derived from the events alone,
/// so a rebuild recomputes (and repairs) it like any other view.
/// </summary>
public sealed record AccountSnapshot(string Id, string AccountId, long Version, DateTimeOffset Instant, Account State)
{
    /// <summary>
    /// Events between snapshots: a read replays fewer than this many (about 10 ms of deserializing and evolving here);
    /// a 100,000-event account keeps 100 snapshots.
    /// </summary>
    public const long Every = 1_000;

    /// <summary>
    /// <see cref="Instant"/> in UTC ticks, stored with it: a query compares this exactly, where PostgreSQL would compare the
    /// instant rounded to microseconds (a snapshot taken at the very instant asked for could count as after it).
    /// </summary>
    public long InstantTicks => Instant.UtcTicks;

    public static long BucketOf(long version) => version / Every;

    public static string IdOf(string accountId, long bucket) => $"{accountId}@{bucket:D9}";

    /// <summary>Whether a write that took the stream from <paramref name="before"/> to <paramref name="after"/> reached a new bucket.</summary>
    public static bool Crosses(long before, long after) => BucketOf(after) > BucketOf(before);

    public static AccountSnapshot Of(Account state, DateTimeOffset instant) =>
        new(IdOf(state.Id, BucketOf(state.Version)), state.Id, state.Version, instant, state);
}
