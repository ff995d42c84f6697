import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { isEkvError } from '../../src/errors.ts';
import { buildFsm } from '../helpers/fsm.ts';
import { decodeWith, encodeWith } from '../helpers/adapter-harness.ts';

const rows = [
  { key: '!redis|str|k', value: 'v' },
  { key: '!s3|bucket|meta|b', value: 'v' },
];

test('adapters not built yet: their rows refuse to decode when selected, count as Internal when not', async () => {
  await assert.rejects(decodeWith(ALL_ADAPTERS, buildFsm(1n, rows)), (e: unknown) => isEkvError(e) && e.code === 'ADAPTER_NOT_BUILT' && e.exitClass === 'data');
  const { result } = await decodeWith(ALL_ADAPTERS, buildFsm(1n, rows), { selected: ['redis'] });
  assert.equal(result.counters.internal, 1n);
  assert.equal(result.counters.redis, 1n);
});

test('adapters not built yet: encode refuses a tree holding their data and ignores an absent directory', async () => {
  const { tree } = await decodeWith(ALL_ADAPTERS, buildFsm(1n, [{ key: '!redis|str|k', value: 'v' }]));
  await encodeWith(ALL_ADAPTERS, tree);
  await fsp.mkdir(join(tree, 's3/bucket'), { recursive: true });
  await assert.rejects(encodeWith(ALL_ADAPTERS, tree), (e: unknown) => isEkvError(e) && e.code === 'ADAPTER_NOT_BUILT');
});
