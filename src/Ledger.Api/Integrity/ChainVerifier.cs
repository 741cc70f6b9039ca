using Ledger.Domain.Accounts;
using Ledger.Projections;
using Marten;
using Npgsql;

namespace Ledger.Api.Integrity;

/// <summary>Where a chain first breaks: the version, the hash the chain gives it and the one stored (null when absent), and why.</summary>
public sealed record ChainBreak(long Version, string Reason, string? ExpectedHash, string? StoredHash, string Detail);

/// <summary>
/// The verdict on an account's stream (ADR 45). <c>status</c>: <c>intact</c> (every event's stored hash is the one the
/// chain gives it and the account's recorded head is the last one), <c>broken</c> (<c>firstBreak</c> says where), or
/// <c>unchained</c> (written before hashing and not chained yet: no event has a hash). <c>head</c>: the recomputed hash
/// of the last event; <c>recordedHead</c>: the one the account keeps.
/// </summary>
public sealed record ChainVerdict(
    string AccountId, string Status, long Events, long Version, string? Head, string? RecordedHead, ChainBreak? FirstBreak)
{
    public const string Intact = "intact";
    public const string Broken = "broken";
    public const string Unchained = "unchained";

    public static class Reasons
    {
        /// <summary>The stored event is not what was hashed: its data, type or metadata was changed, or an event before it was.</summary>
        public const string HashMismatch = "hash-mismatch";

        /// <summary>A version is absent: an event was deleted.</summary>
        public const string MissingEvent = "missing-event";

        /// <summary>An event without a hash after hashed ones: written outside the ledger's write path.</summary>
        public const string MissingHash = "missing-hash";

        /// <summary>The events chain, but not to the head the account recorded: the last event was rewritten with a recomputed hash.</summary>
        public const string HeadMismatch = "head-mismatch";
    }
}

public static class ChainVerifier
{
    /// <summary>The verdict, or null if the account does not exist.</summary>
    public static async Task<ChainVerdict?> Verify(IDocumentStore store, string accountId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var account = await session.LoadAsync<Account>(accountId, ct);
        var state = await session.Events.FetchStreamStateAsync(accountId, ct);
        if (account is null && state is null) return null;
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return await Verify(connection, accountId, Math.Max(account?.Version ?? 0, state?.Version ?? 0), account?.ChainHead, ct);
    }

    /// <summary>Walks the stream from its first event, recomputing each hash from the stored row and the previous hash.</summary>
    public static async Task<ChainVerdict> Verify(NpgsqlConnection connection, string accountId, long recordedVersion, string? recordedHead, CancellationToken ct)
    {
        string? previous = null;
        long expected = 1, events = 0, hashed = 0;
        ChainBreak? first = null;
        await foreach (var stored in StoredEvents.Read(connection, accountId, ct: ct))
        {
            events++;
            var version = stored.Event.Version;
            var computed = EventHash.Of(stored.Event, previous);
            if (stored.StoredHash is not null) hashed++;
            if (first is null)
            {
                if (version != expected)
                    first = new ChainBreak(expected, ChainVerdict.Reasons.MissingEvent, null, null,
                        $"Version {expected} is absent: the stream goes from version {expected - 1} to {version}.");
                else if (stored.StoredHash is null && hashed > 0)
                    first = new ChainBreak(version, ChainVerdict.Reasons.MissingHash, computed, null,
                        $"Version {version} has no hash although earlier events do: it was not written by the ledger.");
                else if (stored.StoredHash is not null && stored.StoredHash != computed)
                    first = new ChainBreak(version, ChainVerdict.Reasons.HashMismatch, computed, stored.StoredHash,
                        $"Version {version} is not the event that was hashed: its type, data or metadata changed, or the hash did.");
            }
            previous = computed;
            expected = version + 1;
        }
        if (hashed == 0 && recordedHead is null && events > 0)
            return new ChainVerdict(accountId, ChainVerdict.Unchained, events, expected - 1, null, null, null);
        if (first is null && expected - 1 < recordedVersion)
            first = new ChainBreak(expected, ChainVerdict.Reasons.MissingEvent, recordedHead, null,
                $"The account records version {recordedVersion}, the stream ends at {expected - 1}: the last events were deleted.");
        if (first is null && recordedHead is not null && recordedHead != previous)
            first = new ChainBreak(expected - 1, ChainVerdict.Reasons.HeadMismatch, recordedHead, previous,
                $"The account's recorded head is not the hash of version {expected - 1}: the last event was rewritten, hash included.");
        return new ChainVerdict(accountId, first is null ? ChainVerdict.Intact : ChainVerdict.Broken, events, expected - 1, previous, recordedHead, first);
    }

    /// <summary>Every account's verdict, in id order (the command line without <c>--account</c>).</summary>
    public static async Task<List<ChainVerdict>> VerifyAll(IDocumentStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var ids = await session.Query<Account>().OrderBy(a => a.Id).Select(a => a.Id).ToListAsync(ct);
        var verdicts = new List<ChainVerdict>(ids.Count);
        foreach (var id in ids) verdicts.Add((await Verify(store, id, ct))!);
        return verdicts;
    }
}
