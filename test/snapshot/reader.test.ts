import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '@node-rs/crc32';
import { isEkvError } from '../../src/errors.ts';
import { MAX_ENCODED_KEY, MAX_ENCODED_VALUE } from '../../src/snapshot/format.ts';
import { SnapshotReader, type SnapshotRecord } from '../../src/snapshot/reader.ts';
import { buildFsm, fsmHeader, rawEntry, runtimeV1 } from '../helpers/fsm.ts';

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readAll(buf: Buffer, chunkSize = 1 << 20) {
  const r = new SnapshotReader(chunks(buf, Math.max(1, chunkSize)), { path: 'x.fsm' });
  const header = await r.header();
  const records: SnapshotRecord[] = [];
  for await (const rec of r.records()) records.push(rec);
  return { header, records, container: r.container! };
}

async function errorCode(buf: Buffer, chunkSize?: number): Promise<string> {
  try {
    await readAll(buf, chunkSize);
  } catch (err) {
    assert.ok(isEkvError(err), `typed error expected, got ${String(err)}`);
    assert.equal(err.exitClass, 'data');
    return err.code;
  }
  return 'OK';
}

const sample = buildFsm(1000n, [
  { key: '!redis|str|a', value: 'one' },
  { key: '!redis|str|b', value: 'two', expireAt: 99n },
  { key: '!redis|str|c', value: '', tombstone: true },
  { key: '!redis|str|d', value: '', expireAt: 77n },
  { key: '', value: 'empty key' },
]);

test('header-only file: header, no records', async () => {
  const { header, records, container } = await readAll(fsmHeader(42n));
  assert.equal(header.lastCommitTs, 42n);
  assert.equal(records.length, 0);
  assert.equal(container.kind, 'native');
});

test('entries decode with key, commit ts, expireAt, tombstone, empty key and empty body', async () => {
  const { records } = await readAll(sample);
  const entries = records.filter((r) => r.type === 'entry');
  assert.deepEqual(
    entries.map((e) => [e.userKey.toString(), e.value.toString(), e.commitTs, e.expireAt, e.tombstone]),
    [
      ['!redis|str|a', 'one', 1000n, 0n, false],
      ['!redis|str|b', 'two', 1000n, 99n, false],
      ['!redis|str|c', '', 1000n, 0n, true],
      ['!redis|str|d', '', 1000n, 77n, false],
      // The empty user key's encoded form is only the inverted timestamp (0xFF…), so it sorts last.
      ['', 'empty key', 1000n, 0n, false],
    ],
  );
  assert.equal(entries[0]!.offset, 16);
});

test('commit ts is the complement of the big-endian suffix', async () => {
  const buf = buildFsm(5n, [{ key: 'k', value: 'v', commitTs: 0x0102030405060708n }]);
  assert.deepEqual(buf.subarray(16 + 8 + 1, 16 + 8 + 9), Buffer.from('fefdfcfbfaf9f8f7', 'hex'));
  const { records } = await readAll(buf);
  assert.equal((records[0] as { commitTs: bigint }).commitTs, 0x0102030405060708n);
});

test('chunk-boundary independence: whole, one byte at a time, and every split size give the same records', async () => {
  const whole = await readAll(sample);
  for (const size of [1, 2, 3, 7, 8, 9, 16, 17, 31]) {
    const got = await readAll(sample, size);
    assert.deepEqual(got.records, whole.records, `chunk size ${size}`);
  }
});

test('truncation at every prefix length: a typed error or a clean end exactly on an entry boundary', async () => {
  const { records } = await readAll(sample);
  const boundaries = new Set([16, ...records.map((r) => r.offset + r.size)]);
  for (let n = 0; n < sample.length; n++) {
    const code = await errorCode(sample.subarray(0, n), 5);
    if (boundaries.has(n)) assert.equal(code, 'OK', `prefix ${n}`);
    else if (n === 0) assert.equal(code, 'SNAPSHOT_EMPTY');
    else assert.equal(code, 'SNAPSHOT_TRUNCATED', `prefix ${n}`);
  }
});

test('bad magic, and runtime-style magic with an unknown version', async () => {
  assert.equal(await errorCode(Buffer.from('NOTMAGIC00000000')), 'SNAPSHOT_BAD_MAGIC');
  assert.equal(await errorCode(Buffer.from('EKVMVCC200000000')), 'SNAPSHOT_BAD_MAGIC');
  assert.equal(await errorCode(Buffer.from('EKVTHLC900000000')), 'SNAPSHOT_RUNTIME_HEADER_UNKNOWN');
  await assert.rejects(readAll(Buffer.from('XKVPBBL1\0\0\0\0\0\0\0\0')), /does not match "EKVPBBL1": got "XKVPBBL1"/);
});

test('length caps are checked before reading: cap accepted, cap+1 rejected', async () => {
  const over = Buffer.alloc(8);
  over.writeBigUInt64LE(BigInt(MAX_ENCODED_KEY + 1));
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), over])), 'SNAPSHOT_KEY_TOO_LARGE');
  const huge = Buffer.alloc(8, 0xff); // 2^64-1: must not allocate
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), huge])), 'SNAPSHOT_KEY_TOO_LARGE');
  const atCap = Buffer.concat([fsmHeader(1n), rawEntry(Buffer.alloc(MAX_ENCODED_KEY, 0x61), Buffer.alloc(9))]);
  assert.equal(await errorCode(atCap), 'OK');
  const vl = Buffer.alloc(8);
  vl.writeBigUInt64LE(BigInt(MAX_ENCODED_VALUE + 1));
  const key = Buffer.alloc(9, 0x61);
  const kl = Buffer.alloc(8);
  kl.writeBigUInt64LE(9n);
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), kl, key, vl])), 'SNAPSHOT_VALUE_TOO_LARGE');
});

test('short key and short value, checked only after the whole entry was read', async () => {
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), rawEntry(Buffer.from('abc'), Buffer.alloc(9))])), 'SNAPSHOT_SHORT_KEY');
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), rawEntry(Buffer.alloc(8), Buffer.alloc(8))])), 'SNAPSHOT_SHORT_VALUE');
  // A 3-byte key followed by a truncated value reports truncation, not the short key.
  const kl = Buffer.alloc(8);
  kl.writeBigUInt64LE(3n);
  assert.equal(await errorCode(Buffer.concat([fsmHeader(1n), kl, Buffer.from('abc'), Buffer.alloc(4)])), 'SNAPSHOT_TRUNCATED');
});

test('flags byte: encrypted entries and reserved states/bits are rejected, also on tombstones', async () => {
  const withFlags = (flags: number): Buffer => buildFsm(1n, [{ key: 'k', value: 'v', flags }]);
  assert.equal(await errorCode(withFlags(0x02)), 'SNAPSHOT_ENCRYPTED_ENTRY');
  assert.equal(await errorCode(withFlags(0x03)), 'SNAPSHOT_ENCRYPTED_ENTRY');
  assert.equal(await errorCode(withFlags(0x04)), 'SNAPSHOT_ENCRYPTED_RESERVED');
  assert.equal(await errorCode(withFlags(0x06)), 'SNAPSHOT_ENCRYPTED_RESERVED');
  for (const bit of [0x08, 0x10, 0x80]) assert.equal(await errorCode(withFlags(bit)), 'SNAPSHOT_ENCRYPTED_RESERVED');
  await assert.rejects(readAll(withFlags(0x80)), /value header byte 0b10000000/);
});

test('errors carry the entry offset and the file name', async () => {
  const buf = Buffer.concat([sample, rawEntry(Buffer.from('abc'), Buffer.alloc(9))]);
  await assert.rejects(readAll(buf), (err: unknown) => isEkvError(err) && err.context.offset === sample.length && /x\.fsm/.test(err.message));
});

function runtimeV2(payload: Buffer, len = 16): Buffer {
  const h = Buffer.alloc(Math.max(26, 10 + len));
  h.write('EKVTHLC2', 'latin1');
  h.writeUInt16BE(len, 8);
  h.writeBigUInt64BE(88n, 10);
  h.writeBigUInt64BE(12345n, 18);
  const body = Buffer.concat([h.subarray(0, 10 + len), payload]);
  const f = Buffer.alloc(4);
  f.writeUInt32BE(crc32c(body) >>> 0);
  return Buffer.concat([body, f]);
}

test('runtime fsm-snap files: EKVTHLC1/2 headers and the CRC-32C footer are read and verified', async () => {
  const whole = await readAll(sample);
  const v1 = await readAll(runtimeV1(sample), 3);
  // Rows as plain objects: an entry's commit timestamp and expiry are read on demand, not own properties.
  const plain = (r: SnapshotRecord, shift = 0) => (r.type === 'entry' ? { ...r, commitTs: r.commitTs, expireAt: r.expireAt, offset: r.offset + shift } : { ...r, offset: r.offset + shift });
  assert.deepEqual(v1.records.map((r) => plain(r)), whole.records.map((r) => plain(r, 16)));
  assert.equal(v1.container.kind, 'runtime-v1');
  assert.equal(v1.header.runtime?.ceilingMs, 77n);
  const v2 = await readAll(runtimeV2(sample, 20), 1);
  assert.equal(v2.container.kind, 'runtime-v2');
  assert.equal(v2.header.runtime?.cutoverIndex, 12345n);
  assert.equal(v2.records.length, whole.records.length);
  const bad = runtimeV1(sample);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  assert.equal(await errorCode(bad), 'SNAPSHOT_CRC_MISMATCH');
  const corrupt = runtimeV1(sample);
  corrupt[40] = corrupt[40]! ^ 0x20;
  assert.notEqual(await errorCode(corrupt), 'OK');
  assert.equal(await errorCode(runtimeV1(sample).subarray(0, -1)), 'SNAPSHOT_TRUNCATED');
  assert.equal(await errorCode(runtimeV2(sample, 15)), 'SNAPSHOT_RUNTIME_HEADER_INVALID');
  assert.equal(await errorCode(runtimeV2(sample, 1025)), 'SNAPSHOT_RUNTIME_HEADER_INVALID');
});

test('headerless payload with a valid CRC footer is accepted; random 4 trailing bytes are truncation', async () => {
  const f = Buffer.alloc(4);
  f.writeUInt32BE(crc32c(sample) >>> 0);
  const legacy = await readAll(Buffer.concat([sample, f]));
  assert.equal(legacy.container.kind, 'native-with-footer');
  f[0] = f[0]! ^ 0xff;
  assert.equal(await errorCode(Buffer.concat([sample, f])), 'SNAPSHOT_TRUNCATED');
});

test('with a way to re-read the input, a headerless payload is checksummed only when a footer follows it', async () => {
  const footer = (b: Buffer): Buffer => {
    const f = Buffer.alloc(4);
    f.writeUInt32BE(crc32c(b) >>> 0);
    return f;
  };
  /** Reads `buf` with a re-read that answers from `buf` itself (or from `other`), counting its calls. */
  const read = async (buf: Buffer, other = buf) => {
    const calls: number[] = [];
    const r = new SnapshotReader(chunks(buf, 5), {
      path: 'x.fsm',
      rereadCrc32c: async (bytes) => {
        calls.push(bytes);
        return crc32c(other.subarray(0, bytes)) >>> 0;
      },
    });
    await r.header();
    for await (const batch of r.batches()) assert.ok(batch.length > 0);
    return { container: r.container!, calls };
  };
  const plainRead = await read(sample);
  assert.equal(plainRead.container.kind, 'native');
  assert.deepEqual(plainRead.calls, [], 'no footer, no CRC');
  const legacy = await read(Buffer.concat([sample, footer(sample)]));
  assert.equal(legacy.container.kind, 'native-with-footer');
  assert.equal(legacy.container.crc32c, crc32c(sample) >>> 0);
  assert.deepEqual(legacy.calls, [sample.length]);
  const bad = Buffer.concat([sample, footer(sample)]);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  await assert.rejects(read(bad), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_TRUNCATED');
  // The re-read's answer is what is checked: a file that differs from what streamed by fails.
  const changed = Buffer.from(sample);
  changed[30] = changed[30]! ^ 1;
  await assert.rejects(read(Buffer.concat([sample, footer(sample)]), changed), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_TRUNCATED');
  // A runtime file is checksummed as it streams by, whatever the options: the re-read is never asked.
  const v1 = await read(runtimeV1(sample));
  assert.equal(v1.container.kind, 'runtime-v1');
  assert.deepEqual(v1.calls, []);
  const badV1 = runtimeV1(sample);
  badV1[40] = badV1[40]! ^ 0x20;
  await assert.rejects(read(badV1), (e: unknown) => isEkvError(e));
});

test("a live node's operational rows are reported instead of failing the read", async () => {
  const meta = (name: string, v: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return rawEntry(Buffer.from(name), b);
  };
  const regKey = Buffer.concat([Buffer.from('!encryption|writers|'), Buffer.from([0, 0, 0, 7]), Buffer.from('|'), Buffer.from([0, 3])]);
  const buf = Buffer.concat([sample, rawEntry(regKey, Buffer.alloc(12, 0xaa)), meta('_meta_applied_index', 55n), meta('_meta_last_commit_ts', 1000n)]);
  const { records } = await readAll(buf, 7);
  const ops = records.filter((r) => r.type === 'operational');
  assert.deepEqual(
    ops.map((o) => [o.name, o.uint]),
    [
      ['writer_registry', undefined],
      ['applied_index', 55n],
      ['last_commit_ts', 1000n],
    ],
  );
});

test('property: any generated snapshot reads back identically for any chunking', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          key: fc.uint8Array({ maxLength: 20 }),
          value: fc.uint8Array({ maxLength: 40 }),
          tombstone: fc.boolean(),
          commitTs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        }),
        { maxLength: 12 },
      ),
      fc.integer({ min: 1, max: 50 }),
      async (generated, size) => {
        // A valid container: rows in encoded-key order (user key, then newest commit first), each key once.
        const encoded = (r: (typeof generated)[number]): Buffer => {
          const ts = Buffer.alloc(8);
          ts.writeBigUInt64BE((1n << 64n) - 1n - r.commitTs);
          return Buffer.concat([Buffer.from(r.key), ts]);
        };
        const sorted = [...generated].sort((x, y) => Buffer.compare(encoded(x), encoded(y)));
        const rows = sorted.filter((r, i) => {
          const prev = sorted[i - 1];
          return prev === undefined || !encoded(r).equals(encoded(prev));
        });
        const buf = buildFsm(9n, rows);
        const a = await readAll(buf);
        const b = await readAll(buf, size);
        assert.deepEqual(b.records, a.records);
        assert.equal(a.records.length, rows.length);
      },
    ),
    { plugins: [fc.interruptAfterTimeLimit(3000)] },
  );
});
