using System.Text.Json;
using Ledger.Api.Hosting;
using Ledger.Api.Stripe;
using Marten;
using Spectre.Console;

namespace Ledger.Api.Cli;

/// <summary>An option of a command: <c>--name VALUE</c>, or a flag without a value.</summary>
public sealed record CliOption(string Name, string Description, string? Value = "VALUE", bool Required = false);

/// <summary>
/// One command of Ledger's command line. To add one (e.g. <c>rebuild</c>, <c>verify</c>): a class implementing this, listed
/// in <see cref="LedgerCli.Commands"/>; it gets parsed options, <c>--json</c>, the console and the store through
/// <see cref="CliContext"/>, and returns its exit code (0 success, 1 a finding such as drift, 2 a usage error).
/// </summary>
public interface ILedgerCommand
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<CliOption> Options { get; }

    /// <summary>The name of a positional argument (e.g. <c>api-key NAME</c>), stored as the option of that name; null if none.</summary>
    string? Positional => null;

    Task<int> RunAsync(CliContext context);
}

/// <summary>What a command runs with: its options, the console, whether to answer JSON, and the store (opened on first use).</summary>
public sealed class CliContext(IReadOnlyDictionary<string, string?> options, bool json, IAnsiConsole console) : IAsyncDisposable
{
    private DocumentStore? _store;

    public bool Json { get; } = json;
    public IAnsiConsole Console { get; } = console;

    public string? Option(string name) => options.GetValueOrDefault(name);
    public bool Flag(string name) => options.ContainsKey(name);

    /// <summary>The service's store on the configured database (<c>LEDGER_DATABASE</c>, else the private local server), without a web host.</summary>
    public IDocumentStore Store => _store ??= new DocumentStore(StripeDocuments(WithoutDaemon(ServiceStore.Configure(new StoreOptions(), LedgerCli.Database(), TimeProvider.System))));

    /// <summary>The service's daemon runs the async projections (ADR 65), not the command line: no warning on stdout that it does not.</summary>
    private static StoreOptions WithoutDaemon(StoreOptions options)
    {
        options.Projections.AsyncMode = JasperFx.Events.Daemon.DaemonMode.ExternallyManaged;
        return options;
    }

    private static StoreOptions StripeDocuments(StoreOptions options)
    {
        StripeSetup.ConfigureDocuments(options);
        return options;
    }

    /// <summary>Writes <paramref name="value"/> as JSON (with <c>--json</c>) or runs <paramref name="human"/>.</summary>
    public void Answer(object value, Action human)
    {
        if (Json) System.Console.Out.WriteLine(JsonSerializer.Serialize(value, LedgerCli.JsonOutput));
        else human();
    }

    public int Fail(int code, string message)
    {
        if (Json) System.Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message }, LedgerCli.JsonOutput));
        else Console.MarkupLineInterpolated($"[red]{message}[/]");
        return code;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
    }
}

/// <summary>
/// Ledger's command line: <c>Ledger.Api COMMAND [options]</c>. Only Ledger's commands; none starts the web host or writes
/// into the source tree; secrets are never printed (but a new key's, once, by <c>api-key</c>); every command takes
/// <c>--help</c> and <c>--json</c>. The one exception is <c>codegen</c>, which goes on to JasperFx (scripts/codegen.sh).
/// </summary>
public static class LedgerCli
{
    public static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IReadOnlyList<ILedgerCommand> Commands { get; } =
        [new ApiKeyCommand(), new CheckInvariantsCommand(), new DbApplyCommand(), new DbAssertCommand(), new DbResetCommand(), new RebuildCommand(), new VerifyCommand()];

    private static readonly CliOption JsonOption = new("json", "Answer in JSON instead of text", null);
    private static readonly CliOption HelpOption = new("help", "Show this help", null);

    /// <summary>A command line for Ledger (not the service: no arguments, or host options such as --urls, start the service).</summary>
    /// <remarks><c>codegen</c> goes on to JasperFx, but for its help, which is ours (JasperFx's exits 1 after scanning assemblies).</remarks>
    public static bool Handles(string[] args) =>
        args.Length > 0 && !args[0].StartsWith('-') && (args[0] != "codegen" || args.Contains("--help") || args.Contains("-h"))
        || args is ["--help" or "-h", ..];

    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        console ??= AnsiConsole.Console;
        if (args is ["help" or "--help" or "-h", "--json"])
        {
            System.Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                commands = Commands.Select(c => new
                {
                    name = c.Name, description = c.Description,
                    options = c.Options.Append(JsonOption).Append(HelpOption).Select(o => new { name = $"--{o.Name}", value = o.Value, description = o.Description, required = o.Required }),
                }),
            }, JsonOutput));
            return 0;
        }
        if (args is [] or ["help"] or ["--help" or "-h", ..]) return Usage(console);
        var name = args[0] == "help" ? args[1] : args[0];
        if (name == "codegen") return CodegenHelp(console);
        if (Commands.FirstOrDefault(c => c.Name == name) is not { } command)
        {
            console.MarkupLineInterpolated($"[red]Unknown command '{name}'.[/]");
            Usage(console);
            return 2;
        }
        if (args[0] == "help" || args.Contains("--help") || args.Contains("-h")) return Help(console, command);

        if (Parse(command, args[1..], out var options) is { } error)
        {
            console.MarkupLineInterpolated($"[red]{error}[/]");
            console.MarkupLineInterpolated($"Run '{command.Name} --help' for its options.");
            return 2;
        }
        await using var context = new CliContext(options, options.ContainsKey("json"), console);
        try
        {
            return await command.RunAsync(context);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return context.Fail(1, $"{command.Name} failed: {ex.Message}");
        }
    }

    private static string? Parse(ILedgerCommand command, string[] args, out Dictionary<string, string?> parsed)
    {
        var options = parsed = new Dictionary<string, string?>(StringComparer.Ordinal);
        var known = command.Options.Append(JsonOption).ToDictionary(o => o.Name, StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (command.Positional is not { } positional || options.ContainsKey(positional)) return $"Unexpected argument '{arg}'.";
                options[positional] = arg;
                continue;
            }
            var (name, inline) = arg[2..].Split('=', 2) is [var n, var v] ? (n, v) : (arg[2..], null);
            if (!known.TryGetValue(name, out var option)) return $"Unknown option '--{name}'.";
            if (option.Value is null) { options[name] = null; continue; }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : null);
            if (string.IsNullOrWhiteSpace(value)) return $"--{name} needs a value ({option.Value}).";
            options[name] = value;
        }
        var missing = command.Options.Where(o => o.Required && !options.ContainsKey(o.Name)).Select(o => $"--{o.Name}").ToList();
        return missing.Count > 0 ? $"Missing {string.Join(", ", missing)}." : null;
    }

    private static int Usage(IAnsiConsole console)
    {
        console.MarkupLine("[bold]Ledger[/] command line: [grey]Ledger.Api COMMAND [[options]][/] (no command: start the service)");
        var table = new Table().Border(TableBorder.Simple).AddColumn("Command").AddColumn("What it does");
        foreach (var command in Commands) table.AddRow(Markup.Escape(command.Name), Markup.Escape(command.Description));
        console.Write(table);
        console.MarkupLine("Every command takes [bold]--help[/] and [bold]--json[/]. Settings come from the environment ([bold]LEDGER_DATABASE[/] ...), as the service's.");
        console.MarkupLine("Developers: [bold]codegen write[/] regenerates Wolverine's adapters (use scripts/codegen.sh).");
        return 0;
    }

    private static int CodegenHelp(IAnsiConsole console)
    {
        console.MarkupLine("[bold]codegen write[/]: regenerates Wolverine's pre-generated adapters in src/Ledger.Api/Internal/Generated "
            + "(for developers, after adding or changing an endpoint or handler; ADR 20). Run it through [bold]scripts/codegen.sh[/], which builds first "
            + "and removes stale files.");
        return 0;
    }

    private static int Help(IAnsiConsole console, ILedgerCommand command)
    {
        var usage = command.Positional is { } p ? $"{command.Name} {p.ToUpperInvariant()}" : command.Name;
        console.MarkupLineInterpolated($"[bold]{usage}[/] [[options]]: {command.Description}");
        var table = new Table().Border(TableBorder.Simple).AddColumn("Option").AddColumn("Meaning");
        foreach (var option in command.Options.Append(JsonOption).Append(HelpOption))
            table.AddRow(Markup.Escape($"--{option.Name}{(option.Value is null ? "" : $" {option.Value}")}"),
                Markup.Escape(option.Description + (option.Required ? " (required)" : "")));
        console.Write(table);
        return 0;
    }

    /// <summary>The database the service would use: <c>LEDGER_DATABASE</c> (environment or appsettings.json), else the private local server.</summary>
    public static string Database()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        return LedgerSettings.From(configuration).Database ?? LocalPostgres.Provision(Directory.GetCurrentDirectory());
    }
}
