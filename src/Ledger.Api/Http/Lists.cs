using System.Text.Json.Serialization;
using Marten;

namespace Ledger.Api.Http;

/// <summary>
/// A page of a list, as Stripe answers one: <c>data</c> newest first, <c>has_more</c> when another page follows; the next
/// page is asked for with <c>starting_after</c> = the id of the last item of this one.
/// </summary>
public sealed record ListPage<T>(IReadOnlyList<T> Data, [property: JsonPropertyName("has_more")] bool HasMore);

/// <summary>What every list takes: <c>limit</c> (1-100, default 10) and <c>starting_after</c> (an item's id).</summary>
public sealed record ListQuery(int Limit, string? StartingAfter)
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    public const string Description = "Newest first. `limit` (1-100, default 10); `starting_after` (the id of the last item of the previous "
        + "page: the next page starts after it); `has_more` says whether another page follows. Cursor pagination: pages stay "
        + "consistent while items are added.";

    public static ListQuery? Parse(string? limit, string? startingAfter, Dictionary<string, string[]> errors)
    {
        var size = Rules.Integer(limit, "limit", 1, MaxLimit, errors);
        if (startingAfter is not null && !Rules.IsValidId(startingAfter) && startingAfter != Ledger.Domain.Credits.CreditBlock.OverageId)
            errors["starting_after"] = ["Must be the id of an item of this list."];
        return errors.Count > 0 ? null : new ListQuery((int)(size ?? DefaultLimit), startingAfter);
    }

    public static Dictionary<string, string[]> UnknownCursor(string what, string id) =>
        new() { ["starting_after"] = [$"No {what} '{id}' in this list."] };
}

/// <summary>
/// Keyset pagination in SQL over a document table, newest first: <c>order by instant desc, id desc</c>, where the page
/// after an item is <c>(instant, id) &lt; (its instant, its id)</c> read by a subquery (so the cursor is compared at the
/// database's own precision), one row more than asked to tell <c>has_more</c>. Each list has a btree index on its
/// filter column, the instant and the id (<c>Ledger.Projections.LedgerStore</c>), which this ordering walks.
/// </summary>
public static class Keyset
{
    /// <summary>
    /// <paramref name="filter"/> is SQL over the document alias <c>d</c> with <c>?</c> placeholders for
    /// <paramref name="parameters"/>; <paramref name="instant"/> the JSON field the list is ordered by.
    /// </summary>
    public static async Task<ListPage<T>> Page<T>(
        IQuerySession session, string instant, string filter, IReadOnlyList<object> parameters, string? afterId, int limit, CancellationToken ct)
        where T : notnull
    {
        var table = session.DocumentStore.Options.Schema.For<T>();
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        var at = $"{schema}.mt_immutable_timestamptz(d.data ->> '{instant}')";
        var args = parameters.ToList();
        var sql = $"select d.data from {table} as d where {filter}";
        if (afterId is not null)
        {
            sql += $" and ({at}, d.id) < (select {schema}.mt_immutable_timestamptz(c.data ->> '{instant}'), c.id from {table} as c where c.id = ?)";
            args.Add(afterId);
        }
        sql += $" order by {at} desc, d.id desc limit {limit + 1}";
        var rows = await session.QueryAsync<T>(sql, ct, args.ToArray());
        return new ListPage<T>(rows.Take(limit).ToList(), rows.Count > limit);
    }
}
