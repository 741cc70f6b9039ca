namespace Ledger.Domain.Tests.Entitlements;

/// <summary>
/// A frozen block (a card dispute open on what bought it) lends nothing; its unheld credits show as
/// <see cref="Balance.Frozen"/>, and available + reserved + frozen = granted - consumed - expired - voided + refunded.
/// </summary>
public class GrantFreezeTests
{
    /// <summary>promo 30 (spent first), buy 100.</summary>
    private static readonly object[] Blocks = [Opened(), Granted("promo", 30, GrantSource.Promo), Granted("buy", 100)];

    private static void Holds(Balance b)
    {
        b.IsConsistent.ShouldBeTrue(b.ToString());
        (b.Available + b.Reserved + b.Frozen).ShouldBe(b.Granted - b.Consumed - b.Expired - b.Voided + b.Refunded);
    }

    [Fact]
    public void A_frozen_block_is_not_spendable_and_its_credits_show_as_frozen()
    {
        var spec = Given(Blocks).When(Admin.Freeze("buy"), Sec(1)).Then(Frozen("buy", Sec(1)));

        spec.State.Blocks["buy"].IsFrozen.ShouldBeTrue();
        spec.Balance.ShouldBe(new Balance(Granted: 130, 0, 0, 0, 0, 0, Available: 30, 0, 0, Frozen: 100));
        Holds(spec.Balance);
        spec.When(Do.Use("u1", 31), Sec(2)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.Rejection.Extensions!["available"].ShouldBe(30L);
        spec.When(Do.Reserve("r1", 31), Sec(2)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.When(Do.Use("u1", 30), Sec(2)).Then(Used("u1", 30, [D("promo", 30)], Sec(2)));
        Holds(spec.Balance);
    }

    [Fact]
    public void With_overage_a_frozen_block_is_skipped_and_the_shortfall_is_overage() =>
        Given([.. Blocks, Frozen("buy", Sec(1))])
            .When(Do.Use("u1", 50), Sec(2), allowOverage: true)
            .Then(Used("u1", 50, [D("promo", 30), D(OverageBlock, 20)], Sec(2)))
            .Balance.ShouldBe(new Balance(130, Consumed: 50, 0, 0, 0, 0, Available: -20, Overage: 20, 0, Frozen: 100));

    [Fact]
    public void Unfreezing_makes_the_block_spendable_again()
    {
        var spec = Given([.. Blocks, Frozen("buy", Sec(1))])
            .When(Admin.Unfreeze("buy"), Sec(2)).Then(Unfrozen("buy", Sec(2)));

        spec.Balance.ShouldBe(new Balance(130, 0, 0, 0, 0, 0, Available: 130, 0, 0, Frozen: 0));
        spec.When(Do.Use("u1", 130), Sec(3)).Then(Used("u1", 130, [D("promo", 30), D("buy", 100)], Sec(3)));
    }

    [Fact]
    public void Freezing_a_frozen_block_and_unfreezing_a_live_one_are_replays()
    {
        Given([.. Blocks, Frozen("buy", Sec(1))]).When(Admin.Freeze("buy"), Sec(2)).ThenReplayed();
        Given(Blocks).When(Admin.Unfreeze("buy"), Sec(2)).ThenReplayed();
    }

    [Theory]
    [InlineData("nope")]
    [InlineData(CreditBlock.OverageId)]
    public void Freezing_or_unfreezing_an_unknown_grant_or_the_overage_block_is_grant_not_found(string grantId)
    {
        Given([.. Blocks, Used("u0", 200, [D("promo", 30), D("buy", 100), D(OverageBlock, 70)], Sec(1))])
            .When(Admin.Freeze(grantId), Sec(2)).ThenRejected(RejectionCodes.GrantNotFound);
        Given(Blocks).When(Admin.Unfreeze(grantId), Sec(2)).ThenRejected(RejectionCodes.GrantNotFound);
    }

    [Fact]
    public void Held_credits_of_a_frozen_block_stay_held_commit_normally_and_a_release_returns_them_frozen()
    {
        var spec = Given([.. Blocks, Reserved("r1", 60, [D("promo", 30), D("buy", 30)], Sec(1)), Reserved("r2", 20, [D("buy", 20)], Sec(1))])
            .When(Admin.Freeze("buy"), Sec(2)).Then(Frozen("buy", Sec(2)));
        spec.Balance.ShouldBe(new Balance(130, 0, 0, 0, 0, Reserved: 80, Available: 0, 0, 0, Frozen: 50));
        Holds(spec.Balance);

        spec.When(Do.Commit("r1", 40), Sec(3)).Then(Committed("r1", 40, [D("promo", 30), D("buy", 10)], [D("buy", 20)], Sec(3), requested: 40));
        spec.Balance.ShouldBe(new Balance(130, Consumed: 40, 0, 0, 0, Reserved: 20, Available: 0, 0, 0, Frozen: 70));
        Holds(spec.Balance);

        spec.When(Do.Release("r2"), Sec(4)).Then(Released("r2", [D("buy", 20)], Sec(4)));
        spec.Balance.ShouldBe(new Balance(130, Consumed: 40, 0, 0, 0, 0, Available: 0, 0, 0, Frozen: 90));
        Holds(spec.Balance);
    }

    [Fact]
    public void A_commit_beyond_its_hold_does_not_draw_the_excess_from_a_frozen_block() =>
        Given([.. Blocks, Reserved("r1", 30, [D("promo", 30)], Sec(1)), Frozen("buy", Sec(2))])
            .When(Do.Commit("r1", 31), Sec(3)).ThenRejected(RejectionCodes.InsufficientCredits);

    [Fact]
    public void A_frozen_block_still_expires_and_its_credits_leave_frozen_for_expired()
    {
        var spec = Given(Opened(), Granted("buy", 100, expiresAt: Hour(1)), Frozen("buy", Sec(1)))
            .When(Do.CatchUp(), Hour(2)).Then(Expired("buy", 100, Hour(1)));
        spec.Balance.ShouldBe(new Balance(100, 0, Expired: 100, 0, 0, 0, 0, 0, 0, Frozen: 0));
    }

    [Fact]
    public void A_frozen_block_does_not_pay_back_overage_until_it_is_unfrozen()
    {
        var spec = Given(Opened(), Used("u1", 30, [D(OverageBlock, 30)], Sec(1)), Granted("buy", 100, effectiveAt: Hour(1), at: Sec(2)))
            .When(Admin.Freeze("buy"), Min(30)).Then(Frozen("buy", Min(30)))
            .When(Do.CatchUp(), Hour(2)).Then();
        spec.Balance.ShouldBe(new Balance(100, Consumed: 30, 0, 0, 0, 0, Available: -30, Overage: 30, 0, Frozen: 100));
        Holds(spec.Balance);

        spec.When(Admin.Unfreeze("buy"), Hour(3)).Then(Unfrozen("buy", Hour(3)), Repaid("buy", 30, Hour(3)))
            .Balance.ShouldBe(new Balance(100, Consumed: 30, 0, 0, 0, 0, Available: 70, Overage: 0, 0, Frozen: 0));
    }

    [Fact]
    public void Voiding_a_frozen_block_takes_its_frozen_credits_out()
    {
        var spec = Given([.. Blocks, Frozen("buy", Sec(1))]).When(Do.Void("buy"), Sec(2)).Then(Voided("buy", 100, Sec(2)));
        spec.Balance.ShouldBe(new Balance(130, 0, 0, Voided: 100, 0, 0, Available: 30, 0, 0, Frozen: 0));
    }

    [Fact]
    public void Credits_refunded_into_a_frozen_block_are_frozen()
    {
        var spec = Given([.. Blocks, Used("u1", 80, [D("promo", 30), D("buy", 50)], Sec(1)), Frozen("buy", Sec(2))])
            .When(Do.RefundUsage("f1", "u1", 60), Sec(3))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 60, [D("buy", 50), D("promo", 10)], Sec(3), consumedAt: Sec(1)));
        spec.Balance.ShouldBe(new Balance(130, Consumed: 80, 0, 0, Refunded: 60, 0, Available: 10, 0, 0, Frozen: 100));
        Holds(spec.Balance);
    }
}
