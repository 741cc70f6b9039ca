using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// The service as production runs it: its own process (the built Ledger.Api.dll, same configuration as the tests) on a
/// real port and the real clock, which a test can kill with SIGKILL (no shutdown hooks, in-flight requests cut off) and
/// start again on the same database and port.
/// </summary>
public sealed class LedgerProcess(string database, IReadOnlyDictionary<string, string>? settings = null) : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly List<string> _output = [];
    private Process? _process;

    public int Port { get; } = FreePort();
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Starts the process and waits until <c>/health/ready</c> answers.</summary>
    public async Task StartAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var api = Path.Combine(PostgresServer.FindRepositoryRoot(), "src", "Ledger.Api");
        var dll = Path.Combine(api, "bin", configuration, "net10.0", "Ledger.Api.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = api, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["LEDGER_DATABASE"] = database;
        start.Environment["LEDGER_BOOTSTRAP_ADMIN_KEY"] = LedgerApp.AdminKey;
        start.Environment["LEDGER_RATE_LIMITS"] = "off";
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = _process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_output) if (e.Data is { } line) _output.Add(line); };
        process.ErrorDataReceived += (_, e) => { lock (_output) if (e.Data is { } line) _output.Add(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.Until(async () =>
            {
                if (process.HasExited) Assert.Fail($"the service exited ({process.ExitCode}):\n{Output()}");
                try
                {
                    return (await probe.GetAsync("/health/ready", Ct)).IsSuccessStatusCode ? "ready" : null;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !Ct.IsCancellationRequested)
                {
                    return null; // not listening yet
                }
            },
            TimeSpan.FromSeconds(90), () => $"the service did not become ready:\n{Output()}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, in-flight requests cut off.</summary>
    public void Kill()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public string Output()
    {
        lock (_output) return string.Join('\n', _output.TakeLast(40));
    }

    /// <summary>Everything the process wrote to stdout and stderr since the first start (its whole log).</summary>
    public string AllOutput()
    {
        lock (_output) return string.Join('\n', _output);
    }

    /// <summary>An admin client; <paramref name="connections"/> bounds its pool (one connection per concurrent client).</summary>
    public HttpClient Client(int connections = 32)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LedgerApp.AdminKey);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}
