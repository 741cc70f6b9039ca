using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>Issue 14, item 6: amounts are JSON integers; a statement answers CSV to Accept: text/csv.</summary>
public sealed class ExactnessTests(ProblemDetailsApp fixture) : IClassFixture<ProblemDetailsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    [Theory]
    [InlineData("""{"amount":"5"}""")]
    [InlineData("""{"amount":"5","feature":"ai"}""")]
    [InlineData("""{"amount":5,"ttlSeconds":"60"}""")]
    public async Task A_number_sent_as_a_string_is_400_naming_the_field_and_changes_nothing(string body)
    {
        var id = Raw.NewAccountId("strict");
        await App.OpenAccountAsync(id, "starter");
        await App.GrantAsync(id, 100);
        var before = await LedgerTotals.Of(App, id);

        foreach (var path in new[] { $"/v1/accounts/{id}/reservations", $"/v1/accounts/{id}/usage" })
        {
            if (path.EndsWith("usage", StringComparison.Ordinal) && body.Contains("ttlSeconds", StringComparison.Ordinal)) continue;
            var problem = await (await App.Admin().Post(path, body)).ShouldBeProblem(400, "validation");
            problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldHaveSingleItem()
                .ShouldBe(body.Contains("ttlSeconds", StringComparison.Ordinal) ? "ttlSeconds" : "amount");
        }
        await (await App.Admin().Post($"/v1/accounts/{id}/grants", """{"amount":"5","source":"manual","reason":"x"}"""))
            .ShouldBeProblem(400, "validation");
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task A_statement_is_CSV_when_Accept_asks_for_it_and_format_decides_over_Accept()
    {
        var id = Raw.NewAccountId("csv");
        await App.OpenAccountAsync(id, "starter");
        var client = App.Admin();
        client.DefaultRequestHeaders.Add("Accept", "text/csv");

        var csv = await client.Get($"/v1/accounts/{id}/statement");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType?.MediaType.ShouldBe("text/csv");
        (await csv.Content.ReadAsStringAsync(Ct)).ShouldStartWith("type,version,at,");

        var json = await client.Get($"/v1/accounts/{id}/statement?format=json");
        json.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");

        var preferred = App.Admin();
        preferred.DefaultRequestHeaders.Add("Accept", "text/csv;q=0.5, application/json");
        (await preferred.Get($"/v1/accounts/{id}/statement")).Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
    }
}
