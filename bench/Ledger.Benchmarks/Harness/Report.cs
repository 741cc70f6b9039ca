using System.Globalization;
using System.Text;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// PASS/MISS compare a figure with a DESIGN.md target (a miss is reported, not fatal); FAIL is a broken
/// correctness check (e.g. exactly-once), which makes the run exit non-zero.
/// </summary>
public enum Verdict { None, Pass, Miss, Fail }

public sealed record ReportRow(string Metric, string Value, string Target, Verdict Verdict);

/// <summary>The results of one scenario, printed as a Markdown table (readable in a terminal, pasteable into docs).</summary>
public sealed class ScenarioReport(string scenario)
{
    private readonly List<ReportRow> _rows = [];
    private readonly List<string> _notes = [];

    public string Scenario { get; } = scenario;
    public bool Failed => _rows.Any(r => r.Verdict == Verdict.Fail);

    public void Figure(string metric, string value) => _rows.Add(new(metric, value, "", Verdict.None));

    /// <summary>A figure compared with a target: PASS or MISS.</summary>
    public void Target(string metric, string value, string target, bool met) =>
        _rows.Add(new(metric, value, target, met ? Verdict.Pass : Verdict.Miss));

    /// <summary>A correctness check: PASS or FAIL.</summary>
    public void Check(string metric, string value, string expected, bool holds) =>
        _rows.Add(new(metric, value, expected, holds ? Verdict.Pass : Verdict.Fail));

    public void Baselines(IEnumerable<BaselineSpec> specs, IReadOnlyDictionary<string, BaselineResult> measured)
    {
        foreach (var spec in specs)
        {
            if (!measured.TryGetValue(spec.Key, out var b))
            {
                Figure($"baseline: {spec.Label}", "not measured");
                continue;
            }
            Figure($"baseline: {spec.Label}", $"{Format.Rate(b.Tps)} tps, average latency {Format.Ms(b.LatencyAverageMs)}"
                + (b.FailedTransactions > 0 ? $", {b.FailedTransactions} failed transactions" : "") + $"; CPU {b.Cpu}");
            if (b.Disturbed) Note($"While measuring the baseline '{spec.Label}', {b.Cpu}: it reads low; rerun when the machine is idle.");
        }
    }

    /// <summary>The figure as a multiple of a baseline measured in this run; a missing baseline is said, not guessed.</summary>
    public void Ratio(string metric, double value, IReadOnlyDictionary<string, BaselineResult> baselines, BaselineSpec spec,
        double? atLeast = null)
    {
        if (!baselines.TryGetValue(spec.Key, out var baseline))
        {
            Figure($"{metric} / {spec.Label}", "baseline not measured");
            return;
        }
        var ratio = value / baseline.Tps;
        var text = $"{Format.Ratio(ratio)} (of {Format.Rate(baseline.Tps)} tps)";
        if (atLeast is { } min) Target($"{metric} / {spec.Label}", text, $">= {Format.Ratio(min)}", ratio >= min);
        else Figure($"{metric} / {spec.Label}", text);
    }

    /// <summary>Where the CPU went in a phase; a warning when other processes disturbed it.</summary>
    public void Cpu(string phase, CpuShares shares)
    {
        Figure($"CPU {phase}", shares.ToString());
        if (shares.Disturbed)
            Note($"Other processes used {shares.Other + shares.Unattributed:P0} of the machine {phase}: the figures are lower than on a quiet machine; rerun when it is idle.");
    }

    /// <summary>
    /// A phase's rows: the rate, the latency of the whole operation (from its due time when paced) and of each of its
    /// steps, the answers by status, where the CPU went, the service's RSS.
    /// </summary>
    public void Phase(PhaseResult phase)
    {
        var name = phase.Name;
        if (phase.Paced is { } paced)
        {
            Figure($"{name}: {phase.Unit}/s offered / succeeded", $"{Format.Rate(paced.TargetRate)} / {Format.Rate(phase.Rate)}" +
                $" ({Format.Count(phase.Load.Count)} in {phase.Load.Elapsed.TotalSeconds:N1} s, at most {phase.Clients} in flight)");
            Figure($"{name}: {phase.Unit} latency from its due time p50 / p90 / p99 / max", phase.Load.Percentiles());
            Figure($"{name}: start lag (load generator) p50 / p99", $"{Format.Ms(paced.LagMs(50))} / {Format.Ms(paced.LagMs(99))}");
        }
        else
        {
            Figure($"{name}: {phase.Unit}/s", $"{Format.Rate(phase.Rate)} ({Format.Count(phase.Load.Succeeded)} in {phase.Load.Elapsed.TotalSeconds:N1} s, " +
                $"{phase.Clients} clients)");
            Figure($"{name}: {phase.Unit} latency p50 / p90 / p99 / max", phase.Load.Percentiles());
        }
        if (phase.Steps.Count > 1)
            foreach (var (step, stats) in phase.Steps)
                Figure($"{name}: {step} latency p50 / p90 / p99 / max", stats.Percentiles());
        Figure($"{name}: answers", phase.Answers());
        Cpu(name, phase.Cpu);
        if (phase.Rate > 0)
            Figure($"{name}: CPU time per operation", string.Join(", ", phase.Cpu.Sources
                .Where(s => s.Name is not ("kernel" or "other processes"))
                .Select(s => $"{s.Name} {Format.Ms(s.Share * Environment.ProcessorCount * 1000 / phase.Rate)}")));
        Figure($"{name}: service RSS", phase.Rss.ToString());
    }

    /// <summary>
    /// DESIGN.md: zero 5xx. Any 5xx answer, or a request that got no answer at all, in any phase is a FAIL; other
    /// non-2xx answers are a MISS where none were expected (<paramref name="expected"/> says which are).
    /// </summary>
    public void Answers(IEnumerable<PhaseResult> phases, LedgerClient api, Func<int, bool>? expected = null)
    {
        var requests = phases.SelectMany(p => p.Requests).ToList();
        var failures = requests.Sum(r => r.CountWhere(LoadStats.IsServerFailure));
        Check("5xx answers or no answer (every phase)", Format.Count(failures), "0", failures == 0);
        if (api.FirstServerError is { } error) Note($"first 5xx answer: {error}");
        if (requests.Select(r => r.FirstError).FirstOrDefault(e => e is not null) is { } transport) Note($"first request without an answer: {transport}");
        var other = requests.Sum(r => r.CountWhere(s => !LoadStats.IsSuccess(s) && !LoadStats.IsServerFailure(s) && !(expected?.Invoke(s) ?? false)));
        Target("unexpected 4xx answers (every phase)", Format.Count(other), "0", other == 0);
    }

    public void Note(string note) => _notes.Add(note);

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {Scenario}");
        text.AppendLine();
        text.AppendLine("| metric | value | target | verdict |");
        text.AppendLine("| --- | --- | --- | --- |");
        foreach (var row in _rows)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Metric} | {row.Value} | {row.Target} | {(row.Verdict == Verdict.None ? "" : row.Verdict.ToString().ToUpperInvariant())} |");
        if (_notes.Count > 0) text.AppendLine();
        foreach (var note in _notes) text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        return text.ToString();
    }
}

public static class Format
{
    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);
    public static string Ms(double ms) => ms.ToString(ms < 10 ? "N2" : "N1", CultureInfo.InvariantCulture) + " ms";
    public static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + " x";
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>DESIGN.md's memory target is in MB; /proc reports KiB (so MiB here).</summary>
    public static double Megabytes(double mebibytes) => mebibytes * 1024 * 1024 / 1e6;
}
