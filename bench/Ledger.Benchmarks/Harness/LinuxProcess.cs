using System.Globalization;

namespace Ledger.Benchmarks.Harness;

/// <summary>A process as Linux reports it in /proc: CPU time consumed and resident memory.</summary>
public sealed class LinuxProcess(int pid)
{
    // USER_HZ: the unit of the times in /proc/<pid>/stat and /proc/stat; 100 on every Linux architecture .NET runs on.
    public const double ClockTicksPerSecond = 100;

    public int Pid { get; } = pid;

    public static LinuxProcess Self { get; } = new(Environment.ProcessId);

    /// <summary>VmHWM: the highest resident set size since the process started, in MiB.</summary>
    public double PeakRssMib() => StatusKib("VmHWM") / 1024.0;

    /// <summary>VmRSS: the resident set size now, in MiB.</summary>
    public double RssMib() => StatusKib("VmRSS") / 1024.0;

    public int ParentPid() => int.Parse(StatFields(Pid)[1], CultureInfo.InvariantCulture);

    /// <summary>
    /// User plus system CPU time. With <paramref name="descendants"/>, also that of its children: the exited ones
    /// it has reaped (cutime, cstime) and the live ones (e.g. PostgreSQL backends under the postmaster, pgbench
    /// under this process), so a delta between two readings counts each child's work once.
    /// </summary>
    public TimeSpan CpuTime(bool descendants = false)
    {
        var fields = StatFields(Pid);
        double ticks = Ticks(fields, 11) + Ticks(fields, 12);
        if (descendants)
        {
            ticks += Ticks(fields, 13) + Ticks(fields, 14);
            foreach (var child in Children()) ticks += Ticks(child, 11) + Ticks(child, 12);
        }
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }

    /// <summary>
    /// CPU time of every process outside <paramref name="ours"/> (and their children) and outside the kernel's
    /// threads, with the children they reaped: what else ran on the machine.
    /// </summary>
    public static TimeSpan CpuTimeOfOthers(IReadOnlySet<int> ours)
    {
        double ticks = 0;
        foreach (var (pid, fields) in All())
        {
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == KernelThreadsPid || parent == KernelThreadsPid || ours.Contains(pid) || ours.Contains(parent)) continue;
            ticks += Ticks(fields, 11) + Ticks(fields, 12) + Ticks(fields, 13) + Ticks(fields, 14);
        }
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }

    /// <summary>kthreadd, the parent of every kernel thread.</summary>
    public const int KernelThreadsPid = 2;

    /// <summary>How many child processes it has now (e.g. the postmaster's backends and auxiliary processes).</summary>
    public int ChildCount() => Children().Count();

    private IEnumerable<string[]> Children() =>
        All().Where(p => p.Fields[1] == Pid.ToString(CultureInfo.InvariantCulture)).Select(p => p.Fields);

    private static IEnumerable<(int Pid, string[] Fields)> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string[] fields;
            try
            {
                fields = StatFields(pid);
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            yield return (pid, fields);
        }
    }

    /// <summary>The fields of /proc/pid/stat after the command name (which may hold spaces): [0] is state, [1] ppid.</summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    // Field numbers of proc(5) minus 3: utime 14 -> 11, stime 15 -> 12, cutime 16 -> 13, cstime 17 -> 14.
    private static double Ticks(string[] fields, int index) => double.Parse(fields[index], CultureInfo.InvariantCulture);

    private double StatusKib(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/{Pid}/status has no {field}");
    }
}

/// <summary>
/// Where the machine's CPU went during a phase, as shares of all cores together: each named process (with its
/// children), the kernel (its threads and interrupt handling: loopback networking, fsync), and other processes,
/// whatever else ran (another test run on a shared machine depresses every figure). The kernel's share
/// overlaps the processes' a little (interrupts are partly charged to the process they interrupt).
/// </summary>
public sealed class CpuMeter
{
    private readonly IReadOnlyList<(string Name, Func<TimeSpan> Cpu)> _sources;
    private readonly TimeSpan[] _start;
    private readonly MachineTicks _machineStart;

    private CpuMeter(IReadOnlyList<(LinuxProcess Process, string Name, bool Descendants)> processes)
    {
        var ours = processes.Select(p => p.Process.Pid).ToHashSet();
        _sources =
        [
            .. processes.Select(p => (p.Name, (Func<TimeSpan>)(() => p.Process.CpuTime(p.Descendants)))),
            ("kernel", () => new LinuxProcess(LinuxProcess.KernelThreadsPid).CpuTime(descendants: true) + MachineTicks.Read().Interrupts),
            ("other processes", () => LinuxProcess.CpuTimeOfOthers(ours)),
        ];
        _start = _sources.Select(s => s.Cpu()).ToArray();
        _machineStart = MachineTicks.Read();
    }

    /// <summary>Starts measuring; <c>Descendants</c>: count the process's children too (PostgreSQL backends, pgbench).</summary>
    public static CpuMeter Start(params (LinuxProcess Process, string Name, bool Descendants)[] processes) => new(processes);

    public CpuShares Stop()
    {
        var machine = MachineTicks.Read();
        var capacity = Math.Max(0.01, (machine.Total - _machineStart.Total).TotalSeconds);
        var shares = _sources.Select((s, i) => (s.Name, Share: (s.Cpu() - _start[i]).TotalSeconds / capacity)).ToList();
        return new CpuShares((machine.Busy - _machineStart.Busy).TotalSeconds / capacity, shares);
    }

    /// <summary>CPU time over all cores, from the first line of /proc/stat.</summary>
    private sealed record MachineTicks(TimeSpan Busy, TimeSpan Total, TimeSpan Interrupts)
    {
        public static MachineTicks Read()
        {
            // user nice system idle iowait irq softirq steal
            var t = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(f => TimeSpan.FromSeconds(double.Parse(f, CultureInfo.InvariantCulture) / LinuxProcess.ClockTicksPerSecond)).ToArray();
            var total = t.Aggregate(TimeSpan.Zero, (sum, x) => sum + x);
            return new MachineTicks(total - t[3] - t[4], total, t[5] + t[6]);
        }
    }
}

public sealed record CpuShares(double Machine, IReadOnlyList<(string Name, double Share)> Sources)
{
    /// <summary>Above this, other processes took enough of the machine to make the figures unreliable.</summary>
    public const double BusyMachine = 0.10;

    public double Other => Sources.Single(s => s.Name == "other processes").Share;

    public bool Disturbed => Other + Unattributed > BusyMachine;

    /// <summary>Busy time no process accounted for (processes that started and ended inside the phase, unreaped children).</summary>
    public double Unattributed => Math.Max(0, Machine - Sources.Sum(s => s.Share));

    public override string ToString()
    {
        var unattributed = Unattributed >= 0.05 ? string.Create(CultureInfo.InvariantCulture, $", unattributed {Unattributed:P0}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"busy {Machine:P0} of {Environment.ProcessorCount} cores: {string.Join(", ", Sources.Select(s => $"{s.Name} {s.Share:P0}"))}{unattributed}");
    }
}

/// <summary>
/// The resident set size of a process, sampled on a fixed interval (VmRSS from /proc/&lt;pid&gt;/status) for as long
/// as it runs; a phase asks for the samples taken since its <see cref="Mark"/>.
/// </summary>
public sealed class RssSampler : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    private readonly LinuxProcess _process;
    private readonly List<(long Timestamp, double Mib)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RssSampler(LinuxProcess process, TimeSpan interval)
    {
        _process = process;
        Interval = interval;
        Sample();
        _loop = Loop(interval);
    }

    public TimeSpan Interval { get; }

    public static RssSampler Start(LinuxProcess process, TimeSpan? interval = null) => new(process, interval ?? DefaultInterval);

    /// <summary>Now, to ask later for the samples taken since.</summary>
    public static long Mark() => System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The samples taken since <paramref name="mark"/> (and one taken now).</summary>
    public RssSummary Since(long mark)
    {
        Sample();
        lock (_samples)
        {
            var window = _samples.Where(s => s.Timestamp >= mark).Select(s => s.Mib).ToList();
            return window.Count == 0 ? new RssSummary(double.NaN, double.NaN, 0, Interval) : new RssSummary(window.Max(), window.Average(), window.Count, Interval);
        }
    }

    private async Task Loop(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Sample();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        double mib;
        try
        {
            mib = _process.RssMib();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return; // the process is gone
        }
        lock (_samples) _samples.Add((System.Diagnostics.Stopwatch.GetTimestamp(), mib));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>The highest and mean resident set size over a window of samples, in MiB as /proc reports them.</summary>
public sealed record RssSummary(double MaxMib, double MeanMib, int Samples, TimeSpan Interval)
{
    public double MaxMegabytes => Format.Megabytes(MaxMib);

    public override string ToString() => Samples == 0 ? "no samples"
        : $"max {Format.Megabytes(MaxMib):N0} MB, mean {Format.Megabytes(MeanMib):N0} MB ({Samples} samples, every {Interval.TotalMilliseconds:N0} ms)";
}
