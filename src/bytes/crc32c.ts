// CRC-32C (Castagnoli) through @node-rs/crc32's native binding. The package is CommonJS: loaded with require, it
// starts in ~3 ms; an ESM import first runs its 29 kB loader through Node's CommonJS export scanner (10-20 ms more
// at the start of every command). It is loaded at the first call: a decode of a native snapshot takes no CRC-32C,
// and loading the binding cost it 5-9 ms at the start.

import { createRequire } from 'node:module';
import type { crc32c as nativeCrc32c } from '@node-rs/crc32';

let native: typeof nativeCrc32c | undefined;

/** CRC-32C of `input`, continuing from `initialState` (0 to start). */
export const crc32c: typeof nativeCrc32c = (input, initialState) => {
  native ??= (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: typeof nativeCrc32c }).crc32c;
  return native(input, initialState);
};
