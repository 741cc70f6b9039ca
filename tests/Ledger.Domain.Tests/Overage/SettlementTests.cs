using Ledger.Domain.Credits;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Tests.Overage;

/// <summary>
/// Overage is paid once (ADR 11): credits that arrive during the period repay it first; what is still owed at the
/// period's end is billed (invoice plans) or forgiven (fair use), and the new allowance starts whole.
/// </summary>
public class SettlementTests
{
    private static readonly string Jan = AllowanceId(T0), Feb = AllowanceId(Feb1);

    /// <summary>Pro (100,000 a month, overage invoiced) with 130,000 spent on day 20: 30,000 owed.</summary>
    private static Specification ProOwing30000() =>
        Given([.. OpeningOn(Pro), Used("u1", 130_000, [D(Jan, 100_000), D(OverageBlock, 30_000)], Day(20))]).On(Pro);

    [Fact]
    public void Overage_owed_at_the_period_end_is_invoiced_and_the_new_allowance_is_left_whole()
    {
        var spec = ProOwing30000()
            .When(Do.CatchUp(), Feb1.AddDays(1))
            .Then(Settled(30_000, OverageSettlement.Invoiced, T0), PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1));

        // the invoiced credits count as granted: 100,000 + 100,000 + 30,000 bought by the invoice
        spec.Balance.ShouldBe(new Balance(Granted: 230_000, Consumed: 130_000, 0, 0, 0, 0, Available: 100_000, Overage: 0, 0));
    }

    [Fact]
    public void Credits_bought_during_the_period_repay_overage_first_and_only_the_rest_is_invoiced()
    {
        var spec = ProOwing30000()
            .When(Do.Grant("pack", 2_000), Day(25))
            .Then(Granted("pack", 2_000, at: Day(25)), Repaid("pack", 2_000, Day(25)))
            .When(Do.CatchUp(), Feb1)
            .Then(Settled(28_000, OverageSettlement.Invoiced, T0), PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1));

        spec.Balance.ShouldBe(new Balance(Granted: 230_000, Consumed: 130_000, 0, 0, 0, 0, Available: 100_000, Overage: 0, 0));
    }

    [Fact]
    public void A_refund_of_overage_usage_before_the_period_end_lowers_what_is_invoiced()
    {
        ProOwing30000()
            .When(Do.RefundUsage("f1", "u1", 12_000), Day(22))
            .When(Do.CatchUp(), Feb1)
            .Then(Settled(18_000, OverageSettlement.Invoiced, T0), PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1));
    }

    [Fact]
    public void Nothing_owed_settles_nothing() =>
        Given(OpeningOn(Pro)).On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(PeriodBegan(Pro, Feb1), RolloverGranted(50_000, Feb1), AllowanceGranted(Pro, Feb1), Expired(Jan, 100_000, Feb1));

    [Fact]
    public void Each_period_is_invoiced_for_its_own_overage()
    {
        var spec = ProOwing30000()
            .When(Do.CatchUp(), Feb1)
            .When(Do.Use("u2", 100_000, Sync), Feb1.AddDays(3))
            .When(Do.Use("u3", 500, Sync), Feb1.AddDays(4))
            .Then(Used("u3", 500, [D(OverageBlock, 500)], Feb1.AddDays(4), Sync))
            .When(Do.CatchUp(), Mar1)
            .Then(Settled(500, OverageSettlement.Invoiced, Feb1), PeriodBegan(Pro, Mar1), AllowanceGranted(Pro, Mar1));

        spec.Balance.Available.ShouldBe(100_000);
        spec.Balance.IsConsistent.ShouldBeTrue();
    }

    [Fact]
    public void Fair_use_overage_is_written_off_at_the_period_end()
    {
        var jan = AllowanceId(T0);
        Given([.. OpeningOn(Unlimited), Used("u1", 5_200_000, [D(jan, 5_000_000), D(OverageBlock, 200_000)], Day(9))]).On(Unlimited)
            .When(Do.CatchUp(), Feb1)
            .Then(Settled(200_000, OverageSettlement.WrittenOff, T0), PeriodBegan(Unlimited, Feb1), AllowanceGranted(Unlimited, Feb1))
            .Balance.Available.ShouldBe(5_000_000);
    }

    [Fact]
    public void A_hold_open_across_the_period_end_is_not_part_of_the_settled_debt()
    {
        // 1,000 held from January's block; the debt is what consumption overdrew, not what is held.
        var spec = Given([.. OpeningOn(Pro),
                Reserved("r1", 1_000, [D(Jan, 1_000)], Day(30.5), ttl: 86_400),
                Used("u1", 99_500, [D(Jan, 99_000), D(OverageBlock, 500)], Day(30))]).On(Pro)
            .When(Do.CatchUp(), Feb1)
            .Then(Settled(500, OverageSettlement.Invoiced, T0), PeriodBegan(Pro, Feb1), AllowanceGranted(Pro, Feb1));
        spec.Balance.Reserved.ShouldBe(1_000);
        spec.Balance.Available.ShouldBe(100_000);
    }

    [Fact]
    public void Replaying_the_events_gives_back_the_same_overage_block()
    {
        var spec = ProOwing30000().When(Do.CatchUp(), Feb1);
        var block = spec.State.Blocks[CreditBlock.OverageId];
        block.Debt.ShouldBe(0);
        block.Amount.ShouldBe(30_000);
        block.Consumed.ShouldBe(30_000);
    }
}
