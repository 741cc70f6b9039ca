using System.Text;
using System.Text.Json;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Api.Audit;

/// <summary>What a page asks for, once every query parameter has been checked.</summary>
public sealed record EventsQuery(long After, int Limit, IReadOnlyList<string>? Types, DateTimeOffset? From, DateTimeOffset? To)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Every parameter is checked and every bad one named, so a client fixes them all at once.</summary>
    public static (EventsQuery? Query, Dictionary<string, string[]> Errors) Parse(
        string? after, string? limit, string? type, string? from, string? to, IReadOnlySet<string> knownTypes)
    {
        var errors = new Dictionary<string, string[]>();
        var afterVersion = Rules.Integer(after, "after", 0, long.MaxValue, errors) ?? 0;
        var size = (int)(Rules.Integer(limit, "limit", 1, MaxLimit, errors) ?? DefaultLimit);

        List<string>? types = null;
        if (type is not null)
        {
            types = type.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
            var unknown = types.Where(t => !knownTypes.Contains(t)).ToList();
            if (types.Count == 0)
                errors["type"] = ["Name one or more event types, comma-separated."];
            else if (unknown.Count > 0)
                errors["type"] = [$"Unknown event type(s): {string.Join(", ", unknown.Take(10).Select(Shorten))}. "
                    + $"Known: {string.Join(", ", knownTypes.Order(StringComparer.Ordinal))}."];
        }

        var fromInstant = Rules.Instant(from, "from", errors);
        var toInstant = Rules.Instant(to, "to", errors);
        if (fromInstant is not null && toInstant is not null && toInstant <= fromInstant)
            errors["to"] = ["Must be later than from: the range is [from, to)."];

        return errors.Count > 0 ? (null, errors) : (new EventsQuery(afterVersion, size, types, fromInstant, toInstant), errors);
    }


    private static string Shorten(string name) => name.Length <= 64 ? $"'{name}'" : $"'{name[..64]}...'";
}

public static class GetAccountEventsEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/events")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Audit")]
    [EndpointSummary("An account's events in stream order, with who wrote each and why")]
    [EndpointDescription("Query: `after` (a stream version, exclusive; the previous page's `next`), `limit` (1-1000, default 100), "
        + "`type` (event type names, comma-separated, e.g. `credits_granted,reservation_committed`), `from` and `to` "
        + "(ISO-8601 instants over each event's `at`, from inclusive, to exclusive). `next` is null on the last page. `at` is the "
        + "instant the event took effect, the one statements and `balance?asOf=` use (ADR 12); `timestamp` is when the ledger stored "
        + "it (later for an expiry written after it fell due).")]
    [ProducesResponseType<AccountEventPage>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? after, string? limit, string? type, string? from, string? to, HttpContext http, IQuerySession session)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var events = session.DocumentStore.Options.Events;
        var known = events.AllKnownEventTypes().Select(t => t.EventTypeName).ToHashSet(StringComparer.Ordinal);
        var (query, errors) = EventsQuery.Parse(after, limit, type, from, to, known);
        if (query is null) return Problems.Validation(errors);

        var ct = http.RequestAborted;
        if (await session.Events.FetchStreamStateAsync(accountId, ct) is not { } stream) return AccountWrites.NotFound(accountId);
        // ADR 12: from and to are over each event's own instant; the stream is in instant order, so they bound a range of versions
        var first = query.From is { } start ? await AccountHistory.LastVersionBefore(session, accountId, stream.Version, start, ct) + 1 : 1;
        var last = query.To is { } end ? await AccountHistory.LastVersionBefore(session, accountId, stream.Version, end, ct) : stream.Version;
        var clrTypes = events.AllKnownEventTypes().ToDictionary(t => t.EventTypeName, t => t.EventType, StringComparer.Ordinal);
        var serializer = session.DocumentStore.Options.Serializer();

        await using var connection = session.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var rows = await ReadPage(connection, events.DatabaseSchemaName, accountId, query, (first, last),
            (typeName, data) => clrTypes.TryGetValue(typeName, out var clr) ? AccountEvents.InstantOf(serializer.FromJson(clr, data)) : null,
            typeName => clrTypes.GetValueOrDefault(typeName), ct);
        var more = rows.Count > query.Limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return Results.Ok(new AccountEventPage(rows, more ? rows[^1].Version : null));
    }

    /// <summary>
    /// One page, filtered and cut in SQL on the (stream_id, version) index: one row more than asked says whether
    /// another page follows. The body is the stored JSON, not a re-serialization of the event, with its enum values read
    /// camelCase as every view shows them (<see cref="EventJson"/>); <c>at</c> is read from it.
    /// </summary>
    private static async Task<List<AccountEventView>> ReadPage(
        NpgsqlConnection connection, string schema, string accountId, EventsQuery query, (long First, long Last) versions,
        Func<string, Stream, DateTimeOffset?> instantOf, Func<string, Type?> clrType, CancellationToken ct)
    {
        var sql = new StringBuilder($"""
            select seq_id, version, type, timestamp, data::text, headers->>'actor', correlation_id, causation_id,
                   headers->>'idempotencyKey'
            from {schema}.mt_events
            where stream_id = @id and version > @after and version between @first and @last
            """);
        await using var command = new NpgsqlCommand { Connection = connection };
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.AddWithValue("after", query.After);
        command.Parameters.AddWithValue("first", versions.First);
        command.Parameters.AddWithValue("last", versions.Last);
        if (query.Types is { } types)
        {
            sql.Append(" and type = any(@types)");
            command.Parameters.AddWithValue("types", types.ToArray());
        }
        sql.Append(" order by version limit @limit");
        command.Parameters.AddWithValue("limit", query.Limit + 1);
        command.CommandText = sql.ToString();

        var items = new List<AccountEventView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var (type, timestamp, body) = (reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
            using var data = JsonDocument.Parse(body);
            var at = instantOf(type, new MemoryStream(Encoding.UTF8.GetBytes(body))) ?? timestamp;
            items.Add(new AccountEventView(
                reader.GetInt64(0), reader.GetInt64(1), type, at, timestamp,
                EventJson.Upcast(clrType(type), data.RootElement).Clone(), new EventMetadataView(Text(5), Text(6), Text(7), Text(8))));
        }
        return items;
    }

}
