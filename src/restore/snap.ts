// The etcd snapshotter file `snap/<term %016x>-<index %016x>.snap` of a restored node
// (go.etcd.io/etcd/server/v3@v3.7.0/etcdserver/api/snap/snapshotter.go save): a snappb.snapshot envelope
// { crc = CRC-32C of the marshalled raftpb.Snapshot, data = that raftpb.Snapshot }. The raft snapshot's data
// is the 17-byte token naming the `fsm-snap` file; its metadata carries the index, term and ConfState.

import { crc32c } from '../bytes/crc32c.ts';
import { marshalRaftSnapshot, marshalSnapEnvelope, type ConfState } from './raftpb.ts';
import { hex16 } from './wal.ts';

export const SNAP_DIR = 'snap';

export function snapFileName(term: bigint, index: bigint): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

/** The bytes of the `.snap` file. */
export function encodeSnapFile(token: Uint8Array, conf: ConfState, index: bigint, term: bigint): Uint8Array {
  const body = marshalRaftSnapshot(token, conf, index, term);
  return marshalSnapEnvelope(crc32c(body), body);
}
