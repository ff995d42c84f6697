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
