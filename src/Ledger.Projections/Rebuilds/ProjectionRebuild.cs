using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx.Events;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Ledger.Projections.Accounts;
using Ledger.Projections.ReadModel;
using Marten;
using Marten.Internal;
using Weasel.Storage;
using Npgsql;

namespace Ledger.Projections.Rebuilds;

/// <summary>
/// Recomputes the stored views of accounts from their events alone (ADR 41): the account (<see cref="AccountProjection.Fold"/>),
/// its reservation, usage and refund records (the domain's own <c>Evolve</c> of each) and its snapshots, compares each
/// stored document with its recomputed self field by field, and (unless a dry run) replaces only the documents that
/// differ, each account under its stream's lock so a concurrent write is never overwritten with an older state.
/// </summary>
public sealed class ProjectionRebuild(IDocumentStore store)
{
    private const int Parallelism = 4;

    public async Task<RebuildReport> Run(RebuildScope scope, IProgress<RebuildProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var ids = scope.AccountId is { } one ? [one] : await AccountIds(ct);
        var differences = new ConcurrentBag<ViewDifference>();
        var violations = new ConcurrentBag<string>();
        long events = 0, replaced = 0, deleted = 0, found = 0;
        var done = 0;
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (id, token) =>
        {
            var account = await RebuildAccount(id, scope, token);
            Interlocked.Add(ref events, account.Events);
            Interlocked.Add(ref replaced, account.Replaced);
            Interlocked.Add(ref deleted, account.Deleted);
            Interlocked.Add(ref found, account.Differences.Count);
            foreach (var d in account.Differences.Take(RebuildReport.MaxListed - differences.Count)) differences.Add(d);
            if (account.Violation is { } v) violations.Add(v);
            progress?.Report(new RebuildProgress(Interlocked.Increment(ref done), ids.Count, Interlocked.Read(ref events)));
        });
        var ms = Math.Max(1, clock.ElapsedMilliseconds);
        var listed = differences.OrderBy(d => d.AccountId, StringComparer.Ordinal).ThenBy(d => d.View, StringComparer.Ordinal)
            .ThenBy(d => d.DocumentId, StringComparer.Ordinal).ThenBy(d => d.Field, StringComparer.Ordinal).ToList();
        return new RebuildReport(scope.DryRun, scope.Projection is { } p ? [p] : RebuildScope.Views, scope.AccountId, ids.Count, events, ms,
            events * 1000 / ms, (int)found, listed, (int)replaced, (int)deleted, [.. violations.Order(StringComparer.Ordinal)]);
    }

    /// <summary>Every account with a stream or a stored view (a view without a stream is a difference too).</summary>
    private async Task<IReadOnlyList<string>> AccountIds(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var streams = await session.QueryAsync<string>($"select id from {LedgerStore.Schema}.mt_streams", ct);
        var views = await session.Query<Account>().Select(a => a.Id).ToListAsync(ct);
        return [.. streams.Union(views, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private sealed record AccountResult(long Events, IReadOnlyList<ViewDifference> Differences, int Replaced, int Deleted, string? Violation);

    private async Task<AccountResult> RebuildAccount(string id, RebuildScope scope, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (result, changes, lastVersion) = await Compare(id, scope, ct);
            if (scope.DryRun || changes.IsEmpty) return result;
            await using var write = store.LightweightSession();
            await write.BeginTransactionAsync(ct);
            // the stream's row lock (the one the write path's FetchForExclusiveWriting takes, without loading the stored
            // account, which may be the unreadable document being repaired): a write since the comparison means compare again
            var versions = await write.QueryAsync<long>($"select version from {LedgerStore.Schema}.mt_streams where id = ? for update", ct, id);
            if ((versions.Count > 0 ? versions[0] : (long?)null) != lastVersion && attempt < 3) continue;
            foreach (var document in changes.Store) write.Store(document);
            foreach (var delete in changes.Delete) delete(write);
            await write.SaveChangesAsync(ct);
            return result with { Replaced = changes.Store.Count, Deleted = changes.Delete.Count };
        }
    }

    private sealed class Changes
    {
        public List<object> Store { get; } = [];
        /// <summary>Deletions by the row's id (a stray document's body may name another).</summary>
        public List<Action<IDocumentSession>> Delete { get; } = [];
        public bool IsEmpty => Store.Count == 0 && Delete.Count == 0;
    }

    private async Task<(AccountResult, Changes, long?)> Compare(string id, RebuildScope scope, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        await using var connection = await OpenAsync(ct);
        var events = await ReadEvents(session, connection, id, ct);
        var serializer = store.Options.Serializer();
        var storedSnapshots = new List<AccountSnapshot>();
        var unreadableSnapshots = new Dictionary<string, string>(StringComparer.Ordinal);
        if (scope.Covers(RebuildScope.Snapshots))
            await foreach (var (key, raw) in Stored<AccountSnapshot>(connection, id, ct))
                if (Readable<AccountSnapshot>(raw) is { } snapshot) storedSnapshots.Add(snapshot);
                else unreadableSnapshots[key] = Encoding.UTF8.GetString(raw);
        var records = scope.Covers(RebuildScope.Reservations) || scope.Covers(RebuildScope.Usage) || scope.Covers(RebuildScope.Refunds);
        var replay = Replay(id, events, storedSnapshots, records);

        var differences = new List<ViewDifference>();
        var changes = new Changes();
        // Documents are compared as the serializer writes them (stored ones read back and written again: fast, and blind to
        // member order); one that differs is then diffed field by field against its JSON as stored, so the report shows
        // what PostgreSQL holds.
        async Task Compare<T>(string view, IEnumerable<T> stored, IEnumerable<T> recomputed, Func<T, string> idOf) where T : class
        {
            var before = stored.ToDictionary(idOf, StringComparer.Ordinal);
            var after = recomputed.ToDictionary(idOf, StringComparer.Ordinal);
            foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
            {
                var s = before.GetValueOrDefault(key);
                var r = after.GetValueOrDefault(key);
                var sj = s is null ? null : serializer.ToJson(s);
                var rj = r is null ? null : serializer.ToJson(r);
                if (sj == rj) continue;
                Differ(view, key, s is null ? null : await session.Json.FindByIdAsync<T>(key, ct), sj, r, rj);
            }
        }

        // Records (one per usage, reservation or refund: as many as the events) are compared as JSON values: PostgreSQL sends
        // the account's stored ones as they are (jsonb out, the cheapest thing it can do with them), and each is compared
        // with its recomputed self as a JSON value (JsonValues: blind to member order and spacing, as jsonb equality is);
        // only those it cannot call the same are deserialized, compared as above and diffed. Parsing the recomputed records
        // in PostgreSQL instead (a jsonb[] parameter) cost it 8 µs a record, more than the rest of the rebuild's queries.
        var buffer = new ArrayBufferWriter<byte>(1024);
        async Task CompareRecords<T>(string view, IEnumerable<T> recomputed, Func<T, string> idOf) where T : class
        {
            var after = recomputed.ToDictionary(idOf, StringComparer.Ordinal);
            var unseen = new HashSet<string>(after.Keys, StringComparer.Ordinal);
            var differing = new List<(string Key, byte[]? Raw)>();
            await foreach (var (key, raw) in Stored<T>(connection, id, ct))
            {
                if (unseen.Remove(key) && SameJson(raw, after[key])) continue;
                differing.Add((key, raw));
            }
            differing.AddRange(unseen.Select(key => (key, (byte[]?)null)));
            foreach (var (key, raw) in differing.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                var stored = raw is null ? null : Readable<T>(raw);
                var r = after.GetValueOrDefault(key);
                var sj = stored is null ? null : serializer.ToJson(stored);
                var rj = r is null ? null : serializer.ToJson(r);
                if (stored is not null && sj == rj) continue; // stored in an older shape that reads back the same
                Differ(view, key, raw is null ? null : Encoding.UTF8.GetString(raw), sj, r, rj);
            }
        }

        // A stored document the service cannot read back (edited by hand into the wrong type) differs from any recomputed one.
        T? Readable<T>(byte[] raw) where T : class
        {
            try
            {
                return serializer.FromJson<T>(new MemoryStream(raw, writable: false));
            }
            catch (JsonException)
            {
                return null;
            }
        }

        bool SameJson(byte[] stored, object recomputed)
        {
            buffer.ResetWrittenCount();
            serializer.WriteTo(buffer, recomputed);
            using var a = JsonDocument.Parse(stored);
            using var b = JsonDocument.Parse(buffer.WrittenMemory);
            return JsonValues.Same(a.RootElement, b.RootElement);
        }

        void Differ<T>(string view, string key, string? raw, string? sj, T? r, string? rj) where T : class
        {
            var recomputedJson = rj is null ? null : JsonNode.Parse(rj);
            var fields = JsonDifferences.Between(raw is null ? null : JsonNode.Parse(raw), recomputedJson).ToList();
            if (fields.Count == 0) fields = JsonDifferences.Between(sj is null ? null : JsonNode.Parse(sj), recomputedJson).ToList();
            if (fields.Count == 0) return; // the same document written in another member order
            foreach (var (field, was, now) in fields) differences.Add(new ViewDifference(id, view, key, field, was, now));
            if (r is not null) changes.Store.Add(r);
            else changes.Delete.Add(write => write.Delete<T>(key));
        }

        if (scope.Covers(RebuildScope.Accounts))
        {
            var raw = await session.Json.FindByIdAsync<Account>(id, ct);
            var stored = raw is null ? null : Readable<Account>(Encoding.UTF8.GetBytes(raw));
            if (raw is not null && stored is null)
                Differ(RebuildScope.Accounts, id, raw, null, replay.State, replay.State is null ? null : serializer.ToJson(replay.State));
            else
                await Compare<Account>(RebuildScope.Accounts, stored is null ? [] : [stored], replay.State is null ? [] : [replay.State], a => a.Id);
        }
        if (scope.Covers(RebuildScope.Reservations))
            await CompareRecords(RebuildScope.Reservations, replay.Records.Reservations.Values, r => r.Id);
        if (scope.Covers(RebuildScope.Usage))
            await CompareRecords(RebuildScope.Usage, replay.Records.Usages.Values, r => r.Id);
        if (scope.Covers(RebuildScope.Refunds))
            await CompareRecords(RebuildScope.Refunds, replay.Records.Refunds.Values, r => r.Id);
        if (scope.Covers(RebuildScope.Snapshots))
        {
            // a stored snapshot the service cannot read back: diffed as written against its recomputed self, or deleted
            foreach (var (key, raw) in unreadableSnapshots.OrderBy(u => u.Key, StringComparer.Ordinal))
            {
                var recomputed = replay.Snapshots.FirstOrDefault(x => x.Id == key);
                Differ(RebuildScope.Snapshots, key, raw, null, recomputed, recomputed is null ? null : serializer.ToJson(recomputed));
            }
            await Compare(RebuildScope.Snapshots, storedSnapshots, replay.Snapshots.Where(x => !unreadableSnapshots.ContainsKey(x.Id)), x => x.Id);
        }

        string? violation = null;
        if (replay.State is { } state && events.Count > 0)
            try
            {
                Invariants.Check(state, AccountTimeline.InstantOf(events[^1]));
            }
            catch (LedgerInvariantViolated broken)
            {
                violation = $"{id}: {broken.Message}";
            }
        return (new AccountResult(events.Count, differences, 0, 0, violation), changes, events.Count > 0 ? events[^1].Version : null);
    }

    /// <summary>
    /// The stream's events as <c>FetchStreamAsync</c> returns them (the same filter and order; Marten's own event storage
    /// resolves each row: its type mappings, upcasters and metadata), a row at a time: Marten's fetch reads every
    /// column of every row through an awaited call, which cost the rebuild a fifth more CPU to cold and a third more
    /// warm (docs/benchmarks.md, 2026-12-03).
    /// </summary>
    private static async Task<IReadOnlyList<IEvent>> ReadEvents(IQuerySession session, NpgsqlConnection connection, string id, CancellationToken ct)
    {
        var storage = ((IMartenSession)session).EventStorage();
        await using var command = new NpgsqlCommand(
            $"select {string.Join(", ", storage.SelectFields().Select(f => $"d.{f}"))} from {storage.FromObject} as d " +
            "where d.is_archived = false and d.stream_id = @id order by d.seq_id", connection);
        command.Parameters.AddWithValue("id", id);
        var events = new List<IEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) events.Add(((ISelector<IEvent>)storage).Resolve(reader));
        return events;
    }

    /// <summary>An account's stored documents of one kind, as PostgreSQL holds them (id, JSON), not deserialized.</summary>
    private async IAsyncEnumerable<(string Id, byte[] Json)> Stored<T>(NpgsqlConnection connection, string accountId, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select id, data from {store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName} where data ->> 'accountId' = @account",
            connection);
        command.Parameters.AddWithValue("account", accountId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return (reader.GetString(0), reader.GetFieldValue<byte[]>(1));
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return connection;
    }

    private sealed record Replayed(Account? State, AccountRecords Records, IReadOnlyList<AccountSnapshot> Snapshots);

    /// <summary>
    /// One pass over the stream. Snapshots: the state at each stored snapshot's version (when that version is in the
    /// snapshot's bucket and in the stream), and at the first version of each bucket that has none.
    /// </summary>
    private static Replayed Replay(string id, IReadOnlyList<IEvent> events, IReadOnlyList<AccountSnapshot> stored, bool records)
    {
        var last = events.Count > 0 ? events[^1].Version : 0;
        var at = stored.Where(s => s.Version >= 1 && s.Version <= last && s.Id == AccountSnapshot.IdOf(id, AccountSnapshot.BucketOf(s.Version)))
            .Select(s => s.Version).ToHashSet();
        var covered = at.Select(AccountSnapshot.BucketOf).ToHashSet();
        Account? state = null;
        var known = AccountRecords.Empty;
        var snapshots = new List<AccountSnapshot>();
        foreach (var e in events)
        {
            state = AccountProjection.Fold(state, e);
            if (records) known = known.Evolve(e.Data);
            if (state is not null && (at.Contains(e.Version) || (e.Version % AccountSnapshot.Every == 0 && !covered.Contains(AccountSnapshot.BucketOf(e.Version)))))
                snapshots.Add(AccountSnapshot.Of(state, AccountTimeline.InstantOf(e)));
        }
        return new Replayed(state, known, snapshots);
    }
}
