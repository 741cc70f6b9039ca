namespace Ledger.Domain.Tests.Overage;

public class OverageTests
{
    [Fact]
    public void Without_overage_usage_beyond_available_is_refused() =>
        Given(Opened(), Granted("g1", 50)).When(Do.Use("u1", 80), Sec(1)).ThenRejected(RejectionCodes.InsufficientCredits);

    [Fact]
    public void With_overage_usage_beyond_available_makes_available_negative_and_overage_positive()
    {
        var spec = Given(Opened(), Granted("g1", 50))
            .When(Do.Use("u1", 80), Sec(1), allowOverage: true)
            .Then(Used("u1", 80, [D("g1", 50), D(OverageBlock, 30)], Sec(1)));

        spec.Balance.ShouldBe(new Balance(Granted: 50, Consumed: 80, 0, 0, 0, Reserved: 0, Available: -30, Overage: 30, 0));
    }

    [Fact]
    public void With_overage_an_empty_account_can_still_spend()
    {
        var spec = Given(Opened()).When(Do.Use("u1", 5), Sec(1), allowOverage: true).Then(Used("u1", 5, [D(OverageBlock, 5)], Sec(1)));
        spec.Balance.ShouldBe(new Balance(0, Consumed: 5, 0, 0, 0, 0, Available: -5, Overage: 5, 0));
    }

    [Fact]
    public void Without_overage_the_next_command_cannot_deepen_existing_overage() =>
        Given(Opened(), Used("u1", 5, [D(OverageBlock, 5)], Sec(1)))
            .When(Do.Use("u2", 1), Sec(2))
            .ThenRejected(RejectionCodes.InsufficientCredits);

    [Fact]
    public void The_next_grant_repays_overage_first()
    {
        var spec = Given(Opened(), Granted("g1", 50), Used("u1", 80, [D("g1", 50), D(OverageBlock, 30)], Sec(1)))
            .When(Do.Grant("g2", 100), Sec(10), allowOverage: true)
            .Then(Granted("g2", 100, at: Sec(10)), Repaid("g2", 30, Sec(10)));

        spec.Balance.ShouldBe(new Balance(Granted: 150, Consumed: 80, 0, 0, 0, 0, Available: 70, Overage: 0, 0));
        spec.When(Do.Use("u2", 70), Sec(11)).Then(Used("u2", 70, [D("g2", 70)], Sec(11)));
    }

    [Fact]
    public void A_grant_smaller_than_the_overage_repays_what_it_can()
    {
        var spec = Given(Opened(), Used("u1", 30, [D(OverageBlock, 30)], Sec(1)))
            .When(Do.Grant("g1", 20), Sec(10))
            .Then(Granted("g1", 20, at: Sec(10)), Repaid("g1", 20, Sec(10)));

        spec.Balance.ShouldBe(new Balance(20, Consumed: 30, 0, 0, 0, 0, Available: -10, Overage: 10, 0));
    }

    [Fact]
    public void Overage_is_repaid_in_drain_order() =>
        Given(Opened(),
                Used("u1", 30, [D(OverageBlock, 30)], Sec(1)),
                Granted("buy", 100, effectiveAt: Hour(1), at: Sec(2)),
                Granted("promo", 20, GrantSource.Promo, effectiveAt: Hour(1), at: Sec(3)))
            .When(Do.CatchUp(), Hour(2))
            .Then(Repaid("promo", 20, Hour(1)), Repaid("buy", 10, Hour(1)));

    [Fact]
    public void A_grant_effective_later_repays_overage_when_it_takes_effect()
    {
        var spec = Given(Opened(), Used("u1", 30, [D(OverageBlock, 30)], Sec(1)))
            .When(Do.Grant("g1", 100, effectiveAt: Hour(1)), Sec(10))
            .Then(Granted("g1", 100, effectiveAt: Hour(1), at: Sec(10)));

        spec.BalanceAt(Min(59)).ShouldBe(new Balance(0, 30, 0, 0, 0, 0, Available: -30, Overage: 30, Upcoming: 100));
        spec.BalanceAt(Hour(1)).ShouldBe(new Balance(100, 30, 0, 0, 0, 0, Available: 70, Overage: 0, Upcoming: 0));
        spec.When(Do.CatchUp(), Hour(2)).Then(Repaid("g1", 30, Hour(1)));
    }

    [Fact]
    public void A_hold_may_run_into_overage_which_is_owed_only_once_committed()
    {
        var spec = Given(Opened(), Granted("g1", 50))
            .When(Do.Reserve("r1", 80), Sec(1), allowOverage: true)
            .Then(Reserved("r1", 80, [D("g1", 50), D(OverageBlock, 30)], Sec(1)));
        spec.Balance.ShouldBe(new Balance(50, 0, 0, 0, 0, Reserved: 80, Available: -30, Overage: 0, 0));

        spec.When(Do.Commit("r1", 70), Sec(2), allowOverage: true)
            .Then(Committed("r1", 70, [D("g1", 50), D(OverageBlock, 20)], [D(OverageBlock, 10)], Sec(2)));
        spec.Balance.ShouldBe(new Balance(50, Consumed: 70, 0, 0, 0, Reserved: 0, Available: -20, Overage: 20, 0));
    }

    [Fact]
    public void Releasing_a_hold_that_ran_into_overage_owes_nothing()
    {
        var spec = Given(Opened(), Granted("g1", 50), Reserved("r1", 80, [D("g1", 50), D(OverageBlock, 30)], Sec(1)))
            .When(Do.Release("r1"), Sec(2))
            .Then(Released("r1", [D("g1", 50), D(OverageBlock, 30)], Sec(2)));
        spec.Balance.ShouldBe(new Balance(50, 0, 0, 0, 0, 0, Available: 50, Overage: 0, 0));
    }

    [Fact]
    public void With_overage_a_commit_above_the_hold_turns_the_shortfall_into_overage()
    {
        var spec = Given(Opened(), Granted("g1", 50), Reserved("r1", 40, [D("g1", 40)], Sec(1)))
            .When(Do.Commit("r1", 90), Sec(2), allowOverage: true)
            .Then(Committed("r1", 90, [D("g1", 50), D(OverageBlock, 40)], [], Sec(2)));
        spec.Balance.Overage.ShouldBe(40);
        spec.Balance.Available.ShouldBe(-40);
    }

    [Fact]
    public void Refunding_overage_usage_lowers_the_debt_first()
    {
        var spec = Given(Opened(), Granted("g1", 50), Used("u1", 80, [D("g1", 50), D(OverageBlock, 30)], Sec(1)))
            .When(Do.RefundUsage("f1", "u1", 40), Sec(2))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 40, [D(OverageBlock, 30), D("g1", 10)], Sec(2), consumedAt: Sec(1)));
        spec.Balance.ShouldBe(new Balance(50, Consumed: 80, 0, 0, Refunded: 40, 0, Available: 10, Overage: 0, 0));
    }

    [Fact]
    public void Refunded_overage_that_was_already_repaid_goes_back_to_the_block_that_repaid_it()
    {
        // u1 ran 10 into overage and g1 repaid it; refunding u1 returns the 10 credits to g1, not to the overage block.
        var spec = Given(Opened(),
                Used("u1", 10, [D(OverageBlock, 10)], Sec(1)),
                Granted("g1", 100, at: Sec(2)), Repaid("g1", 10, Sec(2)))
            .When(Do.RefundUsage("f1", "u1", 10), Sec(3))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 10, [D(OverageBlock, 10)], Sec(3), consumedAt: Sec(1)),
                new OverageRepaymentReturned(Acc, "g1", 10, Sec(3)));
        spec.Balance.ShouldBe(new Balance(100, 10, 0, 0, 10, 0, Available: 100, Overage: 0, 0));
        (spec.State.Blocks["g1"].Remaining, spec.State.Blocks[OverageBlock].Remaining).ShouldBe((100L, 0L));

        spec.When(Do.Use("u2", 105), Sec(4), allowOverage: true).Then(Used("u2", 105, [D("g1", 100), D(OverageBlock, 5)], Sec(4)));
        spec.Balance.Overage.ShouldBe(5);

        spec.When(Do.RefundUsage("f2", "u2", 3), Sec(5)).Then(Refunded("f2", RefundSourceKind.Usage, "u2", 3, [D(OverageBlock, 3)], Sec(5), consumedAt: Sec(4)));
        spec.When(Do.RefundUsage("f3", "u2", 102), Sec(6))
            .Then(Refunded("f3", RefundSourceKind.Usage, "u2", 102, [D(OverageBlock, 2), D("g1", 100)], Sec(6), consumedAt: Sec(4)));
        spec.Balance.ShouldBe(new Balance(100, Consumed: 115, 0, 0, Refunded: 115, 0, Available: 100, Overage: 0, 0));
    }

    [Fact]
    public void A_partial_refund_of_repaid_overage_lowers_the_debt_first_and_returns_only_the_surplus()
    {
        // u1 ran 100 into overage; g1 (60) repaid 60 of it, 40 still owed. Refunding all of u1 cancels the 40 and gives g1 its 60 back.
        var spec = Given(Opened(), Used("u1", 100, [D(OverageBlock, 100)], Sec(1)), Granted("g1", 60, at: Sec(2)), Repaid("g1", 60, Sec(2)))
            .When(Do.RefundUsage("f1", "u1", 100), Sec(3))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 100, [D(OverageBlock, 100)], Sec(3), consumedAt: Sec(1)),
                new OverageRepaymentReturned(Acc, "g1", 60, Sec(3)));
        spec.Balance.ShouldBe(new Balance(60, 100, 0, 0, 100, 0, Available: 60, Overage: 0, 0));
    }

    [Fact]
    public void A_late_timer_does_not_undo_a_repayment_a_reader_already_saw()
    {
        // a (100, expiring at 2 h) is fully held by r1 until 1 h, so u1 ran 50 into overage. At 1 h the hold
        // expires and a's credits repay the overage; at 2 h what is left of a expires.
        var spec = Given(Opened(),
            Granted("a", 100, GrantSource.Promo, expiresAt: Hour(2)),
            Reserved("r1", 100, [D("a", 100)], T0, ttl: 3600),
            Used("u1", 50, [D(OverageBlock, 50)], Sec(1)));

        spec.BalanceAt(Min(90)).ShouldBe(new Balance(100, 50, 0, 0, 0, 0, Available: 50, Overage: 0, 0));
        spec.BalanceAt(Hour(3)).ShouldBe(new Balance(100, 50, Expired: 50, 0, 0, 0, Available: 0, Overage: 0, 0));

        spec.When(Do.CatchUp(), Hour(3))
            .Then(HoldExpired("r1", [D("a", 100)], Hour(1)), Repaid("a", 50, Hour(1)), Expired("a", 50, Hour(2)));
    }
}
