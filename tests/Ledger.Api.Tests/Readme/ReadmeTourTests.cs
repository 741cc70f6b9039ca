using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Readme;

/// <summary>
/// The README's tours work as pasted (issue 14): every `bash` block that starts the service (`scripts/start.sh --reset`)
/// is run verbatim with bash from the repository root, on the repository's own private PostgreSQL and port 5080, as a
/// new user would; what it prints must match the `text` block that follows it, line by line, each line's fragments
/// (split at `…`) in order.
/// </summary>
public sealed partial class ReadmeTourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Tours() => new(Blocks().Select(b => b.Title));

    [Theory]
    [MemberData(nameof(Tours))]
    public async Task A_README_tour_prints_what_the_README_shows(string title)
    {
        var (_, script, expected) = Blocks().Single(b => b.Title == title);
        // a tour ends with `kill %1`, which does not wait for the service to stop: the next tour waits for the port
        await Eventually.Until(() => Task.FromResult(PortInUse(5080) ? null : "free"), TimeSpan.FromSeconds(60),
            () => "port 5080 is in use: the README tours start the service there");
        var root = PostgresServer.FindRepositoryRoot();
        var start = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("LEDGER_DATABASE"); // the tours provision the repository's own PostgreSQL
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var context = $"tour '{title}' printed:\n{await stdout}\nstderr:\n{await stderr}";
        Assert.True(lines.Length == expected.Count, $"{expected.Count} lines shown, {lines.Length} printed; {context}");
        for (var i = 0; i < expected.Count; i++)
        {
            var at = 0;
            foreach (var fragment in expected[i].Split('…', StringSplitOptions.RemoveEmptyEntries))
            {
                var found = lines[i].IndexOf(fragment, at, StringComparison.Ordinal);
                Assert.True(found >= 0, $"line {i + 1}: '{fragment}' not found (in order) in\n{lines[i]}\n{context}");
                at = found + fragment.Length;
            }
        }
    }

    /// <summary>Each tour: the heading above it, its script, and the lines shown after it.</summary>
    private static List<(string Title, string Script, List<string> Expected)> Blocks()
    {
        var readme = File.ReadAllText(Path.Combine(PostgresServer.FindRepositoryRoot(), "README.md"));
        var tours = new List<(string, string, List<string>)>();
        foreach (Match m in Tour().Matches(readme))
        {
            var heading = readme[..m.Index].Split('\n').Last(l => l.StartsWith("## ", StringComparison.Ordinal))[3..].Trim();
            tours.Add((heading, m.Groups["script"].Value, [.. m.Groups["shown"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries)]));
        }
        return tours;
    }

    [GeneratedRegex(@"```bash\n(?<script>(?:(?!```)[\s\S])*?scripts/start\.sh --reset[\s\S]*?)```(?:(?!```)[\s\S])*?```text\n(?<shown>[\s\S]*?)```")]
    private static partial Regex Tour();

    private static bool PortInUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
