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
                + (b.FailedTransactions > 0 ? $", {b.FailedTransactions} failed transactions" : ""));
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
            Note($"Other processes used {shares.Other:P0} of the machine {phase}: the figures are lower than on a quiet machine; rerun when it is idle.");
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
}
