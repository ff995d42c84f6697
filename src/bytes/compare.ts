// Unsigned bytewise comparison of two byte ranges, for the checks made once per row (key order, version stacks,
// route prefixes): short ranges are compared in a JS loop, which costs less than Buffer#compare's argument checks
// and native call; long ones go to Buffer#compare.

/** Ranges longer than this are compared natively. */
const LOOP_MAX = 128;

/**
 * Compares `a[aStart, aEnd)` with `b[bStart, bEnd)` as unsigned bytes: negative when the first sorts first, 0 when
 * equal, positive otherwise (the sign Buffer.compare gives).
 */
export function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = Math.min(aLen, bLen);
  if (n > LOOP_MAX) return Buffer.compare(a.subarray(aStart, aEnd), b.subarray(bStart, bEnd));
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i] as number;
    const y = b[bStart + i] as number;
    if (x !== y) return x - y;
  }
  return aLen - bLen;
}

/**
 * The first index i < n at which `a[aStart + i]` and `b[bStart + i]` differ, or n when the ranges are equal (the
 * length of their common prefix): callers that copy a key over the one before it copy only what follows.
 */
export function mismatch(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, n: number): number {
  if (n > LOOP_MAX && Buffer.compare(a.subarray(aStart, aStart + n), b.subarray(bStart, bStart + n)) === 0) return n;
  let i = 0;
  while (i < n && a[aStart + i] === b[bStart + i]) i++;
  return i;
}
