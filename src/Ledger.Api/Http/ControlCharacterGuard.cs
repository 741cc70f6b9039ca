namespace Ledger.Api.Http;

/// <summary>
/// Refuses a request whose query string holds a control character (U+0000-U+001F, U+007F-U+009F) with 400
/// <c>validation</c> naming the parameter, before any endpoint runs: no filter, id or instant has a use for one, and
/// PostgreSQL text cannot hold U+0000 (the query fails with 22021). JSON bodies are checked by <see cref="JsonBodyGuard"/>;
/// Kestrel itself refuses U+0000 in the path, and a path id with another control character names nothing (404).
/// </summary>
public sealed class ControlCharacterGuard(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.QueryString.HasValue && ErrorHandling.HasHandler(context) && Offending(context.Request.Query) is { } errors)
        {
            await Problems.Validation(errors).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static Dictionary<string, string[]>? Offending(IQueryCollection query)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (name, values) in query)
            if (HasControl(name) || values.Any(HasControl))
                (errors ??= [])[HasControl(name) ? "query" : name] = ["May not contain control characters."];
        return errors;
    }

    private static bool HasControl(string? text) => text is not null && text.Any(char.IsControl);
}
