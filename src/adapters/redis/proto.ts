// Redis protobuf envelopes (spec redis.md §1.5; elastickv: proto/redis_internal.proto,
// adapter/redis_storage_codec.go): stream entries (`00 52 58 45 01` + RedisStreamEntry{id, fields}) and legacy
// sorted-set blobs (`00 52 5A 01` + RedisZSetValue{entries: [{member, score (double, little-endian)}]}).
// Read with protobuf-go's rules (unknown fields and wrong wire types skipped, strings must be UTF-8).

import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { isUtf8 } from 'node:buffer';
import { copyBytes } from '../../bytes/copy.ts';
import { isValidUtf8 } from '../../json/go-json.ts';

export const STREAM_ENTRY_MAGIC = Buffer.from([0x00, 0x52, 0x58, 0x45, 0x01]);
export const ZSET_BLOB_MAGIC = Buffer.from([0x00, 0x52, 0x5a, 0x01]);

export class RedisProtoError extends Error {}

function readFields(bytes: Uint8Array, field: (r: BinaryReader, no: number, wt: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no === 0) throw new RedisProtoError('proto: invalid field number');
      if (!field(r, no, wt)) r.skip(wt, no);
    }
  } catch (err) {
    if (err instanceof RedisProtoError) throw err;
    throw new RedisProtoError('proto: cannot parse invalid wire-format data');
  }
}

function utf8(b: Uint8Array, what: string): Buffer {
  if (!isValidUtf8(b)) throw new RedisProtoError(`proto: field ${what} contains invalid UTF-8`);
  return Buffer.from(b);
}

/**
 * The fields of a stream entry body in the shape writers produce (only fields 1 and 2, length-delimited, one-byte
 * tags, lengths of at most four varint bytes): the [start, end) offsets of each field 2 in `spans` (emptied first),
 * and true. False for any other shape, or, with `checkUtf8`, when a field is not valid UTF-8: readStreamEntry then
 * reads the body with protobuf-go's full rules (and refuses what they refuse).
 */
export function streamFieldSpans(body: Uint8Array, spans: number[], checkUtf8: boolean): boolean {
  spans.length = 0;
  const n = body.length;
  let p = 0;
  /** Whether every tag and length byte is ASCII (each length is one varint byte). */
  let asciiFraming = true;
  while (p < n) {
    const head = p;
    const tag = body[p++];
    if (tag !== 0x0a && tag !== 0x12) return false;
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= n || shift > 21) return false;
      const b = body[p++] as number;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      if (asciiFraming) {
        asciiFraming = false;
        // The fields before this one, ASCII-framed, are checked at once (see below); the rest one by one.
        if (checkUtf8 && !isUtf8(body.subarray(0, head))) return false;
      }
    }
    if (len > n - p) return false;
    if (checkUtf8 && !asciiFraming && !isUtf8(body.subarray(p, p + len))) return false;
    if (tag === 0x12) spans.push(p, p + len);
    p += len;
  }
  // With ASCII framing no multi-byte sequence can span a field's edge, so the fields are all valid UTF-8 exactly when
  // the whole body is: one check instead of one per field.
  return !checkUtf8 || !asciiFraming || isUtf8(body);
}

/** The interleaved name/value list of a stream entry body (the id is validated and ignored). */
export function readStreamEntry(body: Uint8Array): Buffer[] {
  const fields: Buffer[] = [];
  readFields(body, (r, no, wt) => {
    if (wt !== WireType.LengthDelimited) return false;
    if (no === 1) utf8(r.bytes(), 'RedisStreamEntry.id');
    else if (no === 2) fields.push(utf8(r.bytes(), 'RedisStreamEntry.fields'));
    else return false;
    return true;
  });
  return fields;
}

/** Bytes of `n` (below 2^32) as a protobuf varint. */
const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** Writes `n` (below 2^32) as a protobuf varint at `at`; returns the offset after it. */
function putVarint(b: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    b[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[at++] = n;
  return at;
}

/**
 * STREAM_ENTRY_MAGIC ‖ RedisStreamEntry{id, fields} as protobuf-go marshals it: field 1 (tag 0a) unless the id is
 * empty, then field 2 (tag 12) for each field, each a varint length and the bytes. Written straight into one buffer
 * of the exact size (one per stream entry on encode, where BinaryWriter's growing, slicing and concatenating took
 * three allocations and copies).
 */
export function writeStreamEntry(id: string, fields: readonly Uint8Array[]): Buffer {
  const idLen = Buffer.byteLength(id, 'utf8');
  let size = STREAM_ENTRY_MAGIC.length + (idLen === 0 ? 0 : 1 + varintSize(idLen) + idLen);
  for (const f of fields) size += 1 + varintSize(f.length) + f.length;
  const out = Buffer.allocUnsafe(size);
  let at = STREAM_ENTRY_MAGIC.copy(out, 0);
  if (idLen !== 0) {
    out[at++] = 0x0a;
    at = putVarint(out, at, idLen);
    at += out.write(id, at, 'utf8');
  }
  for (const f of fields) {
    out[at++] = 0x12;
    at = putVarint(out, at, f.length);
    copyBytes(out, at, f);
    at += f.length;
  }
  return out;
}

/** The members of a legacy sorted-set blob body, in wire order. */
export function readZSetBlob(body: Uint8Array): Array<{ member: Buffer; score: number }> {
  const out: Array<{ member: Buffer; score: number }> = [];
  readFields(body, (r, no, wt) => {
    if (no !== 1 || wt !== WireType.LengthDelimited) return false;
    const entry: { member: Buffer; score: number } = { member: Buffer.alloc(0), score: 0 };
    readFields(r.bytes(), (er, eno, ewt) => {
      if (eno === 1 && ewt === WireType.LengthDelimited) entry.member = utf8(er.bytes(), 'RedisZSetEntry.member');
      else if (eno === 2 && ewt === WireType.Bit64) entry.score = er.double();
      else return false;
      return true;
    });
    out.push(entry);
    return true;
  });
  return out;
}
