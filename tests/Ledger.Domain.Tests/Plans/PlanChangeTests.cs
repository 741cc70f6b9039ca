namespace Ledger.Domain.Tests.Plans;

/// <summary>
/// A plan change takes effect at once (docs/adr/0009): an upgrade grants floor((new - old) * left / length) expiring with
/// the period; a downgrade takes nothing back and the lower allowance applies from the next period.
/// </summary>
public class PlanChangeTests
{
    private static readonly string Jan = AllowanceId(T0);

    [Fact]
    public void An_upgrade_half_way_through_the_period_grants_half_the_difference()
    {
        var at = Day(15.5); // 15.5 of January's 31 days left
        var spec = Given(OpeningOn(Starter)).On(Starter)
            .When(Admin.ChangePlan(Pro, "upgrade"), at)
            .Then(PlanMoved(Starter, Pro, at, "upgrade"), ProrationGranted(Starter, Pro, 45_000, T0, at));

        spec.State.Plan.ShouldBe("pro");
        spec.State.Period.ShouldBe(new BillingPeriod(T0, Feb1)); // the period does not restart
        var block = spec.State.Blocks["proration:pro:20300101T000000"];
        (block.Source, block.Priority, block.ExpiresAt).ShouldBe((GrantSource.Plan, 20, (DateTimeOffset?)Feb1));
        spec.Balance.Available.ShouldBe(55_000);
    }

    [Theory]
    [InlineData(10, 60_967)] // 90,000 × 21/31 = 60,967.7
    [InlineData(30, 2_903)] // 90,000 × 1/31 = 2,903.2
    [InlineData(0, 90_000)] // at the period's first instant: all of it
    public void The_proration_is_rounded_down(double day, long expected)
    {
        var at = Day(day);
        Given(OpeningOn(Starter)).On(Starter)
            .When(Admin.ChangePlan(Pro), at)
            .Then(PlanMoved(Starter, Pro, at), ProrationGranted(Starter, Pro, expected, T0, at));
    }

    [Fact]
    public void The_proration_is_exact_where_it_comes_out_whole()
    {
        // February: 28 days. 84 × 17/28 = 51 exactly (floating point gives 50.999…, floored to 50).
        var basicPlus = Basic with { Id = "basic-plus", Allowance = 184 };
        var at = Feb1.AddDays(11);
        Given(OpenedOn(Basic, Feb1), PeriodBegan(Basic, Feb1), AllowanceGranted(Basic, Feb1)).On(Basic)
            .When(Admin.ChangePlan(basicPlus), at)
            .Then(PlanMoved(Basic, basicPlus, at), ProrationGranted(Basic, basicPlus, 51, Feb1, at));
    }

    [Theory]
    [InlineData(84, 408, 51)] // × 408/672 hours left of February
    [InlineData(112, 366, 61)]
    [InlineData(168, 204, 51)]
    [InlineData(84, 407, 50)] // 50.875
    public void The_proration_is_floor_of_the_exact_product(long difference, int hoursLeft, long expected) =>
        Periods.Prorate(difference, PeriodFrom(Feb1), Mar1.AddHours(-hoursLeft)).ShouldBe(expected);

    [Fact]
    public void A_proration_that_rounds_to_nothing_grants_nothing()
    {
        var at = Feb1.AddTicks(-1);
        Given(OpeningOn(Starter)).On(Starter).When(Admin.ChangePlan(Pro), at).Then(PlanMoved(Starter, Pro, at));
    }

    [Fact]
    public void The_proration_rule_as_a_function_of_the_time_left()
    {
        var january = PeriodFrom(T0);
        Periods.Prorate(7, january, T0).ShouldBe(7);
        Periods.Prorate(7, january, Day(1)).ShouldBe(6); // 7 × 30/31 = 6.8
        Periods.Prorate(7, january, Day(27)).ShouldBe(0); // 7 × 4/31 = 0.9
        Periods.Prorate(7, january, Feb1).ShouldBe(0);
        Periods.Prorate(-7, january, T0).ShouldBe(0); // a downgrade
    }

    [Fact]
    public void A_downgrade_takes_nothing_back_and_the_lower_allowance_applies_from_the_next_period()
    {
        var spec = Given([.. OpeningOn(Pro), Used("u1", 30_000, [D(Jan, 30_000)], Day(3))]).On(Pro)
            .When(Admin.ChangePlan(Starter, "downgrade"), Day(10))
            .Then(PlanMoved(Pro, Starter, Day(10), "downgrade"));

        spec.Balance.Available.ShouldBe(70_000);

        // The host now passes the starter terms: the pro credits stay spendable this period, ...
        spec.On(Starter)
            .When(Do.Use("u2", 9_000, Sync), Day(11))
            .Then(Used("u2", 9_000, [D(Jan, 9_000)], Day(11), Sync))
            .Balance.Available.ShouldBe(61_000);

        // ... and the next period grants 10,000 and carries nothing (starter has no rollover).
        spec.When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 61_000, Feb1))
            .Balance.Available.ShouldBe(10_000);
    }

    [Fact]
    public void After_an_upgrade_the_next_period_renews_on_the_new_plan_carrying_its_unused_plan_credits()
    {
        var at = Day(15.5);
        Given(OpeningOn(Starter)).On(Starter)
            .When(Admin.ChangePlan(Pro), at)
            .Then(PlanMoved(Starter, Pro, at), ProrationGranted(Starter, Pro, 45_000, T0, at))
            .On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Pro, Feb1), RolloverGranted(50_000, Feb1), AllowanceGranted(Pro, Feb1),
                Expired(Jan, 10_000, Feb1), Expired(ProrationId("pro", T0), 45_000, Feb1));
    }

    [Fact]
    public void Changing_to_the_plan_the_account_is_on_is_a_replay() =>
        Given(OpeningOn(Starter)).On(Starter).When(Admin.ChangePlan(Starter), Day(2)).ThenReplayed();

    [Fact]
    public void Upgrading_again_to_the_same_plan_in_the_same_period_never_grants_its_proration_twice()
    {
        var spec = Given(OpeningOn(Starter)).On(Starter)
            .When(Admin.ChangePlan(Pro), Day(15.5))
            .Then(PlanMoved(Starter, Pro, Day(15.5)), ProrationGranted(Starter, Pro, 45_000, T0, Day(15.5)))
            .On(Pro)
            .When(Do.Use("u1", 40_000, Sync), Day(16))
            .Then(Used("u1", 40_000, [D(Jan, 10_000), D(ProrationId("pro", T0), 30_000)], Day(16), Sync))
            .When(Admin.ChangePlan(Starter), Day(17))
            .Then(PlanMoved(Pro, Starter, Day(17)))
            .On(Starter)
            .When(Admin.ChangePlan(Pro), Day(18))
            .Then(PlanMoved(Starter, Pro, Day(18)));

        var block = spec.State.Blocks[ProrationId("pro", T0)];
        (block.Amount, block.Consumed).ShouldBe((45_000L, 30_000L));
    }

    [Fact]
    public void An_upgrade_during_grace_grants_no_proration() =>
        Given([.. OpeningOn(Starter), GraceBegan(Day(5))]).On(Starter)
            .When(Admin.ChangePlan(Pro), Day(6))
            .Then(PlanMoved(Starter, Pro, Day(6)));

    [Fact]
    public void A_plan_change_on_an_account_without_a_period_starts_the_first_period_on_the_new_plan()
    {
        var at = Day(2);
        var spec = Given(Opened()).On(null)
            .When(Admin.ChangePlan(Starter), at)
            .Then(new PlanChanged(Acc, "pro", "starter", null, at), PeriodBegan(Starter, at), AllowanceGranted(Starter, at));
        spec.State.Period.ShouldBe(new BillingPeriod(at, at.AddMonths(1)));
    }

    [Fact]
    public void A_plan_change_on_no_account_is_refused() =>
        Given().When(Admin.ChangePlan(Pro), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);

    [Fact]
    public void A_journey_through_plans_grants_only_the_rises_above_the_periods_level()
    {
        // free → starter → free → pro → free → enterprise, 21 of January's 31 days left: each rise counted once.
        var at = Day(10);
        var enterprise = Pro with { Id = "enterprise", Allowance = 10_000_000 };
        var spec = Given(OpeningOn(Free)).On(Free)
            .When(Admin.ChangePlan(Starter), at).Then(PlanMoved(Free, Starter, at), ProrationGranted(Free, Starter, 6_096, T0, at)) // 9,000 × 21/31
            .On(Starter).When(Admin.ChangePlan(Free), at).Then(PlanMoved(Starter, Free, at))
            .On(Free).When(Admin.ChangePlan(Pro), at).Then(PlanMoved(Free, Pro, at), ProrationGranted(Free, Pro, 60_967, T0, at)) // 90,000 × 21/31
            .On(Pro).When(Admin.ChangePlan(Free), at).Then(PlanMoved(Pro, Free, at))
            .On(Free).When(Admin.ChangePlan(enterprise), at)
            .Then(PlanMoved(Free, enterprise, at), ProrationGranted(Free, enterprise, 6_706_451, T0, at)); // 9,900,000 × 21/31

        var journey = spec.State.Blocks.Values.Where(b => b.Source == GrantSource.Plan).Sum(b => b.Amount);
        var direct = Free.Allowance + Periods.Prorate(enterprise.Allowance - Free.Allowance, PeriodFrom(T0), at);
        journey.ShouldBe(6_774_514);
        journey.ShouldBeLessThanOrEqualTo(direct); // 6,774,516: each step rounds down
        spec.State.PeriodAllowance.ShouldBe(10_000_000);
    }

    [Fact]
    public void Moving_back_up_to_a_plan_below_the_level_reached_grants_nothing()
    {
        Given(OpeningOn(Pro)).On(Pro)
            .When(Admin.ChangePlan(Free), Day(3)).Then(PlanMoved(Pro, Free, Day(3)))
            .On(Free).When(Admin.ChangePlan(Starter), Day(4)).Then(PlanMoved(Free, Starter, Day(4)))
            .State.PeriodAllowance.ShouldBe(100_000);
    }

    [Fact]
    public void A_pay_as_you_go_upgrade_is_prorated_and_a_later_paid_invoice_grants_nothing()
    {
        var at = Day(15.5);
        Given(OpeningOn(Payg)).On(Payg)
            .When(Admin.ChangePlan(Starter), at).Then(PlanMoved(Payg, Starter, at), ProrationGranted(Payg, Starter, 5_000, T0, at))
            .On(Starter).When(Admin.InvoicePaid("subscription_update"), at.AddMinutes(1)).ThenReplayed()
            .When(Admin.StartGrace(), at.AddMinutes(2)).Then(GraceBegan(at.AddMinutes(2)))
            .When(Admin.EndGrace(), at.AddMinutes(3)).Then(GraceOver(at.AddMinutes(3)));
    }

    [Fact]
    public void An_upgrade_during_grace_is_granted_prorated_when_payment_restores_the_account()
    {
        var spec = Given([.. OpeningOn(Starter), GraceBegan(Day(5))]).On(Starter)
            .When(Admin.ChangePlan(Pro), Day(6)).Then(PlanMoved(Starter, Pro, Day(6)))
            .On(Pro).When(Admin.EndGrace(), Day(15.5))
            .Then(GraceOver(Day(15.5)), ProrationGranted(Starter, Pro, 45_000, T0, Day(15.5)) with { Reason = "proration: pro allowance on payment" });
        spec.State.PeriodAllowance.ShouldBe(100_000);
    }

    [Fact]
    public void A_downgrade_to_a_plan_without_overage_settles_the_debt_and_the_overage_open_holds_took()
    {
        var at = Day(20);
        var spec = Given([.. OpeningOn(Pro), Used("u1", 105_000, [D(Jan, 100_000), D(OverageBlock, 5_000)], Day(19)),
                Reserved("r1", 700, [D(OverageBlock, 700)], Day(19.5), ttl: 86_400)]).On(Pro)
            .When(Admin.ChangePlan(Starter), at)
            .Then(PlanMoved(Pro, Starter, at), new OverageSettled(Acc, 5_700, OverageSettlement.Invoiced, T0, at, at));

        spec.Balance.ShouldBe(new Balance(Granted: 105_700, Consumed: 105_000, 0, 0, 0, Reserved: 700, Available: 0, Overage: 0, 0));
        spec.On(Starter).When(Do.Commit("r1"), at.AddHours(1)).Then(Committed("r1", 700, [D(OverageBlock, 700)], [], at.AddHours(1)) with { RequestedAmount = null })
            .Balance.Available.ShouldBe(0);
    }

    [Fact]
    public void A_move_between_overage_plans_settles_the_debt_on_the_terms_it_was_incurred_under()
    {
        var at = Day(20);
        Given([.. OpeningOn(Pro), Used("u1", 100_300, [D(Jan, 100_000), D(OverageBlock, 300)], Day(19))]).On(Pro)
            .When(Admin.ChangePlan(Unlimited), at)
            .Then(PlanMoved(Pro, Unlimited, at), new OverageSettled(Acc, 300, OverageSettlement.Invoiced, T0, at, at),
                ProrationGranted(Pro, Unlimited, 1_738_709, T0, at)); // 4,900,000 × 11/31
    }
}
