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
