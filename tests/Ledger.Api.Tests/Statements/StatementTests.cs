using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Statements;

/// <summary>
/// DESIGN "HTTP API v1": <c>GET /v1/accounts/{id}/statement</c>, recomputed from the events alone: the opening balance,
/// every movement of [from, to) with the balance after it, the closing balance. The numbers are worked out by hand from
/// <see cref="StatementsApp"/>'s story; the closings are checked against <c>GET /balance?asOf=</c> and the stream.
/// </summary>
public sealed class StatementTests(StatementsApp fixture) : IClassFixture<StatementsApp>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private const string Account = StatementsApp.Account;

    private sealed record Row(
        string Type, long Amount, DateTimeOffset At, ExpectedBalance Balance, string? Id = null, string? Feature = null, string? Draws = null);

    private async Task<JsonElement> Statement(DateTimeOffset from, DateTimeOffset to) =>
        await (await Admin.Get($"/v1/accounts/{Account}/statement?from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}")).ShouldBe(200);

    private static string? Text(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    private static string? IdOf(JsonElement row) =>
        Text(row, "refundId") ?? Text(row, "usageId") ?? Text(row, "reservationId") ?? Text(row, "grantId");

    private static string? DrawsOf(JsonElement row) => row.GetProperty("draws").ValueKind == JsonValueKind.Null ? null
        : string.Join(" ", row.GetProperty("draws").Draws());

    /// <summary>Every row as expected (and nothing else), each balance consistent, and the closing equal to the last row.</summary>
    private static void ShouldHaveRows(JsonElement statement, ExpectedBalance opening, params Row[] expected)
    {
        statement.GetProperty("opening").GetProperty("balance").ShouldMatch(opening, "opening");
        var rows = statement.GetProperty("movements").EnumerateArray().ToList();
        rows.Select(r => $"{r.GetProperty("type").GetString()} {IdOf(r)}")
            .ShouldBe(expected.Select(r => $"{r.Type} {r.Id}"));
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, want) = (rows[i], expected[i]);
            var when = $"row {i + 1} ({want.Type} {want.Id})";
            row.GetProperty("amount").GetInt64().ShouldBe(want.Amount, when);
            row.GetProperty("at").GetDateTimeOffset().ShouldBe(want.At, when);
            row.GetProperty("balance").ShouldMatch(want.Balance, when);
            row.GetProperty("balance").GetProperty("frozen").GetInt64().ShouldBe(0, when);
            if (want.Feature is not null) Text(row, "feature").ShouldBe(want.Feature, when);
            if (want.Draws is not null) DrawsOf(row).ShouldBe(want.Draws, when);
        }
        statement.GetProperty("closing").GetProperty("balance").ShouldMatch(expected.Length > 0 ? expected[^1].Balance : opening, "closing");
    }

    /// <summary>The bound's balance equals <c>GET /balance?asOf=</c> at that instant, sum for sum.</summary>
    private async Task ShouldEqualBalanceAsOf(JsonElement bound, DateTimeOffset at)
    {
        var balance = await Admin.BalanceAsync(Account, $"?asOf={CreditsKit.Iso(at)}");
        foreach (var sum in new[] { "granted", "consumed", "expired", "voided", "refunded", "reserved", "available", "overage", "upcoming", "frozen" })
            bound.GetProperty("balance").GetProperty(sum).GetInt64().ShouldBe(balance.GetProperty(sum).GetInt64(), $"{sum} at {at:O}");
    }

    [Fact]
    public async Task A_sub_period_opens_lists_each_movement_with_its_running_balance_and_closes_as_the_balance_then()
    {
        var (from, to) = (fixture.Day(1), fixture.Day(3, 1, 30));
        var statement = await Statement(from, to);

        statement.GetProperty("accountId").GetString().ShouldBe(Account);
        statement.GetProperty("from").GetDateTimeOffset().ShouldBe(from);
        statement.GetProperty("to").GetDateTimeOffset().ShouldBe(to);
        ShouldHaveRows(statement, new ExpectedBalance(1200),
            new Row("usage_recorded", 100, fixture.Day(1, 1), new(1200, Consumed: 100), "u1", "ai", "promo:100"),
            new Row("usage_recorded", 50, fixture.Day(1, 2), new(1200, Consumed: 150), "u2", "sync", "promo:50"),
            new Row("credits_reserved", 300, fixture.Day(1, 3), new(1200, Consumed: 150, Reserved: 300), "r1", "ai", "promo:50 base:250"),
            new Row("reservation_committed", 350, fixture.Day(1, 3, 30), new(1200, Consumed: 500), "r1", "ai", "promo:50 base:300"),
            new Row("credits_refunded", 40, fixture.Day(2, 1), new(1200, Consumed: 500, Refunded: 40), "f1", "ai", "promo:40"),
            new Row("credits_granted", 500, fixture.Day(2, 2), new(1700, Consumed: 500, Refunded: 40), "pack"),
            new Row("credits_reserved", 100, fixture.Day(2, 3), new(1700, Consumed: 500, Refunded: 40, Reserved: 100), "r2", "ai", "promo:40 base:60"),
            new Row("reservation_expired", 100, fixture.Day(2, 3, 10), new(1700, Consumed: 500, Refunded: 40), "r2", "ai", "promo:40 base:60"),
            new Row("grant_expired", 40, fixture.Day(2, 12), new(1700, Consumed: 500, Expired: 40, Refunded: 40), "promo"),
            new Row("grant_voided", 500, fixture.Day(3, 1), new(1700, Consumed: 500, Expired: 40, Voided: 500, Refunded: 40), "pack"));
        statement.GetProperty("closing").GetProperty("balance").GetProperty("available").GetInt64().ShouldBe(700);

        var rows = statement.GetProperty("movements").EnumerateArray().ToList();
        var commit = rows.Single(r => r.GetProperty("type").GetString() == "reservation_committed");
        (commit.GetProperty("released").GetInt64(), Text(commit, "reference")).ShouldBe((0L, "rcpt-1"));
        var refund = rows.Single(r => r.GetProperty("type").GetString() == "credits_refunded");
        (Text(refund, "usageId"), Text(refund, "reason")).ShouldBe(("u1", StatementsApp.RefundReason));
        var pack = rows.Single(r => r.GetProperty("type").GetString() == "credits_granted");
        (Text(pack, "source"), Text(pack, "reference"), Text(pack, "reason")).ShouldBe(("purchase", "pi_123", "pack_500"));
        (pack.GetProperty("costBasis").GetProperty("amountMinor").GetInt64(), Text(pack.GetProperty("costBasis"), "currency")).ShouldBe((2900L, "usd"));

        // each version is the stored event's: the expiries were written with the void, dated when they fell due
        var stream = await App.StreamAsync(Account);
        foreach (var row in rows)
            stream[(int)row.GetProperty("version").GetInt64() - 1].Type.ShouldBe(row.GetProperty("type").GetString());
        rows.Select(r => r.GetProperty("version").GetInt64()).ShouldBeInOrder(SortDirection.Ascending);
        var voided = stream.Single(e => e.Type == "grant_voided").Version;
        statement.GetProperty("closing").GetProperty("version").GetInt64().ShouldBe(voided);
        statement.GetProperty("opening").GetProperty("version").GetInt64().ShouldBe(stream.Single(e => e.Type == "credits_granted"
            && e.Data.GetProperty("grantId").GetString() == "promo").Version);

        await ShouldEqualBalanceAsOf(statement.GetProperty("opening"), from);
        await ShouldEqualBalanceAsOf(statement.GetProperty("closing"), to);
    }

    [Fact]
    public async Task Expiries_recorded_late_are_placed_when_they_fell_due_and_the_next_period_opens_where_it_closed()
    {
        var (from, middle, to) = (fixture.Day(2), fixture.Day(2, 13), fixture.Day(3, 1, 30));
        var first = await Statement(from, middle);
        ShouldHaveRows(first, new ExpectedBalance(1200, Consumed: 500),
            new Row("credits_refunded", 40, fixture.Day(2, 1), new(1200, Consumed: 500, Refunded: 40), "f1"),
            new Row("credits_granted", 500, fixture.Day(2, 2), new(1700, Consumed: 500, Refunded: 40), "pack"),
            new Row("credits_reserved", 100, fixture.Day(2, 3), new(1700, Consumed: 500, Refunded: 40, Reserved: 100), "r2"),
            new Row("reservation_expired", 100, fixture.Day(2, 3, 10), new(1700, Consumed: 500, Refunded: 40), "r2", "ai", "promo:40 base:60"),
            new Row("grant_expired", 40, fixture.Day(2, 12), new(1700, Consumed: 500, Expired: 40, Refunded: 40), "promo"));
        // the void on day 3 wrote both expiries, dated when they fell due: they belong to this period, with their versions (ADR 12)
        var stream = await App.StreamAsync(Account);
        first.GetProperty("movements").EnumerateArray().TakeLast(2).Select(r => r.GetProperty("version").GetInt64())
            .ShouldBe(stream.Where(e => e.Type is "reservation_expired" or "grant_expired").Select(e => e.Version));
        first.GetProperty("closing").GetProperty("version").GetInt64().ShouldBe(stream.Single(e => e.Type == "grant_expired").Version);
        await ShouldEqualBalanceAsOf(first.GetProperty("closing"), middle);

        var second = await Statement(middle, to);
        ShouldHaveRows(second, new ExpectedBalance(1700, Consumed: 500, Expired: 40, Refunded: 40),
            new Row("grant_voided", 500, fixture.Day(3, 1), new(1700, Consumed: 500, Expired: 40, Voided: 500, Refunded: 40), "pack"));
        second.GetProperty("opening").GetProperty("balance").GetRawText().ShouldBe(first.GetProperty("closing").GetProperty("balance").GetRawText());
        second.GetProperty("opening").GetProperty("at").GetDateTimeOffset().ShouldBe(middle);

        var quiet = await Statement(fixture.Day(0, 12), fixture.Day(1));
        ShouldHaveRows(quiet, new ExpectedBalance(1200));
        var before = await Statement(fixture.Day(-30), fixture.Day(0, 0, 11));
        ShouldHaveRows(before, new ExpectedBalance(0));
        before.GetProperty("opening").GetProperty("version").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task The_csv_form_has_the_same_rows_quoted_as_RFC_4180_says()
    {
        var (from, to) = (fixture.Day(1), fixture.Day(3, 1, 30));
        var json = await Statement(from, to);
        var response = await Admin.Get($"/v1/accounts/{Account}/statement?from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}&format=csv");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        ((int)response.StatusCode).ShouldBe(200, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/csv");
        var disposition = response.Content.Headers.ContentDisposition.ShouldNotBeNull();
        disposition.DispositionType.ShouldBe("attachment");
        disposition.FileName?.Trim('"').ShouldBe($"statement-{Account}-{fixture.Day(1):yyyyMMdd}T000000Z-{fixture.Day(3):yyyyMMdd}T013000Z.csv");
        text.ShouldContain(",\"partial failure, \"\"timeout\"\"\",");

        var lines = Csv.Parse(text);
        var header = lines[0];
        header.ShouldContain("type");
        var movements = json.GetProperty("movements").EnumerateArray().ToList();
        lines.Count.ShouldBe(movements.Count + 3);
        string? Cell(List<string> line, string column) => line[header.IndexOf(column)] is { Length: > 0 } value ? value : null;

        var rows = lines.Skip(1).ToList();
        rows.ShouldAllBe(r => r.Count == header.Count);
        (Cell(rows[0], "type"), Cell(rows[^1], "type")).ShouldBe(("opening", "closing"));
        foreach (var (line, bound) in new[] { (rows[0], json.GetProperty("opening")), (rows[^1], json.GetProperty("closing")) })
        {
            DateTimeOffset.Parse(Cell(line, "at")!, CultureInfo.InvariantCulture).ShouldBe(bound.GetProperty("at").GetDateTimeOffset());
            Cell(line, "version").ShouldBe(bound.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture));
            Cell(line, "available").ShouldBe(bound.GetProperty("balance").GetProperty("available").GetInt64().ToString(CultureInfo.InvariantCulture));
        }
        for (var i = 0; i < movements.Count; i++)
        {
            var (line, row) = (rows[i + 1], movements[i]);
            Cell(line, "type").ShouldBe(row.GetProperty("type").GetString());
            Cell(line, "version").ShouldBe(row.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture));
            DateTimeOffset.Parse(Cell(line, "at")!, CultureInfo.InvariantCulture).ShouldBe(row.GetProperty("at").GetDateTimeOffset());
            Cell(line, "amount").ShouldBe(row.GetProperty("amount").GetInt64().ToString(CultureInfo.InvariantCulture));
            foreach (var column in new[] { "grantId", "reservationId", "usageId", "refundId", "feature", "reason", "reference" })
                Cell(line, column).ShouldBe(Text(row, column), $"row {i + 1} {column}");
            foreach (var sum in new[] { "available", "reserved", "frozen", "granted", "consumed", "expired", "voided", "refunded" })
                Cell(line, sum).ShouldBe(row.GetProperty("balance").GetProperty(sum).GetInt64().ToString(CultureInfo.InvariantCulture), $"row {i + 1} {sum}");
        }
        Cell(rows.Single(r => Cell(r, "type") == "credits_refunded"), "reason").ShouldBe(StatementsApp.RefundReason);
        Cell(rows.Single(r => Cell(r, "type") == "credits_reserved" && Cell(r, "reservationId") == "r1"), "draws").ShouldBe("promo=50;base=250");
        Cell(rows.Single(r => Cell(r, "type") == "credits_granted"), "costBasisMinor").ShouldBe("2900");
    }

    [Fact]
    public async Task A_grant_effective_later_counts_from_its_effectiveAt_in_a_row_of_its_own()
    {
        var account = Http.Raw.NewAccountId("effective");
        var t = App.Clock.GetUtcNow();
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        App.Clock.SetUtcNow(t.AddMinutes(1));
        await (await Admin.PostJson($"/v1/accounts/{account}/grants", new
        {
            grantId = "later", amount = 300, source = "manual", reason = "next week", effectiveAt = t.AddDays(1), expiresAt = t.AddDays(3),
        })).ShouldBe(201);
        App.Clock.SetUtcNow(t.AddMinutes(2));
        await App.GrantAsync(account, 100, grantId: "now");
        App.Clock.SetUtcNow(t.AddDays(2));
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u", amount = 50 })).ShouldBe(201);
        App.Clock.SetUtcNow(t.AddDays(5));

        var statement = await (await Admin.Get($"/v1/accounts/{account}/statement?from={CreditsKit.Iso(t)}&to={CreditsKit.Iso(t.AddDays(4))}")).ShouldBe(200);
        ShouldHaveRows(statement, new ExpectedBalance(0),
            new Row("credits_granted", 300, t.AddMinutes(1), new(0), "later"),
            new Row("credits_granted", 100, t.AddMinutes(2), new(100), "now"),
            new Row("grant_took_effect", 300, t.AddDays(1), new(400), "later"),
            new Row("usage_recorded", 50, t.AddDays(2), new(400, Consumed: 50), "u", Draws: "later:50"), // it expires first
            new Row("grant_expired", 250, t.AddDays(3), new(400, Consumed: 50, Expired: 250), "later"));
        var rows = statement.GetProperty("movements").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("balance").GetProperty("upcoming").GetInt64()).ShouldBe([300L, 300, 0, 0, 0]);
        rows.Select(r => r.GetProperty("version").ValueKind == JsonValueKind.Null).ShouldBe([false, false, true, false, true]);
        var balance = await Admin.BalanceAsync(account, $"?asOf={CreditsKit.Iso(t.AddDays(4))}");
        balance.ShouldMatch(new ExpectedBalance(400, Consumed: 50, Expired: 250), "GET /balance at the end");
    }

    /// <summary>
    /// ADR 12: one instant per event. The expiries of the story were written a day late (with the void), dated when they
    /// fell due; <c>balance?asOf=</c> and <c>events?from=&amp;to=</c> place every movement where the statement does.
    /// </summary>
    [Fact]
    public async Task Every_movement_is_in_the_balance_and_the_events_as_of_its_own_instant()
    {
        var statement = await Statement(fixture.Day(0), fixture.Day(4));
        var rows = statement.GetProperty("movements").EnumerateArray().ToList();
        rows.Count.ShouldBe(14);
        var sums = new[] { "granted", "consumed", "expired", "voided", "refunded", "reserved", "available", "overage", "upcoming", "frozen" };

        foreach (var row in rows)
        {
            var at = row.GetProperty("at").GetDateTimeOffset();
            var what = $"{row.GetProperty("type").GetString()} {IdOf(row)} at {at:O}";
            var lastThen = rows.Last(r => r.GetProperty("at").GetDateTimeOffset() == at);
            var balance = await Admin.BalanceAsync(Account, $"?asOf={CreditsKit.Iso(at)}");
            foreach (var sum in sums)
                balance.GetProperty(sum).GetInt64().ShouldBe(lastThen.GetProperty("balance").GetProperty(sum).GetInt64(), $"{sum}: {what}");
            if (row.GetProperty("version").ValueKind == JsonValueKind.Null) continue;

            var version = row.GetProperty("version").GetInt64();
            balance.GetProperty("version").GetInt64().ShouldBeGreaterThanOrEqualTo(version, what);
            var before = await Admin.BalanceAsync(Account, $"?asOf={CreditsKit.Iso(at.AddTicks(-1))}");
            before.GetProperty("version").GetInt64().ShouldBeLessThan(version, $"just before {what}");

            var events = await (await Admin.Get($"/v1/accounts/{Account}/events?from={CreditsKit.Iso(at)}&to={CreditsKit.Iso(at.AddTicks(1))}")).ShouldBe(200);
            var listed = events.GetProperty("items").EnumerateArray().ToList();
            listed.Select(e => e.GetProperty("version").GetInt64()).ShouldContain(version, what);
            listed.ShouldAllBe(e => e.GetProperty("at").GetDateTimeOffset() == at, what);
        }

        // the balance at a version is dated at that version's event's instant
        var expiry = rows.Single(r => r.GetProperty("type").GetString() == "grant_expired");
        var atVersion = await Admin.BalanceAsync(Account, $"?version={expiry.GetProperty("version").GetInt64()}");
        atVersion.GetProperty("asOf").GetDateTimeOffset().ShouldBe(fixture.Day(2, 12));
    }

    [Fact]
    public async Task Without_bounds_it_covers_the_30_days_up_to_now()
    {
        var statement = await (await Admin.Get($"/v1/accounts/{Account}/statement")).ShouldBe(200);
        var now = App.Clock.GetUtcNow();
        statement.GetProperty("to").GetDateTimeOffset().ShouldBe(now);
        statement.GetProperty("from").GetDateTimeOffset().ShouldBe(now.AddDays(-30));
        statement.GetProperty("opening").GetProperty("balance").ShouldMatch(new ExpectedBalance(0), "opening before the account");
        statement.GetProperty("closing").GetProperty("balance")
            .ShouldMatch(new ExpectedBalance(1700, Consumed: 515, Expired: 40, Voided: 500, Refunded: 40), "closing now");
        statement.GetProperty("movements").GetArrayLength().ShouldBe(14); // 3 grants, 4 usages, 2 holds, a commit, a refund, 2 expiries, a void
        await ShouldEqualBalanceAsOf(statement.GetProperty("closing"), now);
    }
}

/// <summary>An RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks; records end with CRLF.</summary>
public static class Csv
{
    public static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else field.Append(c);
        }
        Assert.True(!quoted && field.Length == 0 && record.Count == 0, "the CSV ends with a complete CRLF-terminated record");
        return records;
    }
}
