namespace Ledger.Domain.Credits;

/// <summary>An amount taken from (or returned to) one credit block.</summary>
public sealed record Draw(string GrantId, long Amount);

public static class Draws
{
    public static long Total(this IEnumerable<Draw> draws) => draws.Sum(d => d.Amount);

    /// <summary>Takes <paramref name="amount"/> from the front of <paramref name="draws"/>, returning what was taken and what is left.</summary>
    public static (IReadOnlyList<Draw> Taken, IReadOnlyList<Draw> Left) Split(this IReadOnlyList<Draw> draws, long amount)
    {
        var taken = new List<Draw>();
        var left = new List<Draw>();
        var remaining = amount;
        foreach (var draw in draws)
        {
            var take = Math.Min(remaining, draw.Amount);
            if (take > 0) taken.Add(draw with { Amount = take });
            if (draw.Amount - take > 0) left.Add(draw with { Amount = draw.Amount - take });
            remaining -= take;
        }
        return (taken, left);
    }

    /// <summary>Merges draws on the same block, keeping first-seen order.</summary>
    public static IReadOnlyList<Draw> Merge(this IEnumerable<Draw> draws) =>
        draws.GroupBy(d => d.GrantId)
            .Select(g => new Draw(g.Key, g.Sum(d => d.Amount)))
            .Where(d => d.Amount != 0)
            .ToList();
}
