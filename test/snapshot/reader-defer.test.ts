import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { openSnapshotInput } from '../../src/snapshot/input.ts';
import { SnapshotReader, type SnapshotEntry } from '../../src/snapshot/reader.ts';
import { buildFsm, runtimeV1, type FsmRow } from '../helpers/fsm.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const MIN = 64 * 1024;
const TS = 1000n;

/** The rows of `file` read with values of MIN bytes and more left in the file (keys starting `n` excepted). */
async function readDeferring(file: Buffer): Promise<SnapshotEntry[]> {
  const path = join(await tempDir(), 'x.fsm');
  writeFileSync(path, file);
  const input = await openSnapshotInput(path);
  try {
    const skippable = input.skippable;
    assert.ok(skippable !== undefined, 'a plain regular file can skip');
    const reader = new SnapshotReader(input.source, {
      path,
      rereadCrc32c: input.rereadCrc32c,
      deferValues: { input: skippable, minBytes: MIN, headBytes: (k) => (k[0] === 0x6e ? 0 : 11) },
    });
    const out: SnapshotEntry[] = [];
    for await (const rec of reader.records()) if (rec.type === 'entry') out.push(rec);
    return out;
  } finally {
    input.close();
  }
}

test('large values are left in the file: the entry holds their first bytes and a range that reads back whole', async () => {
  const rows: FsmRow[] = [];
  const values = new Map<string, Buffer>();
  for (let i = 0; i < 40; i++) {
    // Sizes around the threshold, small ones, large ones, a key whose decoder takes no range (n…), a tombstone.
    const size = [10, MIN - 1, MIN, MIN + 1, 300 * 1024, 2 << 20][i % 6] as number;
    const key = `${i % 9 === 4 ? 'n' : 'k'}${String(i).padStart(3, '0')}`;
    const value = randomBytes(size);
    values.set(key, value);
    rows.push({ key, value, tombstone: i === 13 || i === 16, expireAt: BigInt(i) });
    if (i % 10 === 0) rows.push({ key, value: randomBytes(size), commitTs: TS - 1n }); // an older version
  }
  const entries = await readDeferring(buildFsm(TS, rows));
  assert.equal(entries.length, rows.length);
  let deferred = 0;
  for (const e of entries) {
    const key = e.userKey.toString('latin1');
    const newest = e.commitTs === TS;
    const want = newest ? (values.get(key) as Buffer) : undefined;
    const row = rows.find((r) => r.key === key && (r.commitTs ?? TS) === e.commitTs) as FsmRow;
    const size = row.value?.length as number;
    const expectDeferred = size >= MIN && key[0] !== 'n';
    assert.equal(e.deferred !== undefined, expectDeferred, `${key}@${e.commitTs} deferred`);
    assert.equal(e.tombstone, row.tombstone === true, `${key}@${e.commitTs} tombstone`);
    if (newest) assert.equal(e.expireAt, BigInt(Number(key.slice(1))));
    if (e.deferred === undefined) {
      if (want !== undefined) assert.deepEqual(e.value, want);
      continue;
    }
    deferred++;
    assert.equal(e.deferred.length, size);
    assert.equal(e.value.length, 11);
    const whole = await e.deferred.read();
    if (want !== undefined) assert.deepEqual(whole, want, key);
    assert.deepEqual(e.value, whole.subarray(0, 11));
    assert.deepEqual(await e.deferred.from(5).read(), whole.subarray(5));
  }
  assert.ok(deferred >= 20, `${deferred} values left in the file`);
});

test('rows left in the file are still checked: order, and a file cut inside one', async () => {
  const big = randomBytes(MIN + 10);
  const twice = buildFsm(TS, [{ key: 'k1', value: big }, { key: 'k1', value: big }], { sort: false });
  await assert.rejects(readDeferring(twice), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_DUPLICATE_KEY');
  const backwards = buildFsm(TS, [{ key: 'k2', value: big }, { key: 'k1', value: big }], { sort: false });
  await assert.rejects(readDeferring(backwards), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_KEY_ORDER');
  const whole = buildFsm(TS, [{ key: 'k1', value: big }, { key: 'k2', value: big }]);
  await assert.rejects(readDeferring(whole.subarray(0, whole.length - 100)), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_TRUNCATED');
});

test('a runtime file (CRC-32C over every byte) has nothing left in the file', async () => {
  const payload = buildFsm(TS, [{ key: 'k1', value: randomBytes(MIN * 2) }, { key: 'k2', value: randomBytes(MIN * 3) }]);
  const entries = await readDeferring(runtimeV1(payload));
  assert.equal(entries.length, 2);
  for (const e of entries) assert.equal(e.deferred, undefined);
});
