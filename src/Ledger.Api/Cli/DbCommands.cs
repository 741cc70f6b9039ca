using Marten;
using Spectre.Console;

namespace Ledger.Api.Cli;

/// <summary>Creates or updates the ledger's tables, functions and indexes (the service also does it at start).</summary>
public sealed class DbApplyCommand : ILedgerCommand
{
    public string Name => "db-apply";
    public string Description => "Create or update the database schema (events, views, documents, indexes)";
    public IReadOnlyList<CliOption> Options { get; } = [];

    public async Task<int> RunAsync(CliContext context)
    {
        await context.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        context.Answer(new { applied = true }, () => context.Console.MarkupLine("[green]The schema is up to date.[/]"));
        return 0;
    }
}

/// <summary>Checks the database against the schema the service expects, changing nothing: exit code 1 if they differ.</summary>
public sealed class DbAssertCommand : ILedgerCommand
{
    public string Name => "db-assert";
    public string Description => "Check that the database schema matches this version of Ledger (changes nothing; exit 1 if not)";
    public IReadOnlyList<CliOption> Options { get; } = [];

    public async Task<int> RunAsync(CliContext context)
    {
        try
        {
            await context.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
        }
        catch (Exception ex) when (ex is not Npgsql.NpgsqlException)
        {
            var first = ex.Message.Split('\n', 2)[0];
            context.Answer(new { matches = false, difference = ex.Message }, () =>
                context.Console.MarkupLineInterpolated($"[red]The schema differs; run db-apply.[/] {first}"));
            return 1;
        }
        context.Answer(new { matches = true }, () => context.Console.MarkupLine("[green]The schema matches.[/]"));
        return 0;
    }
}

/// <summary>Drops the ledger's schema, everything in it (accounts, events, keys, Stripe records): a fresh start for a demo or a tour.</summary>
public sealed class DbResetCommand : ILedgerCommand
{
    public string Name => "db-reset";
    public string Description => "Drop the ledger's schema and everything in it (asks for --yes); the service recreates it at start";
    public IReadOnlyList<CliOption> Options { get; } = [new("yes", "Confirm: every account, event and API key is deleted", null, Required: true)];

    public async Task<int> RunAsync(CliContext context)
    {
        await using var connection = new Npgsql.NpgsqlConnection(LedgerCli.Database());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"drop schema if exists {Ledger.Projections.LedgerStore.Schema} cascade", connection);
        await command.ExecuteNonQueryAsync();
        context.Answer(new { reset = true }, () => context.Console.MarkupLine("The ledger's schema was dropped; the service recreates it empty at start."));
        return 0;
    }
}
