using System.Globalization;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Observability;
using Ledger.Projections;
using Ledger.Projections.Metrics;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Metrics;

/// <summary>Accounts now, by plan and by status (<c>active</c>, <c>grace</c>, <c>suspended</c>, <c>frozen</c>).</summary>
public sealed record AccountCounts(IReadOnlyDictionary<string, long> ByPlan, IReadOnlyDictionary<string, long> ByStatus, long Total);

/// <summary>One UTC day's credits: granted, consumed (commits and usage), expired, voided, refunded; and accounts opened.</summary>
public sealed record DayFigures(string Date, long Granted, long Consumed, long Expired, long Voided, long Refunded, long AccountsOpened);

/// <summary>Purchase revenue of a day in one currency: the cost basis of purchase grants, in minor units.</summary>
public sealed record DayRevenue(string Date, string Currency, long Amount);

public sealed record ReservationCounts(long Opened, long Committed, long Released, long Expired);

/// <summary>Reservations committed in the period: what they held (the caller's estimate) against what they consumed.</summary>
public sealed record EstimateVsActual(long Estimated, long Actual, long Variance);

/// <summary>
/// The admin metrics for the days [from, to] (UTC, inclusive), from the async projections. <see cref="AsOfSequence"/>:
/// the event sequence they include everything up to; <see cref="ProjectionLag"/>: events written since.
/// </summary>
public sealed record AdminMetrics(
    string From, string To, AccountCounts Accounts, IReadOnlyList<DayFigures> Days, IReadOnlyList<DayRevenue> Revenue,
    ReservationCounts Reservations, EstimateVsActual EstimateVsActual, long AsOfSequence, long HighWaterSequence, long ProjectionLag);

public static class AdminMetricsEndpoint
{
    public const int DefaultDays = 30;
    public const int MaxDays = 366;

    [WolverineGet("/v1/admin/metrics")]
    [Authorize(Policy = Scopes.Admin)]
    [Tags("Metrics")]
    [EndpointSummary("Accounts by plan and status, credits and purchase revenue per day, reservations and estimate vs actual, from async projections")]
    [EndpointDescription("`from` and `to` are UTC days (`YYYY-MM-DD`, or an ISO-8601 instant: its day), both included; by default the 30 days "
        + "up to today; at most 366 days. The figures are as of `asOfSequence` (`projectionLag` events behind the newest).")]
    [ProducesResponseType<AdminMetrics>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> Get(IDocumentStore store, IQuerySession session, TimeProvider clock, HttpContext http,
        string? from = null, string? to = null)
    {
        var errors = new Dictionary<string, string[]>();
        var last = Day(to, "to", errors) ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var first = Day(from, "from", errors) ?? last.AddDays(1 - DefaultDays);
        if (errors.Count == 0 && first > last) errors["from"] = ["Must not be later than 'to'."];
        else if (errors.Count == 0 && last.DayNumber - first.DayNumber >= MaxDays) errors["to"] = [$"The period may span at most {MaxDays} days."];
        if (errors.Count > 0) return Problems.Validation(errors);
        var ct = http.RequestAborted;

        // Progress first: the figures read next include at least everything up to it.
        var progress = await ProjectionProgress.ReadAsync(store, ct);
        var keys = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(i => Key(first.AddDays(i))).ToArray();
        var stored = (await session.LoadManyAsync<LedgerDay>(ct, keys)).ToDictionary(d => d.Id, StringComparer.Ordinal);
        var days = keys.Select(k => stored.GetValueOrDefault(k) ?? new LedgerDay { Id = k }).ToList();

        return Results.Ok(new AdminMetrics(
            Key(first), Key(last), await CountAccounts(store, ct),
            days.Select(d => new DayFigures(d.Id, d.Granted, d.Consumed, d.Expired, d.Voided, d.Refunded, d.AccountsOpened)).ToList(),
            days.SelectMany(d => d.Revenue.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new DayRevenue(d.Id, r.Key, r.Value))).ToList(),
            new ReservationCounts(days.Sum(d => d.ReservationsOpened), days.Sum(d => d.ReservationsCommitted),
                days.Sum(d => d.ReservationsReleased), days.Sum(d => d.ReservationsExpired)),
            new EstimateVsActual(days.Sum(d => d.Estimated), days.Sum(d => d.Actual), days.Sum(d => d.Actual - d.Estimated)),
            progress.AsOfSequence, progress.HighWater, progress.Lag));
    }

    private static async Task<AccountCounts> CountAccounts(IDocumentStore store, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"select data ->> 'plan', data ->> 'status', count(*) from {LedgerStore.Schema}.mt_doc_accountstanding group by 1, 2";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var byPlan = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var (plan, status, count) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
            byPlan[plan] = byPlan.GetValueOrDefault(plan) + count;
            byStatus[status] = byStatus.GetValueOrDefault(status) + count;
        }
        return new AccountCounts(byPlan, byStatus, byPlan.Values.Sum());
    }

    private static string Key(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A UTC day: <c>YYYY-MM-DD</c>, or an instant (<see cref="Rules.Instant"/>) whose UTC day it is.</summary>
    private static DateOnly? Day(string? raw, string field, Dictionary<string, string[]> errors)
    {
        if (raw is null) return null;
        if (DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            if (day.Year is >= 1970 and < 2100) return day;
            errors[field] = ["Must be a day from 1970-01-01 up to, not including, 2100-01-01."];
            return null;
        }
        return Rules.Instant(raw, field, errors) is { } instant ? DateOnly.FromDateTime(instant.UtcDateTime) : null;
    }
}
