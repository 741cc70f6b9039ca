using JasperFx.CommandLine;
using Ledger.Api.Audit;
using Ledger.Domain.Accounts;
using Marten;

namespace Ledger.Api.Cli;

public sealed class CheckInvariantsInput : NetCoreInput
{
    [Description("Check only this account")]
    [FlagAlias("account", 'a')]
    public string? AccountFlag { get; set; }
}

/// <summary>
/// Recomputes every account from its events alone and compares with the stored inline view; also
/// checks the ledger's arithmetic invariants on the recomputed state. Exit code 1 on any drift.
/// </summary>
[Description("Recompute accounts from events and report any drift from the stored views", Name = "check-invariants")]
public sealed class CheckInvariantsCommand : JasperFxAsyncCommand<CheckInvariantsInput>
{
    public override async Task<bool> Execute(CheckInvariantsInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var report = await InvariantCheck.Run(store, input.AccountFlag);
        foreach (var drift in report.Drifts) Console.WriteLine($"DRIFT {drift}");
        Console.WriteLine($"{report.Accounts} accounts, {report.Events} events checked, {report.Drifts.Count} drifts");
        return report.Drifts.Count == 0;
    }
}

public sealed record InvariantReport(int Accounts, long Events, IReadOnlyList<string> Drifts);

public static class InvariantCheck
{
    public static async Task<InvariantReport> Run(IDocumentStore store, string? onlyAccount = null, CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        var ids = onlyAccount is not null
            ? [onlyAccount]
            : await session.Query<Account>().Select(a => a.Id).ToListAsync(ct);
        var drifts = new List<string>();
        long events = 0;
        foreach (var id in ids)
        {
            var stream = await session.Events.FetchStreamAsync(id, token: ct);
            events += stream.Count;
            Account? replayed = null;
            foreach (var e in stream) replayed = Account.Evolve(replayed, e.Data) is { } next ? next with { Version = e.Version } : null;
            var stored = await session.LoadAsync<Account>(id, ct);
            if (replayed is null || stored is null)
            {
                drifts.Add($"{id}: stored view {(stored is null ? "missing" : "present")}, stream {(replayed is null ? "empty" : "present")}");
                continue;
            }
            var at = stream.Count > 0 ? AccountHistory.InstantOf(stream[^1]) : DateTimeOffset.UtcNow;
            try
            {
                Invariants.Check(replayed, at);
            }
            catch (LedgerInvariantViolated ex)
            {
                drifts.Add($"{id}: invariant broken after replay: {ex.Message}");
            }
            var a = Balance.Sum(stored, at);
            var b = Balance.Sum(replayed, at);
            if (a != b || stored.Version != replayed.Version || stored.Holds.Count != replayed.Holds.Count)
                drifts.Add($"{id}: stored {a} v{stored.Version} differs from replay {b} v{replayed.Version}");
        }
        return new InvariantReport(ids.Count, events, drifts);
    }
}
