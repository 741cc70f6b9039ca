namespace Ledger.Domain.Tests.Velocity;

/// <summary>
/// The velocity alarm: credits consumed in the rolling hour (minute buckets) above the plan's threshold write
/// UsageAnomalyFlagged once, after the consuming event; with a freezing plan new spending is refused until cleared.
/// </summary>
public class VelocityTests
{
    private static readonly string Jan = AllowanceId(T0);

    /// <summary>1,000 a month, alarm above 100 credits an hour (not freezing).</summary>
    private static readonly PlanTerms Watched = Basic with
    {
        Id = "watched", Allowance = 1_000, MaxCreditsPerRequest = 1_000, VelocityCreditsPerHour = 100, VelocityFreezes = false,
    };

    private static readonly PlanTerms Freezing = Watched with { VelocityFreezes = true };

    private static Specification On(PlanTerms plan, params object[] more) => Given([.. OpeningOn(plan), .. more]).On(plan);

    [Fact]
    public void The_alarm_fires_once_when_the_rolling_hour_passes_the_threshold()
    {
        var spec = On(Watched)
            .When(Do.Use("u1", 60), Min(0)).Then(Used("u1", 60, [D(Jan, 60)], Min(0)))
            .When(Do.Use("u2", 41), Min(30)).Then(Used("u2", 41, [D(Jan, 41)], Min(30)), Flagged(101, 100, frozen: false, Min(30)));

        spec.State.AnomalyFlaggedAt.ShouldBe(Min(30));
        spec.State.SpendingFrozen.ShouldBeFalse();
        spec.When(Do.Use("u3", 50), Min(40)).Then(Used("u3", 50, [D(Jan, 50)], Min(40))); // flagged already this hour
        spec.State.ConsumedInHourBefore(Min(40)).ShouldBe(151);
    }

    [Fact]
    public void Exactly_the_threshold_does_not_fire() =>
        On(Watched, Used("u1", 60, [D(Jan, 60)], Min(0)))
            .When(Do.Use("u2", 40), Min(30)).Then(Used("u2", 40, [D(Jan, 40)], Min(30)));

    [Fact]
    public void A_single_usage_over_the_threshold_fires() =>
        On(Watched).When(Do.Use("u1", 101), Min(1)).Then(Used("u1", 101, [D(Jan, 101)], Min(1)), Flagged(101, 100, false, Min(1)));

    [Fact]
    public void A_non_freezing_alarm_fires_again_only_after_an_hour()
    {
        var spec = On(Watched, Used("u1", 60, [D(Jan, 60)], Min(0)), Used("u2", 41, [D(Jan, 41)], Min(30)), Flagged(101, 100, false, Min(30)));

        spec.When(Do.Use("u3", 100), Min(50)).Then(Used("u3", 100, [D(Jan, 100)], Min(50))); // 201 in the hour, flagged already
        spec.When(Do.Use("u4", 1), Min(89)).Then(Used("u4", 1, [D(Jan, 1)], Min(89))); // 142, flagged 59 minutes ago
        spec.When(Do.Use("u5", 1), Min(90)).Then(Used("u5", 1, [D(Jan, 1)], Min(90)), Flagged(102, 100, false, Min(90))); // an hour on
    }

    [Fact]
    public void Consumption_older_than_an_hour_does_not_count()
    {
        On(Watched, Used("u1", 60, [D(Jan, 60)], Min(0)))
            .When(Do.Use("u2", 50), Min(60)).Then(Used("u2", 50, [D(Jan, 50)], Min(60)))
            .State.ConsumedInHourBefore(Min(60)).ShouldBe(50);

        On(Watched, Used("u1", 60, [D(Jan, 60)], Min(0)))
            .When(Do.Use("u2", 50), Min(59)).Then(Used("u2", 50, [D(Jan, 50)], Min(59)), Flagged(110, 100, false, Min(59)));
    }

    [Fact]
    public void Refunds_count_against_the_hour()
    {
        On(Watched, Used("u1", 60, [D(Jan, 60)], Min(0)), Refunded("f1", RefundSourceKind.Usage, "u1", 30, [D(Jan, 30)], Min(10)))
            .When(Do.Use("u2", 60), Min(20)).Then(Used("u2", 60, [D(Jan, 60)], Min(20)))
            .State.ConsumedInHourBefore(Min(20)).ShouldBe(90);
    }

    [Fact]
    public void A_commit_counts_what_it_consumed_and_a_hold_counts_nothing()
    {
        var spec = On(Watched)
            .When(Do.Reserve("r1", 500), Min(1)).Then(Reserved("r1", 500, [D(Jan, 500)], Min(1)));
        spec.State.ConsumedInHourBefore(Min(1)).ShouldBe(0);

        spec.When(Do.Commit("r1", 120), Min(2))
            .Then(Committed("r1", 120, [D(Jan, 120)], [D(Jan, 380)], Min(2)), Flagged(120, 100, false, Min(2)));
    }

    [Fact]
    public void A_freezing_alarm_freezes_new_spending_until_an_administrator_clears_it()
    {
        var spec = On(Freezing, Used("u1", 60, [D(Jan, 60)], Min(0)))
            .When(Do.Use("u2", 41), Min(30)).Then(Used("u2", 41, [D(Jan, 41)], Min(30)), Flagged(101, 100, frozen: true, Min(30)));

        spec.State.SpendingFrozen.ShouldBeTrue();
        spec.When(Do.Use("u3", 1), Min(31)).ThenRejected(RejectionCodes.AccountFrozen);
        spec.When(Do.Reserve("r1", 1, feature: Reports), Day(3)).ThenRejected(RejectionCodes.AccountFrozen); // time alone does not thaw it

        spec.When(Admin.ClearAnomaly("false alarm"), Day(3)).Then(Cleared(Day(3), "false alarm"));
        spec.State.SpendingFrozen.ShouldBeFalse();
        spec.State.AnomalyFlaggedAt.ShouldBeNull();
        spec.When(Do.Use("u3", 10), Day(3)).Then(Used("u3", 10, [D(Jan, 10)], Day(3)));
        spec.When(Admin.ClearAnomaly(), Day(3)).ThenRejected(RejectionCodes.AccountStateConflict);
    }

    [Fact]
    public void After_a_clear_an_hour_still_over_the_threshold_fires_again_at_the_next_consumption()
    {
        var spec = On(Freezing, Used("u1", 60, [D(Jan, 60)], Min(0)), Used("u2", 41, [D(Jan, 41)], Min(30)), Flagged(101, 100, true, Min(30)))
            .When(Admin.ClearAnomaly(), Min(35)).Then(Cleared(Min(35)));

        spec.When(Do.Use("u3", 5), Min(40)).Then(Used("u3", 5, [D(Jan, 5)], Min(40)), Flagged(106, 100, true, Min(40)));
    }

    [Fact]
    public void A_freezing_alarm_keeps_its_first_flag_while_frozen_commits_go_on()
    {
        var spec = On(Freezing, Reserved("r1", 500, [D(Jan, 500)], Min(1)), Used("u1", 101, [D(Jan, 101)], Min(2)), Flagged(101, 100, true, Min(2)))
            .When(Do.Commit("r1", 400), Min(3)).Then(Committed("r1", 400, [D(Jan, 400)], [D(Jan, 100)], Min(3)));
        spec.State.AnomalyFlaggedAt.ShouldBe(Min(2));
    }

    [Fact]
    public void A_plan_without_a_threshold_never_fires() =>
        On(Basic with { MaxCreditsPerRequest = 1_000, Allowance = 1_000 })
            .When(Do.Use("u1", 1_000), Min(1)).Then(Used("u1", 1_000, [D(Jan, 1_000)], Min(1)));

    [Fact]
    public void Commands_that_consume_nothing_never_fire_even_over_the_threshold() =>
        On(Watched, Used("u1", 200, [D(Jan, 200)], Min(0)))
            .When(Do.Grant("g1", 10), Min(1)).Then(Granted("g1", 10, at: Min(1)));

    [Fact]
    public void The_minute_buckets_are_rebuilt_from_events_alone()
    {
        var spec = On(Watched)
            .When(Do.Use("u1", 10), Sec(5)).When(Do.Use("u2", 20), Sec(50)).When(Do.Use("u3", 30), Sec(65));
        spec.State.RecentUsage!.Select(u => (u.Minute, u.Credits)).ShouldBe([(Min(0), 30L), (Min(1), 30L)]);
        spec.When(Do.Use("u4", 1), Min(60.5)).State.RecentUsage!.Select(u => (u.Minute, u.Credits)).ShouldBe([(Min(1), 30L), (Min(60), 1L)]);
        spec.State.ConsumedInHourBefore(Min(60.5)).ShouldBe(31);
        Canonical.Of(Account.Replay(spec.History)!).ShouldBe(Canonical.Of(spec.State));
    }
}
