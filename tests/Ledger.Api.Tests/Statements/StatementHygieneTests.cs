using System.Text.Json;
using Ledger.Api.Http;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Statements;

public sealed class HygieneApp(PostgresServer server) : SharedApp(server, "hygiene");

/// <summary>
/// Issue 12, item 6 (ADR 47): CSV cells a spreadsheet would run as formulas are escaped (OWASP: a leading <c>'</c>) in the one
/// CSV writer statements and dispute packs share; the OpenAPI document declares <c>text/csv</c> for both; <c>/events</c>
/// reads enum values as the views do.
/// </summary>
public sealed class StatementHygieneTests(HygieneApp fixture) : IClassFixture<HygieneApp>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("=SUM(A1:A9)", "'=SUM(A1:A9)")]
    [InlineData("+1", "'+1")]
    [InlineData("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+1)", "'@SUM(1+1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "\"'\rx\"")]
    [InlineData("=1,2", "\"'=1,2\"")]
    [InlineData("a=1", "a=1")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    public void A_text_cell_that_a_spreadsheet_would_evaluate_is_prefixed_and_quoted_as_RFC_4180_needs(string text, string written) =>
        CsvWriter.Field(text).ShouldBe(written);

    [Fact]
    public void Numbers_and_instants_the_service_formats_stay_numbers()
    {
        CsvWriter.Field(CsvCell.Number(-250)).ShouldBe("-250");
        CsvWriter.Field(CsvCell.Number(null)).ShouldBe("");
        CsvWriter.Field(CsvCell.Instant(new DateTimeOffset(2026, 12, 2, 19, 0, 0, TimeSpan.Zero))).ShouldBe("2026-12-02T19:00:00.0000000Z");
    }

    [Fact]
    public async Task A_statement_csv_escapes_reasons_and_references_that_start_like_formulas_and_keeps_negative_balances_numeric()
    {
        var account = Raw.NewAccountId("csv-inject");
        await App.OpenAccountAsync(account, "payg"); // overage billed: the balance goes below zero
        var from = App.Clock.GetUtcNow().AddMinutes(-1);
        await (await Admin.PostJson($"/v1/accounts/{account}/grants",
            new { grantId = "g-formula", amount = 10, source = "manual", reason = "=HYPERLINK(\"http://evil.example\")", reference = "@ref" })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/grants",
            new { grantId = "g-plus", amount = 10, source = "manual", reason = "+1-1", reference = "-2+3" })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { amount = 600, feature = "ai" })).ShouldBe(201);
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        var csv = await (await Admin.GetAsync(
            $"/v1/accounts/{account}/statement?from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(App.Clock.GetUtcNow())}&format=csv", Ct)).Content.ReadAsStringAsync(Ct);

        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var formula = rows.Single(r => r.Contains(",g-formula,", StringComparison.Ordinal));
        formula.ShouldContain(",'@ref,\"'=HYPERLINK(\"\"http://evil.example\"\")\",");
        rows.Single(r => r.Contains(",g-plus,", StringComparison.Ordinal)).ShouldContain(",'-2+3,'+1-1,");
        var header = rows[0].Split(',');
        var available = Array.IndexOf(header, "available");
        var usage = rows.Single(r => r.StartsWith("usage_recorded,", StringComparison.Ordinal)).Split(',');
        usage[available].ShouldBe("-80"); // 500 trial + 20 granted - 600: a number, not text
    }

    [Fact]
    public async Task The_openapi_document_declares_text_csv_for_the_statement_and_the_dispute_pack()
    {
        var document = await (await App.CreateClient().GetAsync("/openapi/v1.json", Ct)).Json();
        foreach (var path in new[] { "/v1/accounts/{accountId}/statement", "/v1/accounts/{accountId}/disputes/{reference}" })
        {
            var content = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
            content.EnumerateObject().Select(c => c.Name).Order().ToArray().ShouldBe(new[] { "application/json", "text/csv" }, path);
            content.GetProperty("text/csv").GetProperty("schema").GetProperty("type").GetString().ShouldBe("string", customMessage: path);
        }
    }

    [Fact]
    public async Task Events_read_enum_values_and_types_as_the_views_do()
    {
        var account = Raw.NewAccountId("casing");
        await App.OpenAccountAsync(account, "pro");
        await App.GrantAsync(account, 100, "purchase", grantId: "bought");
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 5, feature = "ai" })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/refunds", new { refundId = "f1", usageId = "u1", amount = 2, reason = "retry" })).ShouldBe(201);

        var stored = await App.StreamAsync(account);
        stored.Single(e => e.Type == "credits_granted" && e.Data.GetProperty("grantId").GetString() == "bought").Data.GetProperty("source").GetString()
            .ShouldBe("Purchase", customMessage: "stored by Marten under the C# name (the stored rows are never rewritten)");
        var events = (await (await Admin.GetAsync($"/v1/accounts/{account}/events", Ct)).ShouldBe(200)).GetProperty("items").EnumerateArray().ToList();
        var grant = events.Single(e => e.GetProperty("type").GetString() == "credits_granted" && e.GetProperty("data").GetProperty("grantId").GetString() == "bought");
        var refund = events.Single(e => e.GetProperty("type").GetString() == "credits_refunded");

        var balance = await Admin.BalanceAsync(account);
        grant.GetProperty("data").GetProperty("source").GetString().ShouldBe(balance.Block("bought").GetProperty("source").GetString());
        grant.GetProperty("data").GetProperty("source").GetString().ShouldBe("purchase");
        refund.GetProperty("data").GetProperty("sourceKind").GetString().ShouldBe("usage");
        var statement = await (await Admin.GetAsync(
            $"/v1/accounts/{account}/statement?from={CreditsKit.Iso(App.Clock.GetUtcNow().AddHours(-1))}&to={CreditsKit.Iso(App.Clock.GetUtcNow().AddSeconds(1))}", Ct)).ShouldBe(200);
        var rows = statement.GetProperty("movements").EnumerateArray().ToList();
        rows.Single(r => r.GetProperty("grantId").ValueKind == JsonValueKind.String && r.GetProperty("grantId").GetString() == "bought")
            .GetProperty("source").GetString().ShouldBe("purchase");
        rows.Select(r => r.GetProperty("type").GetString()).Where(t => t != "grant_took_effect")
            .ShouldBeSubsetOf(events.Select(e => e.GetProperty("type").GetString()));
    }
}
