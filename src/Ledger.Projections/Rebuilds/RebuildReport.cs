namespace Ledger.Projections.Rebuilds;

/// <summary>What a rebuild recomputes: every view, or one of <see cref="Views"/>; every account or one.</summary>
public sealed record RebuildScope(string? Projection = null, string? AccountId = null, bool DryRun = false)
{
    public const string Accounts = "accounts";
    public const string Reservations = "reservations";
    public const string Usage = "usage";
    public const string Refunds = "refunds";
    public const string Snapshots = "snapshots";

    public static readonly IReadOnlyList<string> Views = [Accounts, Reservations, Usage, Refunds, Snapshots];

    public bool Covers(string view) => Projection is null || Projection == view;
}

/// <summary>
/// One field of one stored document that the events say otherwise: <paramref name="Stored"/> is what was there before
/// the rebuild (null: no such document or field), <paramref name="Recomputed"/> what the events give (null: none).
/// </summary>
public sealed record ViewDifference(string AccountId, string View, string DocumentId, string Field, string? Stored, string? Recomputed);

/// <summary>
/// A rebuild's report. <see cref="Differences"/> lists the first <see cref="MaxListed"/> differences found;
/// <see cref="DifferencesFound"/> counts them all. <see cref="Replaced"/> and <see cref="Deleted"/> count documents written
/// (zero on a dry run).
/// </summary>
public sealed record RebuildReport(
    bool DryRun, IReadOnlyList<string> Projections, string? AccountId, int Streams, long Events, long DurationMs, long EventsPerSecond,
    int DifferencesFound, IReadOnlyList<ViewDifference> Differences, int Replaced, int Deleted, IReadOnlyList<string> InvariantViolations)
{
    public const int MaxListed = 1_000;
}

/// <summary>How far a rebuild has gone: streams done of the total, and events replayed.</summary>
public readonly record struct RebuildProgress(int StreamsDone, int Streams, long Events);
