using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Ledger.Api.Http;

/// <summary>One problem type's page, as served at its URI.</summary>
public sealed record ProblemPage(string Type, string Code, int Status, string Title, string When, string WhatToDo, IReadOnlyDictionary<string, object?> Example)
{
    public static ProblemPage Of(ProblemType t) => new(t.Type, t.Code, t.Status, t.Title, t.When, t.WhatToDo, t.Example());
}

/// <summary>The index of every problem type, in catalog order.</summary>
public sealed record ProblemIndex(IReadOnlyList<ProblemPage> Items);

/// <summary>
/// Serves each problem type's page at its <c>type</c> URI, and the index at <c>/problems</c>: JSON, or HTML for a browser
/// (an <c>Accept</c> that names text/html before JSON), so following a problem's <c>type</c> explains it.
/// </summary>
public static class ProblemPages
{
    public static void MapProblemPages(this WebApplication app)
    {
        app.MapGet("/problems", (HttpContext http) => WantsHtml(http)
            ? Html("Ledger problem types", string.Concat(ProblemTypes.All.Select(t =>
                $"<li><a href=\"{t.Type}\"><code>{t.Code}</code></a> {t.Status}: {Encode(t.Title)}</li>")), list: true)
            : Results.Json(new ProblemIndex(ProblemTypes.All.Select(ProblemPage.Of).ToList()))).ExcludeFromDescription();
        app.MapGet("/problems/{code}", (string code, HttpContext http) =>
        {
            if (ProblemTypes.Find(code) is not { } type)
                return Problems.Result(ProblemTypes.NotFound, "No problem type with this code; GET /problems lists them all.");
            if (!WantsHtml(http)) return Results.Json(ProblemPage.Of(type));
            var example = JsonSerializer.Serialize(type.Example(), new JsonSerializerOptions { WriteIndented = true });
            return Html($"{type.Code}: {type.Title}",
                $"<p>HTTP {type.Status}, <code>type</code> {type.Type}</p><h2>When it happens</h2><p>{Encode(type.When)}</p>"
                + $"<h2>What to do</h2><p>{Encode(type.WhatToDo)}</p><h2>Example</h2><pre>{Encode(example)}</pre><p><a href=\"/problems\">All problem types</a></p>");
        }).ExcludeFromDescription();
    }

    private static bool WantsHtml(HttpContext http)
    {
        var accepted = http.Request.GetTypedHeaders().Accept;
        if (accepted is not { Count: > 0 }) return false;
        var ordered = accepted.OrderByDescending(a => a.Quality ?? 1).ToList();
        var html = ordered.FindIndex(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
        var json = ordered.FindIndex(a => a.MediaType.Value?.EndsWith("json", StringComparison.OrdinalIgnoreCase) == true);
        return html >= 0 && (json < 0 || html < json);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static IResult Html(string title, string body, bool list = false) => Results.Content(
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{Encode(title)}</title></head><body><h1>{Encode(title)}</h1>"
        + (list ? $"<ul>{body}</ul>" : body) + "</body></html>", MediaTypeHeaderValue.Parse("text/html; charset=utf-8").ToString(), Encoding.UTF8);
}
