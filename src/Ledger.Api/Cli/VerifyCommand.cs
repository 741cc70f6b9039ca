using Ledger.Api.Integrity;
using Spectre.Console;

namespace Ledger.Api.Cli;

/// <summary>
/// Recomputes accounts' hash chains (ADR 45) and names each first break. Exit code 1 if a chain is broken or unchained,
/// or the account does not exist.
/// </summary>
public sealed class VerifyCommand : ILedgerCommand
{
    public string Name => "verify";
    public string Description => "Recompute the hash chain of an account's events (or of every account) and name the first break";
    public IReadOnlyList<CliOption> Options { get; } = [new("account", "Verify only this account", "ID")];

    public async Task<int> RunAsync(CliContext context)
    {
        List<ChainVerdict> verdicts;
        if (context.Option("account") is { } account)
        {
            if (await ChainVerifier.Verify(context.Store, account, CancellationToken.None) is not { } verdict)
                return context.Fail(1, $"Account '{account}' not found.");
            verdicts = [verdict];
        }
        else
        {
            verdicts = await ChainVerifier.VerifyAll(context.Store, CancellationToken.None);
        }
        var bad = verdicts.Where(v => v.Status != ChainVerdict.Intact).ToList();
        context.Answer(verdicts.Count == 1 ? verdicts[0] : new { accounts = verdicts.Count, intact = verdicts.Count - bad.Count, verdicts = bad }, () =>
        {
            foreach (var v in verdicts.Where(v => v.Status != ChainVerdict.Intact || verdicts.Count == 1)) Print(context.Console, v);
            if (verdicts.Count != 1)
                context.Console.MarkupLineInterpolated(
                    $"{verdicts.Count} accounts, {verdicts.Sum(v => v.Events)} events checked, [{(bad.Count == 0 ? "green" : "red")}]{bad.Count} not intact[/]");
        });
        return bad.Count == 0 ? 0 : 1;
    }

    private static void Print(IAnsiConsole console, ChainVerdict v)
    {
        var color = v.Status == ChainVerdict.Intact ? "green" : "red";
        console.MarkupLineInterpolated($"{v.AccountId}: [{color}]{v.Status}[/], {v.Events} events, head {v.Head ?? "-"}");
        if (v.FirstBreak is { } b)
            console.MarkupLineInterpolated(
                $"  first break at version {b.Version} ({b.Reason}): expected {b.ExpectedHash ?? "-"}, stored {b.StoredHash ?? "-"}. {b.Detail}");
    }
}
