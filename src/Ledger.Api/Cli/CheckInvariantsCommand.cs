using Ledger.Api.Audit;
using Spectre.Console;
using Ledger.Domain.Accounts;
using Marten;

namespace Ledger.Api.Cli;

/// <summary>
/// Recomputes accounts from their events alone and compares with the stored inline views; also checks the ledger's
/// arithmetic invariants on the recomputed state. Exit code 1 on any drift, or for an account that does not exist.
/// </summary>
public sealed class CheckInvariantsCommand : ILedgerCommand
{
    public string Name => "check-invariants";
    public string Description => "Recompute accounts from their events and report any drift from the stored views";
    public IReadOnlyList<CliOption> Options { get; } = [new("account", "Check only this account", "ID")];

    public async Task<int> RunAsync(CliContext context)
    {
        var account = context.Option("account");
        if (account is not null)
        {
            await using var session = context.Store.QuerySession();
            if (await session.Events.FetchStreamStateAsync(account) is null && await session.LoadAsync<Account>(account) is null)
                return context.Fail(1, $"Account '{account}' not found.");
        }
        var report = await InvariantCheck.Run(context.Store, account);
        context.Answer(report, () =>
        {
            foreach (var drift in report.Drifts) context.Console.MarkupLineInterpolated($"[red]DRIFT[/] {drift}");
            context.Console.MarkupLineInterpolated(
                $"{report.Accounts} accounts, {report.Events} events checked, [{(report.Drifts.Count == 0 ? "green" : "red")}]{report.Drifts.Count} drifts[/]");
        });
        return report.Drifts.Count == 0 ? 0 : 1;
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
