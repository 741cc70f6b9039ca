using System.Security.Cryptography;
using System.Text;
using FluentValidation;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Writes;
using Ledger.Api.Idempotency;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Stripe;
using Stripe.Checkout;
using Wolverine.Http;

using Account = Ledger.Domain.Accounts.Account;

namespace Ledger.Api.Stripe;

public sealed record CreateCheckoutSessionRequest(string? Pack, string? SuccessUrl, string? CancelUrl)
{
    public sealed class Validator : AbstractValidator<CreateCheckoutSessionRequest>
    {
        public Validator(PlanCatalog plans)
        {
            RuleFor(x => x.Pack).NotEmpty().WithMessage("Required.")
                .Must(p => p is null || plans.Packs.ContainsKey(p))
                .WithMessage($"Unknown pack; one of: {string.Join(", ", plans.Packs.Keys)}.");
            RuleFor(x => x.SuccessUrl).NotEmpty().WithMessage("Required.").Must(BeWebUrl).WithMessage("An absolute http(s) URL of at most 2048 characters.");
            RuleFor(x => x.CancelUrl).NotEmpty().WithMessage("Required.").Must(BeWebUrl).WithMessage("An absolute http(s) URL of at most 2048 characters.");
        }

        private static bool BeWebUrl(string? url) =>
            url is null || url.Length <= 2048 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
    }
}

public sealed record CheckoutSessionView(
    string Id, string Url, string AccountId, string Pack, long Credits, long AmountMinor, string Currency, DateTimeOffset? ExpiresAt);

/// <summary>
/// Creates a Stripe Checkout Session for a credit pack. The caller needs the URL now, so this is a synchronous
/// Stripe.net call (not the outbox), made safe to retry by Stripe's idempotency key (ADR 0010); no credits move
/// until Stripe reports the payment (checkout.session.completed, paid).
/// </summary>
public static class CheckoutSessionEndpoint
{
    [WolverinePost("/v1/accounts/{accountId}/checkout-sessions")]
    [Authorize(Policy = Scopes.Write)]
    [Tags("Stripe")]
    [EndpointSummary("Start a Stripe Checkout for a credit pack; credits follow the paid webhook")]
    [EndpointDescription("Creates a Stripe Checkout session for a credit pack of the plans file (`pack_500`, `pack_2000`) and answers its URL: send the customer there. Credits are granted when Stripe's `checkout.session.completed` webhook reports it paid, never by this call. 503 when Stripe is not configured.")]
    [ProducesResponseType<CheckoutSessionView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, Problems.ContentType)]
    public static async Task<IResult> Post(
        string accountId, CreateCheckoutSessionRequest? body, HttpContext http, IValidator<CreateCheckoutSessionRequest> validator,
        PlanCatalog plans, StripeGateway stripe, IDocumentStore store, TimeProvider clock,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ILogger<StripeEvents> log)
    {
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        Account? account;
        await using (var query = store.QuerySession())
            account = await query.LoadAsync<Account>(accountId, http.RequestAborted);
        if (account is null) return AccountWrites.NotFound(accountId);
        if (!stripe.IsConfigured)
            return StripeProblems.Result(StripeProblems.NotConfigured, "LEDGER_STRIPE_API_KEY is not set: Stripe cannot be called.");

        var pack = plans.Packs[body!.Pack!];
        var scope = http.Features.Get<IdempotencyScope>();
        var metadata = new Dictionary<string, string> { [StripeEventMapper.AccountKey] = accountId, [StripeEventMapper.PackKey] = pack.Id };
        var options = new SessionCreateOptions
        {
            Mode = "payment",
            SuccessUrl = body.SuccessUrl,
            CancelUrl = body.CancelUrl,
            ClientReferenceId = accountId,
            Customer = account.StripeCustomerId,
            Metadata = metadata,
            // Charges and disputes carry their payment intent's metadata: they find the account even out of order.
            PaymentIntentData = new SessionPaymentIntentDataOptions { Metadata = new Dictionary<string, string>(metadata) },
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = pack.Currency,
                        UnitAmount = pack.PriceMinor,
                        ProductData = new SessionLineItemPriceDataProductDataOptions
                        {
                            Name = pack.Name,
                            Metadata = new Dictionary<string, string> { [StripeEventMapper.PackKey] = pack.Id },
                        },
                    },
                },
            ],
        };
        // A retried request (same Idempotency-Key) gets the same session from Stripe; otherwise each call is a new one.
        var idempotencyKey = scope is null
            ? $"ledger-checkout-{Guid.CreateVersion7()}"
            : $"ledger-checkout-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope.Id + "\n" + scope.Fingerprint)))[..48]}";

        Session session;
        try
        {
            session = await new SessionService(stripe.Interactive).CreateAsync(options,
                new RequestOptions { IdempotencyKey = idempotencyKey }, http.RequestAborted);
        }
        catch (StripeException ex) when (ex.StripeError is not null && (int)ex.HttpStatusCode is >= 400 and < 500)
        {
            log.LogWarning(ex, "Stripe refused a checkout session for {Account}", accountId);
            return StripeProblems.Result(StripeProblems.StripeError, $"Stripe refused the checkout session: {ex.StripeError.Message}",
                new Dictionary<string, object?> { ["stripeCode"] = ex.StripeError.Code, ["stripeStatus"] = (int)ex.HttpStatusCode });
        }
        catch (Exception ex) when (ex is StripeException or HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            log.LogWarning(ex, "Stripe unavailable for a checkout session for {Account}", accountId);
            return StripeProblems.Result(StripeProblems.StripeUnavailable, "Stripe could not be reached; try again (with the same Idempotency-Key).");
        }

        var now = clock.GetUtcNow();
        var view = new CheckoutSessionView(session.Id, session.Url, accountId, pack.Id, pack.Credits,
            session.AmountTotal ?? pack.PriceMinor, session.Currency ?? pack.Currency,
            session.ExpiresAt == default ? null : new DateTimeOffset(DateTime.SpecifyKind(session.ExpiresAt, DateTimeKind.Utc)));
        var reply = new HttpReply(201, System.Text.Json.JsonSerializer.Serialize(view, json.Value.SerializerOptions));
        await using (var write = store.LightweightSession())
        {
            write.Store(new StripeCheckoutSession(session.Id, accountId, pack.Id, view.AmountMinor, view.Currency, session.Url, http.User.KeyId(), now));
            scope?.Save(write, reply, now);
            await write.SaveChangesAsync(http.RequestAborted);
        }
        return reply.ToResult();
    }
}
