using System.Diagnostics;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// The npm tools tests use as a user would (stripe-node, redocly), each pinned by a package.json and lockfile in a
/// folder of this project; a fresh clone gets them with <c>npm ci</c> the first time a test needs them.
/// </summary>
public static class NpmTools
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The folder (relative to the repository) with <paramref name="package"/> installed in it.</summary>
    public static async Task<string> InstalledAsync(string folder, string package)
    {
        var directory = Path.Combine(PostgresServer.FindRepositoryRoot(), folder);
        if (Installed(directory, package)) return directory;
        await Gate.WaitAsync();
        try
        {
            if (!Installed(directory, package)) await RunAsync(directory, "npm", "ci --no-audit --no-fund --loglevel=error", TimeSpan.FromMinutes(5));
            return directory;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool Installed(string directory, string package) =>
        File.Exists(Path.Combine(directory, "node_modules", package, "package.json"));

    /// <summary>Runs a command to its end; its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string directory, string command, string arguments, TimeSpan timeout, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(limit.Token);
        if (throwOnFailure && process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {arguments} in {directory} failed ({process.ExitCode}): {await output} {await error}");
        return (process.ExitCode, await output, await error);
    }
}
