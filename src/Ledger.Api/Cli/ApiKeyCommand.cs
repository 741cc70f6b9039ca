using JasperFx.CommandLine;
using Ledger.Api.Auth;
using Marten;

namespace Ledger.Api.Cli;

public sealed class ApiKeyInput : NetCoreInput
{
    [Description("A name for the key")]
    public string Name { get; set; } = "cli";

    [Description("Comma-separated scopes: ledger:read, ledger:write, admin")]
    [FlagAlias("scopes", 's')]
    public string ScopesFlag { get; set; } = Scopes.Admin;

    [Description("Bind the key to one account")]
    [FlagAlias("account", 'a')]
    public string? AccountFlag { get; set; }
}

[Description("Create an API key and print its secret (shown once)", Name = "api-key")]
public sealed class ApiKeyCommand : JasperFxAsyncCommand<ApiKeyInput>
{
    public override async Task<bool> Execute(ApiKeyInput input)
    {
        var scopes = input.ScopesFlag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (scopes.Length == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
        {
            Console.Error.WriteLine($"Scopes must be among: {string.Join(", ", Scopes.All)}");
            return false;
        }
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var secret = ApiKey.NewSecret();
        var key = ApiKey.Create(input.Name, scopes, input.AccountFlag, secret, TimeProvider.System.GetUtcNow());
        await using var session = store.LightweightSession();
        session.Insert(key);
        await session.SaveChangesAsync();
        Console.WriteLine($"{key.Id} {string.Join(',', key.Scopes)}{(key.AccountId is null ? "" : $" account={key.AccountId}")}");
        Console.WriteLine(secret);
        return true;
    }
}
