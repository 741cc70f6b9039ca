#!/usr/bin/env node
// Generates the three clients' API surface from a running service's OpenAPI document and problem catalog:
//   typescript/src/schema.d.ts (openapi-typescript), typescript/src/operations.ts, typescript/src/problems.ts,
//   python/ledger_client/_operations.py, python/ledger_client/_problems.py,
//   dotnet/Ledger.Client/Generated/Operations.g.cs, dotnet/Ledger.Client/Generated/Problems.g.cs
//
//   node clients/generate.mjs [--check] [BASE_URL]     (BASE_URL defaults to $LEDGER_URL)
//
// --check writes nothing: it exits 1 naming every file that differs from what the live service would generate
// (the drift test in CI). Needs `npm ci` in clients/typescript (openapi-typescript).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes('--check');
const baseUrl = (args.find((a) => !a.startsWith('--')) ?? process.env.LEDGER_URL ?? '').replace(/\/$/, '');
if (!baseUrl) { console.error('usage: node clients/generate.mjs [--check] BASE_URL (or set LEDGER_URL)'); process.exit(2); }

// Operations the clients do not expose, with the reason (the coverage tests read this list too).
export const excluded = { 'POST /v1/webhooks/stripe': 'called by Stripe with its own signature, never by a Ledger client' };

// Names by method and path; an operation missing here gets its operationId (ugly on purpose: name it here).
const names = {
  'GET /v1/accounts': 'listAccounts',
  'POST /v1/accounts': 'createAccount',
  'GET /v1/accounts/{accountId}': 'getAccount',
  'POST /v1/accounts/{accountId}/alerts': 'setAlerts',
  'GET /v1/accounts/{accountId}/events': 'listEvents',
  'GET /v1/accounts/{accountId}/balance': 'getBalance',
  'GET /v1/accounts/{accountId}/entitlements': 'getEntitlements',
  'POST /v1/accounts/{accountId}/grace': 'startGrace',
  'POST /v1/accounts/{accountId}/grace/end': 'endGrace',
  'POST /v1/accounts/{accountId}/suspend': 'suspendAccount',
  'POST /v1/accounts/{accountId}/restore': 'restoreAccount',
  'POST /v1/accounts/{accountId}/anomaly/clear': 'clearAnomaly',
  'POST /v1/accounts/{accountId}/grants': 'createGrant',
  'GET /v1/accounts/{accountId}/grants': 'listGrants',
  'POST /v1/accounts/{accountId}/grants/{grantId}/void': 'voidGrant',
  'POST /v1/accounts/{accountId}/plan': 'changePlan',
  'GET /v1/plans': 'getPlans',
  'GET /v1/accounts/{accountId}/quota': 'getQuota',
  'GET /v1/accounts/{accountId}/refunds': 'listRefunds',
  'POST /v1/accounts/{accountId}/refunds': 'createRefund',
  'GET /v1/accounts/{accountId}/reservations/{reservationId}': 'getReservation',
  'GET /v1/accounts/{accountId}/reservations': 'listReservations',
  'POST /v1/accounts/{accountId}/reservations': 'reserve',
  'POST /v1/accounts/{accountId}/reservations/{reservationId}/commit': 'commitReservation',
  'POST /v1/accounts/{accountId}/reservations/{reservationId}/release': 'releaseReservation',
  'POST /v1/accounts/{accountId}/reservations/{reservationId}/extend': 'extendReservation',
  'GET /v1/accounts/{accountId}/statement': 'getStatement',
  'GET /v1/accounts/{accountId}/usage': 'getUsageSeries',
  'POST /v1/accounts/{accountId}/usage': 'recordUsage',
  'GET /v1/accounts/{accountId}/usage-records': 'listUsageRecords',
  'POST /v1/accounts/{accountId}/checkout-sessions': 'createCheckoutSession',
  'POST /v1/admin/api-keys': 'createApiKey',
  'GET /v1/admin/api-keys': 'listApiKeys',
  'DELETE /v1/admin/api-keys/{keyId}': 'revokeApiKey',
  'GET /v1/admin/reconciliation': 'getReconciliation',
  'GET /v1/admin/metrics': 'getMetrics',
  'POST /v1/admin/projections/rebuild': 'rebuildProjections',
  'GET /v1/accounts/{accountId}/verify': 'verifyChain',
  'GET /v1/accounts/{accountId}/disputes/{reference}': 'getDisputePack',
  'GET /v1/admin/stripe-events': 'listStripeEvents',
  'GET /v1/admin/stripe-events/{eventId}': 'getStripeEvent',
  'POST /v1/admin/stripe-events/{eventId}/replay': 'replayStripeEvent',
  'GET /v1/admin/webhook-deliveries': 'listWebhookDeliveries',
  'POST /v1/admin/webhook-deliveries/{deliveryId}/resend': 'resendWebhookDelivery',
};

const camel = (s) => s.replace(/[^A-Za-z0-9]+(.)/g, (_, c) => c.toUpperCase()).replace(/^./, (c) => c.toLowerCase());
const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
const pythonKeywords = new Set(['from', 'import', 'class', 'def', 'global', 'in', 'is', 'not', 'or', 'and', 'pass', 'return', 'with', 'as', 'async', 'await', 'lambda', 'yield']);
const py = (s) => (pythonKeywords.has(snake(s)) ? `${snake(s)}_` : snake(s));
const csharpKeywords = new Set(['from', 'to', 'in', 'out', 'ref', 'base', 'class', 'event', 'object', 'string', 'operator', 'params', 'checked', 'fixed', 'lock', 'default', 'namespace']);
const cs = (s) => (csharpKeywords.has(camel(s)) ? `@${camel(s)}` : camel(s));
const pascal = (s) => camel(s).replace(/^./, (c) => c.toUpperCase());

async function get(path) {
  const response = await fetch(baseUrl + path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response.json();
}

/** The document's operations, in document order, as the generators need them. */
export function operations(document) {
  const list = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      if (excluded[key]) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const success = Object.keys(op.responses ?? {}).find((s) => s.startsWith('2'));
      const responseRef = op.responses?.[success]?.content?.['application/json']?.schema?.$ref;
      const bodyRef = op.requestBody?.content?.['application/json']?.schema?.$ref;
      list.push({
        key, method: method.toUpperCase(), path, name: names[key] ?? camel(op.operationId ?? key),
        summary: op.summary ?? '',
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody ? { ref: bodyRef?.split('/').pop(), required: !!op.requestBody.required } : null,
        response: responseRef?.split('/').pop() ?? null,
      });
    }
  }
  return list;
}

const header = (comment) => `${comment} Generated by clients/generate.mjs from the service's OpenAPI document and /problems: do not edit.\n`;

function typescriptOperations(ops) {
  const lines = [header('//'), `import type { Body, Json, Query } from './types.js';`, `import type { RequestOptions } from './http.js';`, ''];
  lines.push('/** Every v1 operation, one method each (the paths and types come from schema.d.ts). */');
  lines.push('export abstract class LedgerOperations {');
  lines.push('  protected abstract call<T>(method: string, path: string, pathParams: Record<string, string>, query: object | undefined, body: unknown, options?: RequestOptions): Promise<T>;');
  lines.push('');
  for (const op of ops) {
    const m = op.method.toLowerCase();
    const P = `'${op.path}'`, M = `'${m}'`;
    const params = op.pathParams.map((p) => `${p}: string`);
    if (op.body) params.push(`body${op.body.required ? '' : '?'}: Body<${P}, ${M}>`);
    if (op.query.length) params.push(`query?: Query<${P}, ${M}>`);
    params.push('options?: RequestOptions');
    lines.push(`  /** ${op.summary || op.key} (${op.key}) */`);
    lines.push(`  ${op.name}(${params.join(', ')}): Promise<Json<${P}, ${M}>> {`);
    lines.push(`    return this.call('${op.method}', ${P}, { ${op.pathParams.join(', ')} }, ${op.query.length ? 'query' : 'undefined'}, ${op.body ? 'body' : 'undefined'}, options);`);
    lines.push('  }');
    lines.push('');
  }
  lines.push('}', '');
  lines.push('/** Method and path of each operation, by method name (the coverage test compares it with the live document). */');
  lines.push('export const operationIndex = {');
  for (const op of ops) lines.push(`  ${op.name}: '${op.key}',`);
  lines.push('} as const;', '');
  return lines.join('\n');
}

function typescriptProblems(problems) {
  const lines = [header('//'), `import { LedgerError, type Problem } from './errors.js';`, ''];
  for (const p of problems) {
    lines.push(`/** ${p.status} ${p.code}: ${p.title}. ${p.whatToDo.replace(/\*\//g, '* /')} */`);
    lines.push(`export class ${pascal(p.code)}Error extends LedgerError {}`);
  }
  lines.push('', '/** The error class for each problem code. */');
  lines.push('export const problemErrors: Record<string, new (status: number, problem: Problem, headers: Headers) => LedgerError> = {');
  for (const p of problems) lines.push(`  '${p.code}': ${pascal(p.code)}Error,`);
  lines.push('};', '');
  return lines.join('\n');
}

function pythonOperations(ops) {
  const lines = [header('#'), 'from __future__ import annotations', '', 'from typing import Any, Mapping, Optional', '', '',
    'class Operations:', '    """Every v1 operation, one method each; answers are the JSON documents as dicts."""', '',
    '    def _call(self, method: str, path: str, path_params: Mapping[str, str], query: Optional[Mapping[str, Any]],',
    '              body: Any, idempotency_key: Optional[str] = None) -> Any:', '        raise NotImplementedError', ''];
  for (const op of ops) {
    const params = ['self', ...op.pathParams.map((p) => `${py(p)}: str`)];
    if (op.body) params.push(op.body.required ? 'body: Mapping[str, Any]' : 'body: Optional[Mapping[str, Any]] = None');
    const kw = [...op.query.map((q) => `${py(q)}: Any = None`)];
    if (op.method !== 'GET') kw.push('idempotency_key: Optional[str] = None');
    if (kw.length) params.push('*', ...kw);
    lines.push(`    def ${snake(op.name)}(${params.join(', ')}) -> Any:`);
    lines.push(`        """${(op.summary || op.key).replace(/"/g, "'")} ({${''}${op.key}})."""`.replace('{' + op.key + '}', op.key));
    const pathParams = `{${op.pathParams.map((p) => `"${p}": ${py(p)}`).join(', ')}}`;
    const query = op.query.length ? `{${op.query.map((q) => `"${q}": ${py(q)}`).join(', ')}}` : 'None';
    lines.push(`        return self._call("${op.method}", "${op.path}", ${pathParams}, ${query}, ${op.body ? 'body' : 'None'}${op.method !== 'GET' ? ', idempotency_key' : ''})`);
    lines.push('');
  }
  lines.push('', 'OPERATION_INDEX = {');
  for (const op of ops) lines.push(`    "${snake(op.name)}": "${op.key}",`);
  lines.push('}', '');
  return lines.join('\n');
}

function pythonProblems(problems) {
  const lines = [header('#'), 'from __future__ import annotations', '', 'from typing import Dict, Type', '', 'from .errors import LedgerError', ''];
  for (const p of problems) {
    lines.push('', `class ${pascal(p.code)}Error(LedgerError):`, `    """${p.status} ${p.code}: ${p.title.replace(/"/g, "'")}."""`, '');
  }
  lines.push('', 'PROBLEM_ERRORS: Dict[str, Type[LedgerError]] = {');
  for (const p of problems) lines.push(`    "${p.code}": ${pascal(p.code)}Error,`);
  lines.push('}', '');
  return lines.join('\n');
}

// .NET: responses with a model in Ledger.Client/Models.cs are typed; the others are JsonElement.
const dotnetModels = new Set(['AccountView', 'BalanceView', 'ReservationView', 'ReservationResponse', 'CommitResponse',
  'ReserveRequest', 'CommitRequest', 'ReleaseRequest', 'ExtendRequest', 'CreateAccountRequest', 'GrantRequest', 'GrantResponse',
  'UsageRequest', 'UsageResponse', 'AccountEventPage', 'ListPageOfReservationView', 'ListPageOfAccountView']);
const dotnetType = (schema) => (schema && dotnetModels.has(schema) ? schema : 'JsonElement');

function dotnetOperations(ops) {
  const lines = [header('//'), '#nullable enable', '', 'using System.Text.Json;', 'using System.Text.Json.Nodes;', '', 'namespace Ledger.Client;', '',
    '/// <summary>Every v1 operation, one method each.</summary>', 'public partial class LedgerClient', '{'];
  for (const op of ops) {
    const ret = dotnetType(op.response);
    const params = op.pathParams.map((p) => `string ${p}`);
    if (op.body) {
      const t = op.body.ref && dotnetModels.has(op.body.ref) ? op.body.ref : 'JsonObject';
      params.push(op.body.required ? `${t} body` : `${t}? body = null`);
    }
    for (const q of op.query) params.push(`string? ${cs(q)} = null`);
    if (op.method !== 'GET') params.push('string? idempotencyKey = null');
    params.push('CancellationToken cancellationToken = default');
    const path = op.path.replace(/\{([^}]+)\}/g, (_, p) => `{Escape(${p})}`);
    const query = op.query.length ? `[${op.query.map((q) => `("${q}", ${cs(q)})`).join(', ')}]` : 'null';
    const bodyArg = op.body ? (op.body.ref && dotnetModels.has(op.body.ref) ? `Content(body, LedgerJson.Default.${op.body.ref})` : 'Content(body)') : 'null';
    lines.push(`    /// <summary>${(op.summary || op.key).replace(/&/g, '&amp;').replace(/</g, '&lt;')} (<c>${op.key}</c>).</summary>`);
    lines.push(`    public Task<${ret}> ${pascal(op.name)}Async(${params.join(', ')}) =>`);
    lines.push(`        SendAsync(HttpMethod.${pascal(op.method.toLowerCase())}, $"${path}", ${query}, ${bodyArg}, ${op.method !== 'GET' ? 'idempotencyKey' : 'null'}, LedgerJson.Default.${ret}, cancellationToken);`);
    lines.push('');
  }
  lines.push('    /// <summary>Method and path of each operation, by method name (the coverage test compares it with the live document).</summary>');
  lines.push('    public static IReadOnlyDictionary<string, string> OperationIndex { get; } = new Dictionary<string, string>');
  lines.push('    {');
  for (const op of ops) lines.push(`        ["${pascal(op.name)}Async"] = "${op.key}",`);
  lines.push('    };', '}', '');
  return lines.join('\n');
}

function dotnetProblems(problems) {
  const lines = [header('//'), '#nullable enable', '', 'using System.Net.Http.Headers;', 'using System.Text.Json;', '', 'namespace Ledger.Client;', ''];
  for (const p of problems) {
    lines.push(`/// <summary>${p.status} <c>${p.code}</c>: ${p.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}.</summary>`);
    lines.push(`public sealed class ${pascal(p.code)}Exception(int status, JsonElement problem, HttpResponseHeaders? headers) : LedgerException(status, problem, headers);`);
  }
  lines.push('', 'public abstract partial class LedgerException', '{');
  lines.push('    private static readonly Dictionary<string, Func<int, JsonElement, HttpResponseHeaders?, LedgerException>> ByCode = new()');
  lines.push('    {');
  for (const p of problems) lines.push(`        ["${p.code}"] = (s, p, h) => new ${pascal(p.code)}Exception(s, p, h),`);
  lines.push('    };', '}', '');
  return lines.join('\n');
}

async function main() {
  const document = await get('/openapi/v1.json');
  const problems = (await get('/problems')).items;
  const ops = operations(document);
  const { default: openapiTS, astToString } = await import(pathToFileURL(join(here, 'typescript', 'node_modules', 'openapi-typescript', 'dist', 'index.mjs')).href);
  const schema = header('//') + astToString(await openapiTS(document));
  const files = {
    'typescript/src/schema.d.ts': schema,
    'typescript/src/operations.ts': typescriptOperations(ops),
    'typescript/src/problems.ts': typescriptProblems(problems),
    'python/ledger_client/_operations.py': pythonOperations(ops),
    'python/ledger_client/_problems.py': pythonProblems(problems),
    'dotnet/Ledger.Client/Generated/Operations.g.cs': dotnetOperations(ops),
    'dotnet/Ledger.Client/Generated/Problems.g.cs': dotnetProblems(problems),
  };
  const stale = [];
  for (const [file, text] of Object.entries(files)) {
    const full = join(here, file);
    let current = null;
    try { current = readFileSync(full, 'utf8'); } catch { /* missing */ }
    if (current === text) continue;
    stale.push(file);
    if (!check) { mkdirSync(dirname(full), { recursive: true }); writeFileSync(full, text); }
  }
  if (check && stale.length) {
    console.error(`generated clients differ from ${baseUrl} (run: node clients/generate.mjs ${baseUrl}):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(check ? `clients match ${baseUrl} (${ops.length} operations, ${problems.length} problem types)` : `${stale.length} file(s) written`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
