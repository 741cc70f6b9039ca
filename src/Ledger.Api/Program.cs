using System.Text.Json.Serialization;
using FluentValidation;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Resources;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Cli;
using Ledger.Api.Guards;
using Ledger.Api.Hosting;
using Ledger.Api.Http;
using Ledger.Api.Idempotency;
using Ledger.Api.Observability;
using Ledger.Api.Plans;
using Ledger.Api.Stripe;
using Ledger.Api.SupportConsole;
using Ledger.Api.Writes;
using Ledger.Projections;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

// Ledger's own command line (Cli/): no web host, no Wolverine; `codegen` alone goes on to JasperFx's (scripts/codegen.sh).
if (LedgerCli.Handles(args)) return await LedgerCli.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
// JasperFx's extension discovery prints six "Searching '...' for commands" lines and finds nothing to apply here (no
// referenced assembly has IServiceRegistrations): only codegen, which goes on to JasperFx's command line, runs it
if (args is ["codegen", ..]) builder.Host.ApplyJasperFxExtensions();
if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ErrorHandling.MaxBodyBytes);

var settings = LedgerSettings.From(builder.Configuration);
var database = settings.Database ?? LocalPostgres.Provision(builder.Environment.ContentRootPath);
var plansPath = settings.PlansPath ?? Path.Combine(AppContext.BaseDirectory, "plans.json");

builder.Services.AddSingleton(settings);
builder.AddLedgerTelemetry();
PlanCatalog catalog;
try
{
    catalog = PlanCatalog.Load(plansPath);
}
catch (InvalidPlansFile invalid)
{
    Console.Error.WriteLine(invalid.Message);
    return 2;
}
builder.Services.AddSingleton(catalog);
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton(WriteOptions.From(builder.Configuration));
builder.Services.AddSingleton<WriteBatch>();
builder.Services.AddSingleton<WritePipeline>();
builder.Services.AddSingleton<LastUsedTracker>();
builder.Services.AddSingleton<ApiKeyCache>();
builder.Services.AddHostedService<BootstrapAdminKey>();
builder.Services.AddLedgerValidators();
builder.Services.AddLedgerGuards();
builder.Services.AddLedgerStripe(builder.Configuration, settings);
builder.Services.AddSingleton(Ledger.Api.Webhooks.OperatorWebhookOptions.From(settings));
builder.Services.AddSingleton<Ledger.Api.Webhooks.JsonSerializerOptionsProvider>();
builder.Services.AddSingleton<IAccountOutboxSource, Ledger.Api.Webhooks.OperatorWebhooks>();

builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
    o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    // ASP.NET Core's web defaults read "5" as 5: amounts and every other number are JSON numbers only (issue 14)
    o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
});

builder.Services.AddMarten(sp =>
    {
        var options = ServiceStore.Configure(new StoreOptions(), database, sp.GetRequiredService<TimeProvider>());
        if (Telemetry.Enabled(builder.Configuration)) options.OpenTelemetry.TrackEventCounters();
        if (Telemetry.Exports(builder.Configuration)) options.OpenTelemetry.TrackConnections = JasperFx.OpenTelemetry.TrackLevel.Normal;
        return options;
    })
    // The admin metrics' async projections (ADR 65): one node at a time runs them, another takes over if it stops.
    .AddAsyncDaemon(DaemonMode.HotCold)
    .UseLightweightSessions()
    .IntegrateWithWolverine()
    .ApplyAllDatabaseChangesOnStartup();
// after the schema is applied: chains the accounts written before events were hashed (ADR 45)
builder.Services.AddHostedService<Ledger.Api.Integrity.ChainUpgradeService>();

builder.Host.UseWolverine(opts =>
{
    opts.ApplicationAssembly = typeof(Program).Assembly;
    // Pre-generated adapters (Internal/Generated, `scripts/codegen.sh`; ADR 20): no Roslyn at run time, and a test fails
    // when they are stale (an endpoint added without regenerating would be absent in Static mode).
    opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
    opts.Policies.UseDurableLocalQueues();
    opts.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);
    opts.Services.AddResourceSetupOnStartup();
});

builder.Services.AddWolverineHttp();
builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
builder.Services.AddAuthorization(auth =>
{
    foreach (var scope in Scopes.All)
        auth.AddPolicy(scope, p =>
        {
            p.RequireAuthenticatedUser().RequireAssertion(c => c.User.Has(scope));
            if (scope == Scopes.Admin) p.AddRequirements(new AccountInRoute()); // bound keys: admin of their own account only
        });
});
builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuthorizationProblems>();
builder.Services.AddOpenApi(o => o.AddDocumentTransformer<OpenApiSecurity>().AddDocumentTransformer<OpenApiTags>().AddOperationTransformer<OpenApiAnonymous>().AddOperationTransformer<OpenApiCsv>()
    .AddSchemaTransformer<OpenApiRequestBodies>().AddDocumentTransformer<OpenApiRequestBodies>().AddOperationTransformer<OpenApiQueryParameters>()
    .AddOperationTransformer<OpenApiProblems>().AddDocumentTransformer<OpenApiProblems>().AddOperationTransformer<OpenApiExamples>());
builder.Services.AddSingleton(Ledger.Api.Rebuilds.DriftMonitor.Settings.From(builder.Configuration));
builder.Services.AddSingleton<Ledger.Api.Rebuilds.DriftMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Ledger.Api.Rebuilds.DriftMonitor>());
builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
    .AddCheck<Ledger.Api.Rebuilds.DriftMonitor>("projections", tags: ["ready"]);

var app = builder.Build();
app.UseMiddleware<CorrelationId>();
app.UseLedgerErrorHandling();
app.UseSupportConsole(); // static files only, before authentication: the page calls the API with the signed-in key
app.UseAuthentication();
app.UseLedgerGuards();
app.UseAuthorization();
app.UseMiddleware<ControlCharacterGuard>();
app.UseMiddleware<JsonBodyGuard>();
app.UseMiddleware<IdempotencyMiddleware>();

app.MapOpenApi("/openapi/{documentName}.json");
app.MapScalarApiReference("/docs", o => o.WithTitle("Ledger API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthReportWriter.Write });
app.MapProblemPages();
app.MapLedgerMetrics();
app.MapWolverineEndpoints(o => o.AddPolicy<ValidationPolicy>());

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine(
    $"Ledger listening on {string.Join(", ", app.Urls)}; API reference at {app.Urls.FirstOrDefault()}/docs; database {ServiceStore.Describe(database)}"));

// JasperFx's command line only for codegen (for the service it only announced that it was bypassed)
if (args is ["codegen", ..]) return await app.RunJasperFxCommands(args);
await app.RunAsync();
return 0;

public partial class Program;
