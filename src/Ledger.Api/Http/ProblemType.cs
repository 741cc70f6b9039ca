using Ledger.Domain.Accounts;

namespace Ledger.Api.Http;

/// <summary>
/// One problem type (RFC 9457): its stable code (the <c>type</c> is <c>/problems/{code}</c>), status and title, and the
/// page served at its URI: when it happens, what to do, and an example answer. Every answer the service gives is made
/// from one of these (<see cref="ProblemTypes"/>), so no code can exist undocumented, and none answers with a status
/// other than its own.
/// </summary>
public sealed record ProblemType(
    string Code, int Status, string Title, string When, string WhatToDo, string ExampleDetail,
    IReadOnlyDictionary<string, object?>? ExampleExtensions = null)
{
    public string Type => $"/problems/{Code}";

    /// <summary>The problem document this type's page shows as an example.</summary>
    public Dictionary<string, object?> Example()
    {
        var example = new Dictionary<string, object?> { ["type"] = Type, ["title"] = Title, ["status"] = Status, ["detail"] = ExampleDetail };
        foreach (var (key, value) in ExampleExtensions ?? new Dictionary<string, object?>()) example[key] = value;
        return example;
    }

    /// <summary>The documented type of a domain refusal; its status is the refusal's kind.</summary>
    public static ProblemType Of(RejectionCode code) => ProblemTypes.OfRejection(code);
}
