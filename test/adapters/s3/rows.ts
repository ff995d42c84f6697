// Snapshot rows covering the S3 families, keys built by hand from internal/s3keys/keys.go (seg = bytes with
// 00 → 00 FF, then 00 01; u64 big-endian) and values as the live adapter's JSON.
import { createHash } from 'node:crypto';
import type { FsmRow } from '../../helpers/fsm.ts';

export const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
export const seg = (s: string | Buffer): Buffer => {
  const raw = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const out: number[] = [];
  for (const b of raw) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  return Buffer.from([...out, 0, 1]);
};
const cat = (...p: Array<string | Buffer>): Buffer => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));

export const manifestKey = (bucket: string, gen: bigint, object: string): Buffer => cat('!s3|obj|head|', seg(bucket), u64(gen), seg(object));
export const blobKey = (
  bucket: string,
  gen: bigint,
  object: string,
  upload: string,
  part: bigint,
  chunk: bigint,
  version?: bigint,
): Buffer =>
  cat(
    '!s3|blob|',
    seg(bucket),
    u64(gen),
    seg(object),
    seg(upload),
    u64(part),
    u64(chunk),
    version === undefined ? '' : u64(version),
  );
const chunkRefKey = (
  bucket: string,
  gen: bigint,
  object: string,
  upload: string,
  part: bigint,
  chunk: bigint,
  version: bigint,
): Buffer => cat('!s3|chunkref|', seg(bucket), u64(gen), seg(object), seg(upload), u64(part), u64(chunk), u64(version));
const sha = (b: string): Buffer => createHash('sha256').update(b).digest();
const chunkRefValue = (body: string): Buffer => cat(Buffer.from([1]), sha(body), u64(BigInt(body.length)), Buffer.from([0, 2]), 'n1');

const HLC = (ms: number): string => (BigInt(ms) << 16n).toString();
const manifest = (upload: string, size: number, parts: string, extra = ''): string =>
  `{"upload_id":"${upload}","etag":"\\"e-${size}\\"","size_bytes":${size},"last_modified_hlc":${HLC(1777469331094)},"content_type":"text/plain","content_encoding":"","cache_control":"","content_disposition":"","user_metadata":null,"parts":${parts}${extra}}`;
const part = (no: number, sizes: number[], extra = ''): string => `{"part_no":${no},"etag":"p","size_bytes":${sizes.reduce((a, b) => a + b, 0)},"chunk_count":${sizes.length},"chunk_sizes":[${sizes.join(',')}],"part_version":0${extra}}`;

export const S3_ROWS: FsmRow[] = [
  // Bucket "photos" at generation 2.
  { key: cat('!s3|bucket|meta|', seg('photos')), value: '{"bucket_name":"photos","generation":2,"created_at_hlc":123,"owner":"alice","region":"us-east-1","acl":"private"}' },
  { key: cat('!s3|bucket|gen|', seg('photos')), value: u64(2n) },
  // a/b.txt: one part, two chunks.
  { key: blobKey('photos', 2n, 'a/b.txt', 'u1', 1n, 0n), value: 'abc' },
  { key: blobKey('photos', 2n, 'a/b.txt', 'u1', 1n, 1n), value: 'de' },
  { key: manifestKey('photos', 2n, 'a/b.txt'), value: manifest('u1', 5, `[${part(1, [3, 2])}]`, '') .replace('"user_metadata":null', '"user_metadata":{"z":"<last>","a":"first"}') },
  // big.bin: multipart, parts 1 and 2, plus a stray chunk of another upload (ignored).
  { key: blobKey('photos', 2n, 'big.bin', 'mp', 1n, 0n), value: 'PART1-' },
  { key: blobKey('photos', 2n, 'big.bin', 'mp', 2n, 0n), value: 'PART2' },
  { key: blobKey('photos', 2n, 'big.bin', 'old-upload', 1n, 0n), value: 'IGNORED' },
  { key: manifestKey('photos', 2n, 'big.bin'), value: manifest('mp', 11, `[${part(1, [6])},${part(2, [5])}]`) },
  // empty: no parts.
  { key: manifestKey('photos', 2n, 'empty'), value: manifest('e', 0, 'null') },
  // dir is also a directory of dir/x: its body is renamed with the leaf-data suffix and recorded in KEYMAP.
  { key: blobKey('photos', 2n, 'dir', 'u', 1n, 0n), value: 'leaf' },
  { key: manifestKey('photos', 2n, 'dir'), value: manifest('u', 4, `[${part(1, [4])}]`) },
  { key: blobKey('photos', 2n, 'dir/x', 'u', 1n, 0n), value: 'child' },
  { key: manifestKey('photos', 2n, 'dir/x'), value: manifest('u', 5, `[${part(1, [5])}]`) },
  // cas.bin: content-addressed chunks through chunk references (an offloaded part, version 3).
  { key: cat('!s3|chunkblob|', sha('hello ').toString('hex')), value: 'hello ' },
  { key: cat('!s3|chunkblob|', sha('world').toString('hex')), value: 'world' },
  { key: chunkRefKey('photos', 2n, 'cas.bin', 'c', 1n, 0n, 3n), value: chunkRefValue('hello ') },
  { key: chunkRefKey('photos', 2n, 'cas.bin', 'c', 1n, 1n, 3n), value: chunkRefValue('world') },
  { key: manifestKey('photos', 2n, 'cas.bin'), value: manifest('c', 11, `[${part(1, [6, 5], ',"chunk_ref_version":3,"offloaded":true')}]`) },
  // A binary, non-UTF-8 key with a space.
  { key: blobKey('photos', 2n, 'bin \u00ff', 'u', 1n, 0n), value: Buffer.from([0, 1, 2]) },
  { key: manifestKey('photos', 2n, 'bin \u00ff'), value: manifest('u', 3, `[${part(1, [3])}]`) },
  // A stale generation and chunks without a manifest.
  { key: blobKey('photos', 1n, 'old.txt', 'u', 1n, 0n), value: 'stale' },
  { key: manifestKey('photos', 1n, 'old.txt'), value: manifest('u', 5, `[${part(1, [5])}]`) },
  { key: blobKey('photos', 2n, 'lost.bin', 'u', 1n, 0n), value: 'no manifest' },
  // An in-flight multipart upload.
  { key: cat('!s3|upload|meta|', seg('photos'), u64(2n), seg('pending.bin'), seg('up1')), value: '{"upload_id":"up1"}' },
  { key: cat('!s3|upload|part|', seg('photos'), u64(2n), seg('pending.bin'), seg('up1'), u64(1n)), value: '{"part_no":1}' },
  // A second bucket without metadata rows other than its meta.
  { key: cat('!s3|bucket|meta|', seg('logs')), value: '{"bucket_name":"logs","generation":1}' },
  { key: blobKey('logs', 1n, '2026/04/29.log', 'u', 1n, 0n), value: 'line\n' },
  { key: manifestKey('logs', 1n, '2026/04/29.log'), value: manifest('u', 5, `[${part(1, [5])}]`) },
];

/** An object whose key ends in the reserved sidecar suffix (needs --rename-collisions). */
export const RESERVED_SUFFIX_ROWS: FsmRow[] = [
  { key: blobKey('logs', 1n, 'x.elastickv-meta.json', 'u', 1n, 0n), value: 'user data' },
  { key: manifestKey('logs', 1n, 'x.elastickv-meta.json'), value: manifest('u', 9, `[${part(1, [9])}]`) },
];
