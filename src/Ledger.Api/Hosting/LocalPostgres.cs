using System.Diagnostics;

namespace Ledger.Api.Hosting;

/// <summary>
/// With no <c>LEDGER_DATABASE</c>, the service provisions its own PostgreSQL through the repository's
/// <c>scripts/postgres.sh</c> (private cluster under <c>.ledger/</c>, installing binaries if absent).
/// </summary>
public static class LocalPostgres
{
    public static string Provision(string contentRoot)
    {
        var script = FindScript(contentRoot) ?? FindScript(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException(
                "LEDGER_DATABASE is not set and scripts/postgres.sh was not found to provision a local PostgreSQL.");
        Run(script, "start");
        return Run(script, "url").Trim();
    }

    private static string? FindScript(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "scripts", "postgres.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string Run(string script, string verb)
    {
        var info = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/postgres.sh {verb} failed ({process.ExitCode}): {error}{output}");
        return output;
    }
}
