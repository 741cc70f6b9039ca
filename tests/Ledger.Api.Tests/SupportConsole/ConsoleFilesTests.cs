using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Api.SupportConsole;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.SupportConsole;

public sealed class ConsoleFilesApp(PostgresServer server) : SharedApp(server, "consolefiles");

/// <summary>On a real socket: Kestrel, not the test server, decides what a path with a NUL or bad UTF-8 becomes.</summary>
public sealed class ConsoleSocketApp(PostgresServer server) : KestrelLedger(server, "consolepaths");

/// <summary>
/// The console is static files and nothing else (ADR 60): served without a key (they hold no data), under a strict
/// Content-Security-Policy that allows no inline script or style and nothing from another origin, absent from the
/// routing table (so from the OpenAPI document and the access matrix), and never a 5xx whatever is asked of it.
/// </summary>
public sealed class ConsoleFilesTests(ConsoleFilesApp fixture) : IClassFixture<ConsoleFilesApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient Anonymous() => fixture.App.ClientWith(null);

    [Fact]
    public async Task The_console_is_served_without_a_key_under_a_strict_content_security_policy()
    {
        var redirect = await Anonymous().GetAsync("/console", Ct);
        redirect.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        redirect.Headers.Location!.ToString().ShouldBe("/console/");

        var page = await Anonymous().GetAsync("/console/", Ct);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var csp = page.Headers.GetValues("Content-Security-Policy").ShouldHaveSingleItem();
        csp.ShouldBe(SupportConsoleFiles.ContentSecurityPolicy);
        var directives = csp.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        directives["default-src"].ShouldBe("default-src 'none'");
        directives["script-src"].ShouldBe("script-src 'self'");
        directives["style-src"].ShouldBe("style-src 'self'");
        directives["connect-src"].ShouldBe("connect-src 'self'");
        directives["frame-ancestors"].ShouldBe("frame-ancestors 'none'");
        csp.ShouldNotContain("unsafe");
        page.Headers.GetValues("X-Content-Type-Options").ShouldHaveSingleItem().ShouldBe("nosniff");
        page.Headers.GetValues("X-Frame-Options").ShouldHaveSingleItem().ShouldBe("DENY");
        page.Headers.GetValues("Referrer-Policy").ShouldHaveSingleItem().ShouldBe("no-referrer");
    }

    [Fact]
    public async Task Every_file_the_page_loads_is_served_with_its_type_and_none_runs_inline_markup_or_reaches_another_origin()
    {
        var seen = new Dictionary<string, string>();
        var pending = new Queue<string>(["index.html"]);
        while (pending.TryDequeue(out var file))
        {
            if (seen.ContainsKey(file)) continue;
            var response = await Anonymous().GetAsync($"/console/{file}", Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, file);
            response.Content.Headers.ContentType!.MediaType.ShouldBe(Path.GetExtension(file) switch
            {
                ".html" => "text/html", ".js" => "text/javascript", ".css" => "text/css", _ => "unexpected",
            }, file);
            var text = seen[file] = await response.Content.ReadAsStringAsync(Ct);
            var references = Regex.Matches(text, """(?:src|href)="([^"#:]+)"|from '\./([^']+)'""")
                .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
            foreach (var reference in references) pending.Enqueue(reference);
        }
        seen.Keys.ShouldContain("app.js");
        seen.Keys.ShouldContain("console.css");
        seen.Keys.Count(k => k.EndsWith(".js", StringComparison.Ordinal)).ShouldBeGreaterThan(5);

        var html = seen["index.html"];
        Regex.Matches(html, "<script[^>]*>").ShouldAllBe(tag => tag.Value.Contains("src=\"") && tag.Value.Contains("type=\"module\""));
        Regex.IsMatch(html, @"<script[^>]*>\s*[^<\s]", RegexOptions.None).ShouldBeFalse("an inline script");
        Regex.IsMatch(html, @"\son[a-z]+=", RegexOptions.IgnoreCase).ShouldBeFalse("an inline event handler");
        Regex.IsMatch(html, @"\sstyle=", RegexOptions.IgnoreCase).ShouldBeFalse("an inline style");
        foreach (var (file, text) in seen)
        {
            // markup is built from text nodes only: nothing the API returns is parsed as HTML or run as code
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'" })
                text.ShouldNotContain(sink, Case.Sensitive, $"{file} uses {sink}");
            Regex.IsMatch(text.Replace("'http://www.w3.org/2000/svg'", "", StringComparison.Ordinal), // a namespace name, not a request
                    @"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", RegexOptions.IgnoreCase).ShouldBeFalse($"{file} names another origin");
            text.ShouldNotContain("localStorage.setItem", Case.Sensitive, $"{file}: the key is kept for the session only");
        }
    }

    [Fact]
    public async Task The_console_is_neither_an_endpoint_nor_an_operation_of_the_api()
    {
        var routes = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? "").ToList();
        routes.ShouldNotContain(r => r.TrimStart('/').StartsWith("console", StringComparison.OrdinalIgnoreCase));
        var document = JsonDocument.Parse(await (await fixture.App.Admin().GetAsync("/openapi/v1.json", Ct)).Content.ReadAsStringAsync(Ct));
        document.RootElement.GetProperty("paths").EnumerateObject().ShouldNotContain(p => p.Name.StartsWith("/console", StringComparison.Ordinal));
    }
}

/// <summary>Whatever path or method is asked under /console, on a real socket: a 4xx problem or the page, never a 5xx or a file outside it.</summary>
public sealed class ConsolePathTests(ConsoleSocketApp fixture) : IClassFixture<ConsoleSocketApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/console/missing.js")]
    [InlineData("GET", "/console/index.html/x")]
    [InlineData("GET", "/console/..%2F..%2Fappsettings.json")]
    [InlineData("GET", "/console/%2E%2E/Ledger.Api.dll")]
    [InlineData("GET", "/console/%00")]
    [InlineData("GET", "/console/%FF%FE")]
    [InlineData("GET", "/console/?x=%00")]
    [InlineData("POST", "/console/")]
    [InlineData("PUT", "/console/app.js")]
    [InlineData("DELETE", "/console/index.html")]
    [InlineData("OPTIONS", "/console/")]
    [InlineData("GET", "/consolex")]
    public async Task Anything_else_asked_of_the_console_is_a_client_error_never_a_5xx_nor_a_file_outside_it(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var anonymous = new HttpClient { BaseAddress = fixture.Admin.BaseAddress };
        var response = await anonymous.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        ((int)response.StatusCode).ShouldBeLessThan(500, $"{method} {path}: {body}");
        if (path == "/console/?x=%00") response.StatusCode.ShouldBe(HttpStatusCode.OK);
        else
        {
            ((int)response.StatusCode).ShouldBeInRange(400, 499, $"{method} {path}");
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        }
        body.ShouldNotContain("LEDGER_");
        body.ShouldNotContain("MZ");
    }
}
