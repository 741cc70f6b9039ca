using Ledger.Domain.Entitlements;

namespace Ledger.Domain.Tests.Entitlements;

/// <summary>Payment (EndGrace, RestoreAccount, RecordInvoicePaid) restores everything and grants a withheld allowance exactly once.</summary>
public class RestoreTests : StarterWithHolds
{
    private static readonly string Feb = AllowanceId(Feb1), Mar = AllowanceId(Mar1);

    /// <summary>Grace from 25 January to 8 February: February's period started on the 1st without its allowance.</summary>
    private static Specification GraceOverFebruary() =>
        Starter(GraceBegan(Day(25)), PeriodBegan(PlanFacts.Starter, Feb1), Expired(Jan, 10_000, Feb1));

    [Fact]
    public void Ending_grace_restores_ai_and_grants_the_withheld_allowance_of_the_current_period()
    {
        var at = Feb1.AddDays(2);
        var spec = GraceOverFebruary()
            .When(Admin.EndGrace(), at)
            .Then(GraceOver(at), AllowanceGranted(PlanFacts.Starter, Feb1, at));

        spec.State.Status.ShouldBe(AccountStatus.Active);
        spec.State.GraceEndsAt.ShouldBeNull();
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Ai).ShouldBeTrue();
        spec.State.Blocks[Feb].ExpiresAt.ShouldBe(Mar1);
        spec.Balance.Available.ShouldBe(10_000);
        spec.When(Do.Use("u1", 10, Ai), at).Then(Used("u1", 10, [D(Feb, 10)], at, Ai));
    }

    [Fact]
    public void The_withheld_allowance_is_granted_once_however_payment_is_reported_again()
    {
        var at = Feb1.AddDays(2);
        var spec = GraceOverFebruary().When(Admin.InvoicePaid("invoice.paid"), at).Then(GraceOver(at, "invoice.paid"), AllowanceGranted(PlanFacts.Starter, Feb1, at));

        spec.When(Admin.InvoicePaid("invoice.paid"), at.AddHours(1)).ThenReplayed();
        spec.When(Admin.EndGrace(), at.AddHours(1)).ThenRejected(RejectionCodes.AccountStateConflict);
        spec.When(Admin.Restore(), at.AddHours(1)).ThenRejected(RejectionCodes.AccountStateConflict);
        spec.State.Blocks.Keys.Count(k => k.StartsWith("plan:", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public void Ending_grace_in_the_period_it_started_grants_nothing_more() =>
        Starter(GraceBegan(Day(2))).When(Admin.EndGrace(), Day(3)).Then(GraceOver(Day(3)));

    [Fact]
    public void Restoring_a_suspended_account_turns_everything_on_and_grants_only_the_current_periods_allowance()
    {
        var spec = Starter(Suspended(Day(5), "abuse"))
            .When(Do.CatchUp(), Mar1.AddDays(1))
            .Then(PeriodBegan(PlanFacts.Starter, Feb1), Expired(Jan, 10_000, Feb1), PeriodBegan(PlanFacts.Starter, Mar1));

        var at = Mar1.AddDays(2);
        spec.When(Admin.Restore("appeal granted"), at).Then(Restored(at, "appeal granted"), AllowanceGranted(PlanFacts.Starter, Mar1, at));
        spec.State.Status.ShouldBe(AccountStatus.Active);
        spec.State.Blocks.ContainsKey(Feb).ShouldBeFalse(); // a missed period is not paid out later
        spec.State.Blocks[Mar].Amount.ShouldBe(10_000);
        spec.When(Do.Reserve("r1", 100, feature: Sync), at).Then(Reserved("r1", 100, [D(Mar, 100)], at, feature: Sync));
        spec.When(Admin.InvoicePaid(), at).ThenReplayed();
    }

    [Fact]
    public void Restoring_straight_from_grace_ends_it() =>
        GraceOverFebruary().When(Admin.Restore(), Feb1.AddDays(3)).Then(Restored(Feb1.AddDays(3)), AllowanceGranted(PlanFacts.Starter, Feb1, Feb1.AddDays(3)))
            .State.GraceEndsAt.ShouldBeNull();

    [Fact]
    public void An_invoice_paid_while_suspended_restores() =>
        Starter(Suspended(Day(5))).When(Admin.InvoicePaid(), Day(6)).Then(Restored(Day(6)));

    [Fact]
    public void An_invoice_paid_while_active_with_the_allowance_granted_is_a_replay() =>
        Starter().When(Admin.InvoicePaid(), Day(6)).ThenReplayed();

    [Fact]
    public void Released_holds_stay_released_after_a_restore()
    {
        var spec = Starter(Holds(Day(1))).When(Admin.Suspend("abuse"), Day(1.5))
            .Then(Suspended(Day(1.5), "abuse"), Released("r-ai", [D(Jan, 100)], Day(1.5), "abuse"), Released("r-none", [D(Jan, 30)], Day(1.5), "abuse"),
                Released("r-sync", [D(Jan, 200)], Day(1.5), "abuse"))
            .When(Admin.Restore(), Day(1.6)).Then(Restored(Day(1.6)));

        spec.When(Do.Commit("r-ai"), Day(1.7)).ThenRejected(RejectionCodes.ReservationReleased);
        spec.When(Do.Commit("r-reports", 50), Day(1.7)).Then(Committed("r-reports", 50, [D(Jan, 50)], [], Day(1.7)));
    }

    [Fact]
    public void Suspending_from_grace_releases_the_remaining_non_report_holds() =>
        Starter([GraceBegan(Day(1)), .. Holds(Day(1.5)).Skip(1)])
            .When(Admin.Suspend(null), Day(2))
            .Then(Suspended(Day(2), "suspended by an administrator"), Released("r-none", [D(Jan, 30)], Day(2), "suspended by an administrator"),
                Released("r-sync", [D(Jan, 200)], Day(2), "suspended by an administrator"));
}

/// <summary>409 account-state-conflict: a status change the account's status does not allow.</summary>
public class StateConflictTests : StarterWithHolds
{
    public static TheoryData<string, string> Conflicts => new()
    {
        { "active", "end-grace" }, { "suspended", "end-grace" },
        { "suspended", "start-grace" },
        { "suspended", "suspend" },
        { "active", "restore" },
        { "active", "clear-anomaly" }, { "grace", "clear-anomaly" }, { "suspended", "clear-anomaly" },
    };

    private static IAccountCommand Command(string name) => name switch
    {
        "end-grace" => Admin.EndGrace(),
        "start-grace" => Admin.StartGrace(),
        "suspend" => Admin.Suspend(),
        "restore" => Admin.Restore(),
        _ => Admin.ClearAnomaly(),
    };

    private static object[] In(string status) => status switch
    {
        "grace" => [GraceBegan(Day(1))],
        "suspended" => [Suspended(Day(1))],
        _ => [],
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void A_status_change_the_status_does_not_allow_is_a_conflict_naming_the_status(string status, string command)
    {
        var spec = Starter(In(status)).When(Command(command), Day(2)).ThenRejected(RejectionCodes.AccountStateConflict);
        spec.Rejection.Detail.ShouldStartWith($"The account is {status}");
        spec.Rejection.Extensions!.Values.ShouldContain(status);
    }

    [Fact]
    public void The_conflict_says_when_spending_is_frozen_too() =>
        Starter(Suspended(Day(1)), Flagged(2_000, 1_000, true, Day(1)))
            .When(Admin.Suspend(), Day(2)).ThenRejected(RejectionCodes.AccountStateConflict)
            .Rejection.Detail.ShouldStartWith("The account is suspended and frozen");

    [Theory]
    [InlineData("start-grace")]
    [InlineData("end-grace")]
    [InlineData("suspend")]
    [InlineData("restore")]
    [InlineData("clear-anomaly")]
    public void On_no_account_every_status_change_is_account_not_found(string command) =>
        Given().When(Command(command), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);

    [Fact]
    public void Invoice_paid_freeze_and_unfreeze_on_no_account_are_account_not_found()
    {
        Given().When(Admin.InvoicePaid(), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);
        Given().When(Admin.Freeze("g1"), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);
        Given().When(Admin.Unfreeze("g1"), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);
    }
}
