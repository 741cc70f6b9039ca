// Signs Stripe webhook payloads exactly as Stripe does, with stripe-node's own test helper.
// Protocol: one JSON object per line on stdin, {"payload": "...", "secret": "whsec_...", "timestamp": 1700000000};
// one Stripe-Signature header value per line on stdout, in the same order.
'use strict';
const readline = require('readline');
const Stripe = require('stripe');

const stripe = new Stripe('sk_test_signer_only');
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line.trim()) return;
  try {
    const request = JSON.parse(line);
    const header = stripe.webhooks.generateTestHeaderString({
      payload: request.payload,
      secret: request.secret,
      timestamp: request.timestamp,
    });
    process.stdout.write(header + '\n');
  } catch (error) {
    process.stdout.write('ERROR ' + String(error && error.message || error).replace(/\n/g, ' ') + '\n');
  }
});
