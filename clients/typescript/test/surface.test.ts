import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LedgerClient, operationIndex } from '../src/index.js';
import { baseUrl } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url)); // clients/typescript (tests run from build-test/test)
const excluded = ['POST /v1/webhooks/stripe'];

async function liveOperations(): Promise<string[]> {
  const document = await (await fetch(`${baseUrl}/openapi/v1.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
}

test('the client has a method for every operation of the live OpenAPI document, and no other', async () => {
  const live = (await liveOperations()).filter((o) => !excluded.includes(o)).sort();
  assert.deepEqual(Object.values(operationIndex).sort(), live);
  for (const name of Object.keys(operationIndex)) {
    assert.equal(typeof (LedgerClient.prototype as unknown as Record<string, unknown>)[name], 'function', name);
  }
});

test('the checked-in generated code (schema.d.ts, operations, problems) is what the live service generates', async () => {
  const { stdout } = await promisify(execFile)('node', [`${root}../generate.mjs`, '--check', baseUrl]);
  assert.match(stdout, /clients match/);
});

test('calls.ts type-checks one call per operation of the live document', async () => {
  const source = await readFile(`${root}test/calls.ts`, 'utf8');
  const called = new Set([...source.matchAll(/client\.(\w+)\(/g)].map((m) => m[1]));
  const missing = Object.keys(operationIndex).filter((name) => !called.has(name));
  assert.deepEqual(missing, []);
  assert.equal((await liveOperations()).length - excluded.length, Object.keys(operationIndex).length);
});
