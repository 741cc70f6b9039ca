using Microsoft.Extensions.FileProviders;

namespace Ledger.Api.SupportConsole;

/// <summary>
/// The support console (ADR 60): static files embedded in this assembly, served at <c>/console/</c> before
/// authentication (they hold no data: every figure the page shows comes from the API, called with the key the person
/// signed in with). A strict Content-Security-Policy allows scripts, styles and requests from this origin only and no
/// inline script or style; the page cannot be framed and sends no referrer. Not an endpoint: absent from the routing
/// table, so from the OpenAPI document and the access matrix. Anything else under the prefix is a 404 problem.
/// </summary>
public static class SupportConsoleFiles
{
    public const string Prefix = "/console";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The files, named <c>console.{file}</c> in the assembly's manifest (Ledger.Api.csproj).</summary>
    public static IFileProvider Files { get; } = new EmbeddedFileProvider(typeof(SupportConsoleFiles).Assembly, "console");

    public static void UseSupportConsole(this WebApplication app)
    {
        app.Map(Prefix, branch =>
        {
            branch.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers.CacheControl = "no-cache"; // revalidated by ETag: a new build's files are picked up at once
                if (context.Request.Path.HasValue || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                    return next(context);
                context.Response.Redirect(Prefix + "/"); // relative module URLs resolve under /console/
                return Task.CompletedTask;
            });
            branch.UseDefaultFiles(new DefaultFilesOptions { FileProvider = Files });
            branch.UseStaticFiles(new StaticFileOptions { FileProvider = Files });
        });
    }
}
