namespace Ledger.Api.Stripe;

/// <summary>A verified Stripe delivery, applied by <see cref="StripeEventHandler"/> through the write pipeline.</summary>
public sealed record ReceiveStripeEvent(StripeEventView Event, string Payload);

/// <summary>Replay the events parked until <see cref="Milestone"/> (e.g. <c>payment:pi_...</c>) is reached; durable, retried on failure.</summary>
public sealed record ReplayParkedStripeEvents(string Milestone);

/// <summary>The Stripe path as Wolverine handlers: a delivery is invoked inline by the webhook; parked replays come through the outbox.</summary>
public static class StripeEventHandler
{
    public static Task<StripeDelivery> Handle(ReceiveStripeEvent message, StripeEvents events) => events.Receive(message.Event, message.Payload);

    public static Task Handle(ReplayParkedStripeEvents message, StripeEvents events) => events.ReplayWaiters(message.Milestone);
}
