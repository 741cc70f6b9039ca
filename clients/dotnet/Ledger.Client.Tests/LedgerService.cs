using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

[assembly: AssemblyFixture(typeof(Ledger.Client.Tests.LedgerService))]

namespace Ledger.Client.Tests;

/// <summary>
/// One Ledger service for every client test (the .NET, TypeScript and Python suites): the built Ledger.Api.dll in its own
/// process on a free port, on a fresh database of the test server (<c>LEDGER_TEST_DATABASE</c>, which scripts/test.sh
/// sets, else the repository's private cluster from scripts/postgres.sh).
/// </summary>
public sealed class LedgerService : IAsyncLifetime
{
    public const string AdminKey = "lk_live_client_tests_admin_key_0123456789abcdef";
    private readonly List<string> _output = [];
    private Process? _process;
    private string? _database;
    private string _server = "";

    public Uri BaseAddress { get; } = new($"http://127.0.0.1:{FreePort()}");
    public static string RepositoryRoot { get; } = FindRoot();

    public LedgerClient Client(Uri? baseAddress = null) =>
        new(new HttpClient { Timeout = TimeSpan.FromSeconds(20) },
            new LedgerClientOptions { BaseAddress = baseAddress ?? BaseAddress, ApiKey = AdminKey, BaseDelay = TimeSpan.FromMilliseconds(50) });

    public async ValueTask InitializeAsync()
    {
        _server = Environment.GetEnvironmentVariable("LEDGER_TEST_DATABASE") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : (await Run("bash", "scripts/postgres.sh start", RepositoryRoot, TimeSpan.FromMinutes(10))).Trim();
        _database = $"ledger_clients_{Guid.NewGuid():N}"[..30];
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var api = Path.Combine(RepositoryRoot, "src", "Ledger.Api");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = api, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(api, "bin", configuration, "net10.0", "Ledger.Api.dll"));
        start.Environment["LEDGER_DATABASE"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;
        start.Environment["LEDGER_BOOTSTRAP_ADMIN_KEY"] = AdminKey;
        start.Environment["LEDGER_RATE_LIMITS"] = "off";
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        var process = _process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_output) if (e.Data is { } line) _output.Add(line); };
        process.ErrorDataReceived += (_, e) => { lock (_output) if (e.Data is { } line) _output.Add(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"the service exited ({process.ExitCode}):\n{Output()}");
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the service did not become ready:\n{Output()}");
            await Task.Delay(250);
        }
    }

    public string Output()
    {
        lock (_output) return string.Join('\n', _output.TakeLast(40));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        if (_database is null) return;
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a command to its end and returns its standard output; throws with both outputs if it fails.</summary>
    public static async Task<string> Run(string command, string arguments, string directory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {arguments} did not finish in {timeout}:\n{await output}\n{await error}");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {arguments} in {directory} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        throw new InvalidOperationException("Ledger.sln not found above " + AppContext.BaseDirectory);
    }
}
