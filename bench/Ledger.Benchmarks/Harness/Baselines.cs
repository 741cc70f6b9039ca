using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.Benchmarks.Harness;

public enum BaselineKind
{
    /// <summary><c>pgbench -b simple-update</c>: one small durable transaction per operation, the commit ceiling.</summary>
    SimpleUpdate,

    /// <summary>The hand-written SQL ledger: a conditional debit plus an entry row, in one transaction.</summary>
    SqlLedger,

    /// <summary><c>pgbench -b select-only</c>: one primary-key read per operation, the read ceiling.</summary>
    SelectOnly,
}

/// <summary>A baseline a scenario is compared with: same server, same client count, measured in the same run.</summary>
public sealed record BaselineSpec(BaselineKind Kind, int Clients, int Accounts = 100_000)
{
    public static BaselineSpec SimpleUpdate(int clients) => new(BaselineKind.SimpleUpdate, clients);
    public static BaselineSpec SqlLedger(int clients, int accounts = 100_000) => new(BaselineKind.SqlLedger, clients, accounts);
    public static BaselineSpec SelectOnly(int clients) => new(BaselineKind.SelectOnly, clients);

    public string Key => $"{Kind}/{Clients}c/{Accounts}a";

    public string Label => Kind switch
    {
        BaselineKind.SimpleUpdate => $"pgbench simple-update, {Clients} clients",
        BaselineKind.SelectOnly => $"pgbench select-only, {Clients} clients",
        _ => $"SQL ledger, {Clients} clients, {(Accounts == 1 ? "one hot account" : $"{Accounts:N0} accounts")}",
    };
}

public sealed record BaselineResult(BaselineSpec Spec, double Tps, double LatencyAverageMs, long FailedTransactions, string Command, string Cpu, bool Disturbed);

/// <summary>Runs the baselines with pgbench against a scratch database and keeps the results in a JSON file.</summary>
public sealed partial class Pgbench(string executable, string connectionString, TimeSpan duration)
{
    private const string SqlLedgerScript = """
        \set id random(1, :accounts)
        \set x random(1, 100)
        BEGIN;
        UPDATE sql_ledger_accounts SET available = available - :x WHERE id = :id AND available >= :x;
        INSERT INTO sql_ledger_entries (account_id, amount) VALUES (:id, :x);
        END;
        """;

    // pgbench's own scale factor for simple-update: 10 x 100,000 account rows, so 32-64 clients rarely collide.
    private const int PgbenchScale = 10;

    private readonly NpgsqlConnectionStringBuilder _db = new(connectionString);
    private LinuxProcess? _postmaster;
    private bool _pgbenchTablesReady;
    private int _sqlLedgerAccounts;

    public async Task<BaselineResult> Measure(BaselineSpec spec, CancellationToken ct)
    {
        if (_postmaster is null)
        {
            await using var database = NpgsqlDataSource.Create(_db);
            _postmaster = await BenchContext.PostmasterOf(database, ct);
        }
        var threads = Math.Min(spec.Clients, Environment.ProcessorCount);
        var common = $"-n -M prepared -c {spec.Clients} -j {threads} -T {(int)duration.TotalSeconds}";
        switch (spec.Kind)
        {
            case BaselineKind.SimpleUpdate or BaselineKind.SelectOnly:
                if (!_pgbenchTablesReady)
                {
                    await Pg($"-i -q -s {PgbenchScale}", ct);
                    _pgbenchTablesReady = true;
                }
                return await Measured(spec, $"-b {(spec.Kind == BaselineKind.SimpleUpdate ? "simple-update" : "select-only")} {common}", ct);
            default:
                if (_sqlLedgerAccounts != spec.Accounts) await CreateSqlLedger(spec.Accounts, ct);
                var script = Path.Combine(Path.GetTempPath(), $"ledger-sql-ledger-{Environment.ProcessId}.sql");
                await File.WriteAllTextAsync(script, SqlLedgerScript + "\n", ct);
                try
                {
                    return await Measured(spec, $"-f {script} -D accounts={spec.Accounts} {common}", ct);
                }
                finally
                {
                    File.Delete(script);
                }
        }
    }

    /// <summary>A fresh ledger per account count: the entries table grows with every run and would slow later ones.</summary>
    private async Task CreateSqlLedger(int accounts, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS sql_ledger_entries, sql_ledger_accounts;
            CREATE TABLE sql_ledger_accounts (id int PRIMARY KEY, available bigint NOT NULL CHECK (available >= 0));
            CREATE TABLE sql_ledger_entries (
                id bigserial PRIMARY KEY,
                account_id int NOT NULL REFERENCES sql_ledger_accounts (id),
                amount bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO sql_ledger_accounts SELECT g, 1000000000000 FROM generate_series(1, {accounts}) g;
            """, connection);
        await command.ExecuteNonQueryAsync(ct);
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE sql_ledger_accounts", connection);
        await vacuum.ExecuteNonQueryAsync(ct);
        _sqlLedgerAccounts = accounts;
    }

    private async Task<(string Command, string Output)> Pg(string arguments, CancellationToken ct)
    {
        var target = $"-h {_db.Host} -p {_db.Port} -U {_db.Username} {_db.Database}";
        var command = $"pgbench {arguments} {target}";
        Console.WriteLine($"  $ {command}");
        var start = new ProcessStartInfo(executable, $"{arguments} {target}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} exited with {process.ExitCode}:\n{output}");
        return (command, output);
    }

    private async Task<BaselineResult> Measured(BaselineSpec spec, string arguments, CancellationToken ct)
    {
        var postmaster = _postmaster!;
        var children = postmaster.ChildCount();
        var cpu = CpuMeter.Start((postmaster, "PostgreSQL", true), (LinuxProcess.Self, "pgbench", true));
        var run = await Pg(arguments, ct);
        // pgbench's backends exit after it does: their CPU time reaches the postmaster's (cutime) only once it has
        // reaped them, a few milliseconds later. Stopping before would lose most of PostgreSQL's share.
        for (var waited = 0; postmaster.ChildCount() > children && waited < 3000; waited += 20) await Task.Delay(20, ct);
        return Parse(spec, run, cpu.Stop());
    }

    private static BaselineResult Parse(BaselineSpec spec, (string Command, string Output) run, CpuShares cpu)
    {
        double Number(Regex pattern) => pattern.Match(run.Output) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"unexpected pgbench output:\n{run.Output}");
        var failed = FailedPattern().Match(run.Output) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var result = new BaselineResult(spec, Number(TpsPattern()), Number(LatencyPattern()), failed, run.Command, cpu.ToString(), cpu.Disturbed);
        Console.WriteLine($"  {spec.Label}: {result.Tps:N0} tps, average latency {result.LatencyAverageMs:N1} ms; CPU {result.Cpu}");
        return result;
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyPattern();

    [GeneratedRegex(@"number of failed transactions: ([0-9]+)")]
    private static partial Regex FailedPattern();
}

public static class BaselineFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task Write(string path, IReadOnlyList<BaselineResult> results) =>
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, Json));

    public static async Task<IReadOnlyDictionary<string, BaselineResult>> Read(string? path)
    {
        if (path is null || !File.Exists(path)) return new Dictionary<string, BaselineResult>();
        var results = JsonSerializer.Deserialize<List<BaselineResult>>(await File.ReadAllTextAsync(path), Json) ?? [];
        return results.ToDictionary(r => r.Spec.Key);
    }
}
