// CRC-32C (Castagnoli) through @node-rs/crc32's native binding. The package is CommonJS: loaded with require, it
// starts in ~3 ms; an ESM import first runs its 29 kB loader through Node's CommonJS export scanner (10-20 ms more
// at the start of every command).

import { createRequire } from 'node:module';
import type { crc32c as nativeCrc32c } from '@node-rs/crc32';

const load = createRequire(import.meta.url);

/** CRC-32C of `input`, continuing from `initialState` (0 to start). */
export const crc32c: typeof nativeCrc32c = (load('@node-rs/crc32') as { crc32c: typeof nativeCrc32c }).crc32c;
