using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>Describes each tag (one per capability folder) and drops the trailing slash ASP.NET Core puts on server URLs.</summary>
public sealed class OpenApiTags : IOpenApiDocumentTransformer
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["Alerts"] = "An account's own low-balance threshold for the balance.low operator webhook (admin).",
        ["Operator webhooks"] = "Signed webhooks to the operator on threshold crossings and status changes: deliveries and resends (admin).",
        ["Accounts"] = "Open an account on a plan; read it with its blocks, holds and status; change its plan; grace and suspension (admin).",
        ["API keys"] = "Create, list and revoke API keys (admin). A key's secret is shown once.",
        ["Audit"] = "What happened to an account: its events with who wrote each and why, statements and usage series, recomputed from the events.",
        ["Balances"] = "Balance now, as of an instant (asOf) or at a stream version, recomputed from the events.",
        ["Entitlements"] = "Which features an account may use now.",
        ["Grants"] = "Credits in (allowances, purchases, promotions, corrections) and voids.",
        ["Plans"] = "The plans and credit packs of the plans file.",
        ["Projections"] = "Rebuilds of the stored views from the events, with every difference reported before anything is replaced (admin).",
        ["Quotas"] = "The current period's allowance, use, warnings and overage.",
        ["Refunds"] = "Credits back to the blocks that paid for a commit or usage.",
        ["Reservations"] = "Two-phase holds: reserve before a costly operation, then commit what it used or release it.",
        ["Stripe"] = "Stripe webhooks applied exactly once, checkout sessions for credit packs, webhook processing and reconciliation (admin).",
        ["Usage"] = "Direct usage, deducted at once.",
        ["Metrics"] = "Figures across accounts for operators, from async projections (admin). Prometheus metrics are at /metrics, outside this document.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            if (tag.Name is { } name && Descriptions.TryGetValue(name, out var description))
                tag.Description = description;
        foreach (var server in document.Servers ?? new List<OpenApiServer>())
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
                server.Url = url.TrimEnd('/');
        return Task.CompletedTask;
    }
}
