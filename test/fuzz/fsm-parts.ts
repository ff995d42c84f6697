// A snapshot file taken apart into its container pieces and rows, and put back together: the fuzzer mutates rows
// (duplicates, swaps, drops, key and value damage) and rebuilds a file whose container is still valid (runtime
// header kept, CRC-32C footer recomputed), so the mutation reaches the decoders instead of stopping at the CRC.
import { crc32c } from '@node-rs/crc32';
import { HEADER_SIZE, RUNTIME_FOOTER, RUNTIME_MAGIC_V1, RUNTIME_MAGIC_V2, RUNTIME_V1_HEADER } from '../../src/snapshot/format.ts';

/**
 * One row as stored: the encoded key (user key and 8-byte commit timestamp) and the encoded value (header and body).
 */
export interface RawRow {
  key: Buffer;
  value: Buffer;
}

export interface FsmParts {
  /** Runtime header (if any) and the 16-byte payload header. */
  readonly head: Buffer;
  readonly rows: RawRow[];
  /** True when the file ends in a CRC-32C footer (runtime containers, older footed payloads). */
  readonly footer: boolean;
}

/** Takes a well-formed snapshot apart (a fixture: not hostile input). */
export function splitFsm(file: Buffer): FsmParts {
  let at = 0;
  let runtime = false;
  if (file.subarray(0, 8).equals(RUNTIME_MAGIC_V1)) {
    at = RUNTIME_V1_HEADER;
    runtime = true;
  } else if (file.subarray(0, 8).equals(RUNTIME_MAGIC_V2)) {
    at = 10 + file.readUInt16BE(8);
    runtime = true;
  }
  at += HEADER_SIZE;
  const head = file.subarray(0, at);
  const rows: RawRow[] = [];
  let footer = runtime;
  const limit = runtime ? file.length - RUNTIME_FOOTER : file.length;
  while (at < limit) {
    if (!runtime && limit - at === RUNTIME_FOOTER) {
      footer = true;
      break;
    }
    const kl = Number(file.readBigUInt64LE(at));
    const key = file.subarray(at + 8, at + 8 + kl);
    const vl = Number(file.readBigUInt64LE(at + 8 + kl));
    const value = file.subarray(at + 16 + kl, at + 16 + kl + vl);
    rows.push({ key: Buffer.from(key), value: Buffer.from(value) });
    at += 16 + kl + vl;
  }
  return { head: Buffer.from(head), rows, footer };
}

const u64le = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** Puts a snapshot together again (rows as given, in that order), with a fresh CRC-32C footer when it had one. */
export function joinFsm(parts: FsmParts): Buffer {
  const body = Buffer.concat([
    parts.head,
    ...parts.rows.flatMap((r) => [u64le(r.key.length), r.key, u64le(r.value.length), r.value]),
  ]);
  if (!parts.footer) return body;
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(body) >>> 0);
  return Buffer.concat([body, crc]);
}

/** Rows in the container's order (encoded key, unsigned bytes). */
export function sortRows(rows: RawRow[]): RawRow[] {
  return rows.sort((a, b) => Buffer.compare(a.key, b.key));
}
