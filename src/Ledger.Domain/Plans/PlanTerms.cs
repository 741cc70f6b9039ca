namespace Ledger.Domain.Plans;

/// <summary>What a plan promises and limits, as a decision needs it (the host maps its plans file to this).</summary>
public sealed record PlanTerms(
    string Id,
    long Allowance,
    bool AllowOverage,
    long MaxCreditsPerRequest,
    IReadOnlyList<string> Features,
    long RolloverMin = 0,
    long RolloverMax = 0,
    long? VelocityCreditsPerHour = null,
    bool VelocityFreezes = false,
    long TrialGrant = 0,
    int GraceDays = 14,
    OverageSettlement? SettleOverageAtPeriodEnd = null,
    Alerts.AlertTerms? Alerts = null)
{
    public const int PeriodMonths = 1;

    /// <summary>Unused plan credits carried into the next period: nothing below the minimum, at most the maximum.</summary>
    public long Carry(long unused) => unused < Math.Max(1, RolloverMin) ? 0 : Math.Min(unused, RolloverMax);

    public static DateTimeOffset PeriodEnd(DateTimeOffset start) => start.AddMonths(PeriodMonths);
}

/// <summary>
/// What happens at a period's end to overage still owed. With none, the debt stays and the next credits repay it.
/// </summary>
public enum OverageSettlement
{
    /// <summary>Billed on the period's invoice (plans with overage mode <c>invoice</c>).</summary>
    Invoiced,

    /// <summary>Forgiven (fair use: overage allowed, warned, never billed).</summary>
    WrittenOff,
}

/// <summary>A billing period: [Start, End).</summary>
public sealed record BillingPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>
    /// Where the full cycle this period ends would have begun: <see cref="Start"/>, except for a first period cut short by a
    /// billing cycle anchor (it ends before a month has passed), whose cycle began a month before its end. Prorations
    /// measure time left against this, so a short period grants at the plan's monthly rate (docs/adr/0066).
    /// </summary>
    public DateTimeOffset CycleStart => End < PlanTerms.PeriodEnd(Start) ? End.AddMonths(-PlanTerms.PeriodMonths) : Start;

    public string AllowanceGrantId => $"plan:{Start.UtcDateTime:yyyyMMddTHHmmss}";
    public string RolloverGrantId => $"rollover:{Start.UtcDateTime:yyyyMMddTHHmmss}";
    public string ProrationGrantId(string plan) => $"proration:{plan}:{Start.UtcDateTime:yyyyMMddTHHmmss}";
}
