using FluentValidation;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Wolverine.Http;
using Wolverine.Http.CodeGen;

namespace Ledger.Api.Http;

/// <summary>
/// Validates every endpoint's JSON body with its FluentValidation validator before the endpoint runs, once for all
/// endpoints (WolverineFx.Http.FluentValidation is not served here): a body that fails answers 400 with field errors
/// and the endpoint, a pure function of a valid request, never sees it. Bodies are declared nullable (so Wolverine
/// hands a missing one over instead of answering its own 400); a body parameter with a default value is optional.
/// </summary>
public sealed class ValidationPolicy : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains)
        {
            if (!chain.HasRequestType || chain.RequestType is not { } type || type == typeof(void) || !container.HasRegistrationFor(typeof(IValidator<>).MakeGenericType(type))) continue;
            var body = chain.Method.Method.GetParameters().FirstOrDefault(p => p.ParameterType == type);
            var optional = body is { HasDefaultValue: true };
            var check = typeof(ValidationPolicy).GetMethod(optional ? nameof(Optional) : nameof(Required))!.MakeGenericMethod(type);
            var call = new MethodCall(typeof(ValidationPolicy), check) { CommentText = "Validate the body" };
            chain.Middleware.InsertRange(0, [call, new MaybeEndWithResultFrame(call.ReturnVariable!)]);
        }
    }

    /// <summary>Null to go on; otherwise the 400 to answer.</summary>
    public static IResult? Required<T>(T? body, IValidator<T> validator) => Validation.Check(body, validator);

    public static IResult? Optional<T>(T? body, IValidator<T> validator) => body is null ? null : Validation.Check(body, validator);
}
