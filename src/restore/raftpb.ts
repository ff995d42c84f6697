// The protobuf messages a restored raft data directory holds, marshalled the way Go's protobuf runtime
// (google.golang.org/protobuf, as etcd v3.7 and go.etcd.io/raft/v3 v3.7 use it) writes them: fields in field
// number order; proto2 `optional` scalars written whenever they are set, even to zero; `repeated uint64` not
// packed (proto2's default); unset fields omitted.
//
// Sources: go.etcd.io/raft/v3@v3.7.0/raftpb/raft.proto (HardState, ConfState, SnapshotMetadata, Snapshot),
// go.etcd.io/etcd/server/v3@v3.7.0/storage/wal/walpb/record.proto (Record, Snapshot) and
// etcdserver/api/snap/snappb (snapshot).

import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** raftpb.ConfState: voters and learners in the order given; the other fields are never set by a restore. */
export interface ConfState {
  readonly voters: readonly bigint[];
  readonly learners: readonly bigint[];
}

function writeConfState(w: BinaryWriter, c: ConfState): void {
  for (const v of c.voters) w.tag(1, WireType.Varint).uint64(v);
  for (const l of c.learners) w.tag(2, WireType.Varint).uint64(l);
}

/** raftpb.HardState with term and commit set (vote unset), as prepare-restore builds it. */
export function marshalHardState(term: bigint, commit: bigint): Uint8Array {
  return new BinaryWriter().tag(1, WireType.Varint).uint64(term).tag(3, WireType.Varint).uint64(commit).finish();
}

/** raftpb.Snapshot { data, metadata { conf_state, index, term } }. */
export function marshalRaftSnapshot(data: Uint8Array, conf: ConfState, index: bigint, term: bigint): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).bytes(data);
  w.tag(2, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).fork();
  writeConfState(w, conf);
  w.join();
  w.tag(2, WireType.Varint).uint64(index).tag(3, WireType.Varint).uint64(term);
  w.join();
  return w.finish();
}

/** walpb.Snapshot { index, term, conf_state? }: the WAL's own record of a snapshot. */
export function marshalWalSnapshot(index: bigint, term: bigint, conf?: ConfState): Uint8Array {
  const w = new BinaryWriter().tag(1, WireType.Varint).uint64(index).tag(2, WireType.Varint).uint64(term);
  if (conf !== undefined) {
    w.tag(3, WireType.LengthDelimited).fork();
    writeConfState(w, conf);
    w.join();
  }
  return w.finish();
}

/** walpb.Record { type, crc, data? } (data omitted when absent, as for the nil metadata record). */
export function marshalWalRecord(type: bigint, crc: number, data: Uint8Array | undefined): Uint8Array {
  const w = new BinaryWriter().tag(1, WireType.Varint).int64(type).tag(2, WireType.Varint).uint32(crc);
  if (data !== undefined) w.tag(3, WireType.LengthDelimited).bytes(data);
  return w.finish();
}

/** snappb.snapshot { crc, data }: the envelope of a `.snap` file. */
export function marshalSnapEnvelope(crc: number, data: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(1, WireType.Varint).uint32(crc).tag(2, WireType.LengthDelimited).bytes(data).finish();
}
