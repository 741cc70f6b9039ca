using System.Text.RegularExpressions;
using Shouldly;
using Xunit;

namespace Ledger.Client.Tests;

public sealed partial class ReadmeTests(LedgerService service)
{
    [Fact]
    public async Task The_quick_start_runs_verbatim_as_a_file_based_app_and_prints_what_it_promises()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(LedgerService.RepositoryRoot, "clients", "dotnet", "README.md"), TestContext.Current.CancellationToken);
        var block = QuickStart().Match(readme);
        block.Success.ShouldBeTrue("no csharp block under \"## Quick start\"");
        var directory = Path.Combine(LedgerService.RepositoryRoot, "clients", "dotnet", "quickstart"); // where the README says to save it
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "quickstart.cs"), block.Groups[1].Value, TestContext.Current.CancellationToken);
        var output = await LedgerService.Run("dotnet", "run quickstart.cs", directory, TimeSpan.FromMinutes(4), new Dictionary<string, string>
        {
            ["LEDGER_URL"] = service.BaseAddress.ToString(),
            ["LEDGER_API_KEY"] = LedgerService.AdminKey,
        });
        output.ShouldMatch(@"(?m)^an answer \(hold mtr_");
        output.ShouldMatch(@"(?m)^available 9880$");
        output.ShouldMatch(@"(?m)^failed: model overloaded$");
        output.ShouldMatch(@"(?m)^402 /problems/insufficient-credits available 9880$");
        output.ShouldMatch(@"(?m)^\d+ reservation_released$");
    }

    [GeneratedRegex(@"## Quick start[\s\S]*?```csharp\n([\s\S]*?)```")]
    private static partial Regex QuickStart();
}
