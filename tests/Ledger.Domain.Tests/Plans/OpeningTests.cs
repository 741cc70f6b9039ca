namespace Ledger.Domain.Tests.Plans;

public class OpeningTests
{
    public static TheoryData<string> Tiers => ["free", "starter", "pro", "basic"];

    private static PlanTerms Tier(string id) => new[] { Free, Starter, Pro, Basic, Payg }.Single(p => p.Id == id);

    [Theory]
    [MemberData(nameof(Tiers))]
    public void Opening_on_a_plan_starts_the_first_period_and_grants_its_allowance_expiring_at_the_period_end(string id)
    {
        var plan = Tier(id);
        var spec = Given().On(plan)
            .When(Do.Open(plan.Id), T0)
            .Then(OpenedOn(plan), PeriodBegan(plan, T0), AllowanceGranted(plan, T0));

        spec.State.Period.ShouldBe(new BillingPeriod(T0, Feb1));
        spec.State.PeriodConsumed.ShouldBe(0);
        spec.State.Status.ShouldBe(AccountStatus.Active);
        var block = spec.State.Blocks["plan:20300101T000000"];
        block.Source.ShouldBe(GrantSource.Plan);
        block.Priority.ShouldBe(20);
        block.ExpiresAt.ShouldBe(new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero));
        spec.Balance.ShouldBe(new Balance(Granted: plan.Allowance, 0, 0, 0, 0, 0, Available: plan.Allowance, 0, 0));
    }

    [Fact]
    public void Opening_mid_month_runs_the_period_to_the_same_day_next_month()
    {
        var at = new DateTimeOffset(2030, 1, 31, 12, 30, 0, TimeSpan.Zero);
        var spec = Given().On(Basic).When(Do.Open(Basic.Id), at);

        spec.State.Period.ShouldBe(new BillingPeriod(at, new DateTimeOffset(2030, 2, 28, 12, 30, 0, TimeSpan.Zero)));
        spec.State.Blocks.Keys.ShouldBe(["plan:20300131T123000"]);
    }

    // Jan 1 to Jan 11: the first ten days of a cycle anchored on the 11th, whose month (Dec 11 to Jan 11) has 31 days.
    private static readonly DateTimeOffset Jan11 = T0.AddDays(10);
    private static readonly BillingPeriod Anchored = new(T0, Jan11);

    private static CreditsGranted AnchoredAllowance(long amount) =>
        new(Acc, Anchored.AllowanceGrantId, amount, GrantSource.Plan, 20, null, Jan11, null, null, "starter allowance", T0, AllowanceLevel: Starter.Allowance);

    [Fact]
    public void A_billing_cycle_anchor_ends_the_first_period_there_with_the_allowance_prorated_to_the_month()
    {
        var spec = Given().On(Starter)
            .When(Do.Open(Starter.Id) with { BillingCycleAnchor = Jan11 }, T0)
            .Then(OpenedOn(Starter), new PeriodStarted(Acc, Starter.Id, T0, Jan11, T0), AnchoredAllowance(10_000 * 10 / 31)); // 3,225

        spec.State.Period.ShouldBe(Anchored);
        spec.State.PeriodAllowance.ShouldBe(Starter.Allowance); // the monthly level, so a move up prorates at the monthly rate
        spec.Balance.Available.ShouldBe(3_225);
    }

    [Fact]
    public void After_the_anchor_periods_are_whole_months_from_it_with_the_whole_allowance() =>
        Given(OpenedOn(Starter), new PeriodStarted(Acc, Starter.Id, T0, Jan11, T0), AnchoredAllowance(3_225)).On(Starter)
            .When(Do.CatchUp(), Jan11.AddDays(1))
            .Then(PeriodBegan(Starter, Jan11), AllowanceGranted(Starter, Jan11), new GrantExpired(Acc, Anchored.AllowanceGrantId, 3_225, Jan11))
            .State.Period.ShouldBe(new BillingPeriod(Jan11, Jan11.AddMonths(1)));

    [Fact]
    public void A_move_up_in_an_anchored_first_period_grants_the_rise_at_the_monthly_rate() =>
        Given(OpenedOn(Starter), new PeriodStarted(Acc, Starter.Id, T0, Jan11, T0), AnchoredAllowance(3_225)).On(Starter)
            .When(Admin.ChangePlan(Pro), Day(5)) // 5 of the cycle's 31 days left
            .Then(PlanMoved(Starter, Pro, Day(5)),
                new CreditsGranted(Acc, Anchored.ProrationGrantId(Pro.Id), 90_000 * 5 / 31, GrantSource.Plan, 20, null, Jan11, null, null,
                    "proration: starter to pro", Day(5), AllowanceLevel: Pro.Allowance)); // 14,516, not 90,000 × 5/10

    [Theory]
    [InlineData(0L)] // now
    [InlineData(-1L)] // the past
    [InlineData(1L)] // a tick more than a month away
    public void An_anchor_not_later_than_now_or_more_than_a_month_away_is_refused(long ticks) =>
        Given().On(Starter)
            .When(Do.Open(Starter.Id) with { BillingCycleAnchor = ticks > 0 ? Feb1.AddTicks(ticks) : T0.AddTicks(ticks) }, T0)
            .ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void An_anchor_a_month_away_is_the_ordinary_first_period() =>
        Given().On(Starter)
            .When(Do.Open(Starter.Id) with { BillingCycleAnchor = Feb1 }, T0)
            .Then(OpenedOn(Starter), PeriodBegan(Starter, T0), AllowanceGranted(Starter, T0));

    [Fact]
    public void Payg_has_no_allowance_but_a_trial_grant_that_never_expires()
    {
        var spec = Given().On(Payg)
            .When(Do.Open(Payg.Id), T0)
            .Then(OpenedOn(Payg), PeriodBegan(Payg, T0), TrialGranted(Payg));

        var trial = spec.State.Blocks["trial"];
        (trial.Amount, trial.Source, trial.Priority, trial.ExpiresAt).ShouldBe((500L, GrantSource.Promo, 10, (DateTimeOffset?)null));
        spec.State.Period.ShouldBe(new BillingPeriod(T0, Feb1));
        spec.Balance.Available.ShouldBe(500);
    }

    [Fact]
    public void A_plan_with_no_allowance_and_no_trial_opens_with_a_period_and_nothing_granted() =>
        Given().On(Payg with { TrialGrant = 0 })
            .When(Do.Open(Payg.Id), T0)
            .Then(OpenedOn(Payg), PeriodBegan(Payg, T0));

    [Fact]
    public void Opening_without_plan_terms_writes_only_AccountOpened() =>
        Given().When(Do.Open("pro"), T0).Then(Opened()).State.Period.ShouldBeNull();

    [Fact]
    public void Opening_again_on_the_same_plan_is_a_replay_and_grants_nothing_twice()
    {
        var spec = Given(OpeningOn(Payg)).On(Payg).When(Do.Open(Payg.Id), Day(3)).ThenReplayed();
        spec.State.Blocks.Count.ShouldBe(1);
        spec.When(Do.Open(Starter.Id), Day(3)).ThenRejected(RejectionCodes.AccountExists);
    }

    [Fact]
    public void A_payg_period_end_starts_the_next_period_and_grants_nothing() =>
        Given(OpeningOn(Payg)).On(Payg)
            .When(Do.CatchUp(), Feb1.AddDays(1))
            .Then(PeriodBegan(Payg, Feb1))
            .State.Blocks["trial"].Remaining.ShouldBe(500);
}
