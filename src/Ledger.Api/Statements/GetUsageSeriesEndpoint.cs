using JasperFx.Events;
using Ledger.Projections.ReadModel;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Statements;

public static class GetUsageSeriesEndpoint
{
    private static readonly string[] Groupings = ["day", "feature"];

    [WolverineGet("/v1/accounts/{accountId}/usage")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Audit")]
    [EndpointSummary("Usage series: credits consumed net of refunds per day and/or feature")]
    [EndpointDescription("Query: `from` and `to` (ISO-8601 instants; the period is [from, to), at most 366 days; default the 30 days "
        + "up to now), `groupBy` (`day`, `feature` or `day,feature`; default `day`; days are UTC). Usage and commits count when "
        + "they happened; a refund counts when it was made, under the feature of what it refunds.")]
    [ProducesResponseType<UsageSeriesView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? from, string? to, string? groupBy, HttpContext http, IQuerySession session, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        var period = ReportPeriod.Parse(from, to, clock.GetUtcNow(), errors);
        var groups = (groupBy ?? "day").Split(',', StringSplitOptions.TrimEntries).Select(g => g.ToLowerInvariant()).Distinct().ToList();
        if (groups.Any(g => !Groupings.Contains(g)))
            errors["groupBy"] = ["Must be day, feature or day,feature."];
        if (period is null || errors.Count > 0) return Problems.Validation(errors);

        // from the last snapshot before the period (ADR 40): nothing before it counts
        if (await AccountTimeline.Before(session, accountId, period.From, period.To, http.RequestAborted) is not { } history)
            return AccountWrites.NotFound(accountId);
        var features = await FeatureIndex.For(session, accountId, history, http.RequestAborted);
        return Results.Ok(Series(accountId, history.Events, period, Groupings.Where(groups.Contains).ToList(), features));
    }

    public static UsageSeriesView Series(
        string accountId, IReadOnlyList<IEvent> events, ReportPeriod period, IReadOnlyList<string> groupBy, FeatureIndex features)
    {
        bool byDay = groupBy.Contains("day"), byFeature = groupBy.Contains("feature");
        var buckets = new Dictionary<(DateOnly?, string?), (long Consumed, long Refunded)>();
        void Add(DateTimeOffset at, string? feature, long consumed, long refunded)
        {
            if (at < period.From || at >= period.To) return;
            var key = (byDay ? DateOnly.FromDateTime(at.UtcDateTime) : (DateOnly?)null, byFeature ? feature : null);
            var (c, r) = buckets.GetValueOrDefault(key);
            buckets[key] = (c + consumed, r + refunded);
        }

        foreach (var e in events)
        {
            switch (e.Data)
            {
                case UsageRecorded u: Add(u.RecordedAt, u.Feature, u.Amount, 0); break;
                case ReservationCommitted c: Add(c.CommittedAt, features.OfReservation(c.ReservationId), c.Amount, 0); break;
                case CreditsRefunded r: Add(r.RefundedAt, features.Of(r), 0, r.Amount); break;
            }
            features.Observe(e.Data);
        }

        var rows = buckets
            .OrderBy(b => b.Key.Item1).ThenBy(b => b.Key.Item2, StringComparer.Ordinal)
            .Select(b => new UsageBucket(b.Key.Item1, b.Key.Item2, b.Value.Consumed, b.Value.Refunded, b.Value.Consumed - b.Value.Refunded))
            .ToList();
        var consumed = rows.Sum(r => r.Consumed);
        var refunded = rows.Sum(r => r.Refunded);
        return new UsageSeriesView(accountId, period.From, period.To, groupBy, rows, consumed, refunded, consumed - refunded);
    }

}
