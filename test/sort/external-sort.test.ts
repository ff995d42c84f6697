import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ExternalSorter, mergeFanIn, mergeReadBlock } from '../../src/sort/external-sort.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

async function sortAll(records: Array<[Uint8Array, Uint8Array]>, budget: number, dir: string) {
  const s = new ExternalSorter({ scratchDir: dir, memoryBudget: budget });
  for (const [k, v] of records) await s.add(k, v);
  const spilled = s.spilledRuns;
  const out: Array<[Buffer, Buffer]> = [];
  for await (const r of s.sorted()) out.push([Buffer.from(r.key), Buffer.from(r.value)]);
  return { out, spilled };
}

function inMemory(records: Array<[Uint8Array, Uint8Array]>): Array<[Buffer, Buffer]> {
  return records
    .map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as [Buffer, Buffer])
    .sort((a, b) => Buffer.compare(a[0], b[0]));
}

test('property: spilling sort equals a stable in-memory sort (unsigned bytes, ties in insertion order)', async () => {
  const dir = await tempDir('ekv-sort-');
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 30 })), { maxLength: 300 }),
      // Small budgets keep one lane; 128 MiB gives every lane (random keys then close them).
      fc.oneof(fc.integer({ min: 200, max: 5000 }), fc.constant(128 * 1024 * 1024)),
      async (records, budget) => {
        const { out } = await sortAll(records, budget, join(dir, String(n++)));
        assert.deepEqual(out, inMemory(records));
      },
    ),
    { plugins: [fc.interruptAfterTimeLimit(3000)] },
  );
});

test('spills past the budget, merges many runs, and removes its run files', async () => {
  const dir = await tempDir('ekv-sort-');
  const records: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 5000 }, (_, i) => [Buffer.from(`k${(i * 7919) % 5000}`), Buffer.alloc(100, i)]);
  const { out, spilled } = await sortAll(records, 16 * 1024, dir);
  assert.ok(spilled > 10, `expected many runs, got ${spilled}`);
  assert.deepEqual(out, inMemory(records));
  assert.deepEqual(await readdir(dir), []);
});

test('values larger than the write block survive a spill', async () => {
  const dir = await tempDir('ekv-sort-');
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const { out } = await sortAll([[Buffer.from('b'), big], [Buffer.from('a'), Buffer.from('x')]], 1024, dir);
  assert.deepEqual(out.map(([k]) => k.toString()), ['a', 'b']);
  assert.ok(out[1]![1].equals(big));
});

test('run files read back in blocks: records across block edges and larger than a block, earlier ones still valid', async () => {
  const dir = await tempDir('ekv-sort-');
  // A 256 KiB budget reads each run in 32 KiB halves; values span them, and the 64 KiB kept for a carried record.
  const KiB = 1024;
  const sizes = [
    ...[0, 1, 5, 20000],
    ...[31 * KiB, 32 * KiB, 33 * KiB, 64 * KiB - 8, 64 * KiB, 64 * KiB + 9, 100 * KiB, 150 * KiB],
  ];
  const records: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 120 }, (_, i) => [
    Buffer.from(`k${String((i * 37) % 120).padStart(3, '0')}`),
    Buffer.alloc(sizes[i % sizes.length] as number, i),
  ]);
  const s = new ExternalSorter({ scratchDir: dir, memoryBudget: 256 * 1024 });
  for (const [k, v] of records) await s.add(k, v);
  assert.ok(s.spilledRuns > 1, `expected runs, got ${s.spilledRuns}`);
  const views: Array<[Uint8Array, Uint8Array]> = [];
  for await (const r of s.sorted()) views.push([r.key, r.value]);
  assert.deepEqual(
    views.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
    inMemory(records),
  );
});

test('the merge opens at most mergeFanIn(budget) runs: more runs are merged in passes, ties still in insertion order', async () => {
  const dir = await tempDir('ekv-sort-');
  const budget = 8 * 1024;
  const fanIn = mergeFanIn(budget);
  assert.ok(fanIn * mergeReadBlock(budget) <= Math.max(budget, 2 * mergeReadBlock(budget)));
  // Keys repeat (i % 97), values carry the insertion index: a stable sort keeps equal keys in index order.
  const records: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 6000 }, (_, i) => [Buffer.from(`k${(i * 7919) % 97}`), Buffer.from(String(i).padStart(6, '0'))]);
  const s = new ExternalSorter({ scratchDir: dir, memoryBudget: budget });
  for (const [k, v] of records) await s.add(k, v);
  assert.ok(s.spilledRuns > fanIn * fanIn, `expected more than ${fanIn * fanIn} runs, got ${s.spilledRuns}`);
  const out: Array<[Buffer, Buffer]> = [];
  for await (const r of s.sorted()) out.push([Buffer.from(r.key), Buffer.from(r.value)]);
  assert.deepEqual(out, inMemory(records));
  assert.ok(s.maxOpenRuns <= fanIn, `opened ${s.maxOpenRuns} runs at once, fan-in ${fanIn}`);
  assert.ok(s.mergePasses >= 2, `expected at least two intermediate passes, got ${s.mergePasses}`);
  assert.deepEqual(await readdir(dir), []);
});

test('fan-in grows with the budget and the merge buffers stay within it', () => {
  assert.equal(mergeFanIn(1024), 2);
  assert.equal(mergeFanIn(16 * 1024 * 1024), 64);
  assert.equal(mergeFanIn(256 * 1024 * 1024), 256);
  for (const budget of [64 * 1024 * 1024, 256 * 1024 * 1024, 4 * 1024 ** 3])
    assert.ok(mergeFanIn(budget) * mergeReadBlock(budget) <= budget);
});

test('input already in key order skips the sort: no run is spilled, the lane file is read back in order', async () => {
  const dir = await tempDir('ekv-sort-');
  const records: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 5000 }, (_, i) => [Buffer.from(`k${String(i).padStart(5, '0')}`), Buffer.alloc(100, i)]);
  const { out, spilled } = await sortAll(records, 16 * 1024, dir);
  assert.equal(spilled, 0);
  assert.deepEqual(out, inMemory(records));
  assert.deepEqual(await readdir(dir), []);
});

test('in-order records with a few stragglers (meta rows after the elements): ties keep insertion order', async () => {
  const dir = await tempDir('ekv-sort-');
  const records: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < 3000; i++) records.push([Buffer.from(`k${String(i % 1500).padStart(5, '0')}-${i < 1500 ? 'b' : 'a'}`), Buffer.from(String(i))]);
  for (let i = 0; i < 300; i++) records.push([Buffer.from(`k${String(i * 5).padStart(5, '0')}-b`), Buffer.from(`again-${i}`)]);
  for (const budget of [2048, 16 * 1024, 1 << 30]) {
    const { out } = await sortAll(records, budget, join(dir, String(budget)));
    assert.deepEqual(out, inMemory(records));
  }
});

/**
 * Records of `families` sequences, each in key order, interleaved as an encode emits them (a message's data row,
 * then its index rows, message after message); keys repeat within a family (ties), values carry the insertion index.
 */
function interleaved(families: number, perFamily: number): Array<[Uint8Array, Uint8Array]> {
  const records: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < perFamily; i++) {
    for (let f = 0; f < families; f++) {
      // Family f's keys start with a letter in an order unlike the emit order, so most rows go below the last one.
      const prefix = String.fromCharCode(0x61 + ((f * 7) % families));
      records.push([Buffer.from(`${prefix}|${String(Math.floor(i / 2)).padStart(6, '0')}`), Buffer.from(String(records.length))]);
    }
  }
  return records;
}

test('interleaved in-order sequences take a lane each: nothing is sorted, lane files spill, ties keep insertion order', async () => {
  const dir = await tempDir('ekv-sort-');
  const records = interleaved(16, 3000);
  const s = new ExternalSorter({ scratchDir: dir, memoryBudget: 128 * 1024 * 1024 });
  for (const [i, [k, v]] of records.entries()) {
    await s.add(k, v);
    if (i % 10_000 === 9_999) await s.giveBack(); // spills every lane to its file
  }
  const out: Array<[Buffer, Buffer]> = [];
  for await (const r of s.sorted()) out.push([Buffer.from(r.key), Buffer.from(r.value)]);
  assert.equal(s.spilledRuns, 0, 'no record was sorted into a run');
  assert.deepEqual(out, inMemory(records));
  assert.deepEqual(await readdir(dir), []);
  // Past the lanes a budget allows, the other sequences are sorted into runs, still in order.
  const small = await sortAll(interleaved(16, 300), 64 * 1024, join(dir, 'small'));
  assert.deepEqual(small.out, inMemory(interleaved(16, 300)));
});

test('property: interleaved sequences with stragglers and spills at any point equal a stable sort', async () => {
  const dir = await tempDir('ekv-sort-');
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 60 }),
      fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 4 })), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      fc.constantFrom(4096, 64 * 1024, 128 * 1024 * 1024),
      async (families, perFamily, stragglers, spills, budget) => {
        const records = interleaved(families, perFamily);
        for (const [at, key] of stragglers) records.splice(at % (records.length + 1), 0, [key, Buffer.from(`s${at}`)]);
        const s = new ExternalSorter({ scratchDir: join(dir, String(n++)), memoryBudget: budget });
        const spillAt = new Set(spills.map((x) => x % (records.length + 1)));
        for (const [i, [k, v]] of records.entries()) {
          if (spillAt.has(i)) await s.giveBack();
          await s.add(k, v);
        }
        const out: Array<[Buffer, Buffer]> = [];
        for await (const r of s.sorted()) out.push([Buffer.from(r.key), Buffer.from(r.value)]);
        assert.deepEqual(out, inMemory(records));
      },
    ),
    { plugins: [fc.interruptAfterTimeLimit(4000)] },
  );
});
