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

    /// <summary>
    /// A query-string instant (read as a string: Wolverine binds a typed parameter to its default on bad input), in UTC;
    /// a bad one is named in <paramref name="errors"/>.
    /// </summary>
    public static DateTimeOffset? Instant(string? raw, string field, Dictionary<string, string[]> errors)
    {
        if (raw is null) return null;
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            return parsed.ToUniversalTime(); // Npgsql writes timestamptz from UTC offsets only
        errors[field] = ["Must be an ISO-8601 instant, e.g. 2026-01-31T00:00:00Z."];
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
