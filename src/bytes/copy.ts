// Copying a few bytes into a buffer being filled (sorter slabs, chunk buffers, collection files): a JS loop for the
// usual short keys, members and separators, whose cost is below TypedArray#set's argument checks and native call;
// TypedArray#set for longer ranges.

/** Copies `src[from, to)` into `dst` at `at`. */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from = 0, to = src.length): void {
  if (to - from > 32) dst.set(from === 0 && to === src.length ? src : src.subarray(from, to), at);
  else for (let i = from; i < to; i++) dst[at++] = src[i] as number;
}
