namespace Ledger.Domain.Accounts;

public enum AccountStatus { Active, Grace, Suspended }

/// <summary>A billing period began; its allowance follows as a plan grant expiring at <see cref="PeriodEnd"/>.</summary>
public sealed record PeriodStarted(string AccountId, string Plan, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, DateTimeOffset StartedAt);

public sealed record PlanChanged(string AccountId, string FromPlan, string ToPlan, string? Reason, DateTimeOffset ChangedAt);

/// <summary>Payment failed: <c>ai</c> is off at once; at <see cref="GraceEndsAt"/> without payment the account is suspended.</summary>
public sealed record GraceStarted(string AccountId, string? Reason, DateTimeOffset GraceEndsAt, DateTimeOffset StartedAt);

public sealed record GraceEnded(string AccountId, string? Reason, DateTimeOffset EndedAt);

public sealed record AccountSuspended(string AccountId, string? Reason, DateTimeOffset SuspendedAt);

public sealed record AccountRestored(string AccountId, string? Reason, DateTimeOffset RestoredAt);

/// <summary>Credits spent in the last hour passed the plan's velocity threshold; spending freezes if the plan says so.</summary>
public sealed record UsageAnomalyFlagged(string AccountId, long CreditsLastHour, long Threshold, bool Frozen, DateTimeOffset FlaggedAt);

public sealed record UsageAnomalyCleared(string AccountId, string? Reason, DateTimeOffset ClearedAt);

/// <summary>A block is frozen (a card dispute is open on what bought it): its unheld credits cannot be spent.</summary>
public sealed record GrantFrozen(string AccountId, string GrantId, string? Reason, DateTimeOffset FrozenAt);

public sealed record GrantUnfrozen(string AccountId, string GrantId, string? Reason, DateTimeOffset UnfrozenAt);

/// <summary>A threshold alert's condition became true (<see cref="Alerts.AlertKinds"/>): <see cref="Value"/> against <see cref="Threshold"/>.</summary>
public sealed record OperatorAlertRaised(string AccountId, string Kind, long Value, long Threshold, DateTimeOffset RaisedAt);

/// <summary>A raised alert's condition stopped holding: it fires again at the next crossing.</summary>
public sealed record OperatorAlertCleared(string AccountId, string Kind, DateTimeOffset ClearedAt);

/// <summary>The account's own low-balance alert threshold (null: the plan's).</summary>
public sealed record LowBalanceThresholdSet(string AccountId, long? Threshold, DateTimeOffset SetAt);
