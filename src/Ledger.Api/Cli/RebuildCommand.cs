using Ledger.Api.Rebuilds;
using Ledger.Projections.Rebuilds;
using Spectre.Console;

namespace Ledger.Api.Cli;

/// <summary>
/// <c>rebuild</c>: what <c>POST /v1/admin/projections/rebuild</c> does, from the command line, with progress
/// on the terminal. Exit code 0 when the stored views matched the events (or were repaired), 1 when a dry run found
/// differences or the recomputed state breaks an invariant.
/// </summary>
public sealed class RebuildCommand : ILedgerCommand
{
    private const int ListedInText = 50;

    public string Name => "rebuild";
    public string Description => "Recompute stored views from the events, report every difference, and replace what differs";
    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("projection", $"Only this view: {string.Join(", ", RebuildScope.Views)}", "VIEW"),
        new("account", "Only this account", "ID"),
        new("dry-run", "Report the differences, replace nothing", null),
    ];

    public async Task<int> RunAsync(CliContext context)
    {
        var scope = new RebuildScope(context.Option("projection"), context.Option("account"), context.Flag("dry-run"));
        if (scope.Projection is { } view && !RebuildScope.Views.Contains(view))
            return context.Fail(2, $"Unknown projection '{view}': one of {string.Join(", ", RebuildScope.Views)}.");
        if (scope.AccountId is { } id && !await RebuildEndpoint.Exists(context.Store, id, CancellationToken.None))
            return context.Fail(1, $"Account '{id}' not found.");

        var rebuild = new ProjectionRebuild(context.Store);
        RebuildReport report;
        if (context.Json) report = await rebuild.Run(scope);
        else
            report = await context.Console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(scope.DryRun ? "Comparing" : "Rebuilding", maxValue: 1);
                    var result = await rebuild.Run(scope, new ProgressReport(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Streams);
                        task.Value = p.StreamsDone;
                        task.Description = $"{(scope.DryRun ? "Comparing" : "Rebuilding")}: {p.StreamsDone:N0}/{p.Streams:N0} streams, {p.Events:N0} events";
                    }));
                    task.Value = task.MaxValue;
                    return result;
                });

        context.Answer(report, () => Print(context.Console, report));
        var clean = report.InvariantViolations.Count == 0 && (report.DifferencesFound == 0 || !report.DryRun);
        return clean ? 0 : 1;
    }

    private static void Print(IAnsiConsole console, RebuildReport report)
    {
        if (report.Differences.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("Account").AddColumn("View").AddColumn("Document").AddColumn("Field").AddColumn("Stored").AddColumn("Recomputed");
            foreach (var d in report.Differences.Take(ListedInText))
                table.AddRow(Markup.Escape(d.AccountId), d.View, Markup.Escape(d.DocumentId), Markup.Escape(d.Field),
                    Markup.Escape(d.Stored ?? "(none)"), Markup.Escape(d.Recomputed ?? "(none)"));
            console.Write(table);
            if (report.DifferencesFound > ListedInText)
                console.MarkupLineInterpolated($"... and {report.DifferencesFound - ListedInText} more (--json lists the first {RebuildReport.MaxListed}).");
        }
        foreach (var violation in report.InvariantViolations) console.MarkupLineInterpolated($"[red]INVARIANT[/] {violation}");
        var colour = report.DifferencesFound == 0 ? "green" : report.DryRun ? "red" : "yellow";
        var outcome = report.DryRun ? " (dry run: nothing replaced)" : $", {report.Replaced} documents replaced, {report.Deleted} deleted";
        console.MarkupLineInterpolated(
            $"{report.Streams:N0} streams, {report.Events:N0} events in {report.DurationMs:N0} ms ({report.EventsPerSecond:N0} events/s): [{colour}]{report.DifferencesFound} differences[/]{outcome}");
    }

    private sealed class ProgressReport(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        private readonly Lock _gate = new();

        public void Report(RebuildProgress value)
        {
            lock (_gate) report(value);
        }
    }
}
