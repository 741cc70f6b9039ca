using System.Diagnostics;
using System.Text.Json;
using Ledger.Api.Tests.Codegen;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Cli;

/// <summary>
/// Issue 14, item 5: the built service's command line, run as a user runs it (a child process in an empty folder): only
/// Ledger's commands, each with --help exiting 0, none writing where it runs or printing a secret (but a new key's, once),
/// api-key requiring --scopes, plain terminal text and --json.
/// </summary>
public sealed class CommandLineTests(PostgresServer server)
{
    private const string BootstrapSecret = "lk_live_cli_bootstrap_marker_0123456789";
    private const string WebhookSecret = "whsec_cli_marker_0123456789";
    // every command the command line lists (db-reset was added after this test was written and went untried)
    private static readonly string[] LedgerCommands = [.. Ledger.Api.Cli.LedgerCli.Commands.Select(c => c.Name)];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Run(int ExitCode, string Output)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;
    }

    private static async Task<Run> Cli(string database, string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [GeneratedCodeTests.ServiceAssembly, .. args])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["LEDGER_DATABASE"] = database, ["LEDGER_BOOTSTRAP_ADMIN_KEY"] = BootstrapSecret,
                ["LEDGER_STRIPE_WEBHOOK_SECRET"] = WebhookSecret, ["DOTNET_NOLOGO"] = "1", ["COLUMNS"] = "200",
            },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        var all = await output + await error;
        all.ShouldNotContain(BootstrapSecret, customMessage: string.Join(' ', args));
        all.ShouldNotContain(WebhookSecret, customMessage: string.Join(' ', args));
        all.ShouldNotContain("[/]", customMessage: $"markup leaked: {string.Join(' ', args)}");
        return new Run(process.ExitCode, all);
    }

    [Fact]
    public async Task Only_Ledgers_commands_each_with_help_none_printing_secrets_or_writing_where_it_runs()
    {
        var database = await server.CreateDatabaseAsync("cli");
        var folder = Directory.CreateTempSubdirectory("ledger-cli-").FullName;
        try
        {
            var help = await Cli(database, folder, "help");
            help.ExitCode.ShouldBe(0);
            foreach (var command in LedgerCommands) help.Output.ShouldContain(command);
            foreach (var foreign in new[] { "describe", "capabilities", "storage", "event-query", "codegen preview", "projections" })
                help.Output.ShouldNotContain(foreign);
            (await Cli(database, folder, "--help")).ExitCode.ShouldBe(0);
            LedgerCommands.ShouldBe(["api-key", "check-invariants", "db-apply", "db-assert", "db-reset", "rebuild", "verify"], ignoreOrder: true);
            // help lists codegen for developers: its --help is the command line's, exit 0, without JasperFx's assembly scan
            foreach (var args in new[] { new[] { "codegen", "--help" }, ["help", "codegen"] })
            {
                var codegen = await Cli(database, folder, args);
                codegen.ExitCode.ShouldBe(0, codegen.Output);
                codegen.Output.ShouldContain("scripts/codegen.sh");
                codegen.Output.ShouldNotContain("Searching '");
            }
            var listed = await Cli(database, folder, "help", "--json");
            listed.ExitCode.ShouldBe(0, listed.Output);
            listed.Json.GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ShouldBe(LedgerCommands);
            (await Cli(database, folder, "describe")).ExitCode.ShouldBe(2);

            foreach (var command in LedgerCommands)
            {
                var own = await Cli(database, folder, command, "--help");
                own.ExitCode.ShouldBe(0, own.Output);
                own.Output.ShouldContain("--json");
                (await Cli(database, folder, "help", command)).ExitCode.ShouldBe(0);
            }

            (await Cli(database, folder, "db-apply")).ExitCode.ShouldBe(0);
            var assert = await Cli(database, folder, "db-assert", "--json");
            (assert.ExitCode, assert.Json.GetProperty("matches").GetBoolean()).ShouldBe((0, true), assert.Output);

            // api-key: the scopes are never implicit; the secret is printed once, by this command only
            var unscoped = await Cli(database, folder, "api-key", "no-scopes");
            unscoped.ExitCode.ShouldBe(2);
            unscoped.Output.ShouldContain("--scopes");
            (await Cli(database, folder, "api-key", "bad", "--scopes", "root")).ExitCode.ShouldBe(2);
            var created = await Cli(database, folder, "api-key", "reader", "--scopes", "ledger:read", "--json");
            created.ExitCode.ShouldBe(0, created.Output);
            var secret = created.Json.GetProperty("secret").GetString()!;
            secret.ShouldStartWith("lk_live_");
            created.Json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe(["ledger:read"]);
            var text = await Cli(database, folder, "api-key", "--name", "writer", "--scopes", "ledger:write", "--account", "acme");
            text.ExitCode.ShouldBe(0);
            text.Output.Split('\n').Count(l => l.Trim().StartsWith("lk_live_", StringComparison.Ordinal)).ShouldBe(1);

            var missing = await Cli(database, folder, "check-invariants", "--account", "nosuch");
            (missing.ExitCode, missing.Output.Contains("not found", StringComparison.Ordinal)).ShouldBe((1, true), missing.Output);
            var check = await Cli(database, folder, "check-invariants", "--json");
            (check.ExitCode, check.Json.GetProperty("drifts").GetArrayLength()).ShouldBe((0, 0), check.Output);
            (await Cli(database, folder, "check-invariants", "--bogus")).ExitCode.ShouldBe(2);

            // db-reset asks for --yes, then drops everything; db-apply makes the schema again
            (await Cli(database, folder, "db-reset")).ExitCode.ShouldBe(2);
            (await Cli(database, folder, "db-assert")).ExitCode.ShouldBe(0);
            var reset = await Cli(database, folder, "db-reset", "--yes", "--json");
            (reset.ExitCode, reset.Json.GetProperty("reset").GetBoolean()).ShouldBe((0, true), reset.Output);
            (await Cli(database, folder, "db-assert")).ExitCode.ShouldBe(1);
            (await Cli(database, folder, "db-apply")).ExitCode.ShouldBe(0);
            (await Cli(database, folder, "db-assert")).ExitCode.ShouldBe(0);

            Directory.EnumerateFileSystemEntries(folder).ShouldBeEmpty("a command wrote where it ran");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
