using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Benchmarks.Harness;
using Npgsql;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// Rebuilds and point-in-time reads (issue 12, ADR 40/41). Setup: a template account written through the API to
/// <c>--rebuild-events-per-account</c> events (usages on one account, 32 clients), copied in SQL (every Marten row of
/// it: events, stream, views, records, snapshots, with its id replaced) to <c>--rebuild-accounts</c> accounts, so the
/// store holds a million real events in a few seconds; and one long account of <c>--long-events</c> events written
/// through the API; then the database is vacuumed and analyzed, as autovacuum leaves a store older than a few minutes
/// (without it the rebuild was the first reader of a million fresh rows: PostgreSQL took 50-62 % of the two cores,
/// setting hint bits, while autoanalyze ran beside it). Measured: a full rebuild (POST /v1/admin/projections/rebuild, every view, replacing what differs:
/// nothing, checked), against the same run's baseline of reading the event rows alone from PostgreSQL; balance, quota
/// and entitlements asOf/version on the long account from its snapshots, against the same reads with its snapshots
/// deleted (the replay from the first event, as before snapshots); a statement and a usage series of a twelfth of
/// its events ("a month" of a year-long history) and of all of them.
/// </summary>
public sealed class RebuildScenario(Options options) : Scenario
{
    private readonly int _accounts = options.Int("rebuild-accounts", 1000);
    private readonly int _perAccount = options.Int("rebuild-events-per-account", 1000);
    private readonly int _longEvents = options.Int("long-events", 100_000);
    private readonly int _reads = options.Int("point-reads", 100);
    private readonly Options _options = options;

    public override string Name => "rebuild";
    public override string Summary =>
        $"full rebuild of {_accounts:N0} x {_perAccount:N0} events; asOf/version, statement and usage on one account of {_longEvents:N0} events";
    public override int Clients => 32;
    public override IReadOnlyList<BaselineSpec> Baselines => [];

    public override async Task Run(BenchContext context, ScenarioReport report, CancellationToken ct)
    {
        // its own client: a full rebuild outlasts the load client's 60 s timeout
        using var http = new HttpClient { BaseAddress = new Uri(_options.Required("service")), Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.Required("admin-key"));
        var tag = Guid.NewGuid().ToString("N")[..6];

        // ---- a million events: one template account through the API, copied in SQL
        var template = $"rbtmpl{tag}";
        await Write(context, template, _perAccount, ct);
        Console.WriteLine($"  copying {template} to {_accounts - 1:N0} more accounts in SQL");
        var copy = Stopwatch.StartNew();
        await Copy(context, template, _accounts - 1, ct);
        Console.WriteLine($"  copied in {copy.Elapsed.TotalSeconds:N1} s");

        // ---- the long account, through the API
        var longAccount = $"rblong{tag}";
        await Write(context, longAccount, _longEvents, ct);
        var totalEvents = await Scalar(context, $"select count(*) from {context.DatabaseSchema}.mt_events");

        // ---- the store as a dispute meets it: its rows vacuumed and analyzed (as autovacuum leaves any store older than
        // a few minutes, and as pgbench prepares its own runs), not a million rows written in the last minute, whose first
        // reader pays PostgreSQL's hint bits and whose statistics autoanalyze is still gathering
        var vacuum = Stopwatch.StartNew();
        await using (var command = context.Database.CreateCommand("vacuum (analyze)"))
        {
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync(ct);
        }
        vacuum.Stop();
        Console.WriteLine($"  vacuum (analyze) in {vacuum.Elapsed.TotalSeconds:N1} s");

        // ---- baseline: the event rows read from PostgreSQL by this client, nothing else
        var baseline = Stopwatch.StartNew();
        long rows = 0;
        await using (var command = context.Database.CreateCommand($"select data::text, headers::text from {context.DatabaseSchema}.mt_events"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) { _ = reader.GetString(0); rows++; }
        var readRate = rows / baseline.Elapsed.TotalSeconds;

        // ---- the full rebuild (every view, every account)
        Console.WriteLine($"  full rebuild of {totalEvents:N0} events");
        var cpu = context.MeasureCpu();
        var timer = Stopwatch.StartNew();
        var rebuild = await Post(http, "/v1/admin/projections/rebuild", new { }, ct);
        var wall = timer.Elapsed;
        var usage = cpu.Stop();
        var events = rebuild.GetProperty("events").GetInt64();
        var rate = events / wall.TotalSeconds;
        report.Figure("setup", $"{_accounts:N0} accounts x {_perAccount:N0} events (one written through the API, copied in SQL) + one account of {_longEvents:N0} events " +
            $"through the API; {totalEvents:N0} events in the store; then vacuum (analyze) ({vacuum.Elapsed.TotalSeconds:N1} s)");
        report.Target("rebuild: events/s (full: accounts, records, snapshots; POST /v1/admin/projections/rebuild, wall clock)",
            $"{Format.Rate(rate)} ({Format.Count(events)} events in {wall.TotalSeconds:N1} s; baseline: reading the event rows alone {Format.Rate(readRate)} rows/s, " +
            $"ratio {Format.Ratio(rate / readRate)}; CPU service/PostgreSQL {usage})", ">= 50,000", rate >= 50_000);
        var found = rebuild.GetProperty("differencesFound").GetInt32();
        report.Check("rebuild: differences found in views the service wrote", Format.Count(found), "0", found == 0);

        // ---- point in time on the long account: from its snapshots, then with them deleted (the same run's baseline)
        var stream = await Scalar(context, $"select version from {context.DatabaseSchema}.mt_streams where id = '{longAccount}'");
        var random = new Random(20261202);
        var versions = Enumerable.Range(0, _reads).Select(_ => (long)random.Next(1, (int)stream + 1)).ToList();
        var instants = await Instants(context, longAccount, versions, ct);
        var path = $"/v1/accounts/{longAccount}";
        async Task<(double P50, double P99, double Replayed)> Reads(string what, Func<int, string> url)
        {
            var times = new List<double>();
            long replayed = 0;
            for (var i = 0; i < versions.Count; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.GetAsync(url(i), ct);
                await response.Content.ReadAsStringAsync(ct);
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{what}: {(int)response.StatusCode}");
                replayed += long.Parse(response.Headers.GetValues("Ledger-Replayed-Events").Single(), System.Globalization.CultureInfo.InvariantCulture);
            }
            times.Sort();
            return (times[times.Count / 2], times[(int)Math.Ceiling(times.Count * 0.99) - 1], (double)replayed / versions.Count);
        }

        var reads = new (string Name, Func<int, string> Url)[]
        {
            ("balance?asOf", i => $"{path}/balance?asOf={instants[i]}"),
            ("balance?version", i => $"{path}/balance?version={versions[i]}"),
            ("quota?asOf", i => $"{path}/quota?asOf={instants[i]}"),
            ("entitlements?version", i => $"{path}/entitlements?version={versions[i]}"),
        };
        var after = new Dictionary<string, (double P50, double P99, double Replayed)>();
        foreach (var (name, url) in reads) after[name] = await Reads(name, url);
        var (from, month, to) = await Month(context, longAccount, ct);
        var statementMonth = await Timed(http, $"{path}/statement?from={from}&to={month}", ct);
        var usageMonth = await Timed(http, $"{path}/usage?from={from}&to={month}&groupBy=day", ct);
        var (first, _, _) = (await Instants(context, longAccount, [1], ct)) is [var f] ? (f, 0, 0) : default;
        var statementAll = await Timed(http, $"{path}/statement?from={first}&to={to}", ct);

        int snapshots;
        await using (var delete = context.Database.CreateCommand($"delete from {context.DatabaseSchema}.mt_doc_accountsnapshot where data ->> 'accountId' = '{longAccount}'"))
            snapshots = await delete.ExecuteNonQueryAsync(ct);
        var before = new Dictionary<string, (double P50, double P99, double Replayed)>();
        foreach (var (name, url) in reads.Take(2)) before[name] = await Reads(name, url);
        var statementMonthBefore = await Timed(http, $"{path}/statement?from={from}&to={month}", ct);
        var usageMonthBefore = await Timed(http, $"{path}/usage?from={from}&to={month}&groupBy=day", ct);
        var restored = await Post(http, "/v1/admin/projections/rebuild", new { projection = "snapshots", accountId = longAccount }, ct);

        foreach (var (name, _) in reads)
        {
            var (p50, p99, replayed) = after[name];
            var was = before.TryGetValue(name, out var b) ? $"; without snapshots p50 {Format.Ms(b.P50)}, p99 {Format.Ms(b.P99)} ({b.Replayed:N0} events replayed on average), ratio {Format.Ratio(b.P50 / p50)} faster" : "";
            report.Target($"{name} on {Format.Count(stream)} events, {versions.Count} random points (sequential)",
                $"p50 {Format.Ms(p50)}, p99 {Format.Ms(p99)} ({replayed:N0} events replayed on average{was})", "< 100 ms", p99 < 100);
        }
        report.Target($"statement of a twelfth of the long account (versions n/2 .. n/2 + n/12)", $"{Format.Ms(statementMonth)} (without snapshots {Format.Ms(statementMonthBefore)})", "< 500 ms", statementMonth < 500);
        report.Target("usage?groupBy=day of the same twelfth", $"{Format.Ms(usageMonth)} (without snapshots {Format.Ms(usageMonthBefore)})", "< 500 ms", usageMonth < 500);
        report.Figure("statement of the whole long account", Format.Ms(statementAll));
        report.Check("snapshots deleted, then put back by a rebuild", $"{snapshots} deleted, {restored.GetProperty("replaced").GetInt32()} rebuilt",
            "equal", snapshots == restored.GetProperty("replaced").GetInt32() && snapshots > 0);
    }

    private static async Task Write(BenchContext context, string account, int events, CancellationToken ct)
    {
        Console.WriteLine($"  writing {events:N0} events to {account} through the API");
        if (await context.Api.OpenAccount(account, "enterprise", ct) is not (200 or 201)) throw new InvalidOperationException("open failed");
        var schema = context.DatabaseSchema;
        var version = await Scalar(context, $"select version from {schema}.mt_streams where id = '{account}'");
        var usages = Enumerable.Range(0, (int)(events - version)).Select(i => $"{account}-u{i}").ToList();
        var stats = await LoadGenerator.Run(usages, 32, (id, t) => context.Api.Usage(account, id, 1, "ai", t), ct);
        if (stats.CountWhere(s => s != 201) > 0) throw new InvalidOperationException($"usage failed ({stats.StatusSummary()})");
    }

    /// <summary>Every row of every Marten table that names the template, copied <paramref name="copies"/> times with the id replaced.</summary>
    private static async Task Copy(BenchContext context, string template, int copies, CancellationToken ct)
    {
        var schema = context.DatabaseSchema;
        await using var columns = context.Database.CreateCommand(
            "select table_name, column_name, data_type, column_default from information_schema.columns where table_schema = $1 " +
            "and (table_name in ('mt_events', 'mt_streams') or table_name like 'mt_doc_%') order by table_name, ordinal_position");
        columns.Parameters.Add(new NpgsqlParameter { Value = schema });
        var tables = new Dictionary<string, List<(string Name, string Type, string? Default)>>();
        await using (var reader = await columns.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                (tables.TryGetValue(reader.GetString(0), out var list) ? list : tables[reader.GetString(0)] = [])
                    .Add((reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        // streams before their events (a foreign key), then the documents
        foreach (var (table, list) in tables.OrderBy(t => t.Key switch { "mt_streams" => 0, "mt_events" => 1, _ => 2 }))
        {
            if (table is "mt_doc_apikey" or "mt_doc_idempotencyrecord") continue;
            var kept = list.Where(c => !(c.Name == "seq_id" && c.Default is not null)).ToList();
            string Expression((string Name, string Type, string? Default) c) => c.Type switch
            {
                "uuid" => "gen_random_uuid()",
                "text" or "character varying" => $"replace(t.{c.Name}, '{template}', '{template}-' || g)",
                "jsonb" => $"replace(t.{c.Name}::text, '{template}', '{template}-' || g)::jsonb",
                _ when c.Name == "seq_id" => $"nextval('{schema}.mt_events_sequence')",
                _ => $"t.{c.Name}",
            };
            var sql = $"insert into {schema}.{table} ({string.Join(", ", kept.Select(c => c.Name))}) " +
                $"select {string.Join(", ", kept.Select(Expression))} from {schema}.{table} t, generate_series(1, {copies}) g " +
                $"where t::text like '%{template}%'" + (table == "mt_events" ? " order by g, t.version" : "");
            await using var command = context.Database.CreateCommand(sql);
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<long> Scalar(BenchContext context, string sql)
    {
        await using var command = context.Database.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? 0 : Convert.ToInt64(value);
    }

    /// <summary>The instant (as the event says, e.g. recordedAt) of each version, in the API's query format.</summary>
    private static async Task<List<string>> Instants(BenchContext context, string account, IReadOnlyList<long> versions, CancellationToken ct)
    {
        var instants = new List<string>();
        foreach (var version in versions)
        {
            await using var command = context.Database.CreateCommand(
                $"select coalesce(data ->> 'recordedAt', data ->> 'grantedAt', data ->> 'openedAt', data ->> 'startedAt', timestamp::text) " +
                $"from {context.DatabaseSchema}.mt_events where stream_id = $1 and version = $2");
            command.Parameters.Add(new NpgsqlParameter { Value = account });
            command.Parameters.Add(new NpgsqlParameter { Value = version });
            var at = DateTimeOffset.Parse((string)(await command.ExecuteScalarAsync(ct))!, System.Globalization.CultureInfo.InvariantCulture);
            instants.Add(Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        }
        return instants;
    }

    /// <summary>
    /// A twelfth of the account's events from the middle of its stream (so there is history before it, as for any month
    /// but the first): the instants of versions n/2 and n/2 + n/12; and just after its last event.
    /// </summary>
    private static async Task<(string From, string Month, string To)> Month(BenchContext context, string account, CancellationToken ct)
    {
        var stream = await Scalar(context, $"select version from {context.DatabaseSchema}.mt_streams where id = '{account}'");
        var at = await Instants(context, account, [stream / 2, stream / 2 + stream / 12, stream], ct);
        var last = DateTimeOffset.Parse(Uri.UnescapeDataString(at[2]), System.Globalization.CultureInfo.InvariantCulture).AddSeconds(1);
        return (at[0], at[1], Uri.EscapeDataString(last.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<double> Timed(HttpClient http, string url, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(url, ct);
        await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode}");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<JsonElement> Post(HttpClient http, string url, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(url, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
