using Ledger.Benchmarks.Harness;
using Npgsql;

// Driven by scripts/bench.sh, which owns the processes (PostgreSQL, the service); see docs/benchmarks.md.
//
//   list                                   the scenario names, one per line
//   baselines SCENARIO... --pgbench PATH --database CONN --out FILE [--baseline-seconds 15]
//                                          measures with pgbench the baselines the scenarios name
//   run SCENARIO... --service URL --service-pid PID --admin-key KEY --webhook-secret SECRET --database CONN
//       [--baselines FILE] [--report FILE] [--clients 32] [--seconds 15] [--latency-seconds 15] [--warmup-seconds 3]
//       [scenario options, e.g. --distinct-accounts 10000, --hot-clients 64, --webhooks-events 6000]
//                                          runs the scenarios against the running service
//
// Exit code: 0; 1 if a correctness check failed (a missed throughput target is reported, not fatal); 2 on errors.
try
{
    var options = Options.Parse(args);
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    return options.Command switch
    {
        "list" => List(),
        "baselines" => await MeasureBaselines(options, cancel.Token),
        "run" => await Run(options, cancel.Token),
        _ => throw new UsageException($"Unknown command '{options.Command}': list, baselines or run."),
    };
}
catch (UsageException usage)
{
    Console.Error.WriteLine($"bench: {usage.Message}");
    return 2;
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    Console.Error.WriteLine($"bench: {ex}");
    return 2;
}

static int List()
{
    foreach (var name in ScenarioCatalog.All.Keys) Console.WriteLine(name);
    return 0;
}

static async Task<int> MeasureBaselines(Options options, CancellationToken ct)
{
    var pgbench = new Pgbench(options.Required("pgbench"), options.Required("database"),
        TimeSpan.FromSeconds(options.Int("baseline-seconds", 15)));
    var specs = ScenarioCatalog.Select(options).SelectMany(s => s.Baselines).DistinctBy(s => s.Key).ToList();
    var results = new List<BaselineResult>();
    foreach (var spec in specs) results.Add(await pgbench.Measure(spec, ct));
    await BaselineFile.Write(options.Required("out"), results);
    return 0;
}

static async Task<int> Run(Options options, CancellationToken ct)
{
    const double TargetRssMegabytes = 400; // DESIGN.md: service RSS < 400 MB under load
    var scenarios = ScenarioCatalog.Select(options);
    var baselines = await BaselineFile.Read(options.Optional("baselines"));
    var service = new LinuxProcess(int.Parse(options.Required("service-pid"), System.Globalization.CultureInfo.InvariantCulture));
    var connection = new NpgsqlConnectionStringBuilder(options.Required("database"));
    await using var database = NpgsqlDataSource.Create(connection);
    using var api = new LedgerClient(new Uri(options.Required("service")), options.Required("admin-key"),
        maxConnections: scenarios.Max(s => s.Clients));
    await using var rss = RssSampler.Start(service);
    var context = new BenchContext(api, database, options.Optional("schema") ?? "ledger", options.Required("webhook-secret"), baselines,
        service, await BenchContext.PostmasterOf(database, ct), rss);

    var failed = false;
    foreach (var scenario in scenarios)
    {
        Console.WriteLine($"== {scenario.Name}: {scenario.Summary}");
        var report = new ScenarioReport(scenario.Name);
        var startMegabytes = Format.Megabytes(service.RssMib());
        var mark = RssSampler.Mark();
        report.Baselines(scenario.Baselines, baselines);
        await scenario.Run(context, report, ct);
        var sampled = rss.Since(mark);
        report.Target("service RSS sampled through the scenario", $"{sampled} (RSS {startMegabytes:N0} MB before the scenario)",
            $"< {TargetRssMegabytes:N0} MB", sampled.MaxMegabytes < TargetRssMegabytes);
        report.Figure("service peak RSS since its start (VmHWM)", $"{Format.Megabytes(service.PeakRssMib()):N0} MB");

        var markdown = report.ToMarkdown();
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (options.Optional("report") is { } file) await File.AppendAllTextAsync(file, markdown + Environment.NewLine, ct);
        failed |= report.Failed;
    }
    return failed ? 1 : 0;
}

