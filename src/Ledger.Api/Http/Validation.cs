using System.Globalization;
using System.Text.RegularExpressions;
using FluentValidation;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Http;

/// <summary>Runs a FluentValidation validator (WolverineFx.FluentValidation is not served here) and answers 400 with field errors.</summary>
public static class Validation
{
    public static IResult? Check<T>(T? body, IValidator<T> validator)
    {
        if (body is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["body"] = ["A JSON object body is required."] });
        var result = validator.Validate(body);
        if (result.IsValid) return null;
        return Problems.Validation(result.Errors
            .GroupBy(e => JsonName(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()));
    }

    private static string JsonName(string property) =>
        string.Join('.', property.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));
}

public static partial class Rules
{
    /// <summary>The whole string (<c>\z</c>: <c>$</c> would also match before a final line feed, letting <c>"x\n"</c> through).</summary>
    public const string IdPattern = @"^[A-Za-z0-9_.:-]{1,64}\z";

    /// <summary>Whether an id from a route or a payload can name anything (a NUL byte or the like never reaches PostgreSQL).</summary>
    public static bool IsValidId(string id) => IdRegex().IsMatch(id);

    /// <summary>The earliest instant a query may name: the Unix epoch (Stripe's timestamps start there).</summary>
    public static readonly DateTimeOffset EarliestInstant = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The first instant a query may not name. Far from <see cref="DateTimeOffset.MaxValue"/>, so no arithmetic of a read
    /// overflows, and near enough that catching an account up to it stays cheap: a read replays every monthly renewal on
    /// the way (a statement ending in 2200 took 30 s, one ending in 2100 about one), and <c>CatchUp</c> stops after 100 years.
    /// </summary>
    public static readonly DateTimeOffset LatestInstant = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A query-string instant (read as a string: Wolverine binds a typed parameter to its default on bad input), in UTC and
    /// in [<see cref="EarliestInstant"/>, <see cref="LatestInstant"/>); a bad one is named in <paramref name="errors"/>.
    /// </summary>
    public static DateTimeOffset? Instant(string? raw, string field, Dictionary<string, string[]> errors)
    {
        if (raw is null) return null;
        if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            errors[field] = ["Must be an ISO-8601 instant, e.g. 2026-01-31T00:00:00Z."];
        else if (parsed < EarliestInstant || parsed >= LatestInstant)
            errors[field] = [$"Must be from {EarliestInstant:yyyy-MM-dd'T'HH:mm:ss'Z'} up to, not including, {LatestInstant:yyyy-MM-dd'T'HH:mm:ss'Z'}."];
        else
            return parsed.ToUniversalTime(); // Npgsql writes timestamptz from UTC offsets only
        return null;
    }

    /// <summary>
    /// A query-string integer in [<paramref name="min"/>, <paramref name="max"/>] (read as a string, as <see cref="Instant"/>:
    /// a typed parameter would silently default on <c>?limit=abc</c> or on a number beyond its type); a bad one is named.
    /// </summary>
    public static long? Integer(string? raw, string field, long min, long max, Dictionary<string, string[]> errors)
    {
        if (raw is null) return null;
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        errors[field] = [$"Must be an integer from {min} to {max}."];
        return null;
    }

    [GeneratedRegex(IdPattern)]
    private static partial Regex IdRegex();

    public static IRuleBuilderOptions<T, string?> ValidId<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Matches(IdPattern).WithMessage("Must be 1-64 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'.");

    public static IRuleBuilderOptions<T, long?> ValidAmount<T>(this IRuleBuilder<T, long?> rule, long min = 1) =>
        rule.NotNull().WithMessage("Required.")
            .InclusiveBetween(min, Limits.MaxAmount).WithMessage($"Must be between {min} and {Limits.MaxAmount}.");

    public static IRuleBuilderOptions<T, IDictionary<string, string>?> ValidMetadata<T>(this IRuleBuilder<T, IDictionary<string, string>?> rule) =>
        rule.Must(m => m is null || (m.Count <= Limits.MaxMetadataEntries
                && m.All(kv => kv.Key.Length is > 0 and <= 40 && kv.Value is not null && kv.Value.Length <= 500)))
            .WithMessage($"At most {Limits.MaxMetadataEntries} entries; keys 1-40 characters, values up to 500.");

    public static IRuleBuilderOptions<T, string?> ValidText<T>(this IRuleBuilder<T, string?> rule, int max = 500) =>
        rule.MaximumLength(max).WithMessage($"At most {max} characters.");
}

public static class Ids
{
    /// <summary>A generated id is a time-ordered UUIDv7, as DESIGN.md asks.</summary>
    public static string New() => Guid.CreateVersion7().ToString();
}

public static class ValidatorRegistration
{
    /// <summary>Registers every nested <c>Validator</c> as a singleton (FluentValidation's DI package is not referenced).</summary>
    public static IServiceCollection AddLedgerValidators(this IServiceCollection services)
    {
        foreach (var type in typeof(Validation).Assembly.GetTypes().Where(t => t is { IsAbstract: false, IsClass: true }))
        {
            var contract = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>));
            if (contract is not null) services.AddSingleton(contract, type);
        }
        return services;
    }
}
