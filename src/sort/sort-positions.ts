// Sorting the external sorter's buffered records by key (unsigned bytes, ties in insertion order) with numbers
// instead of byte comparisons: the keys are compared six bytes at a time, as one number per key, and the records
// that tie on those six bytes are sorted by the next six, and so on (a most-significant-digit sort whose digits are
// 6-byte chunks). Keys that share a long prefix (a table's item rows, a directory's names) then cost a few cheap
// passes instead of a byte loop over the prefix in every comparison.

import { readLe32 } from '../bytes/little-endian.ts';

/** Bytes of a key in one chunk: each is one of 257 values (absent, or 0-255), and 257^6 is below 2^53. */
const CHUNK = 6;
const BASE = 257;

/**
 * The records at `positions` (slab index * `slot` + offset of a record `LE32 keyLen | key | …` in `slabs`) in key
 * order, equal keys in the order of `positions`.
 */
export function sortPositions(slabs: readonly Uint8Array[], positions: readonly number[], slot: number): number[] {
  const n = positions.length;
  if (n < 2) return [...positions];
  /** The chunk of each record at the depth being sorted, by record index. */
  const chunk = new Float64Array(n);
  // Array#sort is stable: records that tie keep their order, insertion order from the start.
  const byChunk = (a: number, b: number): number => (chunk[a] as number) - (chunk[b] as number);
  const order = Array.from({ length: n }, (_, i) => i);
  // Ranges [lo, hi) of `order` still to sort from byte `depth` on: their keys agree on every byte before it.
  const todo: number[] = [0, n, 0];
  while (todo.length > 0) {
    const depth = todo.pop() as number;
    const hi = todo.pop() as number;
    const lo = todo.pop() as number;
    let same = true;
    for (let k = lo; k < hi; k++) {
      const i = order[k] as number;
      const p = positions[i] as number;
      const slab = slabs[Math.floor(p / slot)] as Uint8Array;
      const at = p % slot;
      const start = at + 4 + depth;
      const left = readLe32(slab, at) - depth;
      let c = 0;
      for (let j = 0; j < CHUNK; j++) c = c * BASE + (j < left ? (slab[start + j] as number) + 1 : 0);
      chunk[i] = c;
      if (c !== chunk[order[lo] as number]) same = false;
    }
    if (!same && lo === 0 && hi === n) order.sort(byChunk);
    else if (!same) {
      const part = order.slice(lo, hi).sort(byChunk);
      for (let k = lo; k < hi; k++) order[k] = part[k - lo] as number;
    }
    // Runs of equal chunks go on to the next six bytes, unless their keys ended within this chunk (then they are
    // equal keys, already in insertion order).
    for (let k = lo; k < hi; ) {
      const c = chunk[order[k] as number] as number;
      let end = k + 1;
      while (end < hi && chunk[order[end] as number] === c) end++;
      if (end - k > 1 && c % BASE !== 0) todo.push(k, end, depth + CHUNK);
      k = end;
    }
  }
  return order.map((i) => positions[i] as number);
}
