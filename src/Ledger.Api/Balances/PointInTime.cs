using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Projections.ReadModel;
using Marten;

namespace Ledger.Api.Balances;

/// <summary>
/// When a read is for: now (the inline view), <c>asOf</c> an instant (the events that happened by it, each at its own
/// instant, as statements place them, and what time alone did by then: ADR 12) or at a <c>version</c> (dated at its
/// event's instant). Balance, quota and entitlements share it; the past is read from the nearest snapshot (ADR 40),
/// and the answer says how many events were replayed for it in <see cref="ReplayedHeader"/>.
/// </summary>
public sealed record PointInTime(DateTimeOffset? AsOf, long? Version)
{
    public const string ReplayedHeader = "Ledger-Replayed-Events";

    public const string Description = "Query: `asOf` (an ISO-8601 instant: the events that happened by it, each at its own instant, as statements "
        + "place them, and what time alone did by then) or `version` (a stream version; the answer is dated at its event's instant). "
        + "A version after the stream's last answers 400 `version-beyond-stream` (with `streamVersion`); an instant before the account "
        + "was opened answers 400 `before-account-opened` (with `openedAt`): there was no account then. A past answer starts from the "
        + "nearest snapshot (one every 1,000 events) and says in the `Ledger-Replayed-Events` header how many events it replayed.";

    public static PointInTime? Parse(string? asOf, string? version, Dictionary<string, string[]> errors)
    {
        var instant = Rules.Instant(asOf, "asOf", errors);
        var atVersion = Rules.Integer(version, "version", 1, long.MaxValue, errors);
        if (errors.Count == 0 && instant is not null && atVersion is not null) errors["asOf"] = ["Give asOf or version, not both."];
        return errors.Count > 0 ? null : new PointInTime(instant, atVersion);
    }

    /// <summary>The account as the one read model shows it then, or the problem that says why there is none.</summary>
    public async Task<(AccountReading? Reading, IResult? Problem)> Read(
        string accountId, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        if (AsOf is null && Version is null)
            return await session.LoadAsync<Account>(accountId, ct) is { } current
                ? (plans.Read(current, clock.GetUtcNow()), null)
                : (null, AccountWrites.NotFound(accountId));

        if (await session.Events.FetchStreamStateAsync(accountId, ct) is not { } stream) return (null, AccountWrites.NotFound(accountId));
        if (Version > stream.Version)
            return (null, Problems.Result(ProblemTypes.VersionBeyondStream, $"The account's stream ends at version {stream.Version}.",
                new Dictionary<string, object?>
                {
                    ["streamVersion"] = stream.Version, ["errors"] = new Dictionary<string, string[]> { ["version"] = [$"Must be at most {stream.Version}."] },
                }));
        var last = AsOf is { } at ? await AccountTimeline.LastVersionAtOrBefore(session, accountId, stream.Version, at, ct) : Version!.Value;
        var (state, replayed) = last == 0 ? (null, 0) : await AccountTimeline.AtVersion(session, accountId, last, ct);
        http.Response.Headers[ReplayedHeader] = replayed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (state is null && AsOf is not null && await session.LoadAsync<Account>(accountId, ct) is { } opened)
        {
            var openedAt = opened.OpenedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
            return (null, Problems.Result(ProblemTypes.BeforeAccountOpened, $"Account '{accountId}' was opened at {openedAt}.",
                new Dictionary<string, object?>
                {
                    ["openedAt"] = opened.OpenedAt, ["errors"] = new Dictionary<string, string[]> { ["asOf"] = [$"Must be at or after {openedAt}."] },
                }));
        }
        if (state is null) return (null, AccountWrites.NotFound(accountId));
        var instant = AsOf ?? AccountTimeline.InstantOf((await session.Events.FetchStreamAsync(accountId, last, fromVersion: last, token: ct))[0]);
        return (plans.Read(state, instant), null);
    }
}
