import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { redisAdapter } from '../../src/adapters/redis/index.ts';
import { u32be, u64be } from '../../src/bytes/big-endian.ts';
import { decodeSnapshot } from '../../src/pipeline/decode.ts';
import { encodeSnapshot } from '../../src/pipeline/encode.ts';
import { ExternalSorter } from '../../src/sort/external-sort.ts';
import { MemoryPool } from '../../src/sort/memory-pool.ts';
import { tempDir, readTree } from '../helpers/adapter-harness.ts';
import { buildFsm, type FsmRow } from '../helpers/fsm.ts';

const lp = (prefix: string, k: string, ...tail: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(prefix), u32be(k.length), Buffer.from(k), ...tail]);
const pad = (i: number): string => String(i).padStart(5, '0');
const filler = (n: number, seed: number): string => String(seed).repeat(n).slice(0, n);

/**
 * Every sorter of the Redis decoder busy at once: hashes, lists, sets and sorted sets (one sorter each), legacy
 * strings with `!redis|ttl|` rows (the type and TTL joins and the TTL lines), and one file digest per key.
 */
function redisHeavyRows(keys: number): FsmRow[] {
  const rows: FsmRow[] = [];
  for (let k = 0; k < keys; k++) {
    const key = `key:${pad(k)}`;
    for (let f = 0; f < 8; f++) rows.push({ key: lp('!hs|fld|', key, Buffer.from(`field:${f}`)), value: filler(400, k + f) });
    rows.push({ key: lp('!hs|meta|', key), value: u64be(8n) });
    for (let i = 0; i < 8; i++) rows.push({ key: Buffer.concat([Buffer.from(`!lst|itm|${key}`), u64be(0x8000000000000000n + BigInt(i))]), value: filler(300, k * i) });
    rows.push({ key: `!lst|meta|${key}`, value: Buffer.concat([u64be(0n), u64be(8n), u64be(8n)]) });
    rows.push({ key: `!redis|str|${key}`, value: filler(200, k) });
    rows.push({ key: `!redis|ttl|${key}`, value: u64be(1788998400000n + BigInt(k)) });
    for (let m = 0; m < 8; m++) rows.push({ key: lp('!st|mem|', key, Buffer.from(`member:${filler(100, m)}`)) });
    rows.push({ key: lp('!st|meta|', key), value: u64be(8n) });
    const score = Buffer.alloc(8);
    for (let m = 0; m < 8; m++) {
      score.writeDoubleBE(m * 1.5);
      rows.push({ key: lp('!zs|mem|', key, Buffer.from(`member:${filler(100, m)}`)), value: Buffer.from(score) });
    }
    rows.push({ key: lp('!zs|meta|', key), value: u64be(8n) });
  }
  return rows;
}

/** A dump tree of redisHeavyRows(600) under a new temporary directory, and that directory. */
async function redisHeavyTree(): Promise<{ dir: string; tree: string }> {
  const dir = await tempDir('ekv-pool-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, buildFsm(1000n, redisHeavyRows(600)));
  const tree = join(dir, 'tree');
  await decodeSnapshot({ input, output: tree, adapters: [redisAdapter] });
  return { dir, tree };
}

test('a shared pool grants within its budget and has the largest buffer spill when short', async () => {
  const dir = await tempDir('ekv-pool-');
  const pool = new MemoryPool(64 * 1024);
  const a = new ExternalSorter({ scratchDir: join(dir, 'a'), pool });
  const b = new ExternalSorter({ scratchDir: join(dir, 'b'), pool });
  for (let i = 0; i < 600; i++) await a.add(Buffer.from(`a${pad(599 - i)}`), Buffer.alloc(100, 1));
  for (let i = 0; i < 600; i++) await b.add(Buffer.from(`b${pad(599 - i)}`), Buffer.alloc(100, 2));
  assert.ok(a.spilledRuns > 0 && b.spilledRuns > 0, 'both sorters spilled');
  assert.ok(pool.peak <= pool.budget, `peak ${pool.peak} > budget ${pool.budget}`);
  let n = 0;
  for await (const r of a.sorted()) assert.equal(r.key.toString(), `a${pad(n++)}`);
  assert.equal(n, 600);
  await b.dispose();
  assert.equal(pool.live, 0);
});

test('decoding a Redis-heavy snapshot keeps every sorter together within --memory-budget', async () => {
  const dir = await tempDir('ekv-pool-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, buildFsm(1000n, redisHeavyRows(600)));
  const budget = 1024 * 1024;
  const pool = new MemoryPool(budget);
  const decode = (output: string, opts: { memoryPool?: MemoryPool }) =>
    decodeSnapshot({ input, output, adapters: [redisAdapter], versions: 'all', memoryBudget: budget, ...opts });
  await decode(join(dir, 'small'), { memoryPool: pool });
  assert.ok(pool.peak > budget / 2, `the input should press on the budget (peak ${pool.peak})`);
  assert.ok(pool.peak <= budget, `live reservations reached ${pool.peak} bytes, budget ${budget}`);
  assert.equal(pool.live, 0, 'every reservation is given back');
  const large = new MemoryPool(256 * 1024 * 1024);
  await decode(join(dir, 'large'), { memoryPool: large });
  assert.deepEqual(await readTree(join(dir, 'small')), await readTree(join(dir, 'large')));
});

test('encoding a Redis-heavy tree keeps the row sorter and every adapter sorter together within --memory-budget', async () => {
  const { dir, tree } = await redisHeavyTree();
  const budget = 1024 * 1024;
  const pool = new MemoryPool(budget);
  await encodeSnapshot({ input: tree, output: join(dir, 'small.fsm'), adapters: [redisAdapter], memoryBudget: budget, memoryPool: pool });
  assert.ok(pool.peak > budget / 2, `the input should press on the budget (peak ${pool.peak})`);
  assert.ok(pool.peak <= budget, `live reservations reached ${pool.peak} bytes, budget ${budget}`);
  assert.equal(pool.live, 0, 'every reservation is given back');
  await encodeSnapshot({ input: tree, output: join(dir, 'large.fsm'), adapters: [redisAdapter] });
  assert.deepEqual(await fsp.readFile(join(dir, 'small.fsm')), await fsp.readFile(join(dir, 'large.fsm')));
});

test('encode --self-test: its decode and its comparison reserve from the run\'s one pool, within --memory-budget', async () => {
  const { dir, tree } = await redisHeavyTree();
  const budget = 1024 * 1024;
  const pool = new MemoryPool(budget);
  let selfTestPeak = 0;
  const result = await encodeSnapshot({
    input: tree,
    output: join(dir, 'out.fsm'),
    adapters: [redisAdapter],
    memoryBudget: budget,
    memoryPool: pool,
    selfTest: true,
    onProgress: (p) => {
      if (p.phase.startsWith('self-test')) selfTestPeak = Math.max(selfTestPeak, pool.live);
    },
  });
  assert.equal(result.selfTest.matched, true);
  assert.ok(selfTestPeak > budget / 4, `the self-test's sorters should reserve from the run's pool (live ${selfTestPeak})`);
  assert.ok(pool.peak <= budget, `live reservations reached ${pool.peak} bytes, budget ${budget}`);
  assert.equal(pool.live, 0, 'every reservation is given back');
});
