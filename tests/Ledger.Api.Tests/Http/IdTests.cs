using Ledger.Api.Statements;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

public sealed class IdApp(PostgresServer server) : SharedApp(server, "ids")
{
    public const string Account = "ids";

    protected override async Task SeedAsync()
    {
        await App.OpenAccountAsync(Account, "starter");
        await App.GrantAsync(Account, 1000, grantId: "g1");
        var usage = await App.Admin().Post($"/v1/accounts/{Account}/usage", """{"usageId":"u1","amount":5}""");
        Assert.True(usage.IsSuccessStatusCode, await usage.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// DESIGN "Units and identities": an id is 1-64 characters of <c>[A-Za-z0-9_.:-]</c>, the whole string. A pattern
/// anchored with <c>$</c> also matches before a final line feed, so <c>"x\n"</c> used to pass as an id (and the CSV
/// statement of such an account answered 500: a control character in Content-Disposition).
/// </summary>
public sealed class IdTests(IdApp fixture) : IClassFixture<IdApp>
{
    private const string Base = "/v1/accounts/" + IdApp.Account;

    public static TheoryData<string, string, string> IdsEndingInALineFeed() => new()
    {
        { "/v1/accounts", """{"accountId":"x\n","plan":"free"}""", "accountId" },
        { "/v1/accounts", """{"accountId":"x\r\n","plan":"free"}""", "accountId" },
        { $"{Base}/reservations", """{"reservationId":"r\n","amount":1}""", "reservationId" },
        { $"{Base}/reservations", """{"amount":1,"feature":"ai\n"}""", "feature" },
        { $"{Base}/usage", """{"usageId":"u\n","amount":1}""", "usageId" },
        { $"{Base}/usage", """{"amount":1,"feature":"ai\n"}""", "feature" },
        { $"{Base}/refunds", """{"refundId":"f\n","usageId":"u1","amount":1,"reason":"x"}""", "refundId" },
        { $"{Base}/refunds", """{"usageId":"u1\n","amount":1,"reason":"x"}""", "usageId" },
        { $"{Base}/grants", """{"grantId":"g\n","amount":1,"source":"manual","reason":"x"}""", "grantId" },
        { $"{Base}/grants", """{"amount":1,"source":"purchase","reason":"x","costBasis":{"amountMinor":1,"currency":"usd\n"}}""", "costBasis.currency" },
        { "/v1/admin/api-keys", """{"name":"x","scopes":["ledger:read"],"accountId":"x\n"}""", "accountId" },
    };

    [Theory]
    [MemberData(nameof(IdsEndingInALineFeed))]
    public async Task An_id_ending_in_a_line_feed_is_refused_naming_the_field(string path, string body, string field)
    {
        var before = await LedgerTotals.Of(fixture.App, IdApp.Account);

        var response = await fixture.App.Admin().Post(path, body);
        var problem = await response.ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.GetRawText());

        (await LedgerTotals.Of(fixture.App, IdApp.Account)).ShouldBe(before);
        await (await fixture.App.Admin().Get("/v1/accounts/x%0A")).ShouldBeProblem(404, "account-not-found");
    }

    [Theory]
    [InlineData("ids")]
    [InlineData("x\n")]
    [InlineData("a\"b\\c\r\nContent-Type: text/html")]
    [InlineData("caf\u00e9:\u0000\u007f")]
    public void A_statement_file_name_holds_only_safe_characters_whatever_the_account_id(string accountId)
    {
        var period = new ReportPeriod(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), DateTimeOffset.Parse("2026-02-01T00:00:00Z"));

        var name = StatementCsv.FileName(accountId, period);

        name.ShouldMatch(@"^statement-[A-Za-z0-9_.-]+-20260101T000000Z-20260201T000000Z\.csv\z");
    }
}
