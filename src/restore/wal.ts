// A new etcd write-ahead log holding a restored snapshot, byte for byte what etcd's `wal.Create` followed by
// `storage.SaveSnap` and `storage.Save(hardState)` write (go.etcd.io/etcd/server/v3@v3.7.0/storage/wal:
// wal.go Create/SaveSnapshot/saveState/saveCrc, encoder.go).
//
// Framing: each record is a walpb.Record { type, crc, data } preceded by a little-endian 64-bit length; the
// record is zero-padded to a multiple of 8 bytes and, when padded, the top byte of the length is 0x80|pad.
// `crc` is a running CRC-32C (Castagnoli) over the `data` of every record so far, starting from the previous
// segment's CRC (0 for the first segment), which the segment's leading CRC record carries. The first segment
// is named `0000000000000000-0000000000000000.wal` and preallocated to 64,000,000 bytes (zeros after the records).

import { crc32c } from '../bytes/crc32c.ts';
import { marshalHardState, marshalWalRecord, marshalWalSnapshot, type ConfState } from './raftpb.ts';

const WAL_METADATA_TYPE = 1n;
const WAL_STATE_TYPE = 3n;
const WAL_CRC_TYPE = 4n;
const WAL_SNAPSHOT_TYPE = 5n;
/** etcd's wal.SegmentSizeBytes: the preallocated size of a segment file. */
export const WAL_SEGMENT_BYTES = 64 * 1000 * 1000;
/** Name of the first segment (sequence 0, index 0). */
export const FIRST_WAL_SEGMENT = `${hex16(0n)}-${hex16(0n)}.wal`;

export function hex16(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

/** The framed bytes of one record: LE64 length field, the record, zero padding to 8 bytes. */
function frameWalRecord(record: Uint8Array): Buffer {
  const pad = (8 - (record.length % 8)) % 8;
  let lenField = BigInt(record.length);
  if (pad !== 0) lenField |= BigInt(0x80 | pad) << 56n;
  const out = Buffer.alloc(8 + record.length + pad);
  out.writeBigUInt64LE(lenField, 0);
  out.set(record, 8);
  return out;
}

/** Encodes records of one segment with etcd's CRC chaining. */
class WalSegmentEncoder {
  #crc: number;
  readonly #frames: Buffer[] = [];

  constructor(prevCrc: number) {
    this.#crc = prevCrc;
  }

  add(type: bigint, data: Uint8Array | undefined): void {
    if (data !== undefined && data.length > 0) this.#crc = crc32c(data, this.#crc);
    this.#frames.push(frameWalRecord(marshalWalRecord(type, this.#crc, data)));
  }

  bytes(): Buffer {
    return Buffer.concat(this.#frames);
  }
}

export interface RestoreWalOptions {
  readonly index: bigint;
  readonly term: bigint;
  readonly confState: ConfState;
}

/**
 * The records of the first WAL segment of a restored node: the CRC record, the (empty) metadata record, the
 * bootstrap snapshot record {0, 0}, the restored snapshot record {index, term, conf_state}, and the HardState
 * {term, commit = index}. Without the preallocated zeros.
 */
export function restoreWalRecords(o: RestoreWalOptions): Buffer {
  const enc = new WalSegmentEncoder(0);
  enc.add(WAL_CRC_TYPE, undefined);
  enc.add(WAL_METADATA_TYPE, undefined);
  enc.add(WAL_SNAPSHOT_TYPE, marshalWalSnapshot(0n, 0n));
  enc.add(WAL_SNAPSHOT_TYPE, marshalWalSnapshot(o.index, o.term, o.confState));
  enc.add(WAL_STATE_TYPE, marshalHardState(o.term, o.index));
  return enc.bytes();
}
