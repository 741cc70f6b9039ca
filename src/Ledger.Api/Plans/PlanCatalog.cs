using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Projections.ReadModel;

namespace Ledger.Api.Plans;

public sealed record Rollover(string Mode, long? Min = null, long? Max = null);

/// <summary>block: spending stops at zero; invoice: the excess is billed overage; allow: fair use, warned not billed.</summary>
public sealed record OveragePolicy(string Mode, long? UnitAmountMinor = null, long? PerCredits = null, string? Currency = null);

public sealed record Velocity(long CreditsPerHour, bool Freeze);

/// <summary>Operator alerts: balance.low below <see cref="LowBalance"/> credits, quota.warning at <see cref="QuotaWarningPercent"/> of the allowance.</summary>
public sealed record AlertSettings(long? LowBalance = null, int QuotaWarningPercent = 80);

public sealed record Plan(
    string Id, string Name, long Allowance, Rollover Rollover, int RequestsPerMinute, long MaxCreditsPerRequest,
    OveragePolicy Overage, IReadOnlyList<string> Features, IReadOnlyList<int> SoftLimitThresholds,
    int HistoryRetentionDays, Velocity? Velocity = null, long TrialGrant = 0, int GraceDays = 14, AlertSettings? Alerts = null)
{
    public bool AllowsOverage => Overage.Mode is "invoice" or "allow";

    public Ledger.Domain.Plans.PlanTerms Terms() => new(
        Id, Allowance, AllowsOverage, MaxCreditsPerRequest, Features,
        Rollover.Mode == "carry" ? Rollover.Min ?? 0 : 0,
        Rollover.Mode == "carry" ? Rollover.Max ?? long.MaxValue : 0,
        Velocity?.CreditsPerHour, Velocity?.Freeze ?? false, TrialGrant, GraceDays,
        Overage.Mode switch
        {
            "invoice" => Ledger.Domain.Plans.OverageSettlement.Invoiced,
            "allow" => Ledger.Domain.Plans.OverageSettlement.WrittenOff,
            _ => null,
        },
        Alerts is null ? null : new Ledger.Domain.Alerts.AlertTerms(Alerts.LowBalance, Alerts.QuotaWarningPercent));
}

public sealed record CreditPack(string Id, string Name, long Credits, long PriceMinor, string Currency);

public sealed record PlansFile(IReadOnlyList<Plan> Plans, IReadOnlyList<CreditPack> CreditPacks);

/// <summary>The plans file (shipped <c>plans.json</c>, or <c>LEDGER_PLANS</c>), validated when the service starts.</summary>
public sealed class PlanCatalog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public PlanCatalog(PlansFile file)
    {
        File = file;
        Plans = file.Plans.ToDictionary(p => p.Id, StringComparer.Ordinal);
        Packs = file.CreditPacks.ToDictionary(p => p.Id, StringComparer.Ordinal);
    }

    public PlansFile File { get; }
    public IReadOnlyDictionary<string, Plan> Plans { get; }
    public IReadOnlyDictionary<string, CreditPack> Packs { get; }

    public Plan? Find(string id) => Plans.GetValueOrDefault(id);

    public bool AllowsOverage(string planId) => Find(planId)?.AllowsOverage ?? false;

    public Ledger.Domain.Plans.PlanTerms? TermsOf(string? planId) => planId is null ? null : Find(planId)?.Terms();

    /// <summary>
    /// The terms an account's views are read under: its plan's, or for a plan no longer in the plans file, a retired
    /// plan's (no allowance, no features, no overage): periods still roll over, granting nothing (ADR 40).
    /// </summary>
    public Ledger.Domain.Plans.PlanTerms TermsFor(string planId) => TermsOf(planId) ?? new(planId, 0, false, 0, []);

    /// <summary>The account as a reader sees it at <paramref name="at"/> (the one read model: <see cref="AccountReadModel"/>).</summary>
    public AccountReading Read(Ledger.Domain.Accounts.Account account, DateTimeOffset at) => AccountReadModel.At(account, at, TermsFor(account.Plan));

    public static PlanCatalog Load(string path)
    {
        PlansFile? file;
        try
        {
            file = JsonSerializer.Deserialize<PlansFile>(System.IO.File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new InvalidPlansFile(path, [ex.Message]);
        }
        var errors = file is null ? ["the file is empty"] : Validate(file);
        if (errors.Count > 0) throw new InvalidPlansFile(path, errors);
        return new PlanCatalog(file!);
    }

    public static List<string> Validate(PlansFile file)
    {
        var errors = new List<string>();
        if (file.Plans is not { Count: > 0 }) errors.Add("plans: at least one plan is required");
        foreach (var (plan, i) in (file.Plans ?? []).Select((p, i) => (p, i)))
        {
            var at = $"plans[{i}]";
            if (string.IsNullOrWhiteSpace(plan.Id)) errors.Add($"{at}.id: required");
            if (plan.Allowance < 0) errors.Add($"{at}.allowance: must be >= 0");
            if (plan.RequestsPerMinute <= 0) errors.Add($"{at}.requestsPerMinute: must be > 0");
            if (plan.MaxCreditsPerRequest <= 0) errors.Add($"{at}.maxCreditsPerRequest: must be > 0");
            if (plan.Rollover is null || plan.Rollover.Mode is not ("none" or "carry")) errors.Add($"{at}.rollover.mode: must be 'none' or 'carry'");
            if (plan.Overage is null || plan.Overage.Mode is not ("block" or "invoice" or "allow")) errors.Add($"{at}.overage.mode: must be 'block', 'invoice' or 'allow'");
            else if (plan.Overage.Mode == "invoice" && (plan.Overage.UnitAmountMinor is null or < 0 || plan.Overage.PerCredits is null or <= 0 || string.IsNullOrWhiteSpace(plan.Overage.Currency)))
                errors.Add($"{at}.overage: invoice mode needs unitAmountMinor, perCredits and currency");
            if (plan.Features is null) errors.Add($"{at}.features: required");
            if (plan.SoftLimitThresholds?.Any(t => t is <= 0 or > 1000) == true) errors.Add($"{at}.softLimitThresholds: percentages between 1 and 1000");
            if (plan.Alerts is { } alerts && (alerts.LowBalance is < 0 || alerts.QuotaWarningPercent is <= 0 or > 100))
                errors.Add($"{at}.alerts: lowBalance >= 0 and quotaWarningPercent between 1 and 100");
        }
        foreach (var dup in (file.Plans ?? []).GroupBy(p => p.Id).Where(g => g.Count() > 1)) errors.Add($"plans: duplicate id '{dup.Key}'");
        foreach (var (pack, i) in (file.CreditPacks ?? []).Select((p, i) => (p, i)))
        {
            if (string.IsNullOrWhiteSpace(pack.Id)) errors.Add($"creditPacks[{i}].id: required");
            if (pack.Credits <= 0) errors.Add($"creditPacks[{i}].credits: must be > 0");
            if (pack.PriceMinor <= 0 || string.IsNullOrWhiteSpace(pack.Currency)) errors.Add($"creditPacks[{i}]: priceMinor and currency required");
        }
        return errors;
    }
}

public sealed class InvalidPlansFile(string path, IReadOnlyList<string> errors)
    : Exception($"Plans file '{path}' is invalid:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
