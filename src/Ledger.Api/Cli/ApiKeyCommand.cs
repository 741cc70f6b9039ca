using Ledger.Api.Auth;
using Ledger.Api.Http;
using Spectre.Console;

namespace Ledger.Api.Cli;

/// <summary>Creates an API key and prints its secret, once; the scopes are always explicit (no key is admin by default).</summary>
public sealed class ApiKeyCommand : ILedgerCommand
{
    public string Name => "api-key";
    public string Description => "Create an API key and print its secret (shown once, never again)";
    public string? Positional => "name";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        new("name", "A name for the key (or give it as the first argument)", "NAME", Required: true),
        new("scopes", $"Comma-separated scopes: {string.Join(", ", Scopes.All)}", "SCOPES", Required: true),
        new("account", "Bind the key to one account: it sees that account only", "ID"),
    ];

    public async Task<int> RunAsync(CliContext context)
    {
        var scopes = context.Option("scopes")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (scopes.Count == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
            return context.Fail(2, $"--scopes must be among: {string.Join(", ", Scopes.All)}.");
        var account = context.Option("account");
        if (account is not null && !Rules.IsValidId(account)) return context.Fail(2, "--account must be an account id (1-64 of A-Z a-z 0-9 _ . : -).");
        var name = context.Option("name")!;
        if (name.Length > 100) return context.Fail(2, "The name may have at most 100 characters.");

        var store = context.Store;
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var secret = ApiKey.NewSecret();
        var key = ApiKey.Create(name, scopes, account, secret, TimeProvider.System.GetUtcNow());
        await using (var session = store.LightweightSession())
        {
            session.Insert(key);
            await session.SaveChangesAsync();
        }
        context.Answer(new { key.Id, key.Name, key.Prefix, key.Scopes, key.AccountId, key.CreatedAt, secret }, () =>
        {
            context.Console.MarkupLineInterpolated($"Created [bold]{key.Id}[/] ({key.Name}): {string.Join(", ", key.Scopes)}{(account is null ? "" : $", bound to {account}")}");
            context.Console.MarkupLine("Its secret, shown this once (store it now):");
            System.Console.Out.WriteLine(secret); // plain, on its own line, so scripts can read it
        });
        return 0;
    }
}
