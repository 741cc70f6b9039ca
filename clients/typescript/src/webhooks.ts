const encoder = new TextEncoder();

/**
 * Verifies an operator webhook's `Ledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` (Stripe's
 * scheme) against the raw body, with WebCrypto (Node 20+, browsers, edge runtimes). False when no v1 matches the
 * secret (or any of several, comma-separated while rotating) or when `t` is more than `toleranceSeconds` from now
 * (a replayed old delivery).
 */
export async function verifyWebhookSignature(secret: string, header: string, rawBody: string | Uint8Array,
  toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000)): Promise<boolean> {
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v && /^[0-9a-f]{64}$/i.test(v)).map(([, v]) => v!.toLowerCase());
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - Number(t)) > toleranceSeconds) return false;
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const signed = new Uint8Array([...encoder.encode(`${t}.`), ...body]);
  for (const s of secret.split(',')) {
    const key = await crypto.subtle.importKey('raw', encoder.encode(s.trim()), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    for (const v of signatures) {
      const mac = new Uint8Array(v.match(/../g)!.map((h) => parseInt(h, 16)));
      if (await crypto.subtle.verify('HMAC', key, mac, signed)) return true; // constant-time comparison inside
    }
  }
  return false;
}
