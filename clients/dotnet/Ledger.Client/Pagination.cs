using System.Runtime.CompilerServices;

namespace Ledger.Client;

public partial class LedgerClient
{
    /// <summary>Every event of an account's stream (through the events list's <c>next</c> cursor), page after page.</summary>
    public async IAsyncEnumerable<AccountEventView> EventsAsync(string accountId, long? after = null, int? limit = null, string? type = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var page = await ListEventsAsync(accountId, after?.ToString(), limit?.ToString(), type, cancellationToken: cancellationToken);
            foreach (var item in page.Items) yield return item;
            if (page.Next is null || page.Items.Count == 0) yield break;
            after = page.Next;
        }
    }

    /// <summary>Every item of a cursor list (<c>limit</c>, <c>starting_after</c>, <c>has_more</c>), page after page.</summary>
    public static async IAsyncEnumerable<TItem> PaginateAsync<TItem>(Func<string?, Task<(IReadOnlyList<TItem> Data, bool HasMore)>> listPage,
        Func<TItem, string> id)
    {
        string? after = null;
        while (true)
        {
            var (data, hasMore) = await listPage(after);
            foreach (var item in data) yield return item;
            if (!hasMore || data.Count == 0) yield break;
            after = id(data[^1]);
        }
    }

    /// <summary>The open holds of an account (status <c>pending</c>), every page.</summary>
    public IAsyncEnumerable<ReservationView> PendingReservationsAsync(string accountId, CancellationToken cancellationToken = default) =>
        PaginateAsync<ReservationView>(async after =>
        {
            var page = await ListReservationsAsync(accountId, "pending", "100", after, cancellationToken);
            return (page.Data, page.HasMore);
        }, r => r.ReservationId);
}
