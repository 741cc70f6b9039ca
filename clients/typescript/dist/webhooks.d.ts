/**
 * Verifies an operator webhook's `Ledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` (Stripe's
 * scheme) against the raw body, with WebCrypto (Node 20+, browsers, edge runtimes). False when no v1 matches the
 * secret (or any of several, comma-separated while rotating) or when `t` is more than `toleranceSeconds` from now
 * (a replayed old delivery).
 */
export declare function verifyWebhookSignature(secret: string, header: string, rawBody: string | Uint8Array, toleranceSeconds?: number, nowSeconds?: number): Promise<boolean>;
