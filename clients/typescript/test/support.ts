import net from 'node:net';
import { LedgerClient } from '../src/index.js';

/** The service under test: scripts/test.sh (through the .NET client tests) starts one and sets these. */
export const baseUrl = process.env.LEDGER_URL ?? '';
export const adminKey = process.env.LEDGER_ADMIN_KEY ?? '';
if (!baseUrl || !adminKey) throw new Error('set LEDGER_URL and LEDGER_ADMIN_KEY to a running Ledger service (see clients/README.md)');

export const client = (url = baseUrl) => new LedgerClient({ baseUrl: url, apiKey: adminKey, retry: { baseDelayMs: 50 } });

/** A new account on the starter plan (10,000 credits, feature `ai`). */
export async function newAccount(prefix: string): Promise<string> {
  const accountId = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await client().createAccount({ accountId, plan: 'starter' });
  return accountId;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP proxy in front of the service that, for the first request whose bytes contain `match`, lets the request
 * through and then closes the client's connection instead of passing the response back: the write happened, the
 * caller saw a dropped connection.
 */
export async function droppingProxy(match: string) {
  const target = new URL(baseUrl);
  let armed = true;
  let dropped = 0;
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    let dropNextResponse = false;
    downstream.on('data', (chunk) => {
      if (armed && chunk.toString('latin1').includes(match)) { armed = false; dropNextResponse = true; }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (dropNextResponse) { dropped++; downstream.destroy(); upstream.destroy(); return; }
      downstream.write(chunk);
    });
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, dropped: () => dropped, close: () => new Promise((r) => server.close(r)) };
}
