using System.Runtime.CompilerServices;
using System.Text.Json;
using Ledger.Projections;
using Npgsql;

namespace Ledger.Api.Integrity;

/// <summary>An event row as PostgreSQL holds it, with the hash stored in its headers (null: none).</summary>
public sealed record StoredEvent(HashedEvent Event, string? StoredHash);

/// <summary>Reads an account's events straight from <c>mt_events</c> (not through Marten's deserialization), in version order.</summary>
public static class StoredEvents
{
    public static async IAsyncEnumerable<StoredEvent> Read(
        NpgsqlConnection connection, string accountId, long fromVersion = 1, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var command = new NpgsqlCommand($"""
            select version, type, data::text, headers::text, correlation_id, causation_id
            from {LedgerStore.Schema}.mt_events where stream_id = @id and version >= @from order by version
            """, connection);
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.AddWithValue("from", fromVersion);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            using var data = JsonDocument.Parse(reader.GetString(2));
            var headers = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            string? stored = null;
            if (Text(3) is { } headerText)
            {
                using var parsed = JsonDocument.Parse(headerText);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                    foreach (var header in parsed.RootElement.EnumerateObject())
                    {
                        if (header.Name == EventHash.Header) stored = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString() : header.Value.GetRawText();
                        else headers[header.Name] = header.Value.Clone();
                    }
            }
            yield return new StoredEvent(
                new HashedEvent(accountId, reader.GetInt64(0), reader.GetString(1), data.RootElement.Clone(), Text(4), Text(5), headers), stored);
        }
    }
}
