import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { redisAdapter } from '../../../src/adapters/redis/index.ts';
import { isEkvError } from '../../../src/errors.ts';
import { buildFsm, type FsmRow } from '../../helpers/fsm.ts';
import { decodeWith, encodeWith, readTree, rowsOf } from '../../helpers/adapter-harness.ts';

// What a live node leaves after HSET+HDEL, RPUSH+LPOP, SADD+SREM and ZADD+ZREM of the only element (the rows of
// ../shared/conformance-live/emptied): the element row is a tombstone over its old version, the meta delta rows
// (+1 then -1) stay, no base meta row; ZREM of the last member also deletes its delta.
const adapters = [redisAdapter];

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
};
const lp = (prefix: string, k: string): Buffer => Buffer.concat([Buffer.from(prefix), be32(k.length), Buffer.from(k)]);
const delta = (prefix: string, k: string, ts: bigint, seq: number): Buffer =>
  Buffer.concat([lp(prefix, k), be64(ts), be32(seq)]);
const item0 = Buffer.from('8000000000000000', 'hex');

const EXPIRY = 1796408148806n;

const EMPTIED: FsmRow[] = [
  { key: Buffer.concat([lp('!hs|fld|', 'e:hash'), Buffer.from('only')]), value: '1', commitTs: 10n },
  { key: Buffer.concat([lp('!hs|fld|', 'e:hash'), Buffer.from('only')]), tombstone: true, commitTs: 11n },
  { key: delta('!hs|meta|d|', 'e:hash', 10n, 0), value: be64(1n), commitTs: 10n },
  { key: delta('!hs|meta|d|', 'e:hash', 11n, 1), value: be64(-1n), commitTs: 11n },
  { key: '!redis|txn-wide-hash|e:hash', commitTs: 10n },
  { key: '!redis|ttl|e:hash', value: be64(EXPIRY), commitTs: 12n },
  { key: Buffer.concat([Buffer.from('!lst|itm|e:list'), item0]), value: 'a', commitTs: 20n },
  { key: Buffer.concat([Buffer.from('!lst|itm|e:list'), item0]), tombstone: true, commitTs: 21n },
  { key: Buffer.concat([Buffer.from('!lst|claim|'), be32(6), Buffer.from('e:list'), item0]), commitTs: 21n },
  { key: delta('!lst|meta|d|', 'e:list', 20n, 0), value: Buffer.concat([be64(0n), be64(1n)]), commitTs: 20n },
  { key: delta('!lst|meta|d|', 'e:list', 21n, 0), value: Buffer.concat([be64(1n), be64(-1n)]), commitTs: 21n },
  { key: Buffer.concat([lp('!st|mem|', 'e:set'), Buffer.from('m')]), commitTs: 30n },
  { key: Buffer.concat([lp('!st|mem|', 'e:set'), Buffer.from('m')]), tombstone: true, commitTs: 31n },
  { key: delta('!st|meta|d|', 'e:set', 30n, 0), value: be64(1n), commitTs: 30n },
  { key: delta('!st|meta|d|', 'e:set', 31n, 0), value: be64(-1n), commitTs: 31n },
  { key: '!redis|ttl|e:set', value: be64(EXPIRY + 1n), commitTs: 32n },
  { key: Buffer.concat([lp('!zs|mem|', 'e:zset'), Buffer.from('m')]), value: be64(0x3ff0000000000000n), commitTs: 40n },
  { key: Buffer.concat([lp('!zs|mem|', 'e:zset'), Buffer.from('m')]), tombstone: true, commitTs: 41n },
  { key: delta('!zs|meta|d|', 'e:zset', 40n, 0), value: be64(1n), commitTs: 40n },
  { key: delta('!zs|meta|d|', 'e:zset', 40n, 0), tombstone: true, commitTs: 41n },
  // A hash whose base meta row says 2 and whose delta says -1: one field, and no length-mismatch warning.
  { key: lp('!hs|meta|', 'h2'), value: be64(2n), commitTs: 50n },
  { key: Buffer.concat([lp('!hs|fld|', 'h2'), Buffer.from('b')]), value: '2', commitTs: 50n },
  { key: delta('!hs|meta|d|', 'h2', 51n, 0), value: be64(-1n), commitTs: 51n },
  // A set known only from a delta row (no member in any version).
  { key: delta('!st|meta|d|', 'only-delta', 60n, 0), value: be64(0n), commitTs: 60n },
];

test('emptied collections: delta rows alone keep a hash, list or set as an empty document with its TTL', async () => {
  const warnings: string[] = [];
  const { tree } = await decodeWith(adapters, buildFsm(100n, EMPTIED), { versions: 'latest', warn: (e) => warnings.push(e) });
  const f = await readTree(join(tree, 'redis/db_0'));
  const doc = (p: string): string | undefined => f.get(p)?.toString();
  assert.equal(doc('hashes/e%3Ahash.json'), `{\n  "format_version": 1,\n  "fields": [],\n  "expire_at_ms": ${EXPIRY}\n}`);
  assert.equal(doc('lists/e%3Alist.json'), '{\n  "format_version": 1,\n  "items": [],\n  "expire_at_ms": null\n}');
  assert.equal(doc('sets/e%3Aset.json'), `{\n  "format_version": 1,\n  "members": [],\n  "expire_at_ms": ${EXPIRY + 1n}\n}`);
  assert.equal(doc('sets/only-delta.json'), '{\n  "format_version": 1,\n  "members": [],\n  "expire_at_ms": null\n}');
  assert.ok(!f.has('zsets/e%3Azset.json'), 'ZREM of the last member deletes the delta too: no sorted set');
  assert.deepEqual((JSON.parse(doc('hashes/h2.json') ?? '') as { fields: unknown }).fields, [{ name: 'b', value: '2' }]);
  assert.deepEqual(warnings, [], 'deltas count in the declared length');
  assert.deepEqual([...f.keys()].sort(), ['hashes/e%3Ahash.json', 'hashes/h2.json', 'lists/e%3Alist.json', 'sets/e%3Aset.json', 'sets/only-delta.json']);

  // Encode: an empty base meta row (what the node reads as an existing, empty collection) and the TTL rows;
  // the self-test decodes them back to the same documents.
  const { fsm, result } = await encodeWith(adapters, tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  const rows = new Map((await rowsOf(fsm)).map(([k, v]) => [k.toString('latin1'), v.toString('hex')]));
  assert.equal(rows.get(lp('!hs|meta|', 'e:hash').toString('latin1')), `0000000000000000${be64(EXPIRY).toString('hex')}`);
  assert.equal(rows.get('!lst|meta|e:list'), '000000000000000000000000000000000000000000000000');
  assert.equal(rows.get(lp('!st|meta|', 'e:set').toString('latin1')), `0000000000000000${be64(EXPIRY + 1n).toString('hex')}`);
  assert.equal(rows.get('!redis|ttl|e:hash'), be64(EXPIRY).toString('hex'));
});

test('emptied collections: with every version (the reference) delta rows are read past', async () => {
  const { tree } = await decodeWith(adapters, buildFsm(100n, EMPTIED), { versions: 'all' });
  const f = await readTree(join(tree, 'redis/db_0'));
  assert.ok(!f.has('sets/only-delta.json'));
  assert.deepEqual((JSON.parse(f.get('hashes/e%3Ahash.json')?.toString() ?? '') as { fields: unknown }).fields, [{ name: 'only', value: '1' }], 'the reference resurrects the element');
});

test('malformed meta delta rows are data errors naming the key', async () => {
  for (const row of [
    { key: delta('!hs|meta|d|', 'k', 1n, 0).subarray(0, 20), value: be64(1n) },
    { key: delta('!lst|meta|d|', 'k', 1n, 0), value: be64(1n) },
  ]) {
    await assert.rejects(decodeWith(adapters, buildFsm(100n, [row]), { versions: 'latest' }), (err: unknown) => isEkvError(err) && (err.code === 'REDIS_INVALID_KEY' || err.code === 'REDIS_INVALID_META'));
  }
});
