using Ledger.Projections;
using Marten;
using Npgsql;

namespace Ledger.Api.Integrity;

/// <summary>
/// Chains streams written before events were hashed (ADR 45): from the first event, each event without a hash gets
/// the one the chain gives it, as long as no event before it has a hash (a legacy prefix). An unhashed event after a
/// hashed one is not chained here: that is an event written outside the chain, and verify names it. Runs under the
/// stream's row lock: inside a write's transaction (<see cref="StreamChain.Open"/>), or at start for every unchained
/// account (<see cref="ChainUpgradeService"/>), so streams are chained even if nobody writes to them.
/// </summary>
public static class ChainUpgrade
{
    public sealed record Result(long Version, string? Head, int Chained);

    /// <summary>Chains the legacy prefix of the stream, in the connection's current transaction; the stream's row must be locked.</summary>
    public static async Task<Result> Chain(NpgsqlConnection connection, string accountId, CancellationToken ct = default)
    {
        string? previous = null;
        long version = 0;
        var seenHash = false;
        var missing = new List<(long Version, string Hash)>();
        await foreach (var stored in StoredEvents.Read(connection, accountId, ct: ct))
        {
            var computed = EventHash.Of(stored.Event, previous);
            seenHash |= stored.StoredHash is not null;
            if (stored.StoredHash is null && !seenHash) missing.Add((stored.Event.Version, computed));
            previous = stored.StoredHash ?? computed;
            version = stored.Event.Version;
        }
        if (missing.Count > 0)
        {
            await using var update = new NpgsqlCommand($"""
                update {LedgerStore.Schema}.mt_events e set headers = coalesce(e.headers, jsonb_build_object()) || jsonb_build_object('{EventHash.Header}', u.hash)
                from unnest(@versions, @hashes) as u(version, hash) where e.stream_id = @id and e.version = u.version
                """, connection);
            update.Parameters.AddWithValue("id", accountId);
            update.Parameters.AddWithValue("versions", missing.Select(m => m.Version).ToArray());
            update.Parameters.AddWithValue("hashes", missing.Select(m => m.Hash).ToArray());
            await update.ExecuteNonQueryAsync(ct);
        }
        // the head kept with the account; a write's projection overwrites it with the head after its own events
        await using var head = new NpgsqlCommand(
            $"update {LedgerStore.Schema}.mt_doc_account set data = jsonb_set(data, '{{chainHead}}', to_jsonb(@head::text)) where id = @id and @head is not null",
            connection);
        head.Parameters.AddWithValue("id", accountId);
        head.Parameters.Add(new NpgsqlParameter("head", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)previous ?? DBNull.Value });
        await head.ExecuteNonQueryAsync(ct);
        return new Result(version, previous, missing.Count);
    }

    /// <summary>Accounts whose last event has no hash: streams written before hashing, not yet chained.</summary>
    public static async Task<List<string>> Unchained(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            select s.id from {LedgerStore.Schema}.mt_streams s
            join {LedgerStore.Schema}.mt_doc_account a on a.id = s.id
            join {LedgerStore.Schema}.mt_events e on e.stream_id = s.id and e.version = s.version
            where not coalesce(e.headers ? '{EventHash.Header}', false)
            order by s.id
            """, connection);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Chains one account in its own transaction, locking its stream as a write does.</summary>
    public static async Task<Result> ChainAlone(IDocumentStore store, string accountId, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockRow = new NpgsqlCommand($"select version from {LedgerStore.Schema}.mt_streams where id = @id for update", connection))
        {
            lockRow.Parameters.AddWithValue("id", accountId);
            await lockRow.ExecuteScalarAsync(ct);
        }
        var result = await Chain(connection, accountId, ct);
        await transaction.CommitAsync(ct);
        return result;
    }
}

/// <summary>At start, chains every account written before events were hashed (ADR 45), one transaction per account, in the background.</summary>
public sealed class ChainUpgradeService(IDocumentStore store, ILogger<ChainUpgradeService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            List<string> accounts;
            await using (var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection())
            {
                await connection.OpenAsync(stoppingToken);
                accounts = await ChainUpgrade.Unchained(connection, stoppingToken);
            }
            if (accounts.Count == 0) return;
            log.LogInformation("Chaining {Count} accounts written before events were hashed (ADR 45)", accounts.Count);
            var events = 0;
            foreach (var account in accounts) events += (await ChainUpgrade.ChainAlone(store, account, stoppingToken)).Chained;
            log.LogInformation("Chained {Events} events of {Count} accounts", events, accounts.Count);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Chaining the accounts written before events were hashed failed; writes chain them as they come");
        }
    }
}
