namespace Ledger.Domain.Accounts;

/// <summary>Every quantity has a bound, so no sum of them can overflow 64 bits.</summary>
public static class Limits
{
    /// <summary>Largest single amount (grant, hold, commit, usage, refund): 10^15 credits.</summary>
    public const long MaxAmount = 1_000_000_000_000_000;

    /// <summary>Largest lifetime total granted to one account: 10^18, well inside <see cref="long.MaxValue"/>.</summary>
    public const long MaxLifetimeGranted = 1_000_000_000_000_000_000;

    public const int DefaultTtlSeconds = 300;
    public const int MinTtlSeconds = 1;
    public const int MaxTtlSeconds = 24 * 60 * 60;

    /// <summary>Longest grace period an admin may set by hand (<c>endsAt</c>): a year.</summary>
    public const int MaxGraceDays = 366;

    public const int MaxPriority = 100;
    public const int MaxMetadataEntries = 50;
}
