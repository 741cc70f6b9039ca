using Xunit;

namespace Ledger.Client.Tests;

/// <summary>
/// The TypeScript and Python clients' own suites (node --test, unittest), run against this assembly's service so CI
/// (scripts/test.sh) runs them; their output is in the failure message.
/// </summary>
public sealed class OtherClientsTests(LedgerService service)
{
    private Dictionary<string, string> Environment => new()
    {
        ["LEDGER_URL"] = service.BaseAddress.ToString().TrimEnd('/'),
        ["LEDGER_ADMIN_KEY"] = LedgerService.AdminKey,
    };

    [Fact]
    public async Task The_typescript_client_builds_and_passes_its_tests()
    {
        var directory = Path.Combine(LedgerService.RepositoryRoot, "clients", "typescript");
        if (!File.Exists(Path.Combine(directory, "node_modules", "openapi-typescript", "package.json")))
            await LedgerService.Run("npm", "ci --no-audit --no-fund --loglevel=error", directory, TimeSpan.FromMinutes(5));
        var output = await LedgerService.Run("npm", "test", directory, TimeSpan.FromMinutes(5), Environment);
        Assert.Contains("# fail 0", output);
    }

    [Fact]
    public async Task The_python_client_passes_its_tests()
    {
        var directory = Path.Combine(LedgerService.RepositoryRoot, "clients", "python");
        await LedgerService.Run("python3", "-m unittest discover -s tests -t .", directory, TimeSpan.FromMinutes(3), Environment);
    }
}
