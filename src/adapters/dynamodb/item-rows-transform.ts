// A per-item file's rows, made on the read-ahead worker thread (tree/read-ahead.ts, readListedTransformed): the
// encode of a table of many item files spends most of its time parsing item JSON and writing item protobufs, work
// the worker now does while the main thread sorts and writes the rows of the files before. The rows travel packed
// (packed-rows.ts), in the order itemRows gives them.

import { itemFileRows } from './encode.ts';
import { packRows } from './packed-rows.ts';
import type { TableSchema } from './proto.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

/**
 * The worker's transform: an item file's bytes into its packed rows under the table's schema (`arg`). Anything
 * wrong with the item throws, and the main thread then reads the file itself and reports it.
 */
export function transform(bytes: Uint8Array, arg: unknown): Uint8Array {
  const file = asBuffer(bytes);
  return packRows(itemFileRows(arg as TableSchema, file, ''));
}
