using JasperFx.Events;
using Ledger.Api.Audit;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Plans;
using Ledger.Projections.ReadModel;

namespace Ledger.Api.Statements;

/// <summary>
/// Replays an account's stream in order and keeps a row for each movement whose instant falls in [from, to), with the
/// balance after it. Balances at the bounds count what happened strictly before them, time included: as every read does,
/// holds and blocks that fell due are expired (and a period that ended is renewed) even if no event says so yet; those
/// movements appear as rows without a version. So a statement for [a, b) closes where the one for [b, c) opens.
/// </summary>
public sealed class StatementBuilder(string accountId, Func<string, PlanTerms> termsOf, Func<Type, string> typeName, FeatureIndex features)
{
    private readonly FeatureIndex _features = features;
    private readonly HashSet<string> _effective = new(StringComparer.Ordinal);
    private readonly List<StatementRow> _rows = [];
    private Account? _state;

    /// <summary>The statement of <paramref name="period"/> from <paramref name="history"/>: a snapshot from before the period, and the events after it.</summary>
    public StatementView Build(History history, ReportPeriod period)
    {
        var stream = history.Events;
        _state = history.StartState;
        var next = 0;
        for (; next < stream.Count && InstantOf(stream[next]) < period.From; next++)
        {
            _features.Observe(stream[next].Data);
            _state = Evolve(_state, stream[next].Data, stream[next].Version);
        }

        var openAt = JustBefore(period.From);
        foreach (var e in TimeUntil(openAt)) _state = Evolve(_state, e, null);
        foreach (var block in _state?.Blocks.Values.Where(b => b.IsEffectiveAt(openAt)) ?? []) _effective.Add(block.GrantId);
        var opening = Bound(period.From, openAt);

        for (; next < stream.Count && InstantOf(stream[next]) < period.To; next++)
            Apply(stream[next].Data, stream[next].Version, InstantOf(stream[next]));

        var closeAt = JustBefore(period.To);
        foreach (var e in TimeUntil(closeAt)) Apply(e, null, AccountEvents.InstantOf(e) ?? closeAt);
        ShowGrantsEffectiveBy(closeAt);
        return new StatementView(accountId, period.From, period.To, opening, _rows, Bound(period.To, closeAt));
    }

    private void Apply(object e, long? version, DateTimeOffset at)
    {
        ShowGrantsEffectiveBy(at);
        var before = _state;
        var balanceBefore = BalanceAt(before, at);
        _features.Observe(e);
        _state = Evolve(_state, e, version);
        if (e is CreditsGranted { EffectiveAt: var effectiveAt } g && (effectiveAt is null || effectiveAt <= at)) _effective.Add(g.GrantId);

        var balance = BalanceAt(_state, at);
        var row = Movements.RowOf(e, before, _features, typeName(e.GetType()), version, at);
        // an event outside the known movements that still changed a sum gets a row, so the rows always add up
        if (row is null && balance != balanceBefore)
            row = new StatementRow(typeName(e.GetType()), version, at, 0, null, null, null, null, null, null, null, null, null, null, null,
                RunningBalance.Zero);
        if (row is not null) _rows.Add(row with { Balance = balance });
    }

    /// <summary>A grant effective later changes the sums at its effectiveAt, with no event: it gets a row of its own then.</summary>
    private void ShowGrantsEffectiveBy(DateTimeOffset at)
    {
        if (_state is null) return;
        var due = _state.Blocks.Values
            .Where(b => b.EffectiveAt is { } e && e <= at && !_effective.Contains(b.GrantId))
            .OrderBy(b => b.EffectiveAt).ThenBy(b => b.GrantId, StringComparer.Ordinal)
            .ToList();
        foreach (var block in due)
        {
            _effective.Add(block.GrantId);
            _rows.Add(Movements.TookEffect(block) with { Balance = BalanceAt(_state, block.EffectiveAt!.Value) });
        }
    }

    /// <summary>The sums at <paramref name="at"/>, counting only grants already shown as effective (several may share an instant).</summary>
    private RunningBalance BalanceAt(Account? state, DateTimeOffset at)
    {
        if (state is null) return RunningBalance.Zero;
        var notYet = state.Blocks.Values.Where(b => b.IsEffectiveAt(at) && b.EffectiveAt is not null && !_effective.Contains(b.GrantId))
            .Select(b => KeyValuePair.Create(b.GrantId, b with { EffectiveAt = DateTimeOffset.MaxValue }))
            .ToList();
        var counted = notYet.Count == 0 ? state : state with { Blocks = state.Blocks.SetItems(notYet) };
        return RunningBalance.From(Balance.Sum(counted, at));
    }

    private StatementBound Bound(DateTimeOffset at, DateTimeOffset countedUntil) =>
        new(at, _state?.Version ?? 0, BalanceAt(_state, countedUntil));

    /// <summary>What time alone does up to <paramref name="at"/> (inclusive) that no event has recorded yet, as the reads compute it.</summary>
    private IReadOnlyList<object> TimeUntil(DateTimeOffset at) =>
        _state is null ? [] : CatchUp.To(_state, at, termsOf(_state.Plan));

    private Account? Evolve(Account? state, object e, long? version)
    {
        var next = Account.Evolve(state, e);
        return next is not null && version is { } v ? next with { Version = v } : next;
    }

    private static DateTimeOffset InstantOf(IEvent e) => AccountHistory.InstantOf(e);

    /// <summary>The last instant before <paramref name="at"/>: reads count everything at or before an instant, a period excludes its end.</summary>
    private static DateTimeOffset JustBefore(DateTimeOffset at) => at.UtcTicks == 0 ? at : at.AddTicks(-1);
}
