namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// One line per reliability test run (test, faults injected, operations, outcome), appended as tab-separated values to
/// the file named by <c>LEDGER_RELIABILITY_REPORT</c> when it is set; scripts/reliability.sh prints them as a table.
/// Only reached once a test's checks passed: a failing test leaves no line, and the script reports it as failed.
/// </summary>
public static class RunReport
{
    private static readonly Lock Gate = new();

    public static void Record(string test, string faults, long operations, string outcome)
    {
        if (Environment.GetEnvironmentVariable("LEDGER_RELIABILITY_REPORT") is not { Length: > 0 } path) return;
        static string Clean(string s) => s.Replace('\t', ' ').Replace('\n', ' ');
        lock (Gate) File.AppendAllText(path, $"{Clean(test)}\t{Clean(faults)}\t{operations}\t{Clean(outcome)}\n");
    }
}
