using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server for the whole test assembly
/// (<c>[assembly: AssemblyFixture(typeof(PostgresServer))]</c>, injected into test class constructors).
/// Where it comes from, in order:
/// <list type="number">
/// <item>the connection string in the environment variable <c>LEDGER_TEST_DATABASE</c> (scripts/test.sh sets it
/// when no Docker engine answers);</item>
/// <item>a Testcontainers <c>postgres:15-alpine</c> container, if a Docker engine is available;</item>
/// <item>the repository's private cluster, started with <c>scripts/postgres.sh start</c>.</item>
/// </list>
/// Each test (or test class) should call <see cref="CreateDatabaseAsync"/> for a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "LEDGER_TEST_DATABASE";

    private static readonly TimeSpan ContainerStartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(10); // may apt-get install

    private readonly ConcurrentBag<string> _createdDatabases = new();
    private PostgreSqlContainer? _container;

    /// <summary>Connection string to the server's <c>postgres</c> database, as a superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>
    /// <c>"testcontainers"</c> for a Docker container; <c>"local"</c> for a server outside Docker
    /// (from <c>LEDGER_TEST_DATABASE</c> or <c>scripts/postgres.sh</c>).
    /// </summary>
    public string Kind { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        string description;

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            Kind = "local";
            AdminConnectionString = fromEnvironment.Trim();
            description = $"{EnvironmentVariable}";
        }
        else if (await TryStartContainerAsync() is { } containerConnectionString)
        {
            Kind = "testcontainers";
            AdminConnectionString = containerConnectionString;
            description = "Testcontainers postgres:15-alpine";
        }
        else
        {
            Kind = "local";
            AdminConnectionString = await StartLocalServerAsync();
            description = "scripts/postgres.sh";
        }

        AdminConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            IncludeErrorDetail = true,
        }.ConnectionString;

        try
        {
            var version = await WaitUntilReachableAsync(AdminConnectionString, TimeSpan.FromSeconds(30));
            var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString);
            Console.Error.WriteLine(
                $"PostgreSQL for tests: {Kind} ({description}) at {builder.Host}:{builder.Port}, " +
                $"{version}, ready in {stopwatch.ElapsedMilliseconds} ms");
        }
        catch
        {
            // DisposeAsync is not called when InitializeAsync throws.
            if (_container is not null) await _container.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates an empty database <c>ledger_test_&lt;prefix&gt;_&lt;random&gt;</c> and returns its connection string
    /// (Include Error Detail, pooling on, at most 100 pooled connections). It is dropped when the assembly's
    /// tests are done.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = DatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        _createdDatabases.Add(name);

        return new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = name,
            IncludeErrorDetail = true,
            Pooling = true,
            MaxPoolSize = 100,
        }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }

        // The local server is shared (other test assemblies, the next run): leave it running, but drop the
        // databases this assembly created so .ledger/postgres does not grow run after run.
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            foreach (var name in _createdDatabases)
            {
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
            }
        }
        catch (Exception exception)
        {
            Console.Error.WriteLine($"PostgreSQL for tests: could not drop test databases: {exception.Message}");
        }
    }

    private static string DatabaseName(string? prefix)
    {
        var random = Guid.NewGuid().ToString("N")[..12];
        if (string.IsNullOrWhiteSpace(prefix)) return $"ledger_test_{random}";

        var cleaned = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
            cleaned.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        // PostgreSQL identifiers are at most 63 bytes: "ledger_test_" (12) + prefix + "_" + 12.
        var safePrefix = cleaned.ToString().Trim('_');
        if (safePrefix.Length > 38) safePrefix = safePrefix[..38];
        return safePrefix.Length == 0 ? $"ledger_test_{random}" : $"ledger_test_{safePrefix}_{random}";
    }

    private async Task<string?> TryStartContainerAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            // Same durability and size settings as scripts/postgres.sh (Testcontainers turns fsync off by default;
            // later -c options win).
            _container = new PostgreSqlBuilder("postgres:15-alpine")
                .WithCommand("-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
                    "-c", "max_connections=300", "-c", "shared_buffers=256MB")
                .Build();
            using var timeout = new CancellationTokenSource(ContainerStartTimeout);
            await _container.StartAsync(timeout.Token);
            return _container.GetConnectionString();
        }
        catch (Exception exception)
        {
            // Typically DotNet.Testcontainers.Builders.DockerUnavailableException, thrown by Build() in ~0.2 s.
            Console.Error.WriteLine(
                $"PostgreSQL for tests: no Testcontainers ({exception.GetType().Name}: {FirstLine(exception.Message)}, " +
                $"{stopwatch.ElapsedMilliseconds} ms); falling back to scripts/postgres.sh");
            if (_container is not null)
            {
                try { await _container.DisposeAsync(); } catch { /* nothing to clean up */ }
                _container = null;
            }
            return null;
        }
    }

    private static async Task<string> StartLocalServerAsync()
    {
        var script = Path.Combine(FindRepositoryRoot(), "scripts", "postgres.sh");
        if (!File.Exists(script)) throw new FileNotFoundException("scripts/postgres.sh not found", script);

        await RunScriptAsync(script, "start");
        var url = (await RunScriptAsync(script, "url")).Trim();
        if (url.Length == 0) throw new InvalidOperationException("scripts/postgres.sh url printed nothing");
        return url;
    }

    /// <summary>
    /// Runs scripts/postgres.sh (start, crash, stop, url) for a second, private cluster kept under
    /// <paramref name="home"/>, one a test may crash without disturbing the others; returns what it prints.
    /// <c>start</c> and <c>url</c> answer a connection string naming the cluster (<c>Application Name</c>): private clusters
    /// take turns on the same port, and Npgsql pools by connection string, so without the name a test would be handed a
    /// pooled connection to the previous cluster, which that cluster's shutdown already terminated (57P01).
    /// </summary>
    public static async Task<string> PrivateClusterAsync(string home, string command)
    {
        var printed = await RunScriptAsync(Path.Combine(FindRepositoryRoot(), "scripts", "postgres.sh"), command,
            new Dictionary<string, string> { ["LEDGER_PG_HOME"] = home });
        if (command is not ("start" or "url")) return printed;
        return new NpgsqlConnectionStringBuilder(printed.Trim()) { ApplicationName = $"ledger-tests-{Path.GetFileName(home.TrimEnd('/'))}" }.ConnectionString;
    }

    private static async Task<string> RunScriptAsync(string script, string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetDirectoryName(script))!,
        };
        startInfo.ArgumentList.Add(script);
        startInfo.ArgumentList.Add(command);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[name] = value;

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not run bash {script} {command}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/postgres.sh {command} did not finish within {ScriptTimeout}");
        }

        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"scripts/postgres.sh {command} failed with exit code {process.ExitCode}:\n{errors}{output}");
        if (errors.Length > 0) Console.Error.Write(errors);
        return output;
    }

    /// <summary>Walks up from the test binaries until the directory holding Ledger.sln.</summary>
    public static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ledger.sln"))) return directory.FullName;
        }
        throw new DirectoryNotFoundException($"Ledger.sln not found above {AppContext.BaseDirectory}");
    }

    private static async Task<string> WaitUntilReachableAsync(string connectionString, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("select current_setting('server_version')", connection);
                return "PostgreSQL " + await command.ExecuteScalarAsync();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
