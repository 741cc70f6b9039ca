namespace Ledger.Domain.Tests.Entitlements;

/// <summary>
/// The spending checks at reserve and usage, in order (docs/adr/0009): frozen → account-frozen; suspended →
/// account-suspended (except reports); feature not on → feature-disabled; over the plan's max per request →
/// amount-over-limit (also on commit). A request without a feature is refused only when suspended or frozen.
/// </summary>
public class SpendingCheckTests
{
    private static readonly string Jan = AllowanceId(T0);

    private static Specification On(PlanTerms plan, params object[] more) => Given([.. OpeningOn(plan), .. more]).On(plan);

    [Theory]
    [InlineData("ai")]
    [InlineData("sync")]
    [InlineData("webhooks")]
    public void A_feature_not_in_the_plan_is_disabled(string feature)
    {
        var spec = On(Free).When(Do.Reserve("r1", 10, feature: feature), Sec(1)).ThenRejected(RejectionCodes.FeatureDisabled);
        spec.Rejection.Detail.ShouldBe($"The '{feature}' feature is not part of the 'free' plan.");
        spec.Rejection.Extensions!["feature"].ShouldBe(feature);
        spec.When(Do.Use("u1", 10, feature), Sec(1)).ThenRejected(RejectionCodes.FeatureDisabled);
    }

    [Fact]
    public void A_feature_in_the_plan_and_a_request_naming_no_feature_are_allowed()
    {
        var spec = On(Free).When(Do.Use("u1", 10, Reports), Sec(1)).Then(Used("u1", 10, [D(Jan, 10)], Sec(1), Reports));
        spec.When(Do.Reserve("r1", 10, feature: null), Sec(2)).Then(Reserved("r1", 10, [D(Jan, 10)], Sec(2), feature: null));
    }

    [Fact]
    public void Without_plan_terms_features_and_limits_are_not_checked() =>
        Given(Opened(), Granted("g1", 5_000_000)).When(Do.Use("u1", 2_000_000, "anything"), Sec(1))
            .Then(Used("u1", 2_000_000, [D("g1", 2_000_000)], Sec(1), "anything"));

    [Fact]
    public void Without_plan_terms_ai_is_still_off_during_grace()
    {
        // StartGrace releases the ai holds whatever the plan; a new ai spend must not come back in through unknown terms.
        var spec = Given(Opened(), Granted("g1", 100), GraceBegan(Day(1))).On(null)
            .When(Do.Reserve("r1", 10, feature: Ai), Day(2)).ThenRejected(RejectionCodes.FeatureDisabled);
        spec.Rejection.Detail.ShouldContain("grace");
        spec.When(Do.Use("u1", 10, Sync), Day(2)).Then(Used("u1", 10, [D("g1", 10)], Day(2), Sync));
    }

    [Fact]
    public void Ai_during_grace_is_disabled_but_a_feature_the_plan_lacks_says_so() =>
        On(Free, GraceBegan(Day(1))).When(Do.Use("u1", 10, Ai), Day(2)).ThenRejected(RejectionCodes.FeatureDisabled)
            .Rejection.Detail.ShouldContain("not part of the 'free' plan");

    [Theory]
    [InlineData("ai")]
    [InlineData("sync")]
    [InlineData(null)]
    public void A_suspended_account_refuses_everything_but_reports(string? feature)
    {
        var spec = On(Starter, Suspended(Day(1)));
        spec.When(Do.Reserve("r1", 10, feature: feature), Day(2)).ThenRejected(RejectionCodes.AccountSuspended);
        spec.When(Do.Use("u1", 10, feature), Day(2)).ThenRejected(RejectionCodes.AccountSuspended);
        spec.When(Do.Use("u2", 10, Reports), Day(2)).Then(Used("u2", 10, [D(Jan, 10)], Day(2), Reports));
    }

    [Fact]
    public void A_suspended_account_refuses_a_feature_it_lacks_as_suspended_first() =>
        On(Free, Suspended(Day(1))).When(Do.Use("u1", 10, Ai), Day(2)).ThenRejected(RejectionCodes.AccountSuspended);

    [Theory]
    [InlineData("reports")]
    [InlineData("ai")]
    [InlineData(null)]
    public void A_frozen_account_refuses_every_new_spending_before_any_other_check(string? feature)
    {
        var spec = On(Starter, Suspended(Day(1)), Flagged(20_000, 10_000, true, Day(1)));
        spec.When(Do.Reserve("r1", 10, feature: feature), Day(2)).ThenRejected(RejectionCodes.AccountFrozen);
        spec.When(Do.Use("u1", 999_999, feature), Day(2)).ThenRejected(RejectionCodes.AccountFrozen);
    }

    [Fact]
    public void Validation_comes_before_the_spending_checks() =>
        On(Starter, Flagged(20_000, 10_000, true, Day(1))).When(Do.Use("u1", 0, Ai), Day(2)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void Reserve_over_the_plans_max_per_request_is_over_the_limit()
    {
        var spec = On(Basic).When(Do.Reserve("r1", 51), Sec(1)).ThenRejected(RejectionCodes.AmountOverLimit);
        spec.Rejection.Extensions!["limit"].ShouldBe(50L);
        spec.Rejection.Extensions!["requested"].ShouldBe(51L);
        spec.When(Do.Reserve("r1", 50), Sec(1)).Then(Reserved("r1", 50, [D(Jan, 50)], Sec(1)));
    }

    [Fact]
    public void Usage_over_the_plans_max_per_request_is_over_the_limit()
    {
        var spec = On(Basic).When(Do.Use("u1", 51), Sec(1)).ThenRejected(RejectionCodes.AmountOverLimit);
        spec.When(Do.Use("u1", 50), Sec(1)).Then(Used("u1", 50, [D(Jan, 50)], Sec(1)));
    }

    [Fact]
    public void The_limit_is_checked_before_funds() =>
        On(Basic, Used("u0", 100, [D(Jan, 100)], Sec(1))).When(Do.Use("u1", 51), Sec(2)).ThenRejected(RejectionCodes.AmountOverLimit);

    [Fact]
    public void A_feature_that_is_off_is_checked_before_the_limit() =>
        On(Free).When(Do.Use("u1", 5_000, Ai), Sec(1)).ThenRejected(RejectionCodes.FeatureDisabled);

    [Fact]
    public void Commit_over_the_plans_max_per_request_is_over_the_limit_and_leaves_the_hold_pending()
    {
        var spec = On(Basic, Reserved("r1", 40, [D(Jan, 40)], Sec(1)))
            .When(Do.Commit("r1", 51), Sec(2)).ThenRejected(RejectionCodes.AmountOverLimit);
        spec.Rejection.Extensions!["limit"].ShouldBe(50L);
        spec.Records.Reservation("r1")!.Status.ShouldBe(ReservationStatus.Pending);
        spec.When(Do.Commit("r1", 50), Sec(3)).Then(Committed("r1", 50, [D(Jan, 50)], [], Sec(3), requested: 50));
    }

    [Fact]
    public void A_commit_without_an_amount_is_checked_against_the_limit_of_the_plan_now()
    {
        // Held on starter (max 10,000); the account moved to basic (max 50) before the commit.
        var spec = Given([.. OpeningOn(Starter), Reserved("r1", 5_000, [D(Jan, 5_000)], Sec(1)), PlanMoved(Starter, Basic, Sec(2))]).On(Basic);
        spec.When(Do.Commit("r1"), Sec(3)).ThenRejected(RejectionCodes.AmountOverLimit);
        spec.When(Do.Commit("r1", 50), Sec(3)).Then(Committed("r1", 50, [D(Jan, 50)], [D(Jan, 4_950)], Sec(3), requested: 50));
    }

    [Fact]
    public void A_pending_hold_can_still_be_committed_while_spending_is_frozen()
    {
        // The work was already done under the hold; the alarm stops new spending only (docs/adr/0009).
        On(Starter, Reserved("r1", 40, [D(Jan, 40)], Sec(1)), Flagged(20_000, 10_000, true, Sec(2)))
            .When(Do.Commit("r1", 30), Sec(3))
            .Then(Committed("r1", 30, [D(Jan, 30)], [D(Jan, 10)], Sec(3), requested: 30));
    }

    [Fact]
    public void A_frozen_account_completes_a_commit_within_its_hold_and_is_refused_the_part_above_it()
    {
        var spec = On(Free, Reserved("r1", 10, [D(Jan, 10)], Sec(1), feature: Reports), Flagged(1_200, 1_000, frozen: true, Sec(2)));
        spec.When(Do.Commit("r1", 1_000), Sec(3)).ThenRejected(RejectionCodes.AccountFrozen);
        spec.When(Do.Commit("r1", 10), Sec(3)).Then(Committed("r1", 10, [D(Jan, 10)], [], Sec(3)));
    }

    [Fact]
    public void A_commit_above_the_hold_of_a_feature_the_plan_no_longer_has_is_refused() =>
        On(Pro, Reserved("r1", 100, [D(Jan, 100)], Sec(1), feature: Ai)).On(Free)
            .When(Do.Commit("r1", 101), Sec(2)).ThenRejected(RejectionCodes.FeatureDisabled);
}
