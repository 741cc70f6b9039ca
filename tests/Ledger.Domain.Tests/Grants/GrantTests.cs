using Ledger.Domain.Grants;

namespace Ledger.Domain.Tests.Grants;

public class OpeningTests
{
    [Fact]
    public void Opening_writes_the_account_once() =>
        Given().When(Do.Open(), T0).Then(Opened());

    [Fact]
    public void Opening_again_on_the_same_plan_is_a_replay() =>
        Given(Opened()).When(Do.Open(), Sec(5)).ThenReplayed();

    [Fact]
    public void Opening_again_on_another_plan_is_refused() =>
        Given(Opened()).When(Do.Open("free"), Sec(5)).ThenRejected(RejectionCodes.AccountExists);

    [Fact]
    public void Nothing_but_opening_works_on_a_missing_account()
    {
        Given().When(Do.Grant("g1", 10), T0).ThenRejected(RejectionCodes.AccountNotFound);
        Given().When(Do.Use("u1", 10), T0).ThenRejected(RejectionCodes.AccountNotFound);
        Given().When(Do.Reserve("r1", 10), T0).ThenRejected(RejectionCodes.AccountNotFound);
        Given().When(Do.CatchUp(), T0).ThenRejected(RejectionCodes.AccountNotFound);
    }
}

public class GrantTests
{
    [Theory]
    [InlineData(GrantSource.Promo, 10)]
    [InlineData(GrantSource.Plan, 20)]
    [InlineData(GrantSource.Manual, 40)]
    [InlineData(GrantSource.Purchase, 50)]
    public void A_grant_is_a_block_whose_priority_defaults_by_source(GrantSource source, int priority)
    {
        var spec = Given(Opened())
            .When(Do.Grant("g1", 100, source), Sec(1))
            .Then(Granted("g1", 100, source, priority, at: Sec(1)));

        spec.State.Blocks["g1"].Priority.ShouldBe(priority);
        spec.Balance.ShouldBe(new Balance(Granted: 100, 0, 0, 0, 0, Reserved: 0, Available: 100, Overage: 0, Upcoming: 0));
    }

    [Fact]
    public void A_grant_keeps_every_field_it_was_given()
    {
        var cost = new CostBasis(2900, "USD");
        var command = new GrantCredits("g1", 500, GrantSource.Purchase, 7, Sec(10), Day(30), cost, "pi_123", "pack");

        Given(Opened())
            .When(command, Sec(1))
            .Then(new CreditsGranted(Acc, "g1", 500, GrantSource.Purchase, 7, Sec(10), Day(30), cost, "pi_123", "pack", Sec(1)));
    }

    [Fact]
    public void Granting_again_with_the_same_body_is_a_replay() =>
        Given(Opened(), Granted("g1", 100, GrantSource.Promo, expiresAt: Day(1)))
            // An explicit priority equal to the source's default is the same body.
            .When(Do.Grant("g1", 100, GrantSource.Promo, priority: 10, expiresAt: Day(1)), Sec(5))
            .ThenReplayed();

    [Fact]
    public void Granting_again_with_another_body_is_an_id_conflict_naming_the_fields()
    {
        var spec = Given(Opened(), Granted("g1", 100, GrantSource.Promo, expiresAt: Day(1)))
            .When(Do.Grant("g1", 200, GrantSource.Promo, expiresAt: Day(2), reference: "x"), Sec(5))
            .ThenRejected(RejectionCodes.IdConflict);

        ((IEnumerable<string>)spec.Rejection.Extensions!["fields"]!).ShouldBe(["amount", "expiresAt", "reference"]);
    }

    [Fact]
    public void A_void_grant_id_stays_taken() =>
        Given(Opened(), Granted("g1", 100), Voided("g1", 100, Sec(1)))
            .When(Do.Grant("g1", 50), Sec(2))
            .ThenRejected(RejectionCodes.IdConflict);

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(Limits.MaxAmount + 1)]
    [InlineData(long.MaxValue)]
    public void Amounts_outside_1_to_MaxAmount_are_invalid(long amount) =>
        Given(Opened()).When(Do.Grant("g1", amount), Sec(1)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void MaxAmount_itself_is_a_valid_grant() =>
        Given(Opened()).When(Do.Grant("g1", Limits.MaxAmount), Sec(1)).Then(Granted("g1", Limits.MaxAmount, at: Sec(1)));

    [Fact]
    public void Lifetime_grants_may_reach_but_not_pass_MaxLifetimeGranted()
    {
        // 10^18 credits, 8 % of long.MaxValue: every balance sum stays far from overflowing.
        var history = new List<object> { Opened() };
        var count = (int)(Limits.MaxLifetimeGranted / Limits.MaxAmount) - 1;
        for (var i = 0; i < count; i++) history.Add(Granted($"g{i:D4}", Limits.MaxAmount));

        var spec = Given([.. history])
            .When(Do.Grant("last", Limits.MaxAmount), Sec(1))
            .Then(Granted("last", Limits.MaxAmount, at: Sec(1)));
        spec.Balance.Granted.ShouldBe(Limits.MaxLifetimeGranted);
        spec.Balance.Available.ShouldBe(Limits.MaxLifetimeGranted);

        spec.When(Do.Grant("one-more", 1), Sec(2)).ThenRejected(RejectionCodes.BalanceLimitExceeded);

        // Spending and refunding near the limit keeps the arithmetic exact.
        spec.When(Do.Use("u1", Limits.MaxAmount), Sec(3)).Then(Used("u1", Limits.MaxAmount, [D("g0000", Limits.MaxAmount)], Sec(3)));
        spec.Balance.Available.ShouldBe(Limits.MaxLifetimeGranted - Limits.MaxAmount);
        // Spent credits still count against the lifetime limit.
        spec.When(Do.Grant("after-use", 1), Sec(4)).ThenRejected(RejectionCodes.BalanceLimitExceeded);
        spec.When(Do.RefundUsage("f1", "u1", Limits.MaxAmount), Sec(5))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", Limits.MaxAmount, [D("g0000", Limits.MaxAmount)], Sec(5), consumedAt: Sec(3)));
        spec.Balance.Available.ShouldBe(Limits.MaxLifetimeGranted);
        spec.Balance.Refunded.ShouldBe(Limits.MaxAmount);
    }

    [Fact]
    public void ExpiresAt_must_be_later_than_now()
    {
        Given(Opened()).When(Do.Grant("g1", 10, expiresAt: Sec(5)), Sec(5)).ThenRejected(RejectionCodes.Validation);
        Given(Opened()).When(Do.Grant("g1", 10, expiresAt: Sec(4)), Sec(5)).ThenRejected(RejectionCodes.Validation);
        Given(Opened()).When(Do.Grant("g1", 10, expiresAt: Sec(6)), Sec(5)).Then(Granted("g1", 10, expiresAt: Sec(6), at: Sec(5)));
    }

    [Fact]
    public void ExpiresAt_must_be_later_than_now_even_for_a_backdated_effectiveAt() =>
        Given(Opened())
            .When(Do.Grant("g1", 10, effectiveAt: Hour(-2), expiresAt: Hour(-1)), T0)
            .ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void ExpiresAt_must_be_later_than_effectiveAt()
    {
        Given(Opened()).When(Do.Grant("g1", 10, effectiveAt: Hour(2), expiresAt: Hour(2)), T0).ThenRejected(RejectionCodes.Validation);
        Given(Opened()).When(Do.Grant("g1", 10, effectiveAt: Hour(2), expiresAt: Hour(1)), T0).ThenRejected(RejectionCodes.Validation);
    }

    [Fact]
    public void The_overage_block_id_cannot_be_granted() =>
        Given(Opened()).When(Do.Grant(OverageBlock, 100), Sec(1)).ThenRejected(RejectionCodes.Validation);
}

public class EffectiveAtTests
{
    [Fact]
    public void Credits_granted_for_later_are_upcoming_and_not_spendable_until_then()
    {
        var spec = Given(Opened(), Granted("later", 100, effectiveAt: Hour(1)));

        spec.BalanceAt(Min(59)).ShouldBe(new Balance(0, 0, 0, 0, 0, 0, Available: 0, 0, Upcoming: 100));
        spec.When(Do.Use("u1", 10), Min(59)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.When(Do.Reserve("r1", 10), Min(59)).ThenRejected(RejectionCodes.InsufficientCredits);

        spec.BalanceAt(Hour(1)).ShouldBe(new Balance(100, 0, 0, 0, 0, 0, Available: 100, 0, Upcoming: 0));
        spec.When(Do.Use("u1", 10), Hour(1)).Then(Used("u1", 10, [D("later", 10)], Hour(1)));
    }

    [Fact]
    public void A_block_not_yet_effective_is_skipped_by_the_drain_order() =>
        Given(Opened(), Granted("later", 100, GrantSource.Promo, effectiveAt: Hour(1)), Granted("now", 100))
            .When(Do.Use("u1", 30), Min(1))
            .Then(Used("u1", 30, [D("now", 30)], Min(1)));
}

public class VoidTests
{
    [Fact]
    public void Voiding_takes_the_whole_unspent_grant_out()
    {
        var spec = Given(Opened(), Granted("g1", 100), Granted("g2", 10))
            .When(Do.Void("g1"), Sec(1))
            .Then(Voided("g1", 100, Sec(1)));

        spec.Balance.ShouldBe(new Balance(Granted: 110, 0, 0, Voided: 100, 0, 0, Available: 10, 0, 0));
        spec.When(Do.Use("u1", 11), Sec(2)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.When(Do.Use("u1", 10), Sec(2)).Then(Used("u1", 10, [D("g2", 10)], Sec(2)));
    }

    [Fact]
    public void Voiding_after_partial_consumption_takes_only_what_is_left()
    {
        var spec = Given(Opened(), Granted("g1", 100), Used("u1", 30, [D("g1", 30)], Sec(1)))
            .When(Do.Void("g1"), Sec(2))
            .Then(Voided("g1", 70, Sec(2)));

        spec.Balance.ShouldBe(new Balance(Granted: 100, Consumed: 30, 0, Voided: 70, 0, 0, Available: 0, 0, 0));
    }

    [Fact]
    public void Voiding_a_held_block_takes_its_unheld_part_and_the_held_part_is_voided_when_released()
    {
        var spec = Given(Opened(), Granted("g1", 100), Reserved("r1", 40, [D("g1", 40)]))
            .When(Do.Void("g1"), Sec(10))
            .Then(Voided("g1", 60, Sec(10)));
        spec.Balance.ShouldBe(new Balance(100, 0, 0, Voided: 60, 0, Reserved: 40, Available: 0, 0, 0));

        spec.When(Do.Release("r1"), Sec(20))
            .Then(Released("r1", [D("g1", 40)], Sec(20)), VoidedOnRelease("g1", 40, Sec(20)));
        spec.Balance.ShouldBe(new Balance(100, 0, 0, Voided: 100, 0, Reserved: 0, Available: 0, 0, 0));
    }

    [Fact]
    public void A_hold_on_a_voided_block_stays_backed_and_can_be_committed() =>
        Given(Opened(), Granted("g1", 100), Reserved("r1", 40, [D("g1", 40)]), Voided("g1", 60, Sec(10)))
            .When(Do.Commit("r1", 25), Sec(20))
            .Then(Committed("r1", 25, [D("g1", 25)], [D("g1", 15)], Sec(20)), VoidedOnRelease("g1", 15, Sec(20)));

    [Fact]
    public void Voiding_a_grant_before_it_takes_effect_takes_it_out_of_upcoming()
    {
        var spec = Given(Opened(), Granted("later", 100, effectiveAt: Hour(1)))
            .When(Do.Void("later"), Min(10))
            .Then(Voided("later", 100, Min(10)));

        spec.Balance.ShouldBe(new Balance(0, 0, 0, 0, 0, 0, Available: 0, 0, Upcoming: 0));
        spec.BalanceAt(Hour(2)).ShouldBe(new Balance(Granted: 100, 0, 0, Voided: 100, 0, 0, Available: 0, 0, Upcoming: 0));
    }

    [Fact]
    public void A_grant_is_voided_once() =>
        Given(Opened(), Granted("g1", 100), Voided("g1", 100, Sec(1)))
            .When(Do.Void("g1"), Sec(2))
            .ThenRejected(RejectionCodes.GrantAlreadyVoided);

    [Fact]
    public void Unknown_grants_and_the_overage_block_cannot_be_voided()
    {
        Given(Opened()).When(Do.Void("nope"), Sec(1)).ThenRejected(RejectionCodes.GrantNotFound);
        Given(Opened(), Used("u1", 5, [D(OverageBlock, 5)]))
            .When(Do.Void(OverageBlock), Sec(1))
            .ThenRejected(RejectionCodes.GrantNotFound);
    }
}
