// Rows packed into one buffer to cross between threads, each as `LE32 keyLen | key | LE32 valueLen | value`.

import { putLe32, readLe32 } from '../../bytes/little-endian.ts';

/** Packs rows into one buffer. */
export function packRows(rows: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  let size = 0;
  for (const [k, v] of rows) size += 8 + k.length + v.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const [k, v] of rows) {
    putLe32(out, at, k.length);
    out.set(k, at + 4);
    at += 4 + k.length;
    putLe32(out, at, v.length);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

/** The rows packRows packed, as views of `packed`. */
export function* unpackRows(packed: Buffer): Generator<[Buffer, Buffer]> {
  let at = 0;
  while (at < packed.length) {
    const kl = readLe32(packed, at);
    const key = packed.subarray(at + 4, at + 4 + kl);
    at += 4 + kl;
    const vl = readLe32(packed, at);
    yield [key, packed.subarray(at + 4, at + 4 + vl)];
    at += 4 + vl;
  }
}
