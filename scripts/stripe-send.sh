#!/usr/bin/env bash
# Posts Stripe event files to Ledger's webhook, signed exactly as Stripe signs them:
#   Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint secret>
# The body is sent byte for byte as it is in the file.
#
#   LEDGER_STRIPE_WEBHOOK_SECRET=whsec_... scripts/stripe-send.sh docs/stripe-events/01-checkout-session-completed.json
#
# Environment: LEDGER_STRIPE_WEBHOOK_SECRET (required; the service's secret), LEDGER_URL (default http://127.0.0.1:5080),
# STRIPE_SIGNED_AT (unix seconds to sign with, default now: try a stale one to see the 400).
set -euo pipefail
secret=${LEDGER_STRIPE_WEBHOOK_SECRET:?set LEDGER_STRIPE_WEBHOOK_SECRET to the webhook secret the service uses}
url=${LEDGER_URL:-http://127.0.0.1:5080}/v1/webhooks/stripe
[[ $# -gt 0 ]] || { echo "usage: $0 EVENT.json..." >&2; exit 2; }

for file in "$@"; do
    signed_at=${STRIPE_SIGNED_AT:-$(date +%s)}
    signature=$({ printf '%s.' "$signed_at"; cat -- "$file"; } | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
    curl -sS -H "Stripe-Signature: t=$signed_at,v1=$signature" -H 'Content-Type: application/json' \
        --data-binary "@$file" "$url"
    echo
done
