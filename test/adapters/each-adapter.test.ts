// One harness over every adapter of the registry, on the bundled sample snapshot (every record kind of each):
// decode with the adapter alone → tree → encode --self-test → decode again gives the same tree; a record filter
// naming the adapter keeps exactly its records; a filter excluding it leaves none of them.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { RecordFilter } from '../../src/filter/record-filter.ts';
import { decodeWith, encodeWith, readTree } from '../helpers/adapter-harness.ts';

const sample = await fsp.readFile(new URL('../../examples/sample.fsm', import.meta.url).pathname);

for (const adapter of ALL_ADAPTERS) {
  const only = [adapter.name];

  test(`${adapter.name}: decode → tree → encode --self-test → decode gives the same tree`, async () => {
    const first = await decodeWith(ALL_ADAPTERS, sample, { selected: only });
    const files = await readTree(first.tree);
    assert.ok(files.size > 0, 'the sample holds records of every adapter');
    for (const name of files.keys()) assert.ok(name.startsWith(`${adapter.name}/`), name);
    const { fsm, result } = await encodeWith(ALL_ADAPTERS, first.tree, { selected: only, selfTest: true });
    assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
    const again = await decodeWith(ALL_ADAPTERS, fsm, { selected: only });
    assert.deepEqual(await readTree(again.tree), files);
  });

  test(`${adapter.name}: --include ${adapter.name} keeps exactly its records, --exclude ${adapter.name} none`, async () => {
    const alone = await readTree((await decodeWith(ALL_ADAPTERS, sample, { selected: only })).tree);
    const include = RecordFilter.parse([adapter.name], [], ALL_ADAPTERS);
    const kept = await decodeWith(ALL_ADAPTERS, sample, { ...(include !== undefined ? { filter: include } : {}) });
    assert.deepEqual(await readTree(kept.tree), alone);
    const exclude = RecordFilter.parse([], [adapter.name], ALL_ADAPTERS);
    const rest = await decodeWith(ALL_ADAPTERS, sample, { ...(exclude !== undefined ? { filter: exclude } : {}) });
    const left = [...(await readTree(rest.tree)).keys()];
    assert.ok(left.length > 0);
    assert.deepEqual(left.filter((name) => name.startsWith(`${adapter.name}/`)), []);
  });
}
