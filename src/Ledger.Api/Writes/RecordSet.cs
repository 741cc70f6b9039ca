using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Marten;
using Marten.Services.BatchQuerying;

namespace Ledger.Api.Writes;

public enum RecordKind { Reservation, Usage, Refund }

/// <summary>A record document's kind and key (<see cref="RecordKeys.For"/>).</summary>
public sealed record RecordKey(RecordKind Kind, string Key);

/// <summary>The reservation, usage and refund records a batch decides with, by account.</summary>
public sealed class RecordSet
{
    private readonly Dictionary<string, AccountRecords> _byAccount = new(StringComparer.Ordinal);

    public AccountRecords Of(string accountId) => _byAccount.GetValueOrDefault(accountId) ?? AccountRecords.Empty;

    /// <summary>Adds to <paramref name="query"/> the loads of every record the commands name; the set is ready once the query ran.</summary>
    public static async Task<RecordSet> Named(IBatchedQuery query, IEnumerable<(string Account, IAccountCommand Command)> commands)
    {
        var keys = commands.SelectMany(c => Keys(c.Account, c.Command)).Distinct().ToList();
        var reservations = Load<ReservationRecord>(query, keys, RecordKind.Reservation);
        var usages = Load<UsageRecord>(query, keys, RecordKind.Usage);
        var refunds = Load<RefundRecord>(query, keys, RecordKind.Refund);
        var set = new RecordSet();
        set.Add(reservations is null ? [] : await reservations, usages is null ? [] : await usages, refunds is null ? [] : await refunds);
        return set;
    }

    /// <summary>Loads records found missing after the batch query (in its transaction), one round trip per kind.</summary>
    public async Task Load(IQuerySession session, IReadOnlyCollection<RecordKey> keys) => Add(
        await Many<ReservationRecord>(session, keys, RecordKind.Reservation),
        await Many<UsageRecord>(session, keys, RecordKind.Usage),
        await Many<RefundRecord>(session, keys, RecordKind.Refund));

    private static async Task<IReadOnlyList<T>> Many<T>(IQuerySession session, IEnumerable<RecordKey> keys, RecordKind kind) where T : class =>
        KeysOf(keys, kind) is { Length: > 0 } ids ? await session.LoadManyAsync<T>(ids) : [];

    private void Add(IEnumerable<ReservationRecord> reservations, IEnumerable<UsageRecord> usages, IEnumerable<RefundRecord> refunds)
    {
        foreach (var r in reservations) Change(r.AccountId, x => x with { Reservations = x.Reservations.SetItem(r.ReservationId, r) });
        foreach (var u in usages) Change(u.AccountId, x => x with { Usages = x.Usages.SetItem(u.UsageId, u) });
        foreach (var f in refunds) Change(f.AccountId, x => x with { Refunds = x.Refunds.SetItem(f.RefundId, f) });
    }

    private void Change(string accountId, Func<AccountRecords, AccountRecords> change) => _byAccount[accountId] = change(Of(accountId));

    private static IEnumerable<RecordKey> Keys(string accountId, IAccountCommand command)
    {
        var (reservation, usage, refund) = AccountRecords.NamedBy(command);
        if (reservation is not null) yield return new RecordKey(RecordKind.Reservation, RecordKeys.For(accountId, reservation));
        if (usage is not null) yield return new RecordKey(RecordKind.Usage, RecordKeys.For(accountId, usage));
        if (refund is not null) yield return new RecordKey(RecordKind.Refund, RecordKeys.For(accountId, refund));
    }

    private static string[] KeysOf(IEnumerable<RecordKey> keys, RecordKind kind) => [.. keys.Where(k => k.Kind == kind).Select(k => k.Key)];

    private static Task<IReadOnlyList<T>>? Load<T>(IBatchedQuery query, IEnumerable<RecordKey> keys, RecordKind kind) where T : class =>
        KeysOf(keys, kind) is { Length: > 0 } ids ? query.LoadMany<T>().ById(ids) : null;
}
