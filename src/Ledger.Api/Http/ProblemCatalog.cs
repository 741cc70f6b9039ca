namespace Ledger.Api.Http;

/// <summary>Serves a short description at each problem type's URI, so a <c>type</c> is also documentation.</summary>
public static class ProblemCatalog
{
    public static IResult Describe(string code) =>
        Problems.Catalog.TryGetValue(code, out var known)
            ? Results.Json(new { type = Problems.TypeFor(code), status = known.Status, title = known.Title })
            : Problems.Result("not-found", $"No problem type '{code}'.");
}
