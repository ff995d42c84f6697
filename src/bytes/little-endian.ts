// Little-endian 32-bit lengths in the record layouts of the external sorter's slabs and run files and of Redis
// element chunks, written and read in place.

/** Writes n (a length: below 2^32) as LE32 at `at`. */
export function putLe32(b: Uint8Array, at: number, n: number): void {
  b[at] = n & 0xff;
  b[at + 1] = (n >>> 8) & 0xff;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = n >>> 24;
}

/** Reads the LE32 at `at`. */
export const readLe32 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
  (b[at + 3] as number) * 0x1000000;
