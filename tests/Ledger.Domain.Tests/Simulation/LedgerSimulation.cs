using System.Diagnostics;
using System.Runtime.CompilerServices;
using CsCheck;
using Ledger.Domain.Grants;

namespace Ledger.Domain.Tests.Simulation;

/// <summary>
/// Thousands of random command sequences against one account (2,000 sequences of 1-60 steps, about
/// 60,000 steps, in a few seconds), checking every rule after every step against an independent model.
///
/// Each run draws a fresh random seed. On a failure CsCheck shrinks the sequence to a small one and
/// reports it with its seed: <c>Set seed: "&lt;seed&gt;" or -e CsCheck_Seed=&lt;seed&gt;</c>; the message also
/// carries the trace of commands, decisions and events. To replay exactly that sequence:
/// <code>
/// LEDGER_SIM_SEED=&lt;seed&gt; dotnet run --project tests/Ledger.Domain.Tests -- -class '*LedgerSimulation'
/// </code>
/// <c>LEDGER_SIM_ITER=200000</c> runs a longer soak.
/// </summary>
public sealed class LedgerSimulation(ITestOutputHelper output)
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("LEDGER_SIM_ITER"), out var n) ? n : 2000;

    /// <summary>A seed to replay: exactly that one sequence runs (CsCheck_Seed instead starts the whole run from it).</summary>
    private static readonly string? Seed = Environment.GetEnvironmentVariable("LEDGER_SIM_SEED") is { Length: > 0 } seed ? seed : null;

    private static readonly Gen<Step> StepGen = Gen.Select(Gen.Int[0, Step.Kinds - 1], Gen.Int[0, 999], Gen.Int[0, 999], Gen.Int[0, 999])
        .Select((kind, a, b, c) => new Step(kind, a, b, c));

    [Fact]
    public void Random_command_sequences_keep_every_ledger_rule()
    {
        long sequences = 0, steps = 0, accepted = 0, rejected = 0, replayed = 0;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var clock = Stopwatch.StartNew();

        Gen.Select(Gen.Bool, StepGen.Array[1, 60]).Sample(
            (overage, program) =>
            {
                var world = new World(overage);
                world.Run(program);
                Interlocked.Increment(ref sequences);
                Interlocked.Add(ref steps, program.Length);
                Interlocked.Add(ref accepted, world.Accepted);
                Interlocked.Add(ref rejected, world.Rejected);
                Interlocked.Add(ref replayed, world.Replayed);
                foreach (var (what, count) in world.Seen) seen.AddOrUpdate(what, count, (_, c) => c + count);
            },
            writeLine: output.WriteLine,
            seed: Seed,
            iter: Seed is null ? Iterations : 1,
            print: t => $"allowOverage={t.Item1} program=[{string.Join(" ", t.Item2)}]");

        output.WriteLine($"{sequences} sequences, {steps} steps ({accepted} accepted, {rejected} rejected, {replayed} replayed) in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(string.Join(", ", seen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));

        // The generator must keep reaching every kind of event and refusal, or the checks above prove little.
        if (Seed is not null || Iterations < 1000) return; // replaying one sequence, or a short run
        replayed.ShouldBeGreaterThan(0);
        string[] mustSee =
        [
            nameof(AccountOpened), nameof(CreditsGranted), nameof(GrantVoided), nameof(GrantExpired), nameof(OverageRepaid),
            nameof(CreditsReserved), nameof(ReservationCommitted), nameof(ReservationReleased), nameof(ReservationExtended),
            nameof(ReservationExpired), nameof(UsageRecorded), nameof(CreditsRefunded),
            RejectionCodes.Validation, RejectionCodes.IdConflict, RejectionCodes.InsufficientCredits, RejectionCodes.AccountExists,
            RejectionCodes.GrantNotFound, RejectionCodes.GrantAlreadyVoided, RejectionCodes.ReservationNotFound,
            RejectionCodes.ReservationCommitted, RejectionCodes.ReservationReleased, RejectionCodes.ReservationExpired,
            RejectionCodes.UsageNotFound, RejectionCodes.RefundExceedsConsumed,
        ];
        mustSee.Where(what => !seen.ContainsKey(what)).ShouldBeEmpty();
    }
}

/// <summary>One random step; the numbers are read against the world's state when it runs, so shrinking keeps steps meaningful.</summary>
public readonly record struct Step(int Kind, int A, int B, int C)
{
    public const int Kinds = 22;
    public override string ToString() => $"{Kind}:{A}/{B}/{C}";
}

/// <summary>The account under test, an independent model of its totals, and every check.</summary>
internal sealed class World(bool allowOverage)
{
    private static readonly int[] Ttls = [1, 5, 30, 60, 60, 120, 299, 300, 300, 300, 301, 600, 900, 1800, 3600, 7200, 86400, 0, 86401, -1];
    // Grant lifetimes, ttls and time steps share one scale so blocks expire under holds, holds expire
    // under blocks, and several timers fall due within one step.
    private static readonly int[] Lifetimes = [1, 30, 60, 61, 120, 299, 300, 301, 600, 1800, 3600, 3601, 7200, 86400, 2 * 86400];
    private static readonly int[] TimeSteps = [1, 2, 10, 59, 60, 61, 299, 300, 301, 1800, 3600, 7200, 86400, 3 * 86400];

    private Account? account;
    private AccountRecords records = AccountRecords.Empty;
    private readonly List<object> log = [];
    private readonly List<Func<string>> trace = []; // formatted only when a sequence fails
    private DateTimeOffset now = Facts.T0;
    private IAccountCommand? lastIdempotent;
    private int serial;

    // The model: running totals kept from the commands' accepted results only.
    private readonly Dictionary<string, GrantCredits> grants = [];
    private readonly HashSet<string> voided = [];
    private readonly Dictionary<string, ModelHold> holds = [];
    private readonly Dictionary<string, RecordUsage> usages = [];
    private readonly Dictionary<string, RefundCredits> refunds = [];
    private readonly Dictionary<(RefundSourceKind, string), long> refundedBySource = [];
    private readonly Dictionary<string, int> resolutions = [];
    private long consumed, refunded;

    public int Accepted { get; private set; }
    public int Rejected { get; private set; }
    public int Replayed { get; private set; }
    public Dictionary<string, long> Seen { get; } = [];

    private sealed record ModelHold(Reserve Command, DateTimeOffset ExpiresAt, string Status, long Committed, Commit? CommitCommand, string? ReleaseReason);

    public void Run(Step[] program)
    {
        try
        {
            Execute(Do.Open(), Expect.Accept);
            foreach (var step in program) Perform(step);
            // Once per sequence, the records in full (each step compares the records its events touched).
            Check(Records(AccountRecords.Empty.Then(log)) == Records(records), "replaying the log gives other records than the incremental ones");
        }
        catch (Exception e)
        {
            throw new Exception($"{e.Message}\n--- trace (allowOverage={allowOverage}) ---\n{string.Join("\n", trace.Select(t => t()))}", e);
        }
    }

    private void Perform(Step s)
    {
        switch (s.Kind)
        {
            case 0 or 1 or 2: DoGrant(s); break;
            case 3 or 4 or 5: DoReserve(s); break;
            case 6 or 7 or 8 when holds.Count == 0: DoReserve(s); break; // nothing to commit yet
            case 6 or 7 or 8: DoCommit(s); break;
            case 9 or 10 when holds.Count == 0: DoUse(s); break;
            case 9: DoRelease(s); break;
            case 10: DoExtend(s); break;
            case 11 or 12: DoUse(s); break;
            case 13 or 14: DoRefund(s); break;
            case 15: DoVoid(s); break;
            case 16 or 17 or 18: Advance(TimeSteps[s.A % TimeSteps.Length] + s.B % 3, s.C); break;
            case 19: Execute(Do.CatchUp(), Expect.Accept); break;
            case 20: if (lastIdempotent is { } last) Execute(last, Expect.Replay); break;
            case 21 when s.A % 4 != 0: DoGrant(s); break;
            default: Execute(Do.Open(s.B % 2 == 0 ? "pro" : "free"), s.B % 2 == 0 ? Expect.Replay : Expect.Reject(RejectionCodes.AccountExists)); break;
        }
    }

    // ---------------------------------------------------------------- commands and their expected decisions

    private (Account Account, DateTimeOffset At, Account CaughtUp)? view;

    /// <summary>The account as time alone leaves it now (what every read applies virtually), computed once per state and instant.</summary>
    private Account CaughtUp()
    {
        if (view is not { } v || !ReferenceEquals(v.Account, account) || v.At != now)
            view = v = (account!, now, account!.Then(CatchUp.To(account!, now)));
        return v.CaughtUp;
    }

    /// <summary>The read view: <see cref="Balance.Of"/> is the sum of the caught-up state.</summary>
    private Balance Read() => Balance.Sum(CaughtUp(), now);

    private static bool ValidAmount(long amount) => amount is > 0 and <= Limits.MaxAmount;

    private static long OddAmount(int pick) => pick switch { 0 => 0, 1 => -1, 2 => Limits.MaxAmount + 1, _ => Limits.MaxAmount };

    private void DoGrant(Step s)
    {
        if (s.A % 10 == 0 && grants.Count > 0)
        {
            var existing = grants.Values.ElementAt(s.B % grants.Count);
            if (s.C % 2 == 0) Execute(existing, Expect.Replay);
            else Execute(existing with { Amount = existing.Amount + 1 }, Expect.Reject(RejectionCodes.IdConflict));
            return;
        }
        long amount = s.A % 23 == 1 ? OddAmount(s.B % 4) : 1 + s.B % 200;
        var source = (GrantSource)(s.B % 4);
        int? priority = s.C % 3 == 0 ? s.C % 101 : null;
        DateTimeOffset? effectiveAt = (s.C / 3 % 6) switch { 0 => now.AddSeconds(1 + s.A * 7 % 7200), 1 => now.AddSeconds(-60), _ => null };
        DateTimeOffset? expiresAt = (s.A / 3 % 10) switch
        {
            <= 3 => null,
            8 => now,
            9 => now.AddSeconds(-1 - s.B % 100),
            _ => (effectiveAt ?? now).AddSeconds(Lifetimes[s.C % Lifetimes.Length] + s.B % 3),
        };
        var command = Do.Grant($"g{++serial}", amount, source, priority, effectiveAt, expiresAt);

        var expect = !ValidAmount(amount) || expiresAt <= now || expiresAt <= effectiveAt
            ? Expect.Reject(RejectionCodes.Validation)
            : Expect.Accept;
        Execute(command, expect, () => grants[command.GrantId] = command);
    }

    private void DoVoid(Step s)
    {
        var id = grants.Count == 0 || s.A % 10 == 0 ? "g-none" : grants.Keys.ElementAt(s.B % grants.Count);
        var expect = !grants.ContainsKey(id) ? Expect.Reject(RejectionCodes.GrantNotFound)
            : voided.Contains(id) ? Expect.Reject(RejectionCodes.GrantAlreadyVoided)
            : Expect.Accept;
        Execute(Do.Void(id), expect, () => voided.Add(id));
    }

    private void DoReserve(Step s)
    {
        if (s.A % 8 == 0 && holds.Count > 0)
        {
            Execute(holds.Values.ElementAt(s.B % holds.Count).Command, Expect.Replay);
            return;
        }
        long amount = s.A % 29 == 1 ? OddAmount(s.B % 3) : 1 + s.B % 150;
        var ttl = Ttls[s.C % Ttls.Length];
        var command = Do.Reserve($"r{++serial}", amount, ttl, s.C % 2 == 0 ? "ai" : "sync");

        var expect = !ValidAmount(amount) || ttl is < 1 or > 86400 ? Expect.Reject(RejectionCodes.Validation)
            : allowOverage || amount <= Read().Available ? Expect.Accept
            : Expect.Reject(RejectionCodes.InsufficientCredits);
        Execute(command, expect, () => holds[command.ReservationId] = new ModelHold(command, now.AddSeconds(ttl), "pending", 0, null, null));
    }

    /// <summary>The rejection a non-pending reservation gives, or null while it is pending.</summary>
    private Expect? NotPending(ModelHold hold) => hold.Status switch
    {
        "committed" => Expect.Reject(RejectionCodes.ReservationCommitted),
        "released" => Expect.Reject(RejectionCodes.ReservationReleased),
        _ when hold.ExpiresAt <= now => Expect.Reject(RejectionCodes.ReservationExpired),
        _ => null,
    };

    private (string Id, ModelHold? Hold) PickReservation(Step s) =>
        holds.Count == 0 || s.A % 25 == 0 ? ("r-none", null) : holds.ElementAt(s.B % holds.Count) is var kv ? (kv.Key, kv.Value) : default;

    private void DoCommit(Step s)
    {
        var (id, hold) = PickReservation(s);
        var held = hold?.Command.Amount ?? 10;
        long? amount = (s.C % 7) switch
        {
            0 => null,
            1 => held,
            2 => s.B % held,
            3 => held + 1 + s.B % 60,
            4 => held + Math.Max(0, Read().Available) + 1 + s.B % 5, // more than there is
            5 => s.B % 2 == 0 ? -1 : Limits.MaxAmount + 1,
            _ => 0,
        };
        var receipt = s.A % 3 == 0 ? null : "rcpt";
        var command = Do.Commit(id, amount, receipt);

        Expect expect;
        if (hold is null) expect = Expect.Reject(RejectionCodes.ReservationNotFound);
        else if (hold.Status == "committed")
            expect = hold.Committed == (amount ?? held) && hold.CommitCommand!.ReceiptId == receipt
                ? Expect.Replay
                : Expect.Reject(RejectionCodes.ReservationCommitted);
        else if (NotPending(hold) is { } refused) expect = refused;
        else if (amount is < 0 or > Limits.MaxAmount) expect = Expect.Reject(RejectionCodes.Validation);
        else if ((amount ?? held) <= held || allowOverage || (amount ?? held) - held <= Read().Available) expect = Expect.Accept;
        else expect = Expect.Reject(RejectionCodes.InsufficientCredits);

        Execute(command, expect, () =>
        {
            holds[id] = hold! with { Status = "committed", Committed = amount ?? held, CommitCommand = command };
            consumed += amount ?? held;
        });
    }

    private void DoRelease(Step s)
    {
        var (id, hold) = PickReservation(s);
        var reason = s.C % 2 == 0 ? null : "cancelled";
        var expect = hold is null ? Expect.Reject(RejectionCodes.ReservationNotFound)
            : hold.Status == "released" && hold.ReleaseReason == reason ? Expect.Replay
            : NotPending(hold) ?? Expect.Accept;
        Execute(Do.Release(id, reason), expect, () => holds[id] = hold! with { Status = "released", ReleaseReason = reason });
    }

    private void DoExtend(Step s)
    {
        var (id, hold) = PickReservation(s);
        var ttl = Ttls[s.C % Ttls.Length];
        var expect = hold is null ? Expect.Reject(RejectionCodes.ReservationNotFound)
            : NotPending(hold) ?? (ttl is < 1 or > 86400 ? Expect.Reject(RejectionCodes.Validation) : Expect.Accept);
        Execute(Do.Extend(id, ttl), expect, () => holds[id] = hold! with { ExpiresAt = now.AddSeconds(ttl) });
    }

    private void DoUse(Step s)
    {
        if (s.A % 8 == 0 && usages.Count > 0)
        {
            Execute(usages.Values.ElementAt(s.B % usages.Count), Expect.Replay);
            return;
        }
        long amount = s.A % 29 == 1 ? OddAmount(s.B % 3) : 1 + s.B % 120;
        var command = Do.Use($"u{++serial}", amount);
        var expect = !ValidAmount(amount) ? Expect.Reject(RejectionCodes.Validation)
            : allowOverage || amount <= Read().Available ? Expect.Accept
            : Expect.Reject(RejectionCodes.InsufficientCredits);
        Execute(command, expect, () =>
        {
            usages[command.UsageId] = command;
            consumed += amount;
        });
    }

    private long ConsumedBy(RefundSourceKind kind, string id) => kind == RefundSourceKind.Usage
        ? usages.TryGetValue(id, out var u) ? u.Amount : 0
        : holds.TryGetValue(id, out var h) && h.Status == "committed" ? h.Committed : 0;

    private void DoRefund(Step s)
    {
        if (s.A % 10 == 0 && refunds.Count > 0)
        {
            Execute(refunds.Values.ElementAt(s.B % refunds.Count), Expect.Replay);
            return;
        }
        var kind = s.A % 2 == 0 ? RefundSourceKind.Usage : RefundSourceKind.Reservation;
        var ids = kind == RefundSourceKind.Usage ? usages.Keys.ToList() : holds.Keys.ToList();
        var known = ids.Count > 0 && s.A % 15 != 1;
        var source = known ? ids[s.B % ids.Count] : kind == RefundSourceKind.Usage ? "u-none" : "r-none";
        var left = ConsumedBy(kind, source) - refundedBySource.GetValueOrDefault((kind, source));
        long amount = (s.C % 5) switch
        {
            0 => left,
            1 => 1 + s.B % Math.Max(1, left),
            2 => left + 1, // just over the cap
            3 => 1 + s.B % 50,
            _ => s.B % 3 == 0 ? 0 : left,
        };
        var command = new RefundCredits($"f{++serial}", kind, source, amount, s.C % 2 == 0 ? null : "refund");

        var expect = !ValidAmount(amount) ? Expect.Reject(RejectionCodes.Validation)
            : !known ? Expect.Reject(kind == RefundSourceKind.Usage ? RejectionCodes.UsageNotFound : RejectionCodes.ReservationNotFound)
            : amount <= left ? Expect.Accept
            : Expect.Reject(RejectionCodes.RefundExceedsConsumed);
        Execute(command, expect, () =>
        {
            refunds[command.RefundId] = command;
            refundedBySource[(kind, source)] = refundedBySource.GetValueOrDefault((kind, source)) + amount;
            refunded += amount;
        });
    }

    // ---------------------------------------------------------------- time

    /// <summary>
    /// Moves the clock. Before it does, checks that what time alone writes does not depend on when the
    /// timers ran: catching up at a random instant on the way and then at the end writes the same
    /// events, and shows the same balance, as catching up once at the end.
    /// </summary>
    private void Advance(int seconds, int pick)
    {
        var to = now.AddSeconds(seconds);
        var mid = now.AddTicks(TimeSpan.FromSeconds(seconds).Ticks * (pick % 100) / 100);
        var a = account!;
        var direct = CatchUp.To(a, to);
        var first = CatchUp.To(a, mid);
        var atMid = a.Then(first);
        var second = CatchUp.To(atMid, to);

        Check(Balance.Of(a, to) == Balance.Of(atMid, to),
            $"the balance at {to:O} depends on whether the timers ran at {mid:O}: {Balance.Of(a, to)} vs {Balance.Of(atMid, to)}");
        Check(Same(direct, [.. first, .. second]),
            $"time's events up to {to:O} depend on catching up at {mid:O}:\n  once: {Show(direct)}\n  twice: {Show([.. first, .. second])}");
        Invariants.Check(a.Then(direct), to);

        now = to;
        var (moved, at) = (seconds, now);
        trace.Add(() => $"  … time +{moved}s → {at - Facts.T0}");
        CheckState();
    }

    // ---------------------------------------------------------------- running a command and checking everything

    private abstract record Expect
    {
        public sealed record Accepting : Expect;
        public sealed record Replaying : Expect;
        public sealed record Rejecting(string Code) : Expect;

        public static readonly Expect Accept = new Accepting();
        public static readonly Expect Replay = new Replaying();
        public static Expect Reject(string code) => new Rejecting(code);
    }

    /// <summary>
    /// Runs the command through the decider, checks the decision against the model's expectation, lets
    /// the model take in an accepted result (<paramref name="accepted"/>), then checks every rule.
    /// </summary>
    private void Execute(IAccountCommand command, Expect expect, Action? accepted = null)
    {
        var before = account;
        var knownBefore = records;
        var seenBefore = before is null ? null : CaughtUp(); // what the command decides on
        var outcome = AccountDecider.Handle(account, records, command, new DecisionContext(now, allowOverage));
        var when = now;
        trace.Add(() => $"{when - Facts.T0} {command} → {Describe(outcome.Decision)}{(outcome.Events.Count > 0 ? "\n      " + string.Join("\n      ", outcome.Events.Select(Canonical.Event)) : "")}");

        switch (outcome.Decision)
        {
            case Decision.Accepted:
                Check(expect is Expect.Accepting, $"expected {expect} but the command was accepted");
                Accepted++;
                foreach (var ev in outcome.Events) Seen[ev.GetType().Name] = Seen.GetValueOrDefault(ev.GetType().Name) + 1;
                CheckNewEvents(outcome.Events, before);
                CheckDrainOrder(outcome.Events, seenBefore);
                log.AddRange(outcome.Events);
                account = outcome.Account;
                records = outcome.Known;
                if (command is GrantCredits or Reserve or Commit or Release or RecordUsage or RefundCredits) lastIdempotent = command;
                accepted?.Invoke();
                break;
            case Decision.Replayed:
                Check(expect is Expect.Replaying, $"expected {expect} but the command was replayed");
                Replayed++;
                break;
            case Decision.Rejected r:
                Check(expect is Expect.Rejecting e && e.Code == r.Rejection.Code, $"expected {expect} but got {r.Rejection.Code}: {r.Rejection.Detail}");
                Rejected++;
                Seen[r.Rejection.Code] = Seen.GetValueOrDefault(r.Rejection.Code) + 1;
                break;
        }
        if (outcome.Decision is not Decision.Accepted)
        {
            Check(outcome.Events.Count == 0, "a refused or replayed command wrote events");
            Check(ReferenceEquals(outcome.Account, before) && ReferenceEquals(outcome.Known, knownBefore), "a refused or replayed command changed the state");
        }
        CheckState(outcome.Events);
    }

    /// <summary>Rules each new event must keep, checked before it joins the log.</summary>
    private void CheckNewEvents(IReadOnlyList<object> events, Account? before)
    {
        var last = log.Count == 0 ? DateTimeOffset.MinValue : At(log[^1]);
        foreach (var e in events)
        {
            var at = At(e);
            Check(at <= now, $"event dated in the future: {Canonical.Event(e)}");
            Check(at >= last, $"events out of time order: {Canonical.Event(e)} after an event at {last:O}");
            last = at;
            switch (e)
            {
                case CreditsReserved r:
                    CheckDraws(r.Draws, r.Amount, e);
                    break;
                case UsageRecorded u:
                    CheckDraws(u.Draws, u.Amount, e);
                    break;
                case CreditsRefunded f:
                    CheckDraws(f.Draws, f.Amount, e);
                    break;
                case ReservationCommitted c:
                    CheckDraws(c.Consumed, c.Amount, e);
                    var hold = holds[c.ReservationId].Command.Amount;
                    Check(c.Released.Total() == Math.Max(0, hold - c.Amount), $"commit released {c.Released.Total()} of a {hold} hold: {Canonical.Event(e)}");
                    Check(c.Released.All(d => d.Amount > 0), $"empty release draw: {Canonical.Event(e)}");
                    break;
                case GrantExpired x:
                    Check(x.Amount > 0, $"empty expiry: {Canonical.Event(e)}");
                    var block = (before ?? account)!.Blocks[x.GrantId];
                    Check(block.ExpiresAt is { } expiry && expiry <= x.ExpiredAt, $"expired before its expiry: {Canonical.Event(e)}");
                    break;
                case OverageRepaid p:
                    Check(p.Amount > 0, $"empty repayment: {Canonical.Event(e)}");
                    break;
            }
            if (e switch { ReservationCommitted c => c.ReservationId, ReservationReleased r => r.ReservationId, ReservationExpired x => x.ReservationId, _ => null } is { } id)
            {
                resolutions[id] = resolutions.GetValueOrDefault(id) + 1;
                Check(resolutions[id] == 1, $"reservation {id} resolved twice: {Canonical.Event(e)}");
            }
        }
    }

    /// <summary>
    /// Usage and holds draw greedily from spendable blocks in drain order (priority, then soonest expiry
    /// with never-expiring last, then oldest, then id), the shortfall going to overage: an independent
    /// re-statement of the rule, checked against the draws the decider chose.
    /// </summary>
    private void CheckDrainOrder(IReadOnlyList<object> events, Account? seen)
    {
        foreach (var e in events)
        {
            var (amount, draws) = e switch
            {
                UsageRecorded u => (u.Amount, u.Draws),
                CreditsReserved r => (r.Amount, r.Draws),
                _ => (0L, (IReadOnlyList<Draw>)[]),
            };
            if (amount == 0 || seen is null) continue;

            var expected = new List<Draw>();
            var left = amount;
            var spendable = seen.Blocks.Values
                .Where(b => (b.EffectiveAt ?? DateTimeOffset.MinValue) <= now && !b.IsVoided && (b.ExpiresAt ?? DateTimeOffset.MaxValue) > now && b.Unheld > 0)
                .OrderBy(b => b.Priority).ThenBy(b => b.ExpiresAt is null).ThenBy(b => b.ExpiresAt).ThenBy(b => b.GrantedAt)
                .ThenBy(b => b.GrantId, StringComparer.Ordinal);
            foreach (var b in spendable.TakeWhile(_ => left > 0))
            {
                expected.Add(new Draw(b.GrantId, Math.Min(left, b.Unheld)));
                left -= Math.Min(left, b.Unheld);
            }
            if (left > 0) expected.Add(new Draw(CreditBlock.OverageId, left));
            var merged = expected.GroupBy(d => d.GrantId).Select(g => new Draw(g.Key, g.Sum(d => d.Amount))).ToList();
            Check(draws.SequenceEqual(merged), $"draws {Show(draws)} are not the drain order's {Show(merged)}: {Canonical.Event(e)}");
        }
    }

    private static string Show(IEnumerable<Draw> draws) => string.Join(", ", draws.Select(d => $"{d.GrantId} {d.Amount}"));

    private static void CheckDraws(IReadOnlyList<Draw> draws, long amount, object e)
    {
        Check(draws.Total() == amount, $"draws add up to {draws.Total()}, not {amount}: {Canonical.Event(e)}");
        Check(draws.All(d => d.Amount > 0), $"empty or negative draw: {Canonical.Event(e)}");
        Check(draws.Select(d => d.GrantId).Distinct().Count() == draws.Count, $"two draws on one block: {Canonical.Event(e)}");
    }

    /// <summary>Rules of the state and the read view after every step; <paramref name="touched"/> are the step's new events.</summary>
    private void CheckState(IReadOnlyList<object>? touched = null)
    {
        var a = account!;
        touched ??= [];
        Check(a.Version == log.Count, $"version {a.Version} after {log.Count} events");

        // The read view: the balance equation, its signs, and the model's totals.
        var b = Read();
        Check(b == Balance.Of(a, now), $"the read view {Balance.Of(a, now)} is not the caught-up state {b}");
        Check(b.IsConsistent, $"balance equation broken: {b}");
        Check(b.Reserved >= 0, $"reserved is negative: {b}");
        Check(b.Overage >= 0, $"overage is negative: {b}");
        Check(allowOverage || (b.Available >= 0 && b.Overage == 0), $"available went negative without overage: {b}");
        Check(b.Expired >= 0 && b.Voided >= 0 && b.Refunded <= b.Consumed, $"impossible lifetime sums: {b}");

        var effective = grants.Values.Where(g => g.EffectiveAt is null || g.EffectiveAt <= now).Sum(g => g.Amount);
        var upcoming = grants.Values.Where(g => g.EffectiveAt > now && !voided.Contains(g.GrantId)).Sum(g => g.Amount);
        var reserved = holds.Values.Where(h => h.Status == "pending" && h.ExpiresAt > now).Sum(h => h.Command.Amount);
        Check(b.Granted == effective && b.Upcoming == upcoming, $"granted {b.Granted}/{b.Upcoming} but the model has {effective}/{upcoming}");
        Check(b.Consumed == consumed, $"consumed {b.Consumed} but the model has {consumed}");
        Check(b.Refunded == refunded, $"refunded {b.Refunded} but the model has {refunded}");
        Check(b.Reserved == reserved, $"reserved {b.Reserved} but the model has {reserved}");
        var nothingDied = voided.Count == 0 && grants.Values.All(g => g.ExpiresAt is null || g.ExpiresAt > now);
        Check(!nothingDied || b.Expired + b.Voided == 0, $"credits expired or voided though no grant expired or was voided: {b}");

        // Refunds per source never exceed what the source consumed, in the records and in the log.
        foreach (var u in records.Usages.Values) Check(u.Refunded <= u.Amount, $"usage {u.UsageId} refunded {u.Refunded} of {u.Amount}");
        foreach (var r in records.Reservations.Values) Check(r.Refunded <= r.Committed, $"reservation {r.ReservationId} refunded {r.Refunded} of {r.Committed}");
        foreach (var ((kind, id), total) in refundedBySource) Check(total <= ConsumedBy(kind, id), $"{kind} {id} refunded {total} of {ConsumedBy(kind, id)}");

        // The incremental state is the state a replay of the whole log rebuilds (compared field by field;
        // the canonical JSON, with blocks and holds in key order, shows the difference).
        var replayed = Account.Replay(log)!;
        Check(SameState(replayed, a), $"replaying the log gives another state than the incremental one:\n  replayed:    {Canonical.Of(replayed)}\n  incremental: {Canonical.Of(a)}");
        var replayedRecords = AccountRecords.Empty.Then(log);
        Check(replayedRecords.Reservations.Count == records.Reservations.Count && replayedRecords.Usages.Count == records.Usages.Count
            && replayedRecords.Refunds.Count == records.Refunds.Count, "replaying the log gives another number of records");
        foreach (var e in touched)
        {
            var (reservation, usage, refund) = AccountRecords.Touches(e);
            Check(Json(replayedRecords.Reservation(reservation ?? "")) == Json(records.Reservation(reservation ?? ""))
                && Json(replayedRecords.Usage(usage ?? "")) == Json(records.Usage(usage ?? ""))
                && Json(replayedRecords.Refund(refund ?? "")) == Json(records.Refund(refund ?? "")),
                $"replaying the log gives another record than the incremental one for {Canonical.Event(e)}");
        }

        // The arithmetic holds on the read view (the decider already checked the written state).
        Invariants.Check(CaughtUp(), now);
    }

    // ---------------------------------------------------------------- helpers

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new ShouldAssertException(what);
    }

    /// <summary>The message's holes are evaluated only when the check fails (some render whole states).</summary>
    private static void Check(bool condition, [InterpolatedStringHandlerArgument("condition")] FailureMessage what)
    {
        if (!condition) throw new ShouldAssertException(what.ToStringAndClear());
    }

    private static DateTimeOffset At(object e) => e switch
    {
        AccountOpened x => x.OpenedAt,
        CreditsGranted x => x.GrantedAt,
        GrantVoided x => x.VoidedAt,
        GrantExpired x => x.ExpiredAt,
        OverageRepaid x => x.RepaidAt,
        CreditsReserved x => x.ReservedAt,
        ReservationCommitted x => x.CommittedAt,
        ReservationReleased x => x.ReleasedAt,
        ReservationExtended x => x.ExtendedAt,
        ReservationExpired x => x.ExpiredAt,
        UsageRecorded x => x.RecordedAt,
        CreditsRefunded x => x.RefundedAt,
        _ => throw new InvalidOperationException($"unknown event {e.GetType().Name}"),
    };

    private static bool Same(IReadOnlyList<object> a, IReadOnlyList<object> b) => Show(a) == Show(b);

    private static string Json(object? value) => value is null ? "" : System.Text.Json.JsonSerializer.Serialize(value, value.GetType());

    /// <summary>
    /// Value equality of two states: blocks are flat records; holds carry lists and metadata, compared by
    /// content; everything else in the account is compared through its JSON.
    /// </summary>
    private static bool SameState(Account x, Account y) =>
        Canonical.Rest(x) == Canonical.Rest(y)
        && x.Blocks.Count == y.Blocks.Count && x.Blocks.All(kv => y.Blocks.TryGetValue(kv.Key, out var b) && b == kv.Value)
        && x.Holds.Count == y.Holds.Count && x.Holds.All(kv => y.Holds.TryGetValue(kv.Key, out var h) && SameHold(kv.Value, h));

    private static readonly IReadOnlyList<Draw> NoDraws = [];

    private static bool SameHold(PendingHold x, PendingHold y) =>
        x with { Draws = NoDraws, Metadata = null } == y with { Draws = NoDraws, Metadata = null }
        && x.Draws.SequenceEqual(y.Draws) && Json(x.Metadata) == Json(y.Metadata);

    private static string Show(IEnumerable<object> events) => string.Join(" | ", events.Select(Canonical.Event));

    private static string Records(AccountRecords r) => System.Text.Json.JsonSerializer.Serialize(new
    {
        Reservations = r.Reservations.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
        Usages = r.Usages.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
        Refunds = r.Refunds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value),
    });

    private static string Describe(Decision d) => d switch
    {
        Decision.Rejected r => $"rejected {r.Rejection.Code}",
        Decision.Replayed => "replayed",
        _ => "accepted",
    };
}

/// <summary>An interpolated failure message that is formatted only when its condition is false.</summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler inner;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool failing)
    {
        failing = !condition;
        inner = failing ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => inner.AppendLiteral(value);
    public void AppendFormatted<T>(T value) => inner.AppendFormatted(value);
    public void AppendFormatted<T>(T value, string? format) => inner.AppendFormatted(value, format);
    public string ToStringAndClear() => inner.ToStringAndClear();
}
