using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Api.Hosting;

/// <summary>
/// <c>/health/ready</c> answers with each check's status and why (an orchestrator reads the status code; an operator
/// reads the reason): <c>{"status":"Unhealthy","checks":{"database":{"status":"Unhealthy","description":"..."}}}</c>.
/// A check's <c>data</c> (counts, never secrets) is shown too. Exceptions are not shown (their messages may name hosts).
/// </summary>
public static class HealthReportWriter
{
    public static Task Write(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data, // e.g. the drift check's counts (ADR 41)
            }),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
