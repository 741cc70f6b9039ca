using System.Diagnostics;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Codegen;

/// <summary>
/// ADR 20: the service runs Wolverine's adapters pre-generated in <c>src/Ledger.Api/Internal/Generated</c>
/// (<c>TypeLoadMode.Static</c>), so an endpoint or handler added, removed or changed without <c>scripts/codegen.sh</c>
/// would be absent or run old code. These tests generate the code afresh from the built service and compare.
/// </summary>
public sealed class GeneratedCodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Committed => Path.Combine(PostgresServer.FindRepositoryRoot(), "src", "Ledger.Api", "Internal", "Generated");

    /// <summary>
    /// The service as built next to this test project (same configuration and framework): run from its own output folder,
    /// as the command line scans the assemblies beside it.
    /// </summary>
    public static string ServiceAssembly
    {
        get
        {
            var build = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // .../bin/{configuration}/{framework}
            return Path.Combine(PostgresServer.FindRepositoryRoot(), "src", "Ledger.Api", "bin", build.Parent!.Name, build.Name, "Ledger.Api.dll");
        }
    }

    /// <summary>Runs the service's <c>codegen write</c> in an empty folder (generation follows the content root, the working directory).</summary>
    private static async Task<string> GenerateAfresh()
    {
        var folder = Directory.CreateTempSubdirectory("ledger-codegen-").FullName;
        var start = new ProcessStartInfo("dotnet", [ServiceAssembly, "codegen", "write"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["LEDGER_DATABASE"] = "Host=127.0.0.1;Database=codegen", ["DOTNET_NOLOGO"] = "1" },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        process.ExitCode.ShouldBe(0, $"codegen write failed:\n{await output}\n{await error}");
        return Path.Combine(folder, "Internal", "Generated");
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => File.ReadAllText(f).ReplaceLineEndings("\n"));

    [Fact]
    public async Task The_committed_generated_code_is_what_a_fresh_generation_writes()
    {
        var fresh = await GenerateAfresh();
        try
        {
            var expected = Files(fresh);
            var committed = Files(Committed);
            expected.Keys.ShouldNotBeEmpty();

            var missing = expected.Keys.Except(committed.Keys).Order().ToList();
            var extra = committed.Keys.Except(expected.Keys).Order().ToList();
            var changed = expected.Keys.Intersect(committed.Keys).Where(k => expected[k] != committed[k]).Order().ToList();
            var advice = "\nRun scripts/codegen.sh and commit src/Ledger.Api/Internal/Generated (ADR 20).";
            missing.ShouldBeEmpty($"generated files not committed (new endpoints or handlers would be absent):{advice}");
            extra.ShouldBeEmpty($"committed files no longer generated:{advice}");
            changed.ShouldBeEmpty($"committed files differ from a fresh generation:{advice}");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(fresh))!, recursive: true);
        }
    }

    [Fact]
    public void The_service_ships_without_Roslyn()
    {
        // The service's own dependency manifest, as the built program loads it: nothing of Roslyn is resolvable at run time.
        var deps = File.ReadAllText(Path.ChangeExtension(ServiceAssembly, ".deps.json"));
        deps.ShouldNotContain("Microsoft.CodeAnalysis");
        deps.ShouldNotContain("JasperFx.RuntimeCompiler");
    }
}
