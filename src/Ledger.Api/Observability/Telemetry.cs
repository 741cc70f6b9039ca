using Ledger.Api.Auth;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ledger.Api.Observability;

/// <summary>
/// OpenTelemetry for the service (docs/adr/0065): metrics of ASP.NET Core, HttpClient, Npgsql, Wolverine, Marten, the
/// runtime and the ledger's own (<see cref="LedgerMetrics"/>) at <c>/metrics</c> in Prometheus text; traces and the rest
/// exported by OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. <c>LEDGER_TELEMETRY=off</c> turns all of it off
/// (no listener: the instruments cost nothing, <c>/metrics</c> answers 404). <c>LEDGER_METRICS_AUTH=admin</c> puts
/// <c>/metrics</c> behind an admin key (default <c>none</c>: Prometheus scrapes without credentials, as usual).
/// <c>LEDGER_LOG_FORMAT=json</c>: one JSON object per log line, with its scopes (the correlation id).
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";
    public static readonly string[] Sources = ["Wolverine", "Marten"];

    public static bool Enabled(IConfiguration configuration) =>
        !string.Equals(Read(configuration, "LEDGER_TELEMETRY"), "off", StringComparison.OrdinalIgnoreCase);

    public static bool Exports(IConfiguration configuration) =>
        Enabled(configuration) && !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static void AddLedgerTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddSingleton<LedgerMetrics>();
        builder.Services.AddSingleton<IHttpContextFactory, CorrelatingHttpContextFactory>();
        if (string.Equals(Read(configuration, "LEDGER_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
        if (!Enabled(configuration)) return;

        builder.Services.AddHostedService<ProjectionLagMonitor>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? "ledger"))
            .WithMetrics(metrics => metrics
                .AddMeter(LedgerMetrics.MeterName, "Npgsql")
                .AddMeter(Sources)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!Exports(configuration)) return;
        telemetry.WithTracing(tracing => tracing
            .AddAspNetCoreInstrumentation(o => o.Filter = http =>
                !http.Request.Path.StartsWithSegments(MetricsPath) && !http.Request.Path.StartsWithSegments("/health"))
            .AddHttpClientInstrumentation()
            .AddNpgsql()
            .AddSource(Sources))
            .UseOtlpExporter();
    }

    public static void MapLedgerMetrics(this WebApplication app)
    {
        if (!Enabled(app.Configuration)) return;
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath);
        if (string.Equals(Read(app.Configuration, "LEDGER_METRICS_AUTH"), "admin", StringComparison.OrdinalIgnoreCase))
            endpoint.RequireAuthorization(Scopes.Admin);
        else
            endpoint.AllowAnonymous();
    }

    private static string? Read(IConfiguration configuration, string name) => configuration[name] ?? configuration[$"Ledger:{name}"];
}
