// The order-preserving byte segment of the store's composite keys (DynamoDB item and GSI keys, S3 keys, the Redis
// decoder's regrouping keys): every 0x00 of the raw bytes becomes 00 FF and the segment ends with 00 01, so that
// concatenated segments compare, byte by byte, in the order of their raw values.

/** `raw` with 0x00 escaped as 00 FF, terminated by 00 01. */
export function encodeOrderedSegment(raw: Uint8Array): Buffer {
  let zeros = 0;
  for (const b of raw) if (b === 0) zeros++;
  const out = Buffer.alloc(raw.length + zeros + 2);
  let j = 0;
  for (const b of raw) {
    out[j++] = b;
    if (b === 0) out[j++] = 0xff;
  }
  out[j++] = 0x00;
  out[j] = 0x01;
  return out;
}

/**
 * Reads one segment of `key` starting at `start`: the raw bytes and the offset after its terminator, or undefined
 * when the segment is malformed (a 00 followed by anything but FF or 01, or no terminator).
 */
export function readOrderedSegment(
  key: Uint8Array,
  start: number,
): { readonly raw: Buffer; readonly end: number } | undefined {
  const out: number[] = [];
  let i = start;
  while (i < key.length) {
    const b = key[i] as number;
    if (b !== 0) {
      out.push(b);
      i++;
      continue;
    }
    const next = key[i + 1];
    if (next === 0xff) {
      out.push(0);
      i += 2;
    } else if (next === 0x01) {
      return { raw: Buffer.from(out), end: i + 2 };
    } else {
      return undefined;
    }
  }
  return undefined;
}
