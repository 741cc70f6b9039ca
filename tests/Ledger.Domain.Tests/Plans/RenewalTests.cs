namespace Ledger.Domain.Tests.Plans;

/// <summary>Period ends crossed by catch-up: the next period starts and grants its allowance; the old plan block expires.</summary>
public class RenewalTests
{
    private static readonly string Jan = AllowanceId(T0), Feb = AllowanceId(Feb1), Mar = AllowanceId(Mar1), Apr = AllowanceId(Apr1);

    /// <summary>Starter (10,000 a month, no rollover) with 4,000 spent on day 3.</summary>
    private static Specification Spent4000() =>
        Given([.. OpeningOn(Starter), Used("u1", 4_000, [D(Jan, 4_000)], Day(3))]).On(Starter);

    [Fact]
    public void Crossing_the_period_end_starts_the_next_period_grants_its_allowance_and_expires_the_old_block()
    {
        var spec = Spent4000()
            .When(Do.CatchUp(), Feb1.AddHours(1))
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 6_000, Feb1));

        spec.State.Period.ShouldBe(new BillingPeriod(Feb1, Mar1));
        spec.State.PeriodConsumed.ShouldBe(0);
        spec.Balance.ShouldBe(new Balance(Granted: 20_000, Consumed: 4_000, Expired: 6_000, 0, 0, 0, Available: 10_000, 0, 0));
    }

    [Fact]
    public void The_last_tick_of_a_period_is_still_in_it()
    {
        var last = Feb1.AddTicks(-1);
        Spent4000().When(Do.Use("u2", 6_000, Sync), last).Then(Used("u2", 6_000, [D(Jan, 6_000)], last, Sync))
            .State.PeriodConsumed.ShouldBe(10_000);
    }

    [Fact]
    public void The_renewal_is_written_before_the_command_that_crossed_it_and_the_command_spends_the_new_allowance()
    {
        var at = Feb1.AddMinutes(5);
        var spec = Spent4000()
            .When(Do.Use("u2", 7_000, Sync), at)
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 6_000, Feb1),
                Used("u2", 7_000, [D(Feb, 7_000)], at, Sync));

        spec.State.PeriodConsumed.ShouldBe(7_000);
    }

    [Fact]
    public void A_period_end_exactly_now_is_crossed() =>
        Spent4000().When(Do.CatchUp(), Feb1).Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 6_000, Feb1));

    [Fact]
    public void Several_periods_elapsed_at_once_are_each_started_in_turn()
    {
        var spec = Spent4000()
            .When(Do.CatchUp(), Apr1.AddDays(2))
            .Then(
                PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 6_000, Feb1),
                PeriodBegan(Starter, Mar1), AllowanceGranted(Starter, Mar1), Expired(Feb, 10_000, Mar1),
                PeriodBegan(Starter, Apr1), AllowanceGranted(Starter, Apr1), Expired(Mar, 10_000, Apr1));

        spec.State.Period.ShouldBe(new BillingPeriod(Apr1, May1));
        spec.Balance.ShouldBe(new Balance(Granted: 40_000, Consumed: 4_000, Expired: 26_000, 0, 0, 0, Available: 10_000, 0, 0));
    }

    [Fact]
    public void Reads_see_the_renewal_virtually_before_anything_is_written()
    {
        var spec = Spent4000();

        spec.BalanceAt(Feb1.AddTicks(-1)).Available.ShouldBe(6_000);
        spec.BalanceAt(Feb1).ShouldBe(new Balance(Granted: 20_000, Consumed: 4_000, Expired: 6_000, 0, 0, 0, Available: 10_000, 0, 0));
        spec.ViewAt(Mar1.AddDays(1)).Period.ShouldBe(new BillingPeriod(Mar1, Apr1));
        spec.State.Period.ShouldBe(new BillingPeriod(T0, Feb1)); // nothing written
        spec.State.Blocks.ContainsKey(Feb).ShouldBeFalse();

        // A read without the plan sees only the expiry: renewals come from the plan's terms.
        Balance.Of(spec.State, Feb1).Available.ShouldBe(0);
    }

    [Fact]
    public void A_late_timer_writes_what_timers_on_time_would_have_written()
    {
        var late = Spent4000().When(Do.CatchUp(), Mar1.AddDays(3));
        var onTime = Spent4000().When(Do.CatchUp(), Feb1).When(Do.CatchUp(), Mar1).When(Do.CatchUp(), Mar1.AddDays(3));

        late.History.Select(Canonical.Event).ShouldBe(onTime.History.Select(Canonical.Event));
        Canonical.Of(late.State).ShouldBe(Canonical.Of(onTime.State));
    }

    [Fact]
    public void The_old_plan_block_expires_with_its_unheld_amount_and_the_held_part_when_the_hold_ends()
    {
        var reservedAt = Feb1.AddHours(-1);
        var spec = Given([.. OpeningOn(Starter), Reserved("r1", 1_000, [D(Jan, 1_000)], reservedAt, ttl: 7_200)]).On(Starter)
            .When(Do.CatchUp(), Feb1.AddMinutes(30))
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 9_000, Feb1));

        spec.Balance.ShouldBe(new Balance(Granted: 20_000, 0, Expired: 9_000, 0, 0, Reserved: 1_000, Available: 10_000, 0, 0));

        // Committing 400 after the renewal consumes from the old hold; the 600 released go back to a dead block and expire.
        var at = Feb1.AddMinutes(40);
        spec.When(Do.Commit("r1", 400), at)
            .Then(Committed("r1", 400, [D(Jan, 400)], [D(Jan, 600)], at), Expired(Jan, 600, at))
            .Balance.ShouldBe(new Balance(Granted: 20_000, Consumed: 400, Expired: 9_600, 0, 0, 0, Available: 10_000, 0, 0));
        spec.State.PeriodConsumed.ShouldBe(400); // counted in the period it was committed in
    }

    [Fact]
    public void A_hold_on_the_old_block_that_expires_after_the_period_end_gives_its_credits_to_expiry()
    {
        var reservedAt = Feb1.AddHours(-1);
        Given([.. OpeningOn(Starter), Reserved("r1", 1_000, [D(Jan, 1_000)], reservedAt, ttl: 7_200)]).On(Starter)
            .When(Do.CatchUp(), Feb1.AddHours(2))
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 9_000, Feb1),
                HoldExpired("r1", [D(Jan, 1_000)], Feb1.AddHours(1)), Expired(Jan, 1_000, Feb1.AddHours(1)));
    }

    [Fact]
    public void On_a_plan_that_does_not_settle_overage_the_new_allowance_pays_back_what_is_owed_at_the_period_end()
    {
        var spec = Given([.. OpeningOn(Pro), Used("u1", 130_000, [D(Jan, 100_000), D(OverageBlock, 30_000)], Day(20))])
            .On(Pro with { SettleOverageAtPeriodEnd = null })
            .When(Do.CatchUp(), Feb1.AddDays(1))
            .Then(PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1), Repaid(Feb, 30_000, Feb1));

        spec.Balance.ShouldBe(new Balance(Granted: 200_000, Consumed: 130_000, 0, 0, 0, 0, Available: 70_000, Overage: 0, 0));
    }

    [Fact]
    public void A_refund_of_an_earlier_periods_usage_leaves_this_periods_quota_alone()
    {
        var spec = Spent4000()
            .When(Do.Use("u2", 300, Sync), Feb1.AddDays(1))
            .When(Do.RefundUsage("f1", "u1", 1_000), Feb1.AddDays(2));
        spec.State.PeriodConsumed.ShouldBe(300); // not -700: u1 was January's
        spec.When(Do.RefundUsage("f2", "u2", 100), Feb1.AddDays(3)).State.PeriodConsumed.ShouldBe(200);
    }

    [Fact]
    public void PeriodConsumed_counts_the_period_net_of_refunds_and_restarts_with_each_period()
    {
        var spec = Spent4000()
            .When(Do.Use("u2", 500, Sync), Day(4))
            .When(Do.RefundUsage("f1", "u2", 200), Day(5));
        spec.State.PeriodConsumed.ShouldBe(4_300);
        spec.ViewAt(Feb1).PeriodConsumed.ShouldBe(0);
    }
}
