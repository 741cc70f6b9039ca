namespace Ledger.Domain.Tests.Plans;

/// <summary>At a period end the unspent, unheld plan credits are carried (or not) per the plan: below min nothing, above max the max.</summary>
public class RolloverTests
{
    private static readonly string Jan = AllowanceId(T0), Feb = AllowanceId(Feb1);

    /// <summary>Basic: 100 a month, rollover from 10 to 30.</summary>
    private static Specification BasicWithUnused(long unused) =>
        Given([.. OpeningOn(Basic), .. unused < 100 ? new object[] { Used("u1", 100 - unused, [D(Jan, 100 - unused)], Day(3)) } : []]).On(Basic);

    [Theory]
    [InlineData(100, 30)] // above max: the max
    [InlineData(31, 30)]
    [InlineData(30, 30)]
    [InlineData(25, 25)] // between: all of it
    [InlineData(10, 10)] // the min itself
    public void Unused_credits_between_min_and_max_are_carried_into_a_rollover_block_spent_first(long unused, long carried)
    {
        var spec = BasicWithUnused(unused)
            .When(Do.CatchUp(), Feb1.AddHours(1))
            .Then(PeriodBegan(Basic, Feb1), RolloverGranted(carried, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, unused, Feb1));

        var rollover = spec.State.Blocks[RolloverId(Feb1)];
        (rollover.Source, rollover.Priority, rollover.ExpiresAt).ShouldBe((GrantSource.Plan, 19, (DateTimeOffset?)Mar1));
        spec.Balance.Available.ShouldBe(100 + carried);
        spec.When(Do.Use("u2", 5), Feb1.AddHours(2)).Then(Used("u2", 5, [D(RolloverId(Feb1), 5)], Feb1.AddHours(2)));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(1)]
    public void Unused_credits_below_the_min_are_not_carried(long unused) =>
        BasicWithUnused(unused)
            .When(Do.CatchUp(), Feb1.AddHours(1))
            .Then(PeriodBegan(Basic, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, unused, Feb1));

    [Fact]
    public void Nothing_unused_carries_nothing_even_with_a_min_of_zero() =>
        Given([.. OpeningOn(Pro), Used("u1", 100_000, [D(Jan, 100_000)], Day(3))]).On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1));

    [Fact]
    public void A_plan_without_rollover_carries_nothing() =>
        Given(OpeningOn(Starter)).On(Starter)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Starter, Feb1), AllowanceGranted(Starter, Feb1), Expired(Jan, 10_000, Feb1));

    [Fact]
    public void Pro_carries_at_most_50000()
    {
        var spec = Given([.. OpeningOn(Pro), Used("u1", 30_000, [D(Jan, 30_000)], Day(3))]).On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Pro, Feb1), RolloverGranted(50_000, Feb1), AllowanceGranted(Pro, Feb1), Expired(Jan, 70_000, Feb1));
        spec.Balance.Available.ShouldBe(150_000);
    }

    [Fact]
    public void Held_credits_are_not_carried()
    {
        var reservedAt = Feb1.AddHours(-1);
        Given([.. OpeningOn(Basic), Reserved("r1", 80, [D(Jan, 80)], reservedAt, ttl: 7_200)]).On(Basic)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Basic, Feb1), RolloverGranted(20, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, 20, Feb1));
    }

    [Fact]
    public void Credits_not_from_the_plan_are_never_carried_and_keep_their_own_expiry()
    {
        var spec = Given([.. OpeningOn(Basic), Granted("buy", 500), Granted("promo", 40, GrantSource.Promo, expiresAt: Feb1),
                Used("u1", 95, [D("promo", 40), D(Jan, 55)], Day(3))]).On(Basic)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Basic, Feb1), RolloverGranted(30, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, 45, Feb1));
        spec.Balance.Available.ShouldBe(500 + 30 + 100);
    }

    [Fact]
    public void The_rollover_carries_again_with_the_allowance_but_never_more_than_the_max_in_all()
    {
        var spec = BasicWithUnused(100)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Basic, Feb1), RolloverGranted(30, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, 100, Feb1))
            .When(Do.CatchUp(), Mar1)
            .Then(PeriodBegan(Basic, Mar1), RolloverGranted(30, Mar1), AllowanceGranted(Basic, Mar1),
                Expired(Feb, 100, Mar1), Expired(RolloverId(Feb1), 30, Mar1));
        spec.Balance.Available.ShouldBe(130);
    }

    [Fact]
    public void Frozen_plan_credits_are_not_carried() =>
        Given([.. OpeningOn(Basic), Frozen(Jan, Day(2))]).On(Basic)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Basic, Feb1), AllowanceGranted(Basic, Feb1), Expired(Jan, 100, Feb1));

    [Theory]
    [InlineData(0, 0, 5, 0)]
    [InlineData(0, 30, 0, 0)]
    [InlineData(0, 30, 1, 1)]
    [InlineData(10, 30, 9, 0)]
    [InlineData(10, 30, 10, 10)]
    [InlineData(10, 30, 31, 30)]
    [InlineData(0, long.MaxValue, 1_000_000, 1_000_000)]
    public void Carry_is_nothing_below_the_min_and_at_most_the_max(long min, long max, long unused, long carried) =>
        (Basic with { RolloverMin = min, RolloverMax = max }).Carry(unused).ShouldBe(carried);
}
