using System.Net;
using System.Text.RegularExpressions;
using Ledger.Api.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>Issue 14, item 4: each problem type explains itself at its URI (when, what to do, an example); an index at /problems.</summary>
public sealed partial class ProblemPagesTests(ProblemDetailsApp fixture) : IClassFixture<ProblemDetailsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    [Fact]
    public void Every_type_is_documented_once_with_when_what_to_do_and_an_example()
    {
        ProblemTypes.Undocumented.ShouldBeEmpty();
        ProblemTypes.All.Select(t => t.Code).ShouldBeUnique();
        foreach (var type in ProblemTypes.All)
        {
            type.Code.ShouldMatch("^[a-z]+(-[a-z]+)*$");
            type.Status.ShouldBeInRange(400, 599, type.Code);
            new[] { type.Title, type.When, type.WhatToDo, type.ExampleDetail }.ShouldAllBe(text => !string.IsNullOrWhiteSpace(text), type.Code);
        }
        foreach (var code in RejectionCodes.All)
            ProblemTypes.OfRejection(code).Status.ShouldBe((int)code.Kind, code.Name);
    }

    [Fact]
    public void Every_code_named_in_the_source_and_the_tests_is_in_the_catalog()
    {
        // Answers are made from ProblemType values only (Problems takes no string code), and those are made in the catalog only.
        var root = PostgresServer.FindRepositoryRoot();
        var sources = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var file in sources.Where(f => Path.GetFileName(f) is not ("ProblemTypes.cs" or "ProblemType.cs")))
            File.ReadAllText(file).ShouldNotContain("new ProblemType(", customMessage: file);

        var known = ProblemTypes.All.Select(t => t.Code).ToHashSet();
        var tests = Directory.EnumerateFiles(Path.Combine(root, "tests", "Ledger.Api.Tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("node_modules", StringComparison.Ordinal));
        var named = tests.SelectMany(f => ProblemCode().Matches(File.ReadAllText(f)).Select(m => m.Groups["code"].Value)).ToHashSet();
        named.ShouldNotBeEmpty();
        named.Where(code => !known.Contains(code) && code != "no-such-problem").ShouldBeEmpty("codes the tests expect but the catalog does not document");
    }

    [GeneratedRegex(""""(?:ShouldBeProblem|Problem)\(\d{3}, "(?<code>[a-z-]+)"\)|"/problems/(?<code>[a-z]+(?:-[a-z]+)*)"""")]
    private static partial Regex ProblemCode();

    [Fact]
    public async Task The_index_lists_every_type_and_each_page_explains_it()
    {
        var anonymous = App.ClientWith(null);
        var index = await (await anonymous.Get("/problems")).Json();
        var items = index.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("code").GetString()).ShouldBe(ProblemTypes.All.Select(t => t.Code));

        foreach (var type in ProblemTypes.All)
        {
            var response = await anonymous.Get(type.Type);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, type.Code);
            var page = await response.Json();
            page.GetProperty("type").GetString().ShouldBe(type.Type);
            page.GetProperty("status").GetInt32().ShouldBe(type.Status);
            page.GetProperty("when").GetString().ShouldBe(type.When);
            page.GetProperty("whatToDo").GetString().ShouldBe(type.WhatToDo);
            var example = page.GetProperty("example");
            example.GetProperty("type").GetString().ShouldBe(type.Type);
            example.GetProperty("status").GetRawText().ShouldBe(type.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        await (await anonymous.Get("/problems/no-such-problem")).ShouldBeProblem(404, "not-found");
    }

    [Fact]
    public async Task A_browser_following_a_type_gets_a_readable_page()
    {
        var browser = App.ClientWith(null);
        browser.DefaultRequestHeaders.Add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        var page = await browser.Get("/problems/insufficient-credits");
        page.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        var html = await page.Content.ReadAsStringAsync(Ct);
        html.ShouldContain("When it happens");
        html.ShouldContain("What to do");
        html.ShouldContain("&quot;available&quot;");
        (await (await browser.Get("/problems")).Content.ReadAsStringAsync(Ct)).ShouldContain("href=\"/problems/rate-limited\"");
    }
}
