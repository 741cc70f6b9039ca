import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { adminKey, baseUrl } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url)); // clients/typescript

test('the README quick start runs verbatim and prints what it promises', async () => {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const block = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'no js block under "## Quick start"');
  const file = `${root}build-test/quickstart.mjs`; // inside the package: '@ledger/client' resolves to itself
  await writeFile(file, block);
  const { stdout } = await promisify(execFile)('node', [file], { env: { ...process.env, LEDGER_URL: baseUrl, LEDGER_API_KEY: adminKey } });
  assert.match(stdout, /^an answer \(hold mtr_/m);
  assert.match(stdout, /^available 9880$/m);
  assert.match(stdout, /^failed: model overloaded$/m);
  assert.match(stdout, /^402 \/problems\/insufficient-credits available 9880$/m);
  assert.match(stdout, /reservation_committed/);
});
