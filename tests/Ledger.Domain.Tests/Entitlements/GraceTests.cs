using Ledger.Domain.Entitlements;

namespace Ledger.Domain.Tests.Entitlements;

/// <summary>Starter (ai, sync, reports) with a 10,000 allowance and open holds on ai, sync, reports and no feature.</summary>
public abstract class StarterWithHolds
{
    protected static readonly string Jan = AllowanceId(T0);

    protected static object[] Holds(DateTimeOffset at) =>
    [
        Reserved("r-ai", 100, [D(Jan, 100)], at, ttl: 86_400, feature: Ai),
        Reserved("r-sync", 200, [D(Jan, 200)], at, ttl: 86_400, feature: Sync),
        Reserved("r-reports", 50, [D(Jan, 50)], at, ttl: 86_400, feature: Reports),
        Reserved("r-none", 30, [D(Jan, 30)], at, ttl: 86_400, feature: null),
    ];

    protected static Specification Starter(params object[] more) => Given([.. OpeningOn(PlanFacts.Starter), .. more]).On(PlanFacts.Starter);
}

public class GraceTests : StarterWithHolds
{
    [Fact]
    public void Starting_grace_turns_ai_off_and_releases_the_open_ai_holds_and_only_those()
    {
        var at = Day(1.5);
        var spec = Starter(Holds(Day(1)))
            .When(Admin.StartGrace(), at)
            .Then(GraceBegan(at, endsAt: Day(15.5)), Released("r-ai", [D(Jan, 100)], at, GraceReleaseReason));

        spec.State.Status.ShouldBe(AccountStatus.Grace);
        spec.State.GraceEndsAt.ShouldBe(Day(15.5));
        spec.State.Holds.Keys.Order().ShouldBe(["r-none", "r-reports", "r-sync"]);
        spec.Records.Reservation("r-ai")!.Status.ShouldBe(ReservationStatus.Released);
        spec.Balance.ShouldBe(new Balance(Granted: 10_000, 0, 0, 0, 0, Reserved: 280, Available: 9_720, 0, 0));

        Features.IsOn(spec.State, PlanFacts.Starter.Features, Ai).ShouldBeFalse();
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Sync).ShouldBeTrue();
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Reports).ShouldBeTrue();
    }

    [Fact]
    public void During_grace_ai_is_refused_while_sync_reports_and_featureless_spending_still_work()
    {
        var spec = Starter(Holds(Day(1))).When(Admin.StartGrace(), Day(1.5));

        spec.When(Do.Reserve("r2", 10, feature: Ai), Day(1.6)).ThenRejected(RejectionCodes.FeatureDisabled)
            .Rejection.Detail.ShouldContain("grace");
        spec.Rejection.Extensions!["feature"].ShouldBe(Ai);
        spec.When(Do.Use("u1", 10, Ai), Day(1.6)).ThenRejected(RejectionCodes.FeatureDisabled);
        spec.When(Do.Commit("r-ai"), Day(1.6)).ThenRejected(RejectionCodes.ReservationReleased);

        spec.When(Do.Reserve("r3", 10, ttl: 86_400, feature: Sync), Day(1.6)).Then(Reserved("r3", 10, [D(Jan, 10)], Day(1.6), ttl: 86_400, feature: Sync));
        spec.When(Do.Commit("r-sync", 150), Day(1.7)).Then(Committed("r-sync", 150, [D(Jan, 150)], [D(Jan, 50)], Day(1.7)));
        spec.When(Do.Use("u2", 20, Reports), Day(1.8)).Then(Used("u2", 20, [D(Jan, 20)], Day(1.8), Reports));
        spec.When(Do.Use("u3", 5, null), Day(1.9)).Then(Used("u3", 5, [D(Jan, 5)], Day(1.9), null));
    }

    [Fact]
    public void Grace_lasts_the_plans_grace_days_unless_an_end_is_given()
    {
        Given(OpeningOn(Basic with { GraceDays = 3 })).On(Basic with { GraceDays = 3 })
            .When(Admin.StartGrace("declined"), Day(1))
            .Then(GraceBegan(Day(1), endsAt: Day(4), reason: "declined"));
        Starter().When(Admin.StartGrace(endsAt: Day(9)), Day(1)).Then(GraceBegan(Day(1), endsAt: Day(9)));
    }

    [Theory]
    [InlineData(0, 0)] // now
    [InlineData(-43_200, 0)] // the past
    [InlineData(Limits.MaxGraceDays * 86_400, 1)] // a tick beyond a year from now
    public void A_grace_end_given_by_hand_must_be_later_than_now_and_within_a_year(int seconds, long ticks) =>
        Starter().When(Admin.StartGrace(endsAt: Day(1).AddSeconds(seconds).AddTicks(ticks)), Day(1)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void A_grace_end_a_year_away_is_accepted() =>
        Starter().When(Admin.StartGrace(endsAt: Day(1 + Limits.MaxGraceDays)), Day(1)).Then(GraceBegan(Day(1), endsAt: Day(1 + Limits.MaxGraceDays)));

    [Fact]
    public void Starting_grace_again_is_a_replay_and_keeps_the_first_end() =>
        Starter(GraceBegan(Day(1))).When(Admin.StartGrace(endsAt: Day(30)), Day(2)).ThenReplayed().State.GraceEndsAt.ShouldBe(Day(15));

    [Fact]
    public void Grace_end_crossed_by_catch_up_suspends_releasing_every_hold_but_reports_ones()
    {
        var spec = Starter([GraceBegan(Day(1)), .. Holds(Day(14.5)).Skip(1)])
            .When(Do.CatchUp(), Day(15.2))
            .Then(Suspended(Day(15)), Released("r-none", [D(Jan, 30)], Day(15), GraceRanOut), Released("r-sync", [D(Jan, 200)], Day(15), GraceRanOut));

        spec.State.Status.ShouldBe(AccountStatus.Suspended);
        spec.State.GraceEndsAt.ShouldBeNull();
        spec.State.Holds.Keys.Order().ShouldBe(["r-reports"]); // a featureless hold is spending the suspension refuses too
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Reports).ShouldBeTrue();
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Sync).ShouldBeFalse();
        Features.IsOn(spec.State, PlanFacts.Starter.Features, Ai).ShouldBeFalse();

        spec.When(Do.Reserve("r2", 10, feature: Sync), Day(15.3)).ThenRejected(RejectionCodes.AccountSuspended);
        spec.When(Do.Use("u1", 10, Ai), Day(15.3)).ThenRejected(RejectionCodes.AccountSuspended);
        spec.When(Do.Use("u1", 10, null), Day(15.3)).ThenRejected(RejectionCodes.AccountSuspended);
        spec.When(Do.Commit("r-reports", 40), Day(15.3)).Then(Committed("r-reports", 40, [D(Jan, 40)], [D(Jan, 10)], Day(15.3)));
        spec.When(Do.Use("u2", 10, Reports), Day(15.4)).Then(Used("u2", 10, [D(Jan, 10)], Day(15.4), Reports));
    }

    [Fact]
    public void Reads_see_the_suspension_at_the_grace_end_before_it_is_written()
    {
        var spec = Starter([GraceBegan(Day(1)), .. Holds(Day(14.5)).Skip(1)]);

        spec.ViewAt(Day(15).AddTicks(-1)).Status.ShouldBe(AccountStatus.Grace);
        spec.ViewAt(Day(15)).Status.ShouldBe(AccountStatus.Suspended);
        spec.BalanceAt(Day(15)).Reserved.ShouldBe(50); // reports only: the featureless hold is released too
        spec.State.Status.ShouldBe(AccountStatus.Grace);
    }

    [Fact]
    public void A_hold_expiring_before_the_grace_end_expires_rather_than_being_released() =>
        Starter([GraceBegan(Day(1)), Reserved("r1", 200, [D(Jan, 200)], Day(14.9), ttl: 60, feature: Sync)])
            .When(Do.CatchUp(), Day(16))
            .Then(HoldExpired("r1", [D(Jan, 200)], Day(14.9).AddSeconds(60)), Suspended(Day(15)));

    [Fact]
    public void Grace_spanning_a_period_end_starts_the_period_without_its_allowance()
    {
        var spec = Starter(GraceBegan(Day(25)))
            .When(Do.CatchUp(), Feb1.AddDays(1))
            .Then(PeriodBegan(PlanFacts.Starter, Feb1), Expired(Jan, 10_000, Feb1));

        spec.State.Status.ShouldBe(AccountStatus.Grace);
        spec.Balance.Available.ShouldBe(0);
    }

    [Fact]
    public void A_grace_end_at_the_period_end_suspends_first_so_the_period_grants_nothing() =>
        Starter(GraceBegan(Day(20), endsAt: Feb1))
            .When(Do.CatchUp(), Feb1.AddDays(1))
            .Then(Suspended(Feb1), Expired(Jan, 10_000, Feb1), PeriodBegan(PlanFacts.Starter, Feb1));

    [Fact]
    public void A_grace_period_running_out_months_later_suspends_at_its_end_and_withholds_every_allowance_after() =>
        Starter(GraceBegan(Day(20), endsAt: Mar1.AddDays(-10)))
            .When(Do.CatchUp(), Apr1.AddDays(1))
            .Then(PeriodBegan(PlanFacts.Starter, Feb1), Expired(Jan, 10_000, Feb1),
                Suspended(Mar1.AddDays(-10)),
                PeriodBegan(PlanFacts.Starter, Mar1), PeriodBegan(PlanFacts.Starter, Apr1))
            .State.Status.ShouldBe(AccountStatus.Suspended);
}
