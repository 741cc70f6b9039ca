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
            .When(Admin.ChangePlan(Starter, Pro, "upgrade"), at)
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
            .When(Admin.ChangePlan(Starter, Pro), at)
            .Then(PlanMoved(Starter, Pro, at), ProrationGranted(Starter, Pro, expected, T0, at));
    }

    [Fact]
    public void The_proration_is_exact_where_it_comes_out_whole()
    {
        // February: 28 days. 84 × 17/28 = 51 exactly (floating point gives 50.999…, floored to 50).
        var basicPlus = Basic with { Id = "basic-plus", Allowance = 184 };
        var at = Feb1.AddDays(11);
        Given(OpenedOn(Basic, Feb1), PeriodBegan(Basic, Feb1), AllowanceGranted(Basic, Feb1)).On(Basic)
            .When(Admin.ChangePlan(Basic, basicPlus), at)
            .Then(PlanMoved(Basic, basicPlus, at), ProrationGranted(Basic, basicPlus, 51, Feb1, at));
    }

    [Theory]
    [InlineData(84, 408, 51)] // × 408/672 hours left of February
    [InlineData(112, 366, 61)]
    [InlineData(168, 204, 51)]
    [InlineData(84, 407, 50)] // 50.875
    public void The_proration_is_floor_of_the_exact_product(long difference, int hoursLeft, long expected)
    {
        var account = Account.Replay([OpenedOn(Basic, Feb1), PeriodBegan(Basic, Feb1)])!;
        Admin.ChangePlan(Basic, Basic with { Id = "more", Allowance = Basic.Allowance + difference })
            .Prorated(account, Mar1.AddHours(-hoursLeft)).ShouldBe(expected);
    }

    [Fact]
    public void A_proration_that_rounds_to_nothing_grants_nothing()
    {
        var at = Feb1.AddTicks(-1);
        Given(OpeningOn(Starter)).On(Starter).When(Admin.ChangePlan(Starter, Pro), at).Then(PlanMoved(Starter, Pro, at));
    }

    [Fact]
    public void The_proration_rule_as_a_function_of_the_time_left()
    {
        var basicPlus = Basic with { Id = "basic-plus", Allowance = 107 };
        var change = Admin.ChangePlan(Basic, basicPlus);
        var account = Account.Replay(OpeningOn(Basic))!;

        change.Prorated(account, T0).ShouldBe(7);
        change.Prorated(account, Day(1)).ShouldBe(6); // 7 × 30/31 = 6.8
        change.Prorated(account, Day(27)).ShouldBe(0); // 7 × 4/31 = 0.9
        change.Prorated(account, Feb1).ShouldBe(0);
        Admin.ChangePlan(basicPlus, Basic).Prorated(account, T0).ShouldBe(0); // a downgrade
        new ChangePlan(basicPlus, null, null).Prorated(account, T0).ShouldBe(0); // the old terms unknown
    }

    [Fact]
    public void A_downgrade_takes_nothing_back_and_the_lower_allowance_applies_from_the_next_period()
    {
        var spec = Given([.. OpeningOn(Pro), Used("u1", 30_000, [D(Jan, 30_000)], Day(3))]).On(Pro)
            .When(Admin.ChangePlan(Pro, Starter, "downgrade"), Day(10))
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
            .When(Admin.ChangePlan(Starter, Pro), at)
            .Then(PlanMoved(Starter, Pro, at), ProrationGranted(Starter, Pro, 45_000, T0, at))
            .On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Pro, Feb1), RolloverGranted(50_000, Feb1), AllowanceGranted(Pro, Feb1),
                Expired(Jan, 10_000, Feb1), Expired(ProrationId("pro", T0), 45_000, Feb1));
    }

    [Fact]
    public void Changing_to_the_plan_the_account_is_on_is_a_replay() =>
        Given(OpeningOn(Starter)).On(Starter).When(Admin.ChangePlan(Pro, Starter), Day(2)).ThenReplayed();

    [Fact]
    public void Upgrading_again_to_the_same_plan_in_the_same_period_never_grants_its_proration_twice()
    {
        var spec = Given(OpeningOn(Starter)).On(Starter)
            .When(Admin.ChangePlan(Starter, Pro), Day(15.5))
            .Then(PlanMoved(Starter, Pro, Day(15.5)), ProrationGranted(Starter, Pro, 45_000, T0, Day(15.5)))
            .On(Pro)
            .When(Do.Use("u1", 40_000, Sync), Day(16))
            .Then(Used("u1", 40_000, [D(Jan, 10_000), D(ProrationId("pro", T0), 30_000)], Day(16), Sync))
            .When(Admin.ChangePlan(Pro, Starter), Day(17))
            .Then(PlanMoved(Pro, Starter, Day(17)))
            .On(Starter)
            .When(Admin.ChangePlan(Starter, Pro), Day(18))
            .Then(PlanMoved(Starter, Pro, Day(18)));

        var block = spec.State.Blocks[ProrationId("pro", T0)];
        (block.Amount, block.Consumed).ShouldBe((45_000L, 30_000L));
    }

    [Fact]
    public void An_upgrade_during_grace_grants_no_proration() =>
        Given([.. OpeningOn(Starter), GraceBegan(Day(5))]).On(Starter)
            .When(Admin.ChangePlan(Starter, Pro), Day(6))
            .Then(PlanMoved(Starter, Pro, Day(6)));

    [Fact]
    public void A_plan_change_on_an_account_without_a_period_starts_the_first_period_on_the_new_plan()
    {
        var at = Day(2);
        var spec = Given(Opened()).On(null)
            .When(Admin.ChangePlan(Pro, Starter), at)
            .Then(new PlanChanged(Acc, "pro", "starter", null, at), PeriodBegan(Starter, at), AllowanceGranted(Starter, at));
        spec.State.Period.ShouldBe(new BillingPeriod(at, at.AddMonths(1)));
    }

    [Fact]
    public void A_plan_change_on_no_account_is_refused() =>
        Given().When(Admin.ChangePlan(Starter, Pro), Day(1)).ThenRejected(RejectionCodes.AccountNotFound);
}
