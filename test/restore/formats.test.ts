// Properties of the restore file formats, read back by an independent reader written from the etcd sources
// (wal/decoder.go: LE64 length with the pad in the top byte, CRC-32C chained over record data; walpb/raftpb
// field numbers) rather than by the writer's own code.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { deriveNodeId, encodePeersFile, parsePeers } from '../../src/restore/peers.ts';
import { restoreWalRecords } from '../../src/restore/wal.ts';
import { encodeSnapFile } from '../../src/restore/snap.ts';
import { hlcCeilingMs, snapshotToken } from '../../src/restore/runtime-fsm.ts';

type Fields = Map<number, (bigint | Uint8Array)[]>;

/** Decodes one protobuf message into field number → values (varints as bigint, length-delimited as bytes). */
function fields(b: Uint8Array): Fields {
  const r = new BinaryReader(b);
  const out: Fields = new Map();
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    const v = wt === WireType.Varint ? BigInt(r.uint64()) : wt === WireType.LengthDelimited ? r.bytes() : assert.fail(`wire type ${wt}`);
    out.set(no, [...(out.get(no) ?? []), v]);
  }
  return out;
}

const one = (f: Fields, n: number): bigint | Uint8Array | undefined => f.get(n)?.[0];

interface WalRecord {
  readonly type: bigint;
  readonly crc: bigint;
  readonly data: Uint8Array | undefined;
}

function readWal(b: Buffer): WalRecord[] {
  const out: WalRecord[] = [];
  let off = 0;
  let crc = 0;
  while (off < b.length) {
    const lenField = b.readBigUInt64LE(off);
    const pad = lenField >> 63n === 1n ? Number((lenField >> 56n) & 0x7n) : 0;
    const len = Number(lenField & 0x00ff_ffff_ffff_ffffn);
    assert.equal((len + pad) % 8, 0, 'records are 8-byte aligned');
    const rec = fields(b.subarray(off + 8, off + 8 + len));
    assert.ok(b.subarray(off + 8 + len, off + 8 + len + pad).every((x) => x === 0), 'zero padding');
    off += 8 + len + pad;
    const data = one(rec, 3) as Uint8Array | undefined;
    if (data !== undefined) crc = crc32c(data, crc);
    const r = { type: one(rec, 1) as bigint, crc: one(rec, 2) as bigint, data };
    assert.equal(r.crc, BigInt(crc >>> 0), 'running CRC-32C over record data');
    out.push(r);
  }
  return out;
}

const u64 = fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn });
const peerList = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 7 }).map((ids) => ids.map((id, i) => `${id}=10.0.0.${i}:50051`).join(','));

test('WAL records decode back: CRC, metadata, bootstrap and restored snapshots, HardState; CRC chained', () => {
  fc.assert(
    fc.property(u64, u64, peerList, (index, term, peersCsv) => {
      const peers = parsePeers(peersCsv);
      const conf = { voters: peers.map((p) => p.nodeId), learners: [] };
      const recs = readWal(restoreWalRecords({ index, term, confState: conf }));
      assert.deepEqual(recs.map((r) => r.type), [4n, 1n, 5n, 5n, 3n]);
      assert.equal(recs[0]?.crc, 0n);
      assert.equal(recs[1]?.data, undefined, 'nil metadata');
      const boot = fields(recs[2]?.data as Uint8Array);
      assert.deepEqual([one(boot, 1), one(boot, 2), boot.has(3)], [0n, 0n, false]);
      const snap = fields(recs[3]?.data as Uint8Array);
      assert.deepEqual([one(snap, 1), one(snap, 2)], [index, term]);
      assert.deepEqual(fields(one(snap, 3) as Uint8Array).get(1), conf.voters);
      const hs = fields(recs[4]?.data as Uint8Array);
      assert.deepEqual([one(hs, 1), hs.has(2), one(hs, 3)], [term, false, index]);
    }),
  );
});

test('the .snap envelope carries the CRC-32C of the raft snapshot, whose data is the fsm token', () => {
  fc.assert(
    fc.property(u64, u64, fc.integer({ min: 0, max: 0xffff_ffff }), peerList, (index, term, crc, peersCsv) => {
      const voters = parsePeers(peersCsv).map((p) => p.nodeId);
      const env = fields(encodeSnapFile(snapshotToken(index, crc), { voters, learners: [] }, index, term));
      const body = one(env, 2) as Uint8Array;
      assert.equal(one(env, 1), BigInt(crc32c(body)));
      const snap = fields(body);
      const token = Buffer.from(one(snap, 1) as Uint8Array);
      assert.equal(token.length, 17);
      assert.equal(token.subarray(0, 5).toString('latin1'), 'EKVT\x01');
      assert.equal(token.readBigUInt64BE(5), index);
      assert.equal(token.readUInt32BE(13), crc);
      const meta = fields(one(snap, 2) as Uint8Array);
      assert.deepEqual([one(meta, 2), one(meta, 3)], [index, term]);
      assert.deepEqual(fields(one(meta, 1) as Uint8Array).get(1), voters);
    }),
  );
});

test('the peers file decodes back to the sorted peers', () => {
  fc.assert(
    fc.property(u64, peerList, (index, csv) => {
      const peers = parsePeers(csv);
      const b = encodePeersFile(index, peers);
      assert.equal(b.subarray(0, 4).toString('latin1'), 'EKVP');
      assert.equal(b.readUInt32BE(4), 3);
      assert.equal(b.readBigUInt64BE(8), index);
      assert.equal(b.readUInt32BE(16), peers.length);
      let off = 20;
      const str = (): string => {
        const n = b.readUInt32BE(off);
        off += 4 + n;
        return b.subarray(off - n, off).toString('utf8');
      };
      let prev = -1n;
      for (const p of peers) {
        const id = b.readBigUInt64BE(off);
        assert.ok(id > prev, 'sorted by node id');
        prev = id;
        assert.equal(b[off + 8], 0, 'voter');
        off += 9;
        assert.deepEqual([id, str(), str()], [p.nodeId, p.id, p.address]);
      }
      assert.deepEqual([...b.subarray(off)], [0, 0, 0, 0, 0], 'inactive, empty bootstrap seed');
    }),
  );
});

test('node ids: FNV-1a 64 of the id, as the reference derived them', () => {
  // Values read from etcd-raft-peers.bin files the reference wrote (test/fixtures/restore/expected).
  assert.equal(deriveNodeId('n1'), 0x08b37b07b558d4c0n);
  assert.equal(deriveNodeId(''), 0xcbf29ce484222325n);
  assert.deepEqual(parsePeers(' b=2 ,, a = 1 =x ,').map((p) => [p.id, p.address]).sort(), [['a', '1 =x'], ['b', '2']]);
});

test('HLC ceiling: 0 for 0, physical ms + 1 otherwise, refused at the 48-bit maximum', () => {
  assert.equal(hlcCeilingMs(0n), 0n);
  assert.equal(hlcCeilingMs(1n), 1n);
  assert.equal(hlcCeilingMs(0x1_0000n), 2n);
  assert.equal(hlcCeilingMs(0xffff_ffff_fffe_ffffn), 0xffff_ffff_ffffn);
  assert.throws(() => hlcCeilingMs(0xffff_ffff_ffff_0000n), /HLC ceiling overflow/);
});
