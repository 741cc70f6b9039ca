using System.Text.Json;
using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten;
using Marten.Events;

namespace Ledger.Api.Integrity;

/// <summary>
/// The hash chain of one account's stream while a write transaction appends to it (ADR 45): it starts from the head the
/// account document keeps (its last event's hash, set by the inline projection) and stamps each appended event's hash
/// in its <c>hash</c> header, so the events, their hashes and the new head are committed together. The transaction
/// holds the stream's row lock (<c>FetchForExclusiveWriting</c>), so no other writer can interleave.
/// </summary>
public sealed class StreamChain
{
    private readonly IDocumentSession _session;

    private StreamChain(IDocumentSession session, string accountId, long version, string? head) =>
        (_session, AccountId, Version, Head) = (session, accountId, version, head);

    public string AccountId { get; }
    public long Version { get; private set; }
    public string? Head { get; private set; }

    /// <summary>
    /// The chain at the stream's current version. An account whose document does not know the head of that version (a
    /// stream written before hashing, ADR 45) is chained here first, under the lock this transaction holds.
    /// </summary>
    public static async Task<StreamChain> Open(IDocumentSession session, IEventStream<Account> stream, CancellationToken ct = default)
    {
        var accountId = stream.Key ?? throw new InvalidOperationException("account streams are keyed by string");
        var version = stream.StartingVersion ?? stream.Aggregate?.Version ?? 0;
        if (version == 0) return new StreamChain(session, accountId, 0, null);
        if (stream.Aggregate is { ChainHead: { } head } account && account.Version == version) return new StreamChain(session, accountId, version, head);
        var upgraded = await ChainUpgrade.Chain(session.Connection!, accountId, ct);
        return new StreamChain(session, accountId, upgraded.Version, upgraded.Head);
    }

    /// <summary>Stamps the next event of the stream with its hash; call in append order, after its metadata is set.</summary>
    public void Stamp(IEvent e)
    {
        Version++;
        using var data = JsonDocument.Parse(_session.DocumentStore.Options.Serializer().ToJson(e.Data));
        var headers = (e.Headers ?? []).Where(h => h.Key != EventHash.Header)
            .ToDictionary(h => h.Key, h => JsonSerializer.SerializeToElement(h.Value), StringComparer.Ordinal);
        var hash = EventHash.Of(new HashedEvent(AccountId, Version, e.EventTypeName, data.RootElement, e.CorrelationId, e.CausationId, headers), Head);
        e.SetHeader(EventHash.Header, hash);
        Head = hash;
    }
}
