using Ledger.Domain.Accounts;
using Marten.Events.Aggregation;

namespace Ledger.Projections.Metrics;

/// <summary>An account's plan and status for the admin metrics (async: cross-account counts, DESIGN "Shape").</summary>
public sealed class AccountStanding
{
    public string Id { get; set; } = "";
    public string Plan { get; set; } = "";
    /// <summary><c>active</c>, <c>grace</c>, <c>suspended</c> or <c>frozen</c>, as <c>GET /v1/accounts/{id}</c> says it.</summary>
    public string Status { get; set; } = "active";
    public AccountStatus Standing { get; set; } = AccountStatus.Active;
    public bool SpendingFrozen { get; set; }

    public void Refresh() =>
        Status = Standing != AccountStatus.Active ? Standing.ToString().ToLowerInvariant() : SpendingFrozen ? "frozen" : "active";
}

public sealed class AccountStandingProjection : SingleStreamProjection<AccountStanding, string>
{
    public const string ProjectionName = "AccountStanding";

    public AccountStandingProjection() => Name = ProjectionName;

    public AccountStanding Create(AccountOpened e) => new() { Id = e.AccountId, Plan = e.Plan };

    public void Apply(AccountStanding s, PlanChanged e) => s.Plan = e.ToPlan;
    public void Apply(AccountStanding s, GraceStarted e) => Set(s, AccountStatus.Grace, s.SpendingFrozen);
    public void Apply(AccountStanding s, GraceEnded e) => Set(s, AccountStatus.Active, s.SpendingFrozen);
    public void Apply(AccountStanding s, AccountSuspended e) => Set(s, AccountStatus.Suspended, s.SpendingFrozen);
    public void Apply(AccountStanding s, AccountRestored e) => Set(s, AccountStatus.Active, s.SpendingFrozen);
    public void Apply(AccountStanding s, UsageAnomalyFlagged e) => Set(s, s.Standing, s.SpendingFrozen || e.Frozen);
    public void Apply(AccountStanding s, UsageAnomalyCleared e) => Set(s, s.Standing, false);

    private static void Set(AccountStanding s, AccountStatus standing, bool frozen)
    {
        s.Standing = standing;
        s.SpendingFrozen = frozen;
        s.Refresh();
    }
}
