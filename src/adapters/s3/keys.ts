// S3 key layouts (elastickv: internal/s3keys/keys.go, chunkref.go).
//
// seg(x): the bytes of x with 00 written 00 FF, then the terminator 00 01; u64: 8 bytes big-endian.
//   !s3|bucket|meta|seg(bucket)                         bucket metadata (JSON)
//   !s3|bucket|gen|seg(bucket)                          generation counter (u64)
//   !s3|obj|head|seg(bucket) gen seg(object)            object manifest (JSON)
//   !s3|blob|seg(bucket) gen seg(object) seg(upload) part chunk [partVersion]   chunk bytes
//   !s3|chunkref|…same shape…                           content-addressed chunk reference
//   !s3|chunkblob|<64 hex of SHA-256>                   content-addressed chunk bytes
//   !s3|upload|meta|seg(bucket) gen seg(object) seg(upload)      in-flight multipart upload
//   !s3|upload|part|seg(bucket) gen seg(object) seg(upload) part
// Bucket and object names are Go strings: arbitrary bytes, kept as Buffers here.

import { u64be } from '../../bytes/big-endian.ts';
import { encodeOrderedSegment, readOrderedSegment } from '../../bytes/ordered-segment.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

export const BUCKET_META_PREFIX = '!s3|bucket|meta|';
export const BUCKET_GEN_PREFIX = '!s3|bucket|gen|';
export const OBJECT_MANIFEST_PREFIX = '!s3|obj|head|';
export const UPLOAD_META_PREFIX = '!s3|upload|meta|';
export const UPLOAD_PART_PREFIX = '!s3|upload|part|';
export const BLOB_PREFIX = '!s3|blob|';
export const CHUNK_REF_PREFIX = '!s3|chunkref|';
export const CHUNK_BLOB_PREFIX = '!s3|chunkblob|';
export const GC_UPLOAD_PREFIX = '!s3|gc|upload|';
export const ROUTE_PREFIX = '!s3route|';

export const bucketMetaKey = (bucket: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(BUCKET_META_PREFIX), encodeOrderedSegment(bucket)]);
export const bucketGenKey = (bucket: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(BUCKET_GEN_PREFIX), encodeOrderedSegment(bucket)]);
export const manifestKey = (bucket: Uint8Array, gen: bigint, object: Uint8Array): Buffer =>
  Buffer.concat([
    Buffer.from(OBJECT_MANIFEST_PREFIX),
    encodeOrderedSegment(bucket),
    u64be(gen),
    encodeOrderedSegment(object),
  ]);
export const blobKey = (
  bucket: Uint8Array,
  gen: bigint,
  object: Uint8Array,
  uploadId: Uint8Array,
  partNo: bigint,
  chunkNo: bigint,
): Buffer =>
  Buffer.concat([
    Buffer.from(BLOB_PREFIX),
    encodeOrderedSegment(bucket),
    u64be(gen),
    encodeOrderedSegment(object),
    encodeOrderedSegment(uploadId),
    u64be(partNo),
    u64be(chunkNo),
  ]);

/** A cursor over a key for the segment/u64 grammar; every read returns undefined on malformed input. */
class KeyCursor {
  readonly key: Buffer;
  pos: number;
  constructor(key: Uint8Array, start: number) {
    this.key = asBuffer(key);
    this.pos = start;
  }
  segment(): Buffer | undefined {
    const seg = readOrderedSegment(this.key, this.pos);
    if (seg === undefined) return undefined;
    this.pos = seg.end;
    return seg.raw;
  }
  u64(): bigint | undefined {
    if (this.key.length - this.pos < 8) return undefined;
    const v = this.key.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  get atEnd(): boolean {
    return this.pos === this.key.length;
  }
}

export function parseBucketMetaKey(key: Uint8Array): Buffer | undefined {
  const c = new KeyCursor(key, BUCKET_META_PREFIX.length);
  const bucket = c.segment();
  return bucket !== undefined && c.atEnd ? bucket : undefined;
}

export interface ObjectRef {
  readonly bucket: Buffer;
  readonly generation: bigint;
  readonly object: Buffer;
}

export function parseManifestKey(key: Uint8Array): ObjectRef | undefined {
  const c = new KeyCursor(key, OBJECT_MANIFEST_PREFIX.length);
  const bucket = c.segment();
  const generation = bucket === undefined ? undefined : c.u64();
  const object = generation === undefined ? undefined : c.segment();
  if (bucket === undefined || generation === undefined || object === undefined || !c.atEnd) return undefined;
  return { bucket, generation, object };
}

export interface ChunkRef extends ObjectRef {
  readonly uploadId: Buffer;
  readonly partNo: bigint;
  readonly chunkNo: bigint;
  readonly partVersion: bigint;
}

/** `!s3|blob|` and `!s3|chunkref|` keys: the object, upload, part, chunk and optional part version. */
export function parseChunkKey(key: Uint8Array, prefix: string): ChunkRef | undefined {
  const c = new KeyCursor(key, prefix.length);
  const bucket = c.segment();
  if (bucket === undefined) return undefined;
  const generation = c.u64();
  if (generation === undefined) return undefined;
  const object = c.segment();
  if (object === undefined) return undefined;
  const uploadId = c.segment();
  if (uploadId === undefined) return undefined;
  const partNo = c.u64();
  if (partNo === undefined) return undefined;
  const chunkNo = c.u64();
  if (chunkNo === undefined) return undefined;
  let partVersion = 0n;
  if (!c.atEnd) {
    if (c.key.length - c.pos !== 8) return undefined;
    partVersion = c.u64() as bigint;
  }
  return { bucket, generation, object, uploadId, partNo, chunkNo, partVersion };
}

/** `!s3|chunkblob|<hex>`: the 32-byte digest, or undefined. */
export function parseChunkBlobKey(key: Uint8Array): Buffer | undefined {
  const hex = asBuffer(key).subarray(CHUNK_BLOB_PREFIX.length).toString('latin1');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** The bucket of an upload-family key (`!s3|upload|part|` fully parsed, `!s3|upload|meta|` up to the bucket). */
export function parseUploadBucket(key: Uint8Array, prefix: string): Buffer | undefined {
  if (prefix === UPLOAD_PART_PREFIX) {
    const c = new KeyCursor(key, prefix.length);
    const bucket = c.segment();
    if (
      bucket === undefined ||
      c.u64() === undefined ||
      c.segment() === undefined ||
      c.segment() === undefined ||
      c.u64() === undefined ||
      !c.atEnd
    )
      return undefined;
    return bucket;
  }
  const rest = asBuffer(key).subarray(prefix.length);
  if (rest.length === 0) return undefined;
  for (let i = 0; i + 1 < rest.length; i++) if (rest[i] === 0 && rest[i + 1] === 1) return rest.subarray(0, i);
  return undefined;
}

export interface ChunkRefValue {
  readonly sha256: Buffer;
  readonly size: bigint;
}

/** A chunk reference value, v1 (digest, size, source peer) or v2 (plus replica peers); undefined when malformed. */
export function decodeChunkRefValue(value: Uint8Array): ChunkRefValue | undefined {
  const v = asBuffer(value);
  const fixed = 1 + 32 + 8 + 2;
  if (v.length < fixed || (v[0] !== 1 && v[0] !== 2)) return undefined;
  const sha256 = Buffer.from(v.subarray(1, 33));
  const size = v.readBigUInt64BE(33);
  const sourceLen = v.readUInt16BE(41);
  let next = 43 + sourceLen;
  if (next > v.length) return undefined;
  if (v[0] === 1) return next === v.length ? { sha256, size } : undefined;
  if (v.length - next < 2) return undefined;
  const replicas = v.readUInt16BE(next);
  next += 2;
  if (replicas > Math.floor((v.length - next) / 4)) return undefined;
  for (let i = 0; i < replicas; i++) {
    for (let f = 0; f < 2; f++) {
      if (v.length - next < 2) return undefined;
      const len = v.readUInt16BE(next);
      next += 2;
      if (v.length - next < len) return undefined;
      next += len;
    }
  }
  return next === v.length ? { sha256, size } : undefined;
}
