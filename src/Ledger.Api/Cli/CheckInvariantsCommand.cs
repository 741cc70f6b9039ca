using Ledger.Projections.Rebuilds;
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

/// <summary>The rebuild's comparison of the account views, as a dry run, and the invariants on the recomputed state.</summary>
public static class InvariantCheck
{
    public static async Task<InvariantReport> Run(IDocumentStore store, string? onlyAccount = null, CancellationToken ct = default)
    {
        var report = await new ProjectionRebuild(store).Run(new RebuildScope(RebuildScope.Accounts, onlyAccount, DryRun: true), ct: ct);
        var drifts = report.Differences
            .Select(d => $"{d.AccountId}: {d.Field} stored {d.Stored ?? "(none)"}, replayed {d.Recomputed ?? "(none)"}")
            .Concat(report.InvariantViolations.Select(v => $"invariant broken after replay: {v}"))
            .ToList();
        return new InvariantReport(report.Streams, report.Events, drifts);
    }
}
