// The whole toolchain over all four adapters at once, on the bundled sample snapshot (every record kind):
// the drop-in CLIs round-trip it with the self-test, and tiny memory budgets (every sorter spilling to disk)
// give the same tree and the same snapshot as the default budget.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { decodeWith, encodeWith, readTree, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

test('drop-in CLIs: decode then encode --self-test over all four adapters reproduces the sample byte for byte', async () => {
  const dir = await tempDir('ekv-all-');
  const tree = join(dir, 'tree');
  const d = await runCli('elastickv-snapshot-decode', ['--input', sample, '--output', tree]);
  assert.equal(d.code, 0, d.stderr);
  for (const sub of ['redis/db_0/hashes', 'redis/db_0/streams', 'dynamodb/orders/items', 's3/photos', 'sqs/jobs.fifo']) await fsp.access(join(tree, sub));
  const out = join(dir, 'again.fsm');
  const e = await runCli('elastickv-snapshot-encode', ['-input', tree, '-output', out, '-self-test']);
  assert.equal(e.code, 0, e.stderr);
  assert.deepEqual(await fsp.readFile(out), await fsp.readFile(sample));
  const info = JSON.parse(await fsp.readFile(`${out}.encode_info.json`, 'utf8')) as { self_test: unknown; adapters_enabled: string[] };
  assert.deepEqual(info.self_test, { ran: true, matched: true });
  assert.deepEqual(info.adapters_enabled, ['redis', 'dynamodb', 's3', 'sqs']);
});

test('every sorter spilling (tiny memory budget) gives the same tree and the same snapshot', async () => {
  const bytes = await fsp.readFile(sample);
  const normal = await decodeWith(ALL_ADAPTERS, bytes);
  const tiny = await decodeWith(ALL_ADAPTERS, bytes, { memoryBudget: 16 * 1024 });
  assert.deepEqual(await readTree(tiny.tree), await readTree(normal.tree));
  const { fsm, result } = await encodeWith(ALL_ADAPTERS, tiny.tree, { memoryBudget: 8 * 1024, selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  assert.deepEqual(fsm, bytes);
});
