using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Statements;

/// <summary>
/// DESIGN "HTTP API v1": <c>GET /v1/accounts/{id}/usage</c>, consumption net of refunds per day and/or feature, from
/// <see cref="StatementsApp"/>'s story; and what both read endpoints refuse (bad bounds, unknown accounts, other accounts).
/// </summary>
public sealed class UsageSeriesTests(StatementsApp fixture) : IClassFixture<StatementsApp>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private const string Account = StatementsApp.Account;

    private string Period(DateTimeOffset from, DateTimeOffset to) => $"from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}";

    private async Task<List<string>> Buckets(string query)
    {
        var series = await (await Admin.Get($"/v1/accounts/{Account}/usage?{query}")).ShouldBe(200);
        return series.GetProperty("buckets").EnumerateArray().Select(b =>
            $"{(b.GetProperty("day").ValueKind == JsonValueKind.Null ? "-" : b.GetProperty("day").GetString())} "
            + $"{(b.GetProperty("feature").ValueKind == JsonValueKind.Null ? "-" : b.GetProperty("feature").GetString())} "
            + $"{b.GetProperty("consumed").GetInt64()}/{b.GetProperty("refunded").GetInt64()}/{b.GetProperty("net").GetInt64()}").ToList();
    }

    private string Day(int n) => fixture.Day(n).ToString("yyyy-MM-dd");

    [Fact]
    public async Task Usage_and_commits_are_summed_per_day_and_feature_with_refunds_netted_where_and_when_they_were_made()
    {
        var all = Period(fixture.Day(0), fixture.Day(4));
        (await Buckets(all)).ShouldBe([$"{Day(1)} - 500/0/500", $"{Day(2)} - 0/40/-40", $"{Day(3)} - 15/0/15"]);
        (await Buckets($"{all}&groupBy=feature")).ShouldBe(["- - 5/0/5", "- ai 460/40/420", "- sync 50/0/50"]);
        (await Buckets($"{all}&groupBy=day,feature")).ShouldBe([
            $"{Day(1)} ai 450/0/450", $"{Day(1)} sync 50/0/50", $"{Day(2)} ai 0/40/-40", $"{Day(3)} - 5/0/5", $"{Day(3)} ai 10/0/10",
        ]);
        (await Buckets($"{all}&groupBy=feature,day")).ShouldBe(await Buckets($"{all}&groupBy=day,feature"));

        var series = await (await Admin.Get($"/v1/accounts/{Account}/usage?{all}&groupBy=feature,day")).ShouldBe(200);
        series.GetProperty("groupBy").EnumerateArray().Select(g => g.GetString()).ShouldBe(["day", "feature"]);
        (series.GetProperty("consumed").GetInt64(), series.GetProperty("refunded").GetInt64(), series.GetProperty("net").GetInt64())
            .ShouldBe((515L, 40L, 475L));

        // [03:15 on day 1, 02:00 on day 2): the commit (dated when committed, under its hold's feature) and the refund of u1
        (await Buckets($"{Period(fixture.Day(1, 3, 15), fixture.Day(2, 2))}&groupBy=feature")).ShouldBe(["- ai 350/40/310"]);
        (await Buckets(Period(fixture.Day(4), fixture.Day(4, 6)))).ShouldBeEmpty();
        (await Buckets("groupBy=feature")).ShouldBe(["- - 5/0/5", "- ai 460/40/420", "- sync 50/0/50"]); // the last 30 days
    }

    public static TheoryData<string, string, string> BadQueries() => new()
    {
        { "statement", "from=yesterday", "from" },
        { "statement", "to=2026-13-45T00:00:00Z", "to" },
        { "statement", "format=xml", "format" },
        { "statement", "from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z", "to" },
        { "statement", "from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z", "to" },
        { "statement", "from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", "to" },
        { "statement", "to=0001-01-02T00:00:00Z", "to" },
        { "usage", "from=", "from" },
        { "usage", "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to" },
        { "usage", "from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", "to" },
        { "usage", "groupBy=week", "groupBy" },
        { "usage", "groupBy=", "groupBy" },
        { "usage", "groupBy=day,", "groupBy" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_period_format_or_grouping_is_a_validation_problem_naming_the_field(string endpoint, string query, string field)
    {
        var problem = await (await Admin.Get($"/v1/accounts/{Account}/{endpoint}?{query}")).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe([field]);
    }

    [Fact]
    public async Task Every_bad_parameter_is_named_at_once_and_a_year_and_a_day_is_still_allowed()
    {
        var problem = await (await Admin.Get($"/v1/accounts/{Account}/statement?from=soon&to=later&format=pdf")).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order().ShouldBe(["format", "from", "to"]);
        var csv = await Admin.Get($"/v1/accounts/{Account}/statement?{Period(fixture.Day(4).AddDays(-366), fixture.Day(4))}&format=CSV");
        ((int)csv.StatusCode, csv.Content.Headers.ContentType?.MediaType).ShouldBe((200, "text/csv"));
        await (await Admin.Get($"/v1/accounts/{Account}/usage?{Period(fixture.Day(4).AddDays(-366), fixture.Day(4))}")).ShouldBe(200);
    }

    [Theory]
    [InlineData("statement")]
    [InlineData("usage")]
    public async Task Unknown_accounts_and_accounts_a_bound_key_may_not_see_answer_404(string endpoint)
    {
        await (await Admin.Get($"/v1/accounts/nobody-{endpoint}/{endpoint}")).ShouldBeProblem(404, "account-not-found");
        foreach (var bad in new[] { "bad%20id", "bad%2500id", new string('a', 65) })
            await (await Admin.Get($"/v1/accounts/{bad}/{endpoint}")).ShouldBeProblem(404, "account-not-found");
        await (await Admin.Get($"/v1/accounts/nobody-{endpoint}/{endpoint}?from=nonsense")).ShouldBeProblem(400, "validation");

        var other = Http.Raw.NewAccountId($"other-{endpoint}");
        await App.OpenAccountAsync(other, CreditsKit.Plan);
        var boundToOther = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], other));
        await (await boundToOther.Get($"/v1/accounts/{Account}/{endpoint}")).ShouldBeProblem(404, "account-not-found");
        await (await boundToOther.Get($"/v1/accounts/{other}/{endpoint}")).ShouldBe(200);

        var boundToStory = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], Account));
        await (await boundToStory.Get($"/v1/accounts/{Account}/{endpoint}")).ShouldBe(200);
        await (await App.ClientWith(await App.CreateKeyAsync(["ledger:write"])).Get($"/v1/accounts/{Account}/{endpoint}"))
            .ShouldBeProblem(403, "forbidden");
        await (await App.ClientWith(null).Get($"/v1/accounts/{Account}/{endpoint}")).ShouldBeProblem(401, "api-key-missing");
    }
}
